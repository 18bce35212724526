/* routes_ops.c - /healthz and /readyz on the public port. The gateway is
 * ready when all three services answer their Health RPC. */
#include <stdlib.h>

#include "gateway.h"
#include "routes.h"

void route_healthz(gw_exchange *ex)
{
    gw_respond_json(ex, 200, json_pack("{s:s}", "status", "ok"));
}

typedef struct readiness {
    int answered;
    int healthy;
} readiness;

static void on_health(gw_exchange *ex, rpc_reply *reply, void *arg)
{
    (void)arg;
    readiness *r = ex->data;
    r->answered++;
    if (reply->code == RC_OK)
        r->healthy++;
    if (r->answered < 3)
        return;
    if (r->healthy == 3)
        gw_respond_json(ex, 200, json_pack("{s:s}", "status", "ready"));
    else
        gw_respond_error(ex, RC_UNAVAILABLE, "a service is not answering");
}

void route_readyz(gw_exchange *ex)
{
    readiness *r = calloc(1, sizeof *r);
    if (r == NULL)
        abort();
    ex->data = r;
    ex->free_data = free;
    gw_call_then(ex, ex->gw->users, RPC_COMMON_HEALTH, NULL, on_health, NULL);
    gw_call_then(ex, ex->gw->listings, RPC_COMMON_HEALTH, NULL, on_health, NULL);
    gw_call_then(ex, ex->gw->claims, RPC_COMMON_HEALTH, NULL, on_health, NULL);
}
