/* routes.c - the REST API of API.md, one line per route. */
#include "routes.h"

const gw_route gw_routes[] = {
    {"GET", "/healthz", ROUTE_PUBLIC, route_healthz},
    {"GET", "/readyz", ROUTE_PUBLIC, route_readyz},
    {"POST", "/api/session", ROUTE_PUBLIC | ROUTE_BODY, route_login},
    {"DELETE", "/api/session", 0, route_logout},
    {"GET", "/api/me", 0, route_me},
    {"GET", "/api/hardware", 0, route_lookup_hardware},
    {"GET", "/api/listings", 0, route_list_listings},
    {"GET", "/api/listings/{id}", 0, route_get_listing},
};

const size_t gw_routes_count = sizeof gw_routes / sizeof gw_routes[0];
