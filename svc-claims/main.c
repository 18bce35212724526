/* main.c - svc-claims: claims, their two-stage approval and the audit trail.
 * This file describes the service and builds its state: the client to
 * svc-listings and the settler (settle.c). common/service.c runs it. */
#include <stdio.h>
#include <stdlib.h>

#include "claims.h"
#include "config.h"
#include "log.h"

/* Connections to svc-listings, so that its replicas share the load. */
#define LISTINGS_DIALERS 4

static const rpc_handler_fn claims_methods[RPCI_CLAIMS_COUNT] = {
    [RPCI_CLAIMS_CREATE_CLAIM] = claims_create,     [RPCI_CLAIMS_LIST_CLAIMS] = claims_list,
    [RPCI_CLAIMS_GET_CLAIM] = claims_get,           [RPCI_CLAIMS_LIST_EVENTS] = claims_list_events,
    [RPCI_CLAIMS_APPROVE_CLAIM] = claims_approve,   [RPCI_CLAIMS_DENY_CLAIM] = claims_deny,
    [RPCI_CLAIMS_WITHDRAW_CLAIM] = claims_withdraw,
};

static int claims_init(service_env *env, void **state)
{
    char err[CONFIG_ERR_LEN];
    const char *listings_addr;
    if (config_nng_url("RCYCLE_LISTINGS_ADDR", "tcp://127.0.0.1:7102", &listings_addr, err) != 0) {
        log_error(NULL, "%s", err);
        return -1;
    }
    claims_service *svc = calloc(1, sizeof *svc);
    if (svc == NULL)
        return -1;
    svc->pool = env->pool;
    if (rpc_client_open(listings_addr, LISTINGS_DIALERS, &svc->listings) != RC_OK) {
        free(svc);
        return -1;
    }
    svc->settler = worker_start("settler", SETTLE_PERIOD_MS, SETTLE_JITTER_MS, claims_settle, svc);
    if (svc->settler == NULL) {
        rpc_client_close(svc->listings);
        free(svc);
        return -1;
    }
    *state = svc;
    return 0;
}

static void claims_fini(void *state)
{
    claims_service *svc = state;
    worker_stop(svc->settler);
    rpc_client_close(svc->listings);
    free(svc);
}

static const service_def claims_service_def = {
    .name = "svc-claims",
    .addr_var = "RCYCLE_CLAIMS_ADDR",
    .default_addr = "tcp://127.0.0.1:7103",
    .default_admin_port = 7203,
    .rpc = RPC_SERVICE(&rcycle__claims__claims__descriptor, claims_methods),
    .init = claims_init,
    .fini = claims_fini,
};

int main(int argc, char **argv)
{
    return service_main(&claims_service_def, argc, argv);
}
