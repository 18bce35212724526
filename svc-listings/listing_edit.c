/* listing_edit.c - UpdateListing (docs/API.md's PATCH) and WithdrawListing, for
 * members of the owning department and admins, while the listing is still
 * available or claimed. Both run on the locked row (listing_tx.h). */
#include <inttypes.h>
#include <stdio.h>

#include "listings.h"

static const db_stmt update_listing = {
    "listings_update",
    "UPDATE listings.listings SET title = $2, description = $3, location = $4, condition = $5,"
    " cpu = $6, ram = $7, storage = $8, ports = $9, other_specs = $10,"
    " expiration_date = $11::date, updated_at = now()"
    " WHERE id = $1 RETURNING " LISTING_COLUMNS,
    11,
};

/* One field of a PATCH: absent leaves the listing's value; present sets it
 * to value, or clears it when value is NULL (JSON null, or blank text). */
typedef struct field_edit {
    int present;
    const char *value;
} field_edit;

typedef struct listing_edits {
    field_edit title, description, location, condition, cpu, ram, storage, ports, other_specs,
        expiration_date;
} listing_edits;

static field_edit read_edit(const Rcycle__OptString *opt)
{
    field_edit e = {.present = opt != NULL};
    if (opt != NULL)
        e.value = listing_text_normalize(opt->value); /* trims in place: opt's pointer stays */
    return e;
}

static void read_edits(const Rcycle__Listings__UpdateListingRequest *in, listing_edits *e)
{
    e->title = read_edit(in->title);
    e->description = read_edit(in->description);
    e->location = read_edit(in->location);
    e->condition = read_edit(in->condition);
    e->cpu = read_edit(in->cpu);
    e->ram = read_edit(in->ram);
    e->storage = read_edit(in->storage);
    e->ports = read_edit(in->ports);
    e->other_specs = read_edit(in->other_specs);
    e->expiration_date = read_edit(in->expiration_date);
}

/* Checks an edit of a field every listing must have. */
static int required_edit_ok(const char *field, const field_edit *e, rpc_reply *reply)
{
    if (e->present && e->value == NULL) {
        rpc_reply_error(reply, RC_INVALID_ARGUMENT, "%s cannot be cleared", field);
        return 0;
    }
    return 1;
}

static int text_edit_ok(const char *field, const field_edit *e, long max_chars, rpc_reply *reply)
{
    return !e->present || listing_text_ok(field, e->value, 0, max_chars, reply);
}

/* The same rules as CreateListing, for the fields present. */
static int edits_ok(const listing_edits *e, rpc_reply *reply)
{
    return required_edit_ok("title", &e->title, reply) &&
           required_edit_ok("expirationDate", &e->expiration_date, reply) &&
           text_edit_ok("title", &e->title, LISTING_TITLE_MAX_CHARS, reply) &&
           text_edit_ok("description", &e->description, LISTING_TEXT_MAX_CHARS, reply) &&
           text_edit_ok("location", &e->location, LISTING_TEXT_MAX_CHARS, reply) &&
           (!e->condition.present || listing_condition_ok(e->condition.value, reply)) &&
           text_edit_ok("cpu", &e->cpu, LISTING_TEXT_MAX_CHARS, reply) &&
           text_edit_ok("ram", &e->ram, LISTING_TEXT_MAX_CHARS, reply) &&
           text_edit_ok("storage", &e->storage, LISTING_TEXT_MAX_CHARS, reply) &&
           text_edit_ok("ports", &e->ports, LISTING_TEXT_MAX_CHARS, reply) &&
           text_edit_ok("otherSpecs", &e->other_specs, LISTING_TEXT_MAX_CHARS, reply) &&
           (!e->expiration_date.present || listing_expiration_ok(e->expiration_date.value, reply));
}

/* 1 when the PATCH changes any field at all. */
static int edits_present(const listing_edits *e)
{
    return e->title.present || e->description.present || e->location.present ||
           e->condition.present || e->cpu.present || e->ram.present || e->storage.present ||
           e->ports.present || e->other_specs.present || e->expiration_date.present;
}

static void apply_edit(const field_edit *e, char **value)
{
    if (e->present)
        *value = (char *)e->value; /* only read: the message is used for its values */
}

/* The listing as the edits leave it; its strings are the old row's or the
 * request's. */
static Rcycle__Listings__Listing edited(const Rcycle__Listings__Listing *old,
                                        const listing_edits *e)
{
    Rcycle__Listings__Listing l = *old;
    apply_edit(&e->title, &l.title);
    apply_edit(&e->description, &l.description);
    apply_edit(&e->location, &l.location);
    apply_edit(&e->condition, &l.condition);
    apply_edit(&e->cpu, &l.cpu);
    apply_edit(&e->ram, &l.ram);
    apply_edit(&e->storage, &l.storage);
    apply_edit(&e->ports, &l.ports);
    apply_edit(&e->other_specs, &l.other_specs);
    apply_edit(&e->expiration_date, &l.expiration_date);
    return l;
}

static rc_status write_edits(const rpc_request *req, const Rcycle__Listings__Listing *old,
                             const listing_edits *e, rpc_reply *reply)
{
    Rcycle__Listings__Listing l = edited(old, e);
    char id_text[DB_INT64_LEN];
    db_param_int64(id_text, l.id);
    const char *params[] = {
        id_text, l.title,   l.description, l.location,    l.condition,       l.cpu,
        l.ram,   l.storage, l.ports,       l.other_specs, l.expiration_date,
    };
    PGresult *res;
    rc_status status = db_exec(req->db, &update_listing, params, req->request_id, &res);
    if (status != RC_OK)
        return status;
    status = listing_record_event(req, l.id, "updated", l.status, l.status,
                                  l.has_claim_id ? l.claim_id : 0);
    if (status == RC_OK) {
        Rcycle__Listings__Listing now;
        listing_from_row(res, 0, &now);
        rpc_reply_ok(reply, &now.base);
    }
    PQclear(res);
    return status;
}

/* A listing whose date has passed counts as expired even before the
 * sweeper has marked it so: editing must not bring it back. */
static rc_status update_locked(const rpc_request *req, const locked_listing *locked,
                               const void *arg, rpc_reply *reply)
{
    const Rcycle__Listings__Listing *l = &locked->listing;
    if (!listing_caller_owns(req->caller, l)) {
        rpc_reply_error(reply, RC_PERMISSION_DENIED,
                        "only the owning department or an admin may edit this listing");
        return RC_OK;
    }
    if (!listing_is_active(l) || locked->past_expiration) {
        rpc_reply_error(reply, RC_FAILED_PRECONDITION, "listing can no longer be edited");
        return RC_OK;
    }
    if (!edits_present(arg)) {
        rpc_reply_ok(reply, &l->base); /* nothing changes, so nothing to record */
        return RC_OK;
    }
    return write_edits(req, l, arg, reply);
}

void listings_update_listing(const rpc_request *req, rpc_reply *reply)
{
    Rcycle__Listings__UpdateListingRequest *in =
        (Rcycle__Listings__UpdateListingRequest *)req->input;
    listing_edits edits;
    read_edits(in, &edits);
    if (in->id <= 0)
        rpc_reply_error(reply, RC_INVALID_ARGUMENT, "id must be a positive integer");
    else if (edits_ok(&edits, reply))
        listing_tx_run(req, in->id, update_locked, &edits, reply);
}

static rc_status withdraw_locked(const rpc_request *req, const locked_listing *locked,
                                 const void *arg, rpc_reply *reply)
{
    (void)arg;
    const Rcycle__Listings__Listing *l = &locked->listing;
    if (!listing_caller_owns(req->caller, l)) {
        rpc_reply_error(reply, RC_PERMISSION_DENIED,
                        "only the owning department or an admin may withdraw this listing");
        return RC_OK;
    }
    if (!listing_is_active(l)) {
        rpc_reply_error(reply, RC_FAILED_PRECONDITION, "listing can no longer be withdrawn");
        return RC_OK;
    }
    /* The event names the claim that held the listing: svc-claims cancels
     * it from the change feed. */
    return listing_set_status(req, locked, "withdrawn", "withdrawn", 0, reply);
}

void listings_withdraw_listing(const rpc_request *req, rpc_reply *reply)
{
    Rcycle__Listings__WithdrawListingRequest *in =
        (Rcycle__Listings__WithdrawListingRequest *)req->input;
    if (in->id <= 0)
        rpc_reply_error(reply, RC_INVALID_ARGUMENT, "id must be a positive integer");
    else
        listing_tx_run(req, in->id, withdraw_locked, NULL, reply);
}
