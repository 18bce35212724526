/* routes.c - the REST API of docs/API.md, one line per route: method,
 * pattern, flags, the largest body it takes, start function. */
#include "routes.h"

const gw_route gw_routes[] = {
    {"GET", "/healthz", ROUTE_PUBLIC, GW_MIB, route_healthz},
    {"GET", "/readyz", ROUTE_PUBLIC, GW_MIB, route_readyz},
    {"GET", "/api/openapi.json", ROUTE_PUBLIC, GW_MIB, route_openapi},
    {"POST", "/api/session", ROUTE_PUBLIC | ROUTE_BODY, 8 * GW_KIB, route_login},
    {"DELETE", "/api/session", 0, GW_MIB, route_logout},
    {"GET", "/api/me", 0, GW_MIB, route_me},
    {"GET", "/api/hardware", 0, GW_MIB, route_lookup_hardware},
    {"GET", "/api/listings", 0, GW_MIB, route_list_listings},
    {"GET", "/api/listings/{id}", 0, GW_MIB, route_get_listing},
    {"POST", "/api/listings", ROUTE_BODY, GW_MIB, route_create_listing},
    {"PATCH", "/api/listings/{id}", ROUTE_BODY, GW_MIB, route_update_listing},
    {"DELETE", "/api/listings/{id}", 0, GW_MIB, route_withdraw_listing},
    {"GET", "/api/leaderboard", 0, GW_MIB, route_leaderboard},
    {"GET", "/api/users", 0, GW_MIB, route_list_users},
    {"POST", "/api/users", ROUTE_BODY, GW_MIB, route_create_user},
    {"POST", "/api/claims", ROUTE_BODY, GW_MIB, route_create_claim},
    {"GET", "/api/claims", 0, GW_MIB, route_list_claims},
    {"GET", "/api/claims/{id}", 0, GW_MIB, route_get_claim},
    {"POST", "/api/claims/{id}/approve", 0, GW_MIB, route_approve_claim},
    {"POST", "/api/claims/{id}/deny", ROUTE_BODY, GW_MIB, route_deny_claim},
    {"POST", "/api/claims/{id}/withdraw", 0, GW_MIB, route_withdraw_claim},
    {"GET", "/api/claims/{id}/events", 0, GW_MIB, route_claim_events},
};

const size_t gw_routes_count = sizeof gw_routes / sizeof gw_routes[0];
