/* client_addr.c - the client address behind a request (client_addr.h). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_addr.h"

/* An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is the IPv4 address, so a
 * dual-stack listener and a trusted list of IPv4 entries agree. */
static void unmap(client_net *a)
{
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (a->family == AF_INET6 && memcmp(a->addr, mapped, sizeof mapped) == 0) {
        memmove(a->addr, a->addr + 12, 4);
        a->family = AF_INET;
        a->prefix -= a->prefix >= 96 ? 96 : a->prefix;
    }
}

/* Parses an address of len bytes at s; 1 when it is one. */
static int parse_addr(const char *s, size_t len, client_net *out)
{
    char text[CLIENT_ADDR_LEN];
    if (len == 0 || len >= sizeof text)
        return 0;
    memcpy(text, s, len);
    text[len] = '\0';
    if (inet_pton(AF_INET, text, out->addr) == 1) {
        out->family = AF_INET;
        out->prefix = 32;
    } else if (inet_pton(AF_INET6, text, out->addr) == 1) {
        out->family = AF_INET6;
        out->prefix = 128;
    } else {
        return 0;
    }
    unmap(out);
    return 1;
}

/* One entry: an address or address/prefix. */
static int parse_net(const char *s, size_t len, client_net *out)
{
    const char *slash = memchr(s, '/', len);
    if (!parse_addr(s, slash ? (size_t)(slash - s) : len, out))
        return 0;
    if (slash == NULL)
        return 1;
    int max = out->family == AF_INET ? 32 : 128;
    char digits[4];
    size_t n = len - (size_t)(slash - s) - 1;
    if (n == 0 || n >= sizeof digits || strspn(slash + 1, "0123456789") < n)
        return 0;
    memcpy(digits, slash + 1, n);
    digits[n] = '\0';
    int prefix = atoi(digits);
    if (prefix > max)
        return 0;
    out->prefix = prefix;
    return 1;
}

/* The next comma-separated item of s[*at..len), spaces trimmed. */
static int next_item(const char *s, size_t len, size_t *at, size_t *start, size_t *item_len)
{
    if (*at > len)
        return 0;
    size_t end = *at;
    while (end < len && s[end] != ',')
        end++;
    size_t b = *at, e = end;
    while (b < e && (s[b] == ' ' || s[b] == '\t'))
        b++;
    while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t'))
        e--;
    *start = b;
    *item_len = e - b;
    *at = end + 1;
    return 1;
}

int client_trust_parse(const char *list, client_trust *out, char *err, size_t err_len)
{
    out->n = 0;
    if (list == NULL)
        return 0;
    size_t len = strlen(list), at = 0, start, n;
    while (next_item(list, len, &at, &start, &n)) {
        if (n == 0 && len == 0)
            break;
        if (out->n == CLIENT_TRUST_MAX) {
            snprintf(err, err_len, "RCYCLE_TRUSTED_PROXIES: at most %d entries", CLIENT_TRUST_MAX);
            return -1;
        }
        if (!parse_net(list + start, n, &out->nets[out->n])) {
            snprintf(err, err_len,
                     "RCYCLE_TRUSTED_PROXIES: '%.*s' is not an IP address or CIDR network",
                     (int)(n > 64 ? 64 : n), list + start);
            return -1;
        }
        out->n++;
    }
    return 0;
}

static int in_net(const client_net *net, const client_net *a)
{
    if (net->family != a->family)
        return 0;
    int full = net->prefix / 8, rest = net->prefix % 8;
    if (memcmp(net->addr, a->addr, (size_t)full) != 0)
        return 0;
    uint8_t mask = (uint8_t)(0xff << (8 - rest));
    return rest == 0 || (net->addr[full] & mask) == (a->addr[full] & mask);
}

static int trusted(const client_trust *t, const client_net *a)
{
    for (size_t i = 0; i < t->n; i++)
        if (in_net(&t->nets[i], a))
            return 1;
    return 0;
}

/* An X-Forwarded-For entry: an address, maybe with a port ("a.b.c.d:p",
 * "[v6]:p") as some proxies write it. */
static int parse_entry(const char *s, size_t len, client_net *out)
{
    if (len > 0 && s[0] == '[') {
        const char *close = memchr(s, ']', len);
        return close != NULL && parse_addr(s + 1, (size_t)(close - s) - 1, out);
    }
    const char *colon = memchr(s, ':', len);
    if (colon != NULL && memchr(colon + 1, ':', len - (size_t)(colon - s) - 1) == NULL)
        len = (size_t)(colon - s);
    return parse_addr(s, len, out);
}

static int from_sockaddr(const struct sockaddr *sa, client_net *out)
{
    if (sa->sa_family == AF_INET) {
        *out = (client_net){.family = AF_INET, .prefix = 32, .addr = {0}};
        memcpy(out->addr, &((const struct sockaddr_in *)sa)->sin_addr, 4);
    } else if (sa->sa_family == AF_INET6) {
        *out = (client_net){.family = AF_INET6, .prefix = 128, .addr = {0}};
        memcpy(out->addr, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
        unmap(out);
    } else {
        return 0;
    }
    return 1;
}

/* Walks the X-Forwarded-For entries of xff[0..n) from the right, moving to
 * the hop before *client while *client is a trusted proxy. An entry that is
 * not an address ends the walk: nothing to its left can be believed. */
static void walk_forwarded(const client_trust *t, const h2o_iovec_t *xff, size_t n,
                           client_net *client)
{
    for (size_t h = n; h-- > 0;) {
        const char *s = xff[h].base;
        size_t end = xff[h].len;
        while (end > 0) {
            size_t comma = end;
            while (comma > 0 && s[comma - 1] != ',')
                comma--;
            size_t b = comma, e = end;
            while (b < e && (s[b] == ' ' || s[b] == '\t'))
                b++;
            while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t'))
                e--;
            client_net hop;
            if (!trusted(t, client) || !parse_entry(s + b, e - b, &hop))
                return;
            *client = hop;
            end = comma > 0 ? comma - 1 : 0;
        }
    }
}

void client_addr_pick(const client_trust *trust, const struct sockaddr *peer,
                      const h2o_iovec_t *xff, size_t n, char out[CLIENT_ADDR_LEN])
{
    client_net client;
    out[0] = '\0';
    if (peer == NULL || !from_sockaddr(peer, &client))
        return;
    walk_forwarded(trust, xff, n, &client);
    inet_ntop(client.family, client.addr, out, CLIENT_ADDR_LEN);
}

void client_addr_of(const client_trust *trust, h2o_req_t *req, char out[CLIENT_ADDR_LEN])
{
    struct sockaddr_storage ss;
    socklen_t len = req->conn->callbacks->get_peername(req->conn, (struct sockaddr *)&ss);
    h2o_iovec_t xff[CLIENT_XFF_MAX];
    size_t n = 0;
    for (ssize_t at = h2o_find_header(&req->headers, H2O_TOKEN_X_FORWARDED_FOR, -1); at != -1;
         at = h2o_find_header(&req->headers, H2O_TOKEN_X_FORWARDED_FOR, at)) {
        /* The last headers are the ones the nearest proxies wrote. */
        if (n == CLIENT_XFF_MAX)
            memmove(xff, xff + 1, sizeof xff[0] * --n);
        xff[n++] = req->headers.entries[at].value;
    }
    client_addr_pick(trust, len > 0 ? (struct sockaddr *)&ss : NULL, xff, n, out);
}
