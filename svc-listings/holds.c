/* holds.c - Reserve, Release and Transfer (see holds.h), each on the
 * listing's locked row (listing_tx.h).
 *
 * The fence: once svc-claims releases a claim, listings.released_claims
 * holds the claim's id and Reserve refuses that claim for good. A Reserve
 * that arrives late (a retry still in flight when svc-claims gave the claim
 * up) can thus never take the listing for a claim that nobody will close.
 * Release writes the fence and Reserve reads it while each holds the
 * listing's row lock, so whichever runs second sees the other's result.
 *
 * A listing whose date has passed changes hands no more, even before the
 * expiry sweeper has marked it expired. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "listings.h"
#include "fault.h"

static const db_stmt find_fence = {
    "listings_fence_find",
    "SELECT 1 FROM listings.released_claims WHERE claim_id = $1",
    1,
};

static const db_stmt add_fence = {
    "listings_fence_add",
    "INSERT INTO listings.released_claims (claim_id) VALUES ($1) ON CONFLICT DO NOTHING",
    1,
};

static const db_stmt mark_received = {
    "listings_mark_received",
    "UPDATE listings.listings SET received_at = now(), updated_at = now()"
    " WHERE id = $1 AND claim_id = $2 AND status = 'approved' AND received_at IS NULL"
    " RETURNING " LISTING_COLUMNS,
    2,
};

static int held_by(const Rcycle__Listings__Listing *l, int64_t claim_id)
{
    return l->has_claim_id && l->claim_id == claim_id;
}

static int has_status(const Rcycle__Listings__Listing *l, const char *status)
{
    return strcmp(l->status, status) == 0;
}

/* Runs a fence statement for claim_id; *found, unless NULL, tells whether
 * it returned a row (find_fence: the claim was released). */
static rc_status run_fence(const rpc_request *req, const db_stmt *stmt, int64_t claim_id,
                           int *found)
{
    char claim_text[DB_INT64_LEN];
    db_param_int64(claim_text, claim_id);
    const char *params[] = {claim_text};
    PGresult *res;
    rc_status status = db_exec(req->db, stmt, params, req->request_id, &res);
    if (status == RC_OK && found != NULL)
        *found = PQntuples(res) > 0;
    PQclear(res);
    return status;
}

/* ---- Reserve ---- */

static rc_status reserve_locked(const rpc_request *req, const locked_listing *locked,
                                const void *arg, rpc_reply *reply)
{
    const Rcycle__Listings__ReserveRequest *in = arg;
    const Rcycle__Listings__Listing *l = &locked->listing;
    if (held_by(l, in->claim_id)) {
        rpc_reply_ok(reply, &l->base); /* a retry of a reservation that was made */
        return RC_OK;
    }
    int released = 0;
    rc_status status = run_fence(req, &find_fence, in->claim_id, &released);
    if (status != RC_OK)
        return status;

    if (released)
        rpc_reply_error(reply, RC_FAILED_PRECONDITION, "claim was abandoned");
    else if (strcmp(l->department, in->department) == 0)
        rpc_reply_error(reply, RC_PERMISSION_DENIED, "a department cannot claim its own listing");
    else if (!has_status(l, "available") || locked->past_expiration)
        rpc_reply_error(reply, RC_FAILED_PRECONDITION, "listing is not available");
    else
        return listing_set_status(req, locked, "reserved", "claimed", in->claim_id, reply);
    return RC_OK;
}

void listings_reserve(const rpc_request *req, rpc_reply *reply)
{
    Rcycle__Listings__ReserveRequest *in = (Rcycle__Listings__ReserveRequest *)req->input;
    if (in->listing_id <= 0 || in->claim_id <= 0)
        rpc_reply_error(reply, RC_INVALID_ARGUMENT, "listing and claim ids must be positive");
    else if (in->department[0] == '\0')
        rpc_reply_error(reply, RC_INVALID_ARGUMENT, "department is required");
    else
        listing_tx_run(req, in->listing_id, reserve_locked, in, reply);
    fault_point("listings.reserve.after_commit");
}

/* ---- Release ---- */

/* The fence goes in whatever the listing's state: the claim may have lost
 * the listing already (withdrawn, expired) or never have got it (its
 * Reserve not yet arrived), and must not get it later. */
static rc_status release_locked(const rpc_request *req, const locked_listing *locked,
                                const void *arg, rpc_reply *reply)
{
    const Rcycle__Listings__ReleaseRequest *in = arg;
    const Rcycle__Listings__Listing *l = &locked->listing;
    rc_status status = run_fence(req, &add_fence, in->claim_id, NULL);
    if (status != RC_OK)
        return status;
    if (!held_by(l, in->claim_id) || !has_status(l, "claimed")) {
        rpc_reply_ok(reply, &l->base); /* released before, or never held */
        return RC_OK;
    }
    /* The event still reaches svc-claims when the listing expires here:
     * action 'released', to_status 'expired'. */
    const char *back_to = locked->past_expiration ? "expired" : "available";
    return listing_set_status(req, locked, "released", back_to, 0, reply);
}

void listings_release(const rpc_request *req, rpc_reply *reply)
{
    Rcycle__Listings__ReleaseRequest *in = (Rcycle__Listings__ReleaseRequest *)req->input;
    if (in->listing_id <= 0 || in->claim_id <= 0)
        rpc_reply_error(reply, RC_INVALID_ARGUMENT, "listing and claim ids must be positive");
    else
        listing_tx_run(req, in->listing_id, release_locked, in, reply);
    fault_point("listings.release.after_commit");
}

/* ---- Transfer ---- */

static rc_status transfer_locked(const rpc_request *req, const locked_listing *locked,
                                 const void *arg, rpc_reply *reply)
{
    const Rcycle__Listings__TransferRequest *in = arg;
    const Rcycle__Listings__Listing *l = &locked->listing;
    if (held_by(l, in->claim_id) && has_status(l, "approved")) {
        rpc_reply_ok(reply, &l->base); /* a retry of a transfer that was made */
        return RC_OK;
    }
    if (!held_by(l, in->claim_id) || !has_status(l, "claimed") || locked->past_expiration) {
        rpc_reply_error(reply, RC_FAILED_PRECONDITION, "listing is no longer held by this claim");
        return RC_OK;
    }
    return listing_set_status(req, locked, "transferred", "approved", in->claim_id, reply);
}

void listings_transfer(const rpc_request *req, rpc_reply *reply)
{
    Rcycle__Listings__TransferRequest *in = (Rcycle__Listings__TransferRequest *)req->input;
    if (in->listing_id <= 0 || in->claim_id <= 0)
        rpc_reply_error(reply, RC_INVALID_ARGUMENT, "listing and claim ids must be positive");
    else
        listing_tx_run(req, in->listing_id, transfer_locked, in, reply);
    fault_point("listings.transfer.after_commit");
}

/* ---- Receive ---- */

static rc_status receive_locked(const rpc_request *req, const locked_listing *locked,
                                const void *arg, rpc_reply *reply)
{
    const Rcycle__Listings__TransferRequest *in = arg;
    const Rcycle__Listings__Listing *l = &locked->listing;
    if (!held_by(l, in->claim_id) || !has_status(l, "approved")) {
        rpc_reply_error(reply, RC_FAILED_PRECONDITION, "listing was not approved for this claim");
        return RC_OK;
    }
    char id_text[DB_INT64_LEN], claim_text[DB_INT64_LEN];
    const char *params[] = {db_param_int64(id_text, l->id),
                            db_param_int64(claim_text, in->claim_id)};
    PGresult *res;
    rc_status status = db_exec(req->db, &mark_received, params, req->request_id, &res);
    if (status == RC_OK && PQntuples(res) == 0) {
        rpc_reply_ok(reply, &l->base); /* a retry of a receipt that was recorded */
    } else if (status == RC_OK) {
        status = listing_record_event(req, l->id, "received", "approved", "approved", in->claim_id);
        Rcycle__Listings__Listing now;
        listing_from_row(res, 0, &now);
        if (status == RC_OK)
            rpc_reply_ok(reply, &now.base);
    }
    PQclear(res);
    return status;
}

void listings_receive(const rpc_request *req, rpc_reply *reply)
{
    Rcycle__Listings__TransferRequest *in = (Rcycle__Listings__TransferRequest *)req->input;
    if (in->listing_id <= 0 || in->claim_id <= 0)
        rpc_reply_error(reply, RC_INVALID_ARGUMENT, "listing and claim ids must be positive");
    else
        listing_tx_run(req, in->listing_id, receive_locked, in, reply);
}
