/* routes_docs.c - GET /api/openapi.json: the REST contract, docs/openapi.yaml,
 * which the build converts to JSON and links in (gateway/CMakeLists.txt). */
#include "routes.h"

/* Defined in the generated openapi_json.c: the compact JSON, no NUL. */
extern const unsigned char rcycle_openapi_json[];
extern const size_t rcycle_openapi_json_len;

void route_openapi(gw_exchange *ex)
{
    json_error_t err;
    json_t *doc = json_loadb((const char *)rcycle_openapi_json, rcycle_openapi_json_len, 0, &err);
    if (doc == NULL) {
        gw_respond_error(ex, RC_INTERNAL, "internal error");
        return;
    }
    gw_respond_json(ex, 200, doc);
}
