/* routes_ops.c - /healthz and /readyz on the public port. The gateway is
 * ready when svc-users answers (every session goes there; this request
 * came through the listener): 200 {"status": "ready" or "degraded",
 * "services": {"users": "up", "listings": "down", ...}}. A dead svc-listings
 * or svc-claims only degrades its own routes, so it does not make the
 * gateway unready: taken out of the endpoints, it would take the login and
 * the UI down with it. */
#include <stdlib.h>

#include "gateway.h"
#include "readiness.h"
#include "routes.h"

void route_healthz(gw_exchange *ex)
{
    gw_respond_json(ex, 200, json_pack("{s:s}", "status", "ok"));
}

typedef struct readiness {
    int answered;
    int up[GW_SERVICES];
} readiness;

/* arg points at the service's index in gw_service_names. */
static void on_health(gw_exchange *ex, rpc_reply *reply, void *arg)
{
    int index = *(const int *)arg;
    readiness *r = ex->data;
    r->answered++;
    r->up[index] = reply->code == RC_OK;
    gw_note_service_health(index, r->up[index]);
    if (r->answered < GW_SERVICES)
        return;
    if (!r->up[GW_SESSION_SERVICE]) {
        gw_respond_error(ex, RC_UNAVAILABLE, "svc-users is not answering");
        return;
    }
    json_t *services = json_object();
    int all = 1;
    for (int i = 0; i < GW_SERVICES; i++) {
        json_object_set_new(services, gw_service_names[i], json_string(r->up[i] ? "up" : "down"));
        all = all && r->up[i];
    }
    gw_respond_json(
        ex, 200,
        json_pack("{s:s,s:o}", "status", all ? "ready" : "degraded", "services", services));
}

void route_readyz(gw_exchange *ex)
{
    readiness *r = calloc(1, sizeof *r);
    if (r == NULL) {
        gw_respond_error(ex, RC_INTERNAL, "internal error");
        return;
    }
    ex->data = r;
    ex->free_data = free;
    static const int index[GW_SERVICES] = {0, 1, 2};
    for (int i = 0; i < GW_SERVICES; i++)
        gw_call_then(ex, gw_service_client(ex->gw, i), RPC_COMMON_HEALTH, NULL, on_health,
                     (void *)&index[i]);
}
