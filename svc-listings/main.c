/* main.c - svc-listings: the hardware registry, listings and the leaderboard.
 *
 * This file only describes the service; service_main reads the
 * configuration, opens the database pool and serves the methods below. */
#include "service.h"

#include "hardware.h"
#include "listings.h"

static const rpc_method listings_methods[] = {
    {"LookupHardware", handle_lookup_hardware},
    {"ListListings", handle_list_listings},
    {"GetListing", handle_get_listing},
    {NULL, NULL},
};

static const service_def listings_service = {
    .name = "svc-listings",
    .addr_var = "RCYCLE_LISTINGS_ADDR",
    .default_addr = "tcp://127.0.0.1:7102",
    .default_admin_port = 7202,
    .methods = listings_methods,
};

int main(void)
{
    return service_main(&listings_service);
}
