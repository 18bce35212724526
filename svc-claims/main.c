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

static const rpc_method claims_methods[] = {
    {"CreateClaim", claims_create},     {"ListClaims", claims_list},
    {"GetClaim", claims_get},           {"ListEvents", claims_list_events},
    {"ApproveClaim", claims_approve},   {"DenyClaim", claims_deny},
    {"WithdrawClaim", claims_withdraw}, {NULL, NULL},
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
    if (settler_start(svc) != 0) {
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
    settler_stop(svc);
    rpc_client_close(svc->listings);
    free(svc);
}

static const service_def claims_service_def = {
    .name = "svc-claims",
    .addr_var = "RCYCLE_CLAIMS_ADDR",
    .default_addr = "tcp://127.0.0.1:7103",
    .default_admin_port = 7203,
    .methods = claims_methods,
    .init = claims_init,
    .fini = claims_fini,
};

int main(void)
{
    return service_main(&claims_service_def);
}
