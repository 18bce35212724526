/* fuzz_query.c - libFuzzer target: the query string decoder and the router
 * of the gateway, fed raw request-target bytes. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "query.h"
#include "text.h"
#include "router.h"

static void nothing(struct gw_exchange *ex)
{
    (void)ex;
}

static const gw_route routes[] = {
    {"GET", "/api/listings", 0, GW_MIB, nothing},
    {"GET", "/api/listings/{id}", 0, GW_MIB, nothing},
    {"POST", "/api/claims/{id}/approve", 0, GW_MIB, nothing},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    const char *q = memchr(s, '?', size);
    size_t path_len = q ? (size_t)(q - s) : size;
    const gw_route *route;
    int64_t id;
    router_match(routes, sizeof routes / sizeof routes[0], "GET", 3, s, path_len, &route, &id);
    if (q != NULL) {
        gw_query query;
        if (query_parse(q + 1, size - path_len - 1, &query) == 0) {
            for (size_t i = 0; i < query.n; i++)
                if (!text_utf8_valid(query.params[i].value, strlen(query.params[i].value)))
                    __builtin_trap();
            query_free(&query);
        }
    }
    return 0;
}
