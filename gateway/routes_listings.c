/* routes_listings.c - the hardware registry and listings (svc-listings). */
#include <inttypes.h>
#include <stdio.h>

#include "json_map.h"
#include "routes.h"

static void on_hardware(gw_exchange *ex, rpc_reply *reply)
{
    if (reply->code == RC_NOT_FOUND) {
        gw_respond_error_json(ex, RC_NOT_FOUND,
                              json_pack("{s:s, s:b}", "error",
                                        "hardware not found in the registry", "found", 0));
        return;
    }
    if (reply->code != RC_OK) {
        gw_respond_reply_error(ex, reply);
        return;
    }
    Rcycle__Listings__Hardware *h = (Rcycle__Listings__Hardware *)gw_unpack_reply(
        ex, reply, &rcycle__listings__hardware__descriptor);
    if (h == NULL)
        return;
    json_t *body = json_from_hardware(h);
    rcycle__listings__hardware__free_unpacked(h, NULL);
    gw_respond_json(ex, 200, body);
}

void route_lookup_hardware(gw_exchange *ex)
{
    const char *serial = query_get(&ex->query, "serial");
    if (serial == NULL || serial[0] == '\0') {
        gw_respond_error_json(ex, RC_INVALID_ARGUMENT,
                              json_pack("{s:s, s:b}", "error", "serial is required", "found", 0));
        return;
    }
    Rcycle__Listings__LookupHardwareRequest req = RCYCLE__LISTINGS__LOOKUP_HARDWARE_REQUEST__INIT;
    req.serial_number = (char *)serial;
    gw_call(ex, ex->gw->listings, "LookupHardware", &req.base, on_hardware);
}

static void on_listings(gw_exchange *ex, rpc_reply *reply)
{
    if (reply->code != RC_OK) {
        gw_respond_reply_error(ex, reply);
        return;
    }
    Rcycle__Listings__ListListingsReply *r = (Rcycle__Listings__ListListingsReply *)gw_unpack_reply(
        ex, reply, &rcycle__listings__list_listings_reply__descriptor);
    if (r == NULL)
        return;
    json_t *list = json_array();
    for (size_t i = 0; i < r->n_listings; i++)
        json_array_append_new(list, json_from_listing(r->listings[i]));
    char total[24];
    snprintf(total, sizeof total, "%" PRId64, r->total);
    rcycle__listings__list_listings_reply__free_unpacked(r, NULL);
    gw_add_header(ex, "x-total-count", total);
    gw_respond_json(ex, 200, list);
}

void route_list_listings(gw_exchange *ex)
{
    Rcycle__Listings__ListListingsRequest req = RCYCLE__LISTINGS__LIST_LISTINGS_REQUEST__INIT;
    req.category = (char *)query_get(&ex->query, "category");
    req.status = (char *)query_get(&ex->query, "status");
    req.department = (char *)query_get(&ex->query, "department");
    req.search = (char *)query_get(&ex->query, "search");
    if (gw_query_int(ex, "limit", &req.limit, &req.has_limit) != 0 ||
        gw_query_int(ex, "offset", &req.offset, &req.has_offset) != 0)
        return;
    gw_call(ex, ex->gw->listings, "ListListings", &req.base, on_listings);
}

static void on_listing(gw_exchange *ex, rpc_reply *reply)
{
    if (reply->code != RC_OK) {
        gw_respond_reply_error(ex, reply);
        return;
    }
    Rcycle__Listings__Listing *l = (Rcycle__Listings__Listing *)gw_unpack_reply(
        ex, reply, &rcycle__listings__listing__descriptor);
    if (l == NULL)
        return;
    json_t *body = json_from_listing(l);
    rcycle__listings__listing__free_unpacked(l, NULL);
    gw_respond_json(ex, 200, body);
}

void route_get_listing(gw_exchange *ex)
{
    Rcycle__Listings__GetListingRequest req = RCYCLE__LISTINGS__GET_LISTING_REQUEST__INIT;
    req.id = ex->id;
    gw_call(ex, ex->gw->listings, "GetListing", &req.base, on_listing);
}
