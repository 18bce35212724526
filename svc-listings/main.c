/* main.c - svc-listings: the hardware registry, listings, the holds
 * svc-claims takes on them, their change feed, expiry and the leaderboard.
 *
 * This file only describes the service: service_main reads the
 * configuration, opens the database pool and serves the method table below;
 * init and fini run the expiry sweep beside it. */
#include "listings.h"
#include "service.h"
#include "worker.h"

/* Often enough that a listing expires within a minute of its date (API). */
#define EXPIRY_PERIOD_MS 5000
#define EXPIRY_JITTER_MS 1000

/* The audit trail of the listings chain (common/audit.h). */
static void listings_list_audit(const rpc_request *req, rpc_reply *reply)
{
    audit_list(req, AUDIT_LISTINGS, reply);
}

static void listings_export_audit(const rpc_request *req, rpc_reply *reply)
{
    audit_export(req, AUDIT_LISTINGS, reply);
}

static const rpc_handler_fn listings_methods[RPCI_LISTINGS_COUNT] = {
    [RPCI_LISTINGS_LOOKUP_HARDWARE] = listings_lookup_hardware,
    [RPCI_LISTINGS_LIST_LISTINGS] = listings_list_listings,
    [RPCI_LISTINGS_GET_LISTING] = listings_get_listing,
    [RPCI_LISTINGS_CREATE_LISTING] = listings_create_listing,
    [RPCI_LISTINGS_UPDATE_LISTING] = listings_update_listing,
    [RPCI_LISTINGS_WITHDRAW_LISTING] = listings_withdraw_listing,
    [RPCI_LISTINGS_RESERVE] = listings_reserve,
    [RPCI_LISTINGS_RELEASE] = listings_release,
    [RPCI_LISTINGS_TRANSFER] = listings_transfer,
    [RPCI_LISTINGS_LIST_LISTING_EVENTS] = listings_list_listing_events,
    [RPCI_LISTINGS_LEADERBOARD] = listings_leaderboard,
    [RPCI_LISTINGS_LIST_AUDIT] = listings_list_audit,
    [RPCI_LISTINGS_EXPORT_AUDIT] = listings_export_audit,
    [RPCI_LISTINGS_RECEIVE] = listings_receive,
    [RPCI_LISTINGS_LIST_EXPIRING_LISTINGS] = listings_list_expiring,
    [RPCI_LISTINGS_CREATE_WATCH] = listings_create_watch,
    [RPCI_LISTINGS_LIST_WATCHES] = listings_list_watches,
    [RPCI_LISTINGS_DELETE_WATCH] = listings_delete_watch,
    [RPCI_LISTINGS_LIST_WATCH_MATCHES] = listings_list_watch_matches,
};

static int listings_init(service_env *env, void **state)
{
    *state = worker_start("expiry sweeper", EXPIRY_PERIOD_MS, EXPIRY_JITTER_MS,
                          listings_expiry_sweep, env->pool);
    return *state != NULL ? 0 : -1;
}

static void listings_fini(void *state)
{
    worker_stop(state);
}

static const service_def listings_service = {
    .name = "svc-listings",
    .addr_var = "RCYCLE_LISTINGS_ADDR",
    .default_addr = "tls+tcp://127.0.0.1:7102",
    .internal_addr_var = "RCYCLE_LISTINGS_INTERNAL_ADDR",
    .default_internal_addr = "tls+tcp://127.0.0.1:7104",
    .feed_addr_var = "RCYCLE_LISTINGS_FEED_ADDR",
    .default_feed_addr = "tls+tcp://127.0.0.1:7106",
    .default_admin_port = 7202,
    .rpc = RPC_SERVICE_LIMITED(&rcycle__listings__listings__descriptor, listings_methods,
                               listings_listeners),
    .chain = AUDIT_LISTINGS,
    .init = listings_init,
    .fini = listings_fini,
};

int main(int argc, char **argv)
{
    return service_main(&listings_service, argc, argv);
}
