/* router.h - matching a request's method and path against the route table.
 *
 * Patterns are literal segments and at most one "{id}" segment, which must be
 * a positive integer; the table itself lives in routes.c. Pure functions, so
 * they are unit-tested without a server. */
#ifndef RCYCLE_GATEWAY_ROUTER_H
#define RCYCLE_GATEWAY_ROUTER_H

#include <stddef.h>
#include <stdint.h>

struct gw_exchange;

enum {
    ROUTE_PUBLIC = 1 << 0,  /* no credentials needed */
    ROUTE_BODY = 1 << 1,    /* takes a JSON object body */
    ROUTE_SESSION = 1 << 2, /* needs a session: an API token gets 403 (docs/API.md) */
};

/* Body limits of the route table (docs/API.md). */
#define GW_KIB 1024u
#define GW_MIB (1024u * 1024u)

typedef struct gw_route {
    const char *method;
    const char *pattern;
    unsigned flags;
    size_t max_body; /* bytes; a larger body gets 413 before anything reads it */
    void (*start)(struct gw_exchange *ex);
} gw_route;

typedef enum router_result {
    ROUTER_MATCH,
    ROUTER_NO_PATH,   /* 404 */
    ROUTER_NO_METHOD, /* 405: the path exists with other methods */
    ROUTER_BAD_ID,    /* 400: the path matches but {id} is not a positive integer */
} router_result;

router_result router_match(const gw_route *table, size_t n, const char *method, size_t method_len,
                           const char *path, size_t path_len, const gw_route **out, int64_t *id);

/* Writes the methods of the routes whose pattern matches path, comma
 * separated, into out (for the Allow header of a 405). */
void router_allowed_methods(const gw_route *table, size_t n, const char *path, size_t path_len,
                            char *out, size_t out_len);

/* The largest max_body of the table: h2o's own entity limit, so that no
 * connection buffers more than any route accepts. */
size_t router_max_body(const gw_route *table, size_t n);

/* Parses a positive decimal integer that fits in int64 (no sign, no
 * leading zeros beyond "0" itself being rejected). Returns 0 when valid. */
int router_parse_id(const char *s, size_t len, int64_t *out);

#endif
