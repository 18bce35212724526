/* create.c - CreateClaim: a claim row, then the listing's reservation.
 *
 * Steps (settle.c explains how each interruption is repaired):
 *   1. the claim is inserted as 'reserving' with listing_sync 'reserve';
 *   2. svc-listings reserves the listing for that claim id (only one claim
 *      can win: the reservation is a conditional update of the listing);
 *   3. the claim becomes 'pending_owner' (open), or 'abandoned' when the
 *      listing was not available.
 * A crash between the steps leaves a 'reserving' claim, which the settler
 * finishes either way.
 *
 * A CreateClaim sent again with the same request id (nng resends a request
 * whose connection dropped; a client retries with its Idempotency-Key) finds
 * the claim recorded for it in claims.rpc_answers, written by the statement
 * that inserted the claim, and answers with that claim as it is now; one
 * still 'reserving' is taken through steps 2 and 3 first, as the settler
 * would, so the repeat gets the answer the first request would have had. */
#include <stdio.h>
#include <string.h>

#include "claims.h"
#include "db.h"
#include "fault.h"
#include "idem.h"
#include "log.h"
#include "text.h"

#define JUSTIFICATION_MAX_CHARS 2000

/* The claim and, when the request has an id ($10, method $11), its record:
 * one statement, so they commit together. Records past their time are swept
 * here, by the next create. */
static const db_stmt insert_claim = {
    "claims_insert",
    "WITH c AS (INSERT INTO claims.claims (listing_id, listing_title, serial_number, category, "
    "owner_department, requesting_department, justification, status, listing_sync, "
    "requested_by_id, requested_by, requested_by_name) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, 'reserving', 'reserve', $8, $9, $12) RETURNING id), "
    "swept AS (DELETE FROM claims.rpc_answers WHERE $10 <> '' AND at <= now() - " IDEM_KEEP_SQL
    "), recorded AS (INSERT INTO claims.rpc_answers (method, request_id, caller_id, claim_id) "
    "SELECT $11, $10, $8, id FROM c WHERE $10 <> '') "
    "SELECT id FROM c",
    12,
};

static const db_stmt recorded_claim = {
    "claims_recorded",
    "SELECT c.id, c.listing_id, c.requesting_department, c.status "
    "FROM claims.rpc_answers a JOIN claims.claims c ON c.id = a.claim_id "
    "WHERE a.method = $1 AND a.request_id = $2 AND a.caller_id = $3 "
    "AND a.at > now() - " IDEM_KEEP_SQL,
    3,
};

static const db_stmt confirm_reserved = {
    "claims_confirm_reserved",
    "WITH c AS (UPDATE claims.claims SET status = 'pending_owner', listing_sync = 'none', "
    "updated_at = now() WHERE id = $1 AND status = 'reserving' RETURNING *), "
    "e AS (INSERT INTO claims.events (claim_id, actor_id, actor_email, actor_name, "
    "actor_department, action, to_status, note) SELECT id, requested_by_id, requested_by, "
    "requested_by_name, requesting_department, 'created', 'pending_owner', $2 FROM c) "
    "SELECT " CLAIM_COLUMNS " FROM c",
    2,
};

static const db_stmt abandon = {
    "claims_abandon",
    "WITH c AS (UPDATE claims.claims SET status = 'abandoned', listing_sync = 'none', "
    "updated_at = now() WHERE id = $1 AND status = 'reserving' RETURNING id) "
    "INSERT INTO claims.events (claim_id, action, from_status, to_status, note) "
    "SELECT id, 'abandoned', 'reserving', 'abandoned', $2 FROM c",
    2,
};

rc_status claim_confirm_reserved(db_conn *db, const char *request_id, int64_t claim_id,
                                 const char *note, PGresult **res)
{
    char id[DB_INT64_LEN];
    db_param_int64(id, claim_id);
    const char *params[] = {id, note};
    return db_exec(db, &confirm_reserved, params, request_id, res);
}

rc_status claim_abandon(db_conn *db, const char *request_id, int64_t claim_id, const char *note)
{
    char id[DB_INT64_LEN];
    db_param_int64(id, claim_id);
    const char *params[] = {id, note};
    PGresult *res = NULL;
    rc_status st = db_exec(db, &abandon, params, request_id, &res);
    PQclear(res);
    return st;
}

/* Checks the request and the caller; answers and returns -1 when wrong. */
static int validate(const rpc_request *req, const Rcycle__Claims__CreateClaimRequest *r,
                    rpc_reply *reply)
{
    if (!req->caller->has_user_id || req->caller->department == NULL) {
        rpc_reply_error(reply, RC_PERMISSION_DENIED, "a signed-in user is required");
        return -1;
    }
    if (r->listing_id <= 0) {
        rpc_reply_error(reply, RC_INVALID_ARGUMENT, "listingId must be a positive integer");
        return -1;
    }
    if (r->justification == NULL || text_blank(r->justification)) {
        rpc_reply_error(reply, RC_INVALID_ARGUMENT, "justification is required");
        return -1;
    }
    return text_field_ok(reply, "justification", r->justification, 1, JUSTIFICATION_MAX_CHARS) ? 0
                                                                                               : -1;
}

/* Fetches the listing and checks it may be claimed by the caller. Returns
 * the listing (free it), or NULL after answering. */
static Rcycle__Listings__Listing *claimable_listing(const rpc_request *req, int64_t listing_id,
                                                    rpc_reply *reply)
{
    Rcycle__Listings__GetListingRequest get = RCYCLE__LISTINGS__GET_LISTING_REQUEST__INIT;
    get.id = listing_id;
    rpc_reply got = {0};
    listings_call(req->service, req, RPC_LISTINGS_GET_LISTING, &get.base, req->caller, &got);
    if (got.code != RC_OK) {
        rpc_reply_error(reply, got.code, "%s",
                        got.code == RC_NOT_FOUND ? "listing not found" : "listings unavailable");
        rpc_reply_clear(&got);
        return NULL;
    }
    Rcycle__Listings__Listing *l =
        rcycle__listings__listing__unpack(NULL, got.payload_len, got.payload);
    rpc_reply_clear(&got);
    if (l == NULL) {
        rpc_reply_error(reply, RC_INTERNAL, "internal error");
        return NULL;
    }
    if (strcmp(l->department, req->caller->department) == 0) {
        rpc_reply_error(reply, RC_PERMISSION_DENIED,
                        "you cannot claim a listing of your own department");
    } else if (strcmp(l->status, "available") != 0) {
        rpc_reply_error(reply, RC_FAILED_PRECONDITION, "listing is not available");
    } else {
        return l;
    }
    rcycle__listings__listing__free_unpacked(l, NULL);
    return NULL;
}

static rc_status insert_reserving(const rpc_request *req,
                                  const Rcycle__Claims__CreateClaimRequest *r,
                                  const Rcycle__Listings__Listing *l, int64_t *claim_id)
{
    char listing_id[DB_INT64_LEN], user_id[DB_INT64_LEN];
    db_param_int64(listing_id, l->id);
    db_param_int64(user_id, req->caller->user_id);
    const char *params[] = {
        listing_id,       l->title,          l->serial_number,
        l->category,      l->department,     req->caller->department,
        r->justification, user_id,           req->caller->email ? req->caller->email : "",
        req->request_id,  req->method->name, req->caller->name,
    };
    PGresult *res = NULL;
    rc_status st = db_exec(req->db, &insert_claim, params, req->request_id, &res);
    if (st == RC_OK)
        *claim_id = db_int64(res, 0, 0);
    PQclear(res);
    return st;
}

static void reply_claim_result(rpc_reply *reply, PGresult *res)
{
    claim_row row;
    claim_from_row(res, 0, &row);
    rpc_reply_ok(reply, &row.claim.base);
}

/* The settler finished the claim first; answer with what it made of it. */
static void reply_settled_claim(const rpc_request *req, int64_t claim_id, rpc_reply *reply)
{
    PGresult *res = NULL;
    claim_row row;
    rc_status st = claim_load(req, claim_id, &res, &row);
    if (st == RC_OK)
        rpc_reply_ok(reply, &row.claim.base);
    else if (st == RC_NOT_FOUND)
        rpc_reply_error(reply, RC_FAILED_PRECONDITION, "listing is not available");
    else
        rpc_reply_db_error(reply, st);
    PQclear(res);
}

/* Step 3 after the reservation answered; claim_id is 'reserving'. */
static void finish_reservation(const rpc_request *req, int64_t claim_id, const rpc_reply *reserved,
                               rpc_reply *reply)
{
    if (reserved->code == RC_OK) {
        PGresult *res = NULL;
        rc_status st = claim_confirm_reserved(req->db, req->request_id, claim_id, NULL, &res);
        if (st != RC_OK)
            rpc_reply_db_error(reply, st);
        else if (PQntuples(res) == 1)
            reply_claim_result(reply, res);
        else
            reply_settled_claim(req, claim_id, reply);
        PQclear(res);
        return;
    }
    if (reserved->code == RC_FAILED_PRECONDITION || reserved->code == RC_NOT_FOUND ||
        reserved->code == RC_PERMISSION_DENIED) {
        rc_status st = claim_abandon(req->db, req->request_id, claim_id, "listing not available");
        if (st != RC_OK)
            rpc_reply_db_error(reply, st);
        else
            rpc_reply_error(reply, RC_FAILED_PRECONDITION, "listing is not available");
        return;
    }
    /* No answer: the reservation may or may not have happened. The claim
     * stays 'reserving' and the settler finds out. */
    log_warn(req->request_id, "reservation of claim %lld unanswered: %s", (long long)claim_id,
             rc_status_name(reserved->code));
    rpc_reply_error(reply, RC_UNAVAILABLE,
                    "the listing service did not answer; the request will be settled shortly");
}

/* 1 when this request (method, request id, caller) already made a claim:
 * reply is that claim's answer. 0 when it did not; -1 when the lookup
 * failed, answered in reply. */
static int replay(const rpc_request *req, rpc_reply *reply)
{
    PGresult *res;
    int found = idem_lookup(&recorded_claim, req, &res, reply);
    if (found == 1) {
        int64_t claim_id = db_int64(res, 0, 0);
        if (strcmp(PQgetvalue(res, 0, 3), "reserving") == 0) {
            /* The first copy stopped between the steps (or is still
             * running): Reserve is idempotent for this claim id, and the
             * claim's confirmation is conditional, so both may finish it. */
            rpc_reply reserved = {0};
            listings_reserve(req->service, req, db_int64(res, 0, 1), claim_id,
                             PQgetvalue(res, 0, 2), req->caller, &reserved);
            finish_reservation(req, claim_id, &reserved, reply);
            rpc_reply_clear(&reserved);
        } else {
            reply_settled_claim(req, claim_id, reply);
        }
    }
    PQclear(res);
    return found;
}

/* After a refusal that a copy of this request committing first would
 * explain (the listing is no longer available, the department's claim
 * exists): that copy's answer, when there is one. */
static void replay_after_refusal(const rpc_request *req, rpc_reply *reply)
{
    if (reply->code != RC_FAILED_PRECONDITION && reply->code != RC_ALREADY_EXISTS)
        return;
    rpc_reply again = {0};
    if (replay(req, &again) == 1) {
        rpc_reply_clear(reply);
        *reply = again;
    } else {
        rpc_reply_clear(&again);
    }
}

void claims_create(const rpc_request *req, rpc_reply *reply)
{
    Rcycle__Claims__CreateClaimRequest *r = (Rcycle__Claims__CreateClaimRequest *)req->input;
    Rcycle__Listings__Listing *l = NULL;
    if (validate(req, r, reply) != 0 || replay(req, reply) != 0)
        goto out;
    if ((l = claimable_listing(req, r->listing_id, reply)) == NULL) {
        replay_after_refusal(req, reply);
        goto out;
    }
    fault_point("claims.create.after_get_listing");
    int64_t claim_id = 0;
    rc_status st = insert_reserving(req, r, l, &claim_id);
    if (st == RC_ALREADY_EXISTS) {
        rpc_reply_error(reply, RC_ALREADY_EXISTS,
                        "your department already has an open claim on this listing");
        replay_after_refusal(req, reply);
        goto out;
    }
    if (st != RC_OK) {
        rpc_reply_db_error(reply, st);
        goto out;
    }
    fault_point("claims.create.after_insert");
    rpc_reply reserved = {0};
    listings_reserve(req->service, req, l->id, claim_id, req->caller->department, req->caller,
                     &reserved);
    fault_point("claims.create.after_reserve");
    finish_reservation(req, claim_id, &reserved, reply);
    rpc_reply_clear(&reserved);
out:
    if (l != NULL)
        rcycle__listings__listing__free_unpacked(l, NULL);
}
