/* listing_tx.c - the transaction that changes one existing listing (see
 * listing_tx.h) and the audit events its changes write. */
#include <string.h>

#include "listings.h"

static const db_stmt lock_listing = {
    "listings_lock",
    "SELECT " LISTING_COLUMNS ", expiration_date < " UTC_TODAY
    " FROM listings.listings WHERE id = $1 FOR UPDATE",
    1,
};

static const db_stmt set_status = {
    "listings_set_status",
    "UPDATE listings.listings SET status = $2, claim_id = $3, updated_at = now()"
    " WHERE id = $1 RETURNING " LISTING_COLUMNS,
    3,
};

static const db_stmt insert_event = {
    "listings_insert_event",
    "INSERT INTO listings.events"
    " (listing_id, actor_id, actor_department, action, from_status, to_status, claim_id,"
    " actor_email) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    8,
};

/* id as a query parameter; 0 (none) is SQL NULL. */
static const char *id_param(int64_t id, char buf[DB_INT64_LEN])
{
    return id == 0 ? NULL : db_param_int64(buf, id);
}

/* Locks listing id for the rest of the transaction and reads it. */
static rc_status lock(const rpc_request *req, int64_t id, locked_listing *out)
{
    char id_text[DB_INT64_LEN];
    const char *params[] = {id_param(id, id_text)};
    rc_status status = db_exec(req->db, &lock_listing, params, req->request_id, &out->res);
    if (status != RC_OK)
        return status;
    if (PQntuples(out->res) == 0)
        return RC_NOT_FOUND;
    listing_from_row(out->res, 0, &out->listing);
    out->past_expiration = db_bool(out->res, 0, LISTING_NCOLUMNS);
    return RC_OK;
}

void listing_tx_run(const rpc_request *req, int64_t id, listing_change_fn change, const void *arg,
                    rpc_reply *reply)
{
    locked_listing locked = {.res = NULL};
    rc_status status = db_command(req->db, "BEGIN", req->request_id);
    if (status == RC_OK)
        status = lock(req, id, &locked);
    if (status == RC_OK)
        status = change(req, &locked, arg, reply);
    rc_status end = db_command(req->db, status == RC_OK ? "COMMIT" : "ROLLBACK", req->request_id);

    if (status == RC_NOT_FOUND)
        rpc_reply_error(reply, RC_NOT_FOUND, "listing not found");
    else if (status != RC_OK)
        rpc_reply_db_error(reply, status);
    else if (end != RC_OK)
        rpc_reply_db_error(reply, end); /* the answer given was not kept */
    PQclear(locked.res);
}

rc_status listing_set_status(const rpc_request *req, const locked_listing *locked,
                             const char *action, const char *status, int64_t claim_id,
                             rpc_reply *reply)
{
    const Rcycle__Listings__Listing *old = &locked->listing;
    char id_text[DB_INT64_LEN], claim_text[DB_INT64_LEN];
    const char *params[] = {id_param(old->id, id_text), status, id_param(claim_id, claim_text)};
    PGresult *res;
    rc_status st = db_exec(req->db, &set_status, params, req->request_id, &res);
    if (st != RC_OK)
        return st;

    /* svc-claims follows these events: a withdrawal or an expiry must name
     * the claim it takes the listing from, so that the claim is cancelled. */
    int64_t event_claim = claim_id != 0 ? claim_id : old->has_claim_id ? old->claim_id : 0;
    st = listing_record_event(req, old->id, action, old->status, status, event_claim);
    if (st == RC_OK) {
        Rcycle__Listings__Listing now;
        listing_from_row(res, 0, &now);
        rpc_reply_ok(reply, &now.base);
    }
    PQclear(res);
    return st;
}

rc_status listing_record_event(const rpc_request *req, int64_t listing_id, const char *action,
                               const char *from_status, const char *to_status, int64_t claim_id)
{
    const Rcycle__Caller *caller = req->caller;
    char id_text[DB_INT64_LEN], actor_text[DB_INT64_LEN], claim_text[DB_INT64_LEN];
    const char *params[] = {
        id_param(listing_id, id_text),
        caller->has_user_id ? id_param(caller->user_id, actor_text) : NULL,
        caller->department,
        action,
        from_status,
        to_status,
        id_param(claim_id, claim_text),
        caller->email,
    };
    PGresult *res;
    rc_status st = db_exec(req->db, &insert_event, params, req->request_id, &res);
    PQclear(res);
    return st;
}

int listing_caller_owns(const Rcycle__Caller *caller, const Rcycle__Listings__Listing *listing)
{
    return (caller->department != NULL && strcmp(caller->department, listing->department) == 0) ||
           rpc_caller_has_role(caller, "admin");
}

int listing_is_active(const Rcycle__Listings__Listing *listing)
{
    return strcmp(listing->status, "available") == 0 || strcmp(listing->status, "claimed") == 0;
}
