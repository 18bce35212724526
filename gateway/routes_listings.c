/* routes_listings.c - the hardware registry, listings and the leaderboard
 * (svc-listings). */
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>

#include "json_map.h"
#include "routes.h"

static void on_hardware(gw_exchange *ex, rpc_reply *reply)
{
    if (reply->code == RC_NOT_FOUND) {
        gw_respond_error_json(
            ex, RC_NOT_FOUND,
            json_pack("{s:s, s:b}", "error", "hardware not found in the registry", "found", 0));
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

/* Answers a reply that carries a Listing with its JSON and status. */
static void respond_listing(gw_exchange *ex, rpc_reply *reply, int status)
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
    gw_respond_json(ex, status, body);
}

static void on_listing(gw_exchange *ex, rpc_reply *reply)
{
    respond_listing(ex, reply, 200);
}

void route_get_listing(gw_exchange *ex)
{
    Rcycle__Listings__GetListingRequest req = RCYCLE__LISTINGS__GET_LISTING_REQUEST__INIT;
    req.id = ex->id;
    gw_call(ex, ex->gw->listings, "GetListing", &req.base, on_listing);
}

/* ---- POST /api/listings ---- */

/* The body fields of POST /api/listings, and where the request keeps each. */
static const struct create_field {
    const char *key;
    size_t offset; /* of the char * in Rcycle__Listings__CreateListingRequest */
    int required;
} create_fields[] = {
    {"serialNumber", offsetof(Rcycle__Listings__CreateListingRequest, serial_number), 1},
    {"title", offsetof(Rcycle__Listings__CreateListingRequest, title), 1},
    {"category", offsetof(Rcycle__Listings__CreateListingRequest, category), 1},
    {"expirationDate", offsetof(Rcycle__Listings__CreateListingRequest, expiration_date), 1},
    {"description", offsetof(Rcycle__Listings__CreateListingRequest, description), 0},
    {"location", offsetof(Rcycle__Listings__CreateListingRequest, location), 0},
    {"condition", offsetof(Rcycle__Listings__CreateListingRequest, condition), 0},
    {"cpu", offsetof(Rcycle__Listings__CreateListingRequest, cpu), 0},
    {"ram", offsetof(Rcycle__Listings__CreateListingRequest, ram), 0},
    {"storage", offsetof(Rcycle__Listings__CreateListingRequest, storage), 0},
    {"ports", offsetof(Rcycle__Listings__CreateListingRequest, ports), 0},
    {"otherSpecs", offsetof(Rcycle__Listings__CreateListingRequest, other_specs), 0},
};

/* API.md's answer to hardware that still holds storage media: the
 * service's message (which lists the media) as both error and message, and
 * blocked. A PERMISSION_DENIED without the StorageMediaBlock detail is a
 * plain refusal. */
static void respond_blocked(gw_exchange *ex, const rpc_reply *reply)
{
    Rcycle__Listings__StorageMediaBlock *block =
        rcycle__listings__storage_media_block__unpack(NULL, reply->payload_len, reply->payload);
    if (block == NULL) {
        gw_respond_reply_error(ex, reply);
        return;
    }
    json_t *media = json_array();
    for (size_t i = 0; i < block->n_media; i++)
        json_array_append_new(media, json_string(block->media[i]));
    rcycle__listings__storage_media_block__free_unpacked(block, NULL);
    const char *message = reply->message ? reply->message : "hardware holds storage media";
    gw_respond_error_json(ex, RC_PERMISSION_DENIED,
                          json_pack("{s:s, s:b, s:s, s:o}", "error", message, "blocked", 1,
                                    "message", message, "media", media));
}

static void on_listing_created(gw_exchange *ex, rpc_reply *reply)
{
    if (reply->code == RC_PERMISSION_DENIED && reply->payload_len > 0)
        respond_blocked(ex, reply);
    else
        respond_listing(ex, reply, 201);
}

void route_create_listing(gw_exchange *ex)
{
    Rcycle__Listings__CreateListingRequest req = RCYCLE__LISTINGS__CREATE_LISTING_REQUEST__INIT;
    for (size_t i = 0; i < sizeof create_fields / sizeof create_fields[0]; i++) {
        const struct create_field *f = &create_fields[i];
        const char *value;
        char err[JSON_ERR_LEN];
        if (json_field_string(ex->body, f->key, f->required, &value, err) != 0) {
            gw_respond_error(ex, RC_INVALID_ARGUMENT, err);
            return;
        }
        /* protobuf-c's fields are not const, but packing only reads them. */
        *(char **)((char *)&req + f->offset) = (char *)value;
    }
    gw_call(ex, ex->gw->listings, "CreateListing", &req.base, on_listing_created);
}

/* ---- PATCH /api/listings/{id} ---- */

/* The fields a PATCH may change, and where the request keeps each. */
static const struct patch_field {
    const char *key;
    size_t offset; /* of the Rcycle__OptString * in Rcycle__Listings__UpdateListingRequest */
} patch_fields[] = {
    {"title", offsetof(Rcycle__Listings__UpdateListingRequest, title)},
    {"description", offsetof(Rcycle__Listings__UpdateListingRequest, description)},
    {"location", offsetof(Rcycle__Listings__UpdateListingRequest, location)},
    {"condition", offsetof(Rcycle__Listings__UpdateListingRequest, condition)},
    {"cpu", offsetof(Rcycle__Listings__UpdateListingRequest, cpu)},
    {"ram", offsetof(Rcycle__Listings__UpdateListingRequest, ram)},
    {"storage", offsetof(Rcycle__Listings__UpdateListingRequest, storage)},
    {"ports", offsetof(Rcycle__Listings__UpdateListingRequest, ports)},
    {"otherSpecs", offsetof(Rcycle__Listings__UpdateListingRequest, other_specs)},
    {"expirationDate", offsetof(Rcycle__Listings__UpdateListingRequest, expiration_date)},
};
#define PATCH_FIELDS (sizeof patch_fields / sizeof patch_fields[0])

static void on_listing_updated(gw_exchange *ex, rpc_reply *reply)
{
    respond_listing(ex, reply, 200);
}

/* Each field: absent leaves it, null clears it, a string sets it. */
void route_update_listing(gw_exchange *ex)
{
    Rcycle__Listings__UpdateListingRequest req = RCYCLE__LISTINGS__UPDATE_LISTING_REQUEST__INIT;
    Rcycle__OptString edits[PATCH_FIELDS];
    req.id = ex->id;
    for (size_t i = 0; i < PATCH_FIELDS; i++) {
        const struct patch_field *f = &patch_fields[i];
        int present;
        const char *value;
        char err[JSON_ERR_LEN];
        if (json_field_patch_string(ex->body, f->key, &present, &value, err) != 0) {
            gw_respond_error(ex, RC_INVALID_ARGUMENT, err);
            return;
        }
        if (!present)
            continue;
        rcycle__opt_string__init(&edits[i]);
        edits[i].value = (char *)value; /* NULL: present without value, a clear */
        *(Rcycle__OptString **)((char *)&req + f->offset) = &edits[i];
    }
    gw_call(ex, ex->gw->listings, "UpdateListing", &req.base, on_listing_updated);
}

/* ---- DELETE /api/listings/{id} ---- */

static void on_listing_withdrawn(gw_exchange *ex, rpc_reply *reply)
{
    if (reply->code != RC_OK)
        gw_respond_reply_error(ex, reply);
    else
        gw_respond_no_content(ex);
}

void route_withdraw_listing(gw_exchange *ex)
{
    Rcycle__Listings__WithdrawListingRequest req = RCYCLE__LISTINGS__WITHDRAW_LISTING_REQUEST__INIT;
    req.id = ex->id;
    gw_call(ex, ex->gw->listings, "WithdrawListing", &req.base, on_listing_withdrawn);
}

/* ---- GET /api/leaderboard ---- */

static void on_leaderboard(gw_exchange *ex, rpc_reply *reply)
{
    if (reply->code != RC_OK) {
        gw_respond_reply_error(ex, reply);
        return;
    }
    Rcycle__Listings__LeaderboardReply *r = (Rcycle__Listings__LeaderboardReply *)gw_unpack_reply(
        ex, reply, &rcycle__listings__leaderboard_reply__descriptor);
    if (r == NULL)
        return;
    json_t *list = json_array();
    for (size_t i = 0; i < r->n_entries; i++)
        json_array_append_new(list, json_from_leaderboard_entry(r->entries[i]));
    rcycle__listings__leaderboard_reply__free_unpacked(r, NULL);
    gw_respond_json(ex, 200, list);
}

void route_leaderboard(gw_exchange *ex)
{
    gw_call(ex, ex->gw->listings, "Leaderboard", NULL, on_leaderboard);
}
