/* main.c - svc-claims: claims, their two-stage approval and the audit trail.
 * This file describes the service and builds its state: the client to
 * svc-listings and the settler (settle.c). common/service.c runs it. */
#include <stdio.h>
#include <stdlib.h>

#include "claims.h"
#include "config.h"
#include "log.h"
#include "metrics.h"

/* Connections to svc-listings, so that its replicas share the load. */
#define LISTINGS_DIALERS 4

/* The audit trail of the claims chain (common/audit.h). */
static void claims_list_audit(const rpc_request *req, rpc_reply *reply)
{
    audit_list(req, AUDIT_CLAIMS, reply);
}

static void claims_export_audit(const rpc_request *req, rpc_reply *reply)
{
    audit_export(req, AUDIT_CLAIMS, reply);
}

static const rpc_handler_fn claims_methods[RPCI_CLAIMS_COUNT] = {
    [RPCI_CLAIMS_CREATE_CLAIM] = claims_create,
    [RPCI_CLAIMS_LIST_CLAIMS] = claims_list,
    [RPCI_CLAIMS_GET_CLAIM] = claims_get,
    [RPCI_CLAIMS_LIST_EVENTS] = claims_list_events,
    [RPCI_CLAIMS_APPROVE_CLAIM] = claims_approve,
    [RPCI_CLAIMS_DENY_CLAIM] = claims_deny,
    [RPCI_CLAIMS_WITHDRAW_CLAIM] = claims_withdraw,
    [RPCI_CLAIMS_LIST_AUDIT] = claims_list_audit,
    [RPCI_CLAIMS_EXPORT_AUDIT] = claims_export_audit,
    [RPCI_CLAIMS_HAND_OVER_CLAIM] = claims_hand_over,
    [RPCI_CLAIMS_RECEIVE_CLAIM] = claims_receive,
    [RPCI_CLAIMS_LIST_CLAIM_FEED] = claims_list_claim_feed,
    [RPCI_CLAIMS_LIST_HANDOVERS_DUE] = claims_list_handovers_due,
};

static double read_owed(void *arg)
{
    return (double)atomic_load(&((claims_service *)arg)->owed);
}

static double read_oldest_owed(void *arg)
{
    return (double)atomic_load(&((claims_service *)arg)->oldest_owed_ms) / 1000.0;
}

static int claims_init(service_env *env, void **state)
{
    char err[CONFIG_ERR_LEN];
    const char *listings_addr;
    /* svc-listings' internal listener: the holds and the feed are served
     * only there, to the svc-claims certificate (docs/ARCHITECTURE.md). */
    if (config_nng_url("RCYCLE_LISTINGS_INTERNAL_ADDR", "tls+tcp://127.0.0.1:7104", &listings_addr,
                       err) != 0) {
        log_error(NULL, "%s", err);
        return -1;
    }
    claims_service *svc = calloc(1, sizeof *svc);
    if (svc == NULL)
        return -1;
    svc->pool = env->pool;
    if (rpc_client_open(listings_addr, "RCYCLE_TLS_LISTINGS_CA", LISTINGS_DIALERS,
                        &svc->listings) != RC_OK) {
        free(svc);
        return -1;
    }
    svc->settler = worker_start("settler", SETTLE_PERIOD_MS, SETTLE_JITTER_MS, claims_settle, svc);
    if (svc->settler == NULL) {
        rpc_client_close(svc->listings);
        free(svc);
        return -1;
    }
    metrics_gauge("rcycle_claims_settler_backlog",
                  "Claims that owe svc-listings a step (listing_sync is not none)", NULL, NULL,
                  read_owed, svc);
    metrics_gauge("rcycle_claims_settler_oldest_seconds",
                  "Age of the oldest step a claim owes svc-listings, 0 when none", NULL, NULL,
                  read_oldest_owed, svc);
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
    .default_addr = "tls+tcp://127.0.0.1:7103",
    .feed_addr_var = "RCYCLE_CLAIMS_FEED_ADDR",
    .default_feed_addr = "tls+tcp://127.0.0.1:7105",
    .default_admin_port = 7203,
    .rpc =
        RPC_SERVICE_LIMITED(&rcycle__claims__claims__descriptor, claims_methods, claims_listeners),
    .chain = AUDIT_CLAIMS,
    .init = claims_init,
    .fini = claims_fini,
};

int main(int argc, char **argv)
{
    return service_main(&claims_service_def, argc, argv);
}
