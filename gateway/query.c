/* query.c - query string decoding. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "query.h"
#include "text.h"

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes s[0..len) into a new NUL-terminated string, or NULL if invalid. */
static char *percent_decode(const char *s, size_t len)
{
    char *out = malloc(len + 1);
    if (out == NULL)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '+') {
            out[o++] = ' ';
        } else if (s[i] == '%') {
            int hi = i + 2 < len ? hex_value(s[i + 1]) : -1;
            int lo = i + 2 < len ? hex_value(s[i + 2]) : -1;
            if (hi < 0 || lo < 0) {
                free(out);
                return NULL;
            }
            out[o++] = (char)(hi * 16 + lo);
            i += 2;
        } else {
            out[o++] = s[i];
        }
    }
    out[o] = '\0';
    if (!text_utf8_valid(out, o)) {
        free(out);
        return NULL;
    }
    return out;
}

void query_free(gw_query *q)
{
    for (size_t i = 0; i < q->n; i++) {
        free(q->params[i].name);
        free(q->params[i].value);
    }
    q->n = 0;
}

/* Adds one "name=value" (or "name") pair; returns 0 or -1. */
static int add_pair(gw_query *q, const char *s, size_t len)
{
    if (len == 0)
        return 0;
    if (q->n == QUERY_MAX_PARAMS)
        return -1;
    const char *eq = memchr(s, '=', len);
    size_t name_len = eq ? (size_t)(eq - s) : len;
    gw_query_param *p = &q->params[q->n];
    p->name = percent_decode(s, name_len);
    p->value = eq ? percent_decode(eq + 1, len - name_len - 1) : percent_decode("", 0);
    if (p->name == NULL || p->value == NULL) {
        free(p->name);
        free(p->value);
        return -1;
    }
    q->n++;
    return 0;
}

int query_parse(const char *s, size_t len, gw_query *q)
{
    q->n = 0;
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i == len || s[i] == '&') {
            if (add_pair(q, s + start, i - start) != 0) {
                query_free(q);
                return -1;
            }
            start = i + 1;
        }
    }
    return 0;
}

const char *query_get(const gw_query *q, const char *name)
{
    for (size_t i = 0; i < q->n; i++)
        if (strcmp(q->params[i].name, name) == 0)
            return q->params[i].value;
    return NULL;
}
