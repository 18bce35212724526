/* listing_create.c - CreateListing: checks the request and the caller, looks
 * the serial number up in the hardware registry (refusing hardware that
 * still holds storage media), fills in the specs the request leaves out from
 * the registry, and inserts the listing with its 'created' event. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idem.h"
#include "listings.h"

/* The longest serial number the registry holds (its CHECK). */
#define SERIAL_MAX_CHARS 100

/* The listing and its 'created' event in one statement, so they commit
 * together. The partial unique index listings_active_serial refuses a second
 * available or claimed listing of one serial, concurrent creates included:
 * db_exec answers that as ALREADY_EXISTS. */
static const db_stmt insert_listing = {
    "listings_insert",
    "WITH created AS ("
    "INSERT INTO listings.listings (serial_number, title, category, description, location,"
    " condition, department, cpu, ram, storage, ports, other_specs, expiration_date,"
    " created_by_id, created_by)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13::date, $14, $15)"
    " RETURNING " LISTING_COLUMNS "), "
    "event AS (INSERT INTO listings.events (listing_id, actor_id, actor_email, actor_department,"
    " action, to_status) SELECT id, $14, $15, $7, 'created', status FROM created) "
    "SELECT * FROM created",
    15,
};

/* A repeated CreateListing answers the listing it made (idem.h). */
static const idem_table answers = IDEM_TABLE("listings");

/* Listings are created by someone: the caller must be a signed-in user
 * with a department, which becomes the listing's. */
static int caller_may_create(const Rcycle__Caller *caller, rpc_reply *reply)
{
    if (caller->has_user_id && caller->department != NULL && caller->department[0] != '\0' &&
        caller->email != NULL && caller->email[0] != '\0')
        return 1;
    rpc_reply_error(reply, RC_PERMISSION_DENIED,
                    "only a signed-in member of a department may create listings");
    return 0;
}

/* Normalizes every text field of r in place and checks it. */
static int create_request_ok(Rcycle__Listings__CreateListingRequest *r, rpc_reply *reply)
{
    r->serial_number = listing_text_normalize(r->serial_number);
    r->title = listing_text_normalize(r->title);
    r->category = listing_text_normalize(r->category);
    r->expiration_date = listing_text_normalize(r->expiration_date);
    r->description = listing_text_normalize(r->description);
    r->location = listing_text_normalize(r->location);
    r->condition = listing_text_normalize(r->condition);
    r->cpu = listing_text_normalize(r->cpu);
    r->ram = listing_text_normalize(r->ram);
    r->storage = listing_text_normalize(r->storage);
    r->ports = listing_text_normalize(r->ports);
    r->other_specs = listing_text_normalize(r->other_specs);

    return listing_text_ok("serialNumber", r->serial_number, 1, SERIAL_MAX_CHARS, reply) &&
           listing_text_ok("title", r->title, 1, LISTING_TITLE_MAX_CHARS, reply) &&
           listing_category_ok(r->category, reply) &&
           listing_expiration_ok(r->expiration_date, reply) &&
           listing_text_ok("description", r->description, 0, LISTING_TEXT_MAX_CHARS, reply) &&
           listing_text_ok("location", r->location, 0, LISTING_TEXT_MAX_CHARS, reply) &&
           listing_condition_ok(r->condition, reply) &&
           listing_text_ok("cpu", r->cpu, 0, LISTING_TEXT_MAX_CHARS, reply) &&
           listing_text_ok("ram", r->ram, 0, LISTING_TEXT_MAX_CHARS, reply) &&
           listing_text_ok("storage", r->storage, 0, LISTING_TEXT_MAX_CHARS, reply) &&
           listing_text_ok("ports", r->ports, 0, LISTING_TEXT_MAX_CHARS, reply) &&
           listing_text_ok("otherSpecs", r->other_specs, 0, LISTING_TEXT_MAX_CHARS, reply);
}

/* items joined with ", " in a new string; NULL when there are none. */
static char *join_items(char **items, size_t n)
{
    if (n == 0)
        return NULL;
    size_t len = 1;
    for (size_t i = 0; i < n; i++)
        len += strlen(items[i]) + 2;
    char *out = malloc(len);
    if (out == NULL)
        abort();
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            strcat(out, ", ");
        strcat(out, items[i]);
    }
    return out;
}

/* A registry value as a listing stores it: never an empty string. */
static const char *registry_text(const char *s)
{
    return s != NULL && s[0] != '\0' ? s : NULL;
}

/* PERMISSION_DENIED naming the media, with the StorageMediaBlock detail the
 * gateway turns into docs/API.md's "blocked" answer. */
static void refuse_storage_media(const Rcycle__Listings__Hardware *hw, rpc_reply *reply)
{
    /* The detail always names something, so that it is never empty (an
     * empty message would pack to no bytes at all). */
    static char unnamed[] = "storage media not itemised in the registry";
    char *unnamed_list[] = {unnamed};
    Rcycle__Listings__StorageMediaBlock block = RCYCLE__LISTINGS__STORAGE_MEDIA_BLOCK__INIT;
    block.media = hw->n_storage > 0 ? hw->storage : unnamed_list;
    block.n_media = hw->n_storage > 0 ? hw->n_storage : 1;

    char *media = join_items(block.media, block.n_media);
    rpc_reply_error(reply, RC_PERMISSION_DENIED,
                    "hardware with storage media cannot be listed: %s; remove and destroy the "
                    "media first",
                    media);
    rpc_reply_detail(reply, &block.base);
    free(media);
}

typedef struct create_args {
    const Rcycle__Listings__CreateListingRequest *r;
    const Rcycle__Listings__Hardware *hw;
} create_args;

/* An idem_write_fn over a create_args. */
static void insert_and_reply(const rpc_request *req, const void *arg, rpc_reply *reply)
{
    const Rcycle__Listings__CreateListingRequest *r = ((const create_args *)arg)->r;
    const Rcycle__Listings__Hardware *hw = ((const create_args *)arg)->hw;
    /* Spec fields the request leaves out come from the registry. */
    char *registry_storage = r->storage ? NULL : join_items(hw->storage, hw->n_storage);
    const Rcycle__Caller *caller = req->caller;
    char user_id[DB_INT64_LEN];
    db_param_int64(user_id, caller->user_id);
    const char *params[] = {
        r->serial_number,
        r->title,
        r->category,
        r->description,
        r->location,
        r->condition,
        caller->department,
        r->cpu ? r->cpu : registry_text(hw->cpu),
        r->ram ? r->ram : registry_text(hw->ram),
        r->storage ? r->storage : registry_text(registry_storage),
        r->ports ? r->ports : registry_text(hw->ports),
        r->other_specs ? r->other_specs : registry_text(hw->other),
        r->expiration_date,
        user_id,
        caller->email,
    };
    PGresult *res = NULL;
    rc_status status = db_exec(req->db, &insert_listing, params, req->request_id, &res);
    if (status == RC_ALREADY_EXISTS) {
        rpc_reply_error(reply, RC_ALREADY_EXISTS,
                        "this serial number already has an active listing");
    } else if (status != RC_OK) {
        rpc_reply_db_error(reply, status);
    } else {
        Rcycle__Listings__Listing listing;
        listing_from_row(res, 0, &listing);
        rpc_reply_ok(reply, &listing.base);
    }
    PQclear(res);
    free(registry_storage);
}

static void create_from_registry(const rpc_request *req,
                                 const Rcycle__Listings__CreateListingRequest *r, rpc_reply *reply)
{
    hardware_entry hw;
    rc_status status = hardware_find(req->db, r->serial_number, req->request_id, &hw);
    if (status == RC_NOT_FOUND)
        rpc_reply_error(reply, RC_NOT_FOUND, "serial number not found in the hardware registry");
    else if (status != RC_OK)
        rpc_reply_db_error(reply, status);
    else if (hw.msg.has_storage_media)
        refuse_storage_media(&hw.msg, reply);
    else
        idem_write(&answers, req, insert_and_reply, &(create_args){r, &hw.msg}, reply);
    hardware_entry_clear(&hw);
}

void listings_create_listing(const rpc_request *req, rpc_reply *reply)
{
    Rcycle__Listings__CreateListingRequest *in =
        (Rcycle__Listings__CreateListingRequest *)req->input;
    /* A shallow copy to normalize: its strings are in's, trimmed in place,
     * while in keeps the pointers that free_unpacked must free. */
    Rcycle__Listings__CreateListingRequest r = *in;
    if (caller_may_create(req->caller, reply) && create_request_ok(&r, reply) &&
        idem_replay(&answers, req, reply) == 0)
        create_from_registry(req, &r, reply);
}
