/* main.c - svc-listings: the hardware registry, listings, the holds
 * svc-claims takes on them, their change feed, expiry and the leaderboard.
 *
 * This file only describes the service; service_main reads the
 * configuration, opens the database pool and serves the methods below, and
 * init/fini run the expiry sweeper beside them. */
#include "service.h"

#include "expiry.h"
#include "feed.h"
#include "hardware.h"
#include "holds.h"
#include "leaderboard.h"
#include "listing_edit.h"
#include "listings.h"

static const rpc_method listings_methods[] = {
    {"LookupHardware", handle_lookup_hardware},
    {"ListListings", handle_list_listings},
    {"GetListing", handle_get_listing},
    {"CreateListing", handle_create_listing},
    {"UpdateListing", handle_update_listing},
    {"WithdrawListing", handle_withdraw_listing},
    {"Reserve", handle_reserve},
    {"Release", handle_release},
    {"Transfer", handle_transfer},
    {"ListListingEvents", handle_list_listing_events},
    {"Leaderboard", handle_leaderboard},
    {NULL, NULL},
};

static int listings_init(service_env *env, void **state)
{
    *state = expiry_start(env->pool);
    return *state != NULL ? 0 : -1;
}

static void listings_fini(void *state)
{
    expiry_stop(state);
}

static const service_def listings_service = {
    .name = "svc-listings",
    .addr_var = "RCYCLE_LISTINGS_ADDR",
    .default_addr = "tcp://127.0.0.1:7102",
    .default_admin_port = 7202,
    .methods = listings_methods,
    .init = listings_init,
    .fini = listings_fini,
};

int main(void)
{
    return service_main(&listings_service);
}
