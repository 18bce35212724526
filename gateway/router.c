/* router.c - route matching by path segments. */
#include <stdio.h>
#include <string.h>

#include "router.h"

int router_parse_id(const char *s, size_t len, int64_t *out)
{
    if (len == 0 || len > 18 || s[0] == '0')
        return -1;
    int64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

/* Returns the length of the segment starting at s (up to '/' or end). */
static size_t segment_len(const char *s, size_t left)
{
    const char *slash = memchr(s, '/', left);
    return slash ? (size_t)(slash - s) : left;
}

typedef enum { PATH_NO, PATH_YES, PATH_BAD_ID } path_match;

/* Matches path against pattern, segment by segment. */
static path_match match_path(const char *pattern, const char *path, size_t path_len, int64_t *id)
{
    size_t plen = strlen(pattern);
    size_t pi = 0, si = 0;
    int bad_id = 0;
    while (pi < plen && si < path_len) {
        if (pattern[pi] == '/' || path[si] == '/') {
            if (pattern[pi] != path[si])
                return PATH_NO;
            pi++;
            si++;
            continue;
        }
        size_t pseg = segment_len(pattern + pi, plen - pi);
        size_t sseg = segment_len(path + si, path_len - si);
        if (pseg == 4 && memcmp(pattern + pi, "{id}", 4) == 0) {
            if (router_parse_id(path + si, sseg, id) != 0)
                bad_id = 1;
        } else if (pseg != sseg || memcmp(pattern + pi, path + si, pseg) != 0) {
            return PATH_NO;
        }
        pi += pseg;
        si += sseg;
    }
    if (pi != plen || si != path_len)
        return PATH_NO;
    return bad_id ? PATH_BAD_ID : PATH_YES;
}

/* 1 when a request of method (method_len bytes) may use route: its own
 * method, or HEAD wherever GET works (RFC 9110 9.3.2). */
static int method_fits(const gw_route *route, const char *method, size_t method_len)
{
    if (strlen(route->method) == method_len && memcmp(route->method, method, method_len) == 0)
        return 1;
    return method_len == 4 && memcmp(method, "HEAD", 4) == 0 && strcmp(route->method, "GET") == 0;
}

router_result router_match(const gw_route *table, size_t n, const char *method, size_t method_len,
                           const char *path, size_t path_len, const gw_route **out, int64_t *id)
{
    router_result best = ROUTER_NO_PATH;
    for (size_t i = 0; i < n; i++) {
        int64_t found_id = 0;
        path_match m = match_path(table[i].pattern, path, path_len, &found_id);
        if (m == PATH_NO)
            continue;
        if (m == PATH_BAD_ID) {
            best = ROUTER_BAD_ID;
            continue;
        }
        if (!method_fits(&table[i], method, method_len)) {
            if (best == ROUTER_NO_PATH)
                best = ROUTER_NO_METHOD;
            continue;
        }
        *out = &table[i];
        *id = found_id;
        return ROUTER_MATCH;
    }
    return best;
}

void router_allowed_methods(const gw_route *table, size_t n, const char *path, size_t path_len,
                            char *out, size_t out_len)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        int64_t id;
        if (match_path(table[i].pattern, path, path_len, &id) != PATH_YES)
            continue;
        int get = strcmp(table[i].method, "GET") == 0;
        int w = snprintf(out + used, out_len - used, "%s%s%s", used ? ", " : "", table[i].method,
                         get ? ", HEAD" : "");
        if (w < 0 || (size_t)w >= out_len - used)
            break;
        used += (size_t)w;
    }
}

size_t router_max_body(const gw_route *table, size_t n)
{
    size_t max = 0;
    for (size_t i = 0; i < n; i++)
        if (table[i].max_body > max)
            max = table[i].max_body;
    return max;
}
