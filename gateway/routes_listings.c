/* routes_listings.c - the hardware registry, listings and the leaderboard
 * (svc-listings). */
#include <stddef.h>

#include "json_map.h"
#include "routes.h"

static json_t *hardware_body(gw_exchange *ex, const ProtobufCMessage *msg, void *arg)
{
    (void)ex, (void)arg;
    return json_from_hardware((const Rcycle__Listings__Hardware *)msg);
}

/* docs/API.md's 404 for a serial the registry does not know carries found. */
static int hardware_not_found(gw_exchange *ex, const rpc_reply *reply, void *arg)
{
    (void)arg;
    if (reply->code != RC_NOT_FOUND)
        return 0;
    gw_respond_error_json(
        ex, RC_NOT_FOUND,
        json_pack("{s:s, s:b}", "error", "hardware not found in the registry", "found", 0));
    return 1;
}

static const gw_view hardware_view = {
    .status = 200, .to_json = hardware_body, .on_error = hardware_not_found};

static json_t *listing_body(gw_exchange *ex, const ProtobufCMessage *msg, void *arg)
{
    (void)ex, (void)arg;
    return json_from_listing((const Rcycle__Listings__Listing *)msg);
}

static const gw_view listing_view = {.status = 200, .to_json = listing_body};
static const gw_view listings_view = {.status = 200, .item = listing_body};

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
    gw_call(ex, ex->gw->listings, RPC_LISTINGS_LOOKUP_HARDWARE, &req.base, &hardware_view, NULL);
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
    gw_call(ex, ex->gw->listings, RPC_LISTINGS_LIST_LISTINGS, &req.base, &listings_view, NULL);
}

void route_get_listing(gw_exchange *ex)
{
    Rcycle__Listings__GetListingRequest req = RCYCLE__LISTINGS__GET_LISTING_REQUEST__INIT;
    req.id = ex->id;
    gw_call(ex, ex->gw->listings, RPC_LISTINGS_GET_LISTING, &req.base, &listing_view, NULL);
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

/* docs/API.md's answer to hardware that still holds storage media: the
 * service's message (which lists the media) as both error and message, and
 * blocked. A PERMISSION_DENIED without the StorageMediaBlock detail is a
 * plain refusal. */
static int respond_blocked(gw_exchange *ex, const rpc_reply *reply, void *arg)
{
    (void)arg;
    if (reply->code != RC_PERMISSION_DENIED || reply->payload_len == 0)
        return 0;
    Rcycle__Listings__StorageMediaBlock *block =
        rcycle__listings__storage_media_block__unpack(NULL, reply->payload_len, reply->payload);
    if (block == NULL)
        return 0;
    json_t *media = json_array();
    for (size_t i = 0; i < block->n_media; i++)
        json_array_append_new(media, json_string(block->media[i]));
    rcycle__listings__storage_media_block__free_unpacked(block, NULL);
    const char *message = reply->message ? reply->message : "hardware holds storage media";
    gw_respond_error_json(ex, RC_PERMISSION_DENIED,
                          json_pack("{s:s, s:b, s:s, s:o}", "error", message, "blocked", 1,
                                    "message", message, "media", media));
    return 1;
}

static const gw_view created_view = {
    .status = 201, .to_json = listing_body, .on_error = respond_blocked};

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
    gw_call(ex, ex->gw->listings, RPC_LISTINGS_CREATE_LISTING, &req.base, &created_view, NULL);
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
    gw_call(ex, ex->gw->listings, RPC_LISTINGS_UPDATE_LISTING, &req.base, &listing_view, NULL);
}

/* ---- DELETE /api/listings/{id} ---- */

static const gw_view no_content_view = {.status = 204};

void route_withdraw_listing(gw_exchange *ex)
{
    Rcycle__Listings__WithdrawListingRequest req = RCYCLE__LISTINGS__WITHDRAW_LISTING_REQUEST__INIT;
    req.id = ex->id;
    gw_call(ex, ex->gw->listings, RPC_LISTINGS_WITHDRAW_LISTING, &req.base, &no_content_view, NULL);
}

/* ---- GET /api/leaderboard ---- */

static json_t *leaderboard_row(gw_exchange *ex, const ProtobufCMessage *msg, void *arg)
{
    (void)ex, (void)arg;
    return json_from_leaderboard_entry((const Rcycle__Listings__LeaderboardEntry *)msg);
}

static const gw_view leaderboard_view = {.status = 200, .item = leaderboard_row};

void route_leaderboard(gw_exchange *ex)
{
    gw_call(ex, ex->gw->listings, RPC_LISTINGS_LEADERBOARD, NULL, &leaderboard_view, NULL);
}
