/* query.h - the query string of a request, decoded.
 *
 * Names and values are percent-decoded ('+' is a space) and must be valid
 * UTF-8 without NUL bytes; anything else makes the whole query invalid (400),
 * so no service ever sees a malformed string. Pure functions. */
#ifndef RCYCLE_GATEWAY_QUERY_H
#define RCYCLE_GATEWAY_QUERY_H

#include <stddef.h>

#define QUERY_MAX_PARAMS 32

typedef struct gw_query_param {
    char *name;
    char *value;
} gw_query_param;

typedef struct gw_query {
    size_t n;
    gw_query_param params[QUERY_MAX_PARAMS];
} gw_query;

/* Parses s (without the leading '?'). Returns 0, or -1 with q left empty.
 * Free a parsed query with query_free. */
int query_parse(const char *s, size_t len, gw_query *q);
void query_free(gw_query *q);

/* The first value of name, or NULL. The query owns it. */
const char *query_get(const gw_query *q, const char *name);

#endif
