/* admit.h - what the gateway decides about a request from its head alone,
 * before it looks at a credential or parses a byte of the body: a NUL in the
 * path, the route, the body's size against the route's limit and its media
 * type. Pure, so it is unit-tested and fuzzed without a server. */
#ifndef RCYCLE_GATEWAY_ADMIT_H
#define RCYCLE_GATEWAY_ADMIT_H

#include <stddef.h>
#include <stdint.h>

#include "router.h"

typedef enum admit_result {
    ADMIT_OK,
    ADMIT_NUL_PATH,  /* 400: a raw or %00-encoded NUL in the path */
    ADMIT_NO_PATH,   /* 404 */
    ADMIT_NO_METHOD, /* 405 */
    ADMIT_BAD_ID,    /* 400 */
    ADMIT_TOO_LARGE, /* 413: the body is over the route's max_body */
    ADMIT_NOT_JSON,  /* 415: a body without Content-Type: application/json */
} admit_result;

typedef struct admit_head {
    const char *method;
    size_t method_len;
    const char *path; /* without the query */
    size_t path_len;
    const char *content_type; /* NULL when the request has none */
    size_t content_type_len;
    size_t body_len;
} admit_head;

/* Decides in the order of admit_result; on ADMIT_OK, and on ADMIT_TOO_LARGE
 * and ADMIT_NOT_JSON, *route is the matched route and *id its {id}. */
admit_result admit_request(const gw_route *table, size_t n, const admit_head *head,
                           const gw_route **route, int64_t *id);

/* 1 when path holds a NUL byte or a %00 escape: h2o decodes the escape, and
 * a file name cut at the NUL would be served under the type of what follows. */
int admit_path_has_nul(const char *path, size_t len);

/* 1 when next (a decoded query value) is a path on this origin that a
 * redirect may go to: "/" then anything but a second "/" or a "\\", and no
 * backslash or control character anywhere (browsers read "/\\host" and
 * "/\thost" as another host). */
int admit_next_path(const char *next);

/* 1 for application/json, any case, with or without parameters. */
int admit_is_json_type(const char *value, size_t len);

#endif
