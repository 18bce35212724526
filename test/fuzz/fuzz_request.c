/* fuzz_request.c - libFuzzer target: a request's method, path, Content-Type
 * and body through the gateway's decisions in the order the exchange takes
 * them (exchange.c): admission from the head (NUL path, route, body limit,
 * media type), the query string, then the body parse with its memory bound
 * (fuzz_json_body drives the field readers). The input is one byte choosing the method, then
 * the request target up to a newline, the Content-Type up to the next one
 * (absent when empty), and the body. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "admit.h"
#include "json_map.h"
#include "query.h"

static void nothing(struct gw_exchange *ex)
{
    (void)ex;
}

/* The shapes of gateway/routes.c: literal and {id} segments, the login's
 * small limit beside the large one, public and body-taking routes. */
static const gw_route routes[] = {
    {"GET", "/healthz", ROUTE_PUBLIC, GW_MIB, nothing},
    {"POST", "/api/session", ROUTE_PUBLIC | ROUTE_BODY, 8 * GW_KIB, nothing},
    {"DELETE", "/api/session", 0, GW_MIB, nothing},
    {"GET", "/api/listings", 0, GW_MIB, nothing},
    {"POST", "/api/listings", ROUTE_BODY, GW_MIB, nothing},
    {"GET", "/api/listings/{id}", 0, GW_MIB, nothing},
    {"PATCH", "/api/listings/{id}", ROUTE_BODY, GW_MIB, nothing},
    {"POST", "/api/claims/{id}/deny", ROUTE_BODY, GW_MIB, nothing},
    {"POST", "/api/claims/{id}/approve", 0, GW_MIB, nothing},
};
#define N_ROUTES (sizeof routes / sizeof routes[0])

static const char *const methods[] = {"GET", "HEAD", "POST", "PATCH", "DELETE", "PUT", "PRI"};

/* Splits off the bytes up to the next newline. */
static const char *take_line(const char **at, const char *end, size_t *len)
{
    const char *start = *at;
    const char *nl = memchr(start, '\n', (size_t)(end - start));
    *len = (size_t)((nl ? nl : end) - start);
    *at = nl ? nl + 1 : end;
    return start;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    const char *method = methods[data[0] % (sizeof methods / sizeof methods[0])];
    const char *at = (const char *)data + 1, *end = (const char *)data + size;
    size_t target_len, type_len;
    const char *target = take_line(&at, end, &target_len);
    const char *type = take_line(&at, end, &type_len);
    const char *query = memchr(target, '?', target_len);
    admit_head head = {
        .method = method,
        .method_len = strlen(method),
        .path = target,
        .path_len = query ? (size_t)(query - target) : target_len,
        .content_type = type_len ? type : NULL,
        .content_type_len = type_len,
        .body_len = (size_t)(end - at),
    };
    const gw_route *route = NULL;
    int64_t id = 0;
    admit_result r = admit_request(routes, N_ROUTES, &head, &route, &id);
    if (r == ADMIT_OK &&
        (head.body_len > route->max_body || admit_path_has_nul(head.path, head.path_len) ||
         (head.body_len > 0 && !admit_is_json_type(type, type_len))))
        __builtin_trap();
    if (r != ADMIT_OK)
        return 0;
    if (query != NULL) {
        gw_query q;
        if (query_parse(query + 1, target_len - head.path_len - 1, &q) == 0)
            query_free(&q);
    }
    if (!(route->flags & ROUTE_BODY))
        return 0;
    char err[JSON_ERR_LEN];
    size_t cost;
    json_t *body = json_parse_object(at, head.body_len, JSON_PARSE_MAX, &cost, err);
    if (body == NULL)
        return 0;
    if (cost > JSON_PARSE_MAX || !json_is_object(body))
        __builtin_trap();
    json_decref(body);
    return 0;
}
