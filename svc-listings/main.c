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
    .default_addr = "tcp://127.0.0.1:7102",
    .default_admin_port = 7202,
    .rpc = RPC_SERVICE(&rcycle__listings__listings__descriptor, listings_methods),
    .init = listings_init,
    .fini = listings_fini,
};

int main(int argc, char **argv)
{
    return service_main(&listings_service, argc, argv);
}
