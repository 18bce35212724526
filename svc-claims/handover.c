/* handover.c - HandOverClaim and ReceiveClaim: the hardware of an approved
 * claim moving from the owning department to the requesting one.
 *
 * Each step is a conditional update on its own column being unset, so a
 * repeated step matches no row and answers 409, and two concurrent ones
 * cannot both succeed. Receipt is also svc-listings' business (its
 * leaderboard counts received items): the claim records it as the owed
 * listing step 'receipt' in the same statement, tells svc-listings at once
 * and clears the note when it confirms; after a crash in between, the
 * settler repeats the step (settle.c), as for the claim's other steps. */
#include <string.h>

#include "claims.h"
#include "db.h"
#include "fault.h"
#include "log.h"

static const db_stmt hand_over = {
    "claims_hand_over",
    "WITH c AS (UPDATE claims.claims SET handed_over_at = now(), handed_over_by = $2, "
    "updated_at = now() WHERE id = $1 AND status = 'approved' AND handed_over_at IS NULL "
    "RETURNING *), "
    "e AS (INSERT INTO claims.events (claim_id, actor_id, actor_email, actor_name, "
    "actor_department, action, from_status, to_status) SELECT id, $3, $2, $5, $4, "
    "'handed_over', 'approved', 'approved' FROM c) "
    "SELECT " CLAIM_COLUMNS " FROM c",
    5,
};

static const db_stmt receive = {
    "claims_receive",
    "WITH c AS (UPDATE claims.claims SET received_at = now(), received_by = $2, "
    "listing_sync = 'receipt', updated_at = now() "
    "WHERE id = $1 AND status = 'approved' AND received_at IS NULL RETURNING *), "
    "e AS (INSERT INTO claims.events (claim_id, actor_id, actor_email, actor_name, "
    "actor_department, action, from_status, to_status) SELECT id, $3, $2, $5, $4, "
    "'received', 'approved', 'approved' FROM c) "
    "SELECT " CLAIM_COLUMNS " FROM c",
    5,
};

static const db_stmt receipt_confirmed = {
    "claims_receipt_confirmed",
    "UPDATE claims.claims SET listing_sync = 'none', updated_at = now() "
    "WHERE id = $1 AND listing_sync = 'receipt'",
    1,
};

rc_status claim_receipt_confirmed(db_conn *db, const char *request_id, int64_t claim_id)
{
    char id[DB_INT64_LEN];
    const char *params[] = {db_param_int64(id, claim_id)};
    PGresult *res = NULL;
    rc_status st = db_exec(db, &receipt_confirmed, params, request_id, &res);
    PQclear(res);
    return st;
}

/* One step of the handover: which department may take it, the statement,
 * and what a second attempt is told. */
typedef struct handover_step {
    const db_stmt *stmt;
    int by_requester;
    const char *not_allowed;
    const char *repeated;
} handover_step;

static const handover_step hand_over_step = {
    &hand_over,
    0,
    "only the owning department may hand the item over",
    "the item was already handed over",
};

static const handover_step receive_step = {
    &receive,
    1,
    "only the requesting department may confirm receipt",
    "the item was already received",
};

/* 0 when the caller may take the step on the loaded claim; otherwise
 * answers 403 or 409 in docs/API.md's order. */
static int step_allowed(const rpc_request *req, const claim_row *row, const handover_step *step,
                        rpc_reply *reply)
{
    const char *department =
        step->by_requester ? row->claim.requesting_department : row->owner_department;
    const char *done_at =
        step->by_requester ? row->handover.received_at : row->handover.handed_over_at;
    if (!req->caller->has_user_id || req->caller->email == NULL ||
        !claim_caller_in(req->caller, department))
        rpc_reply_error(reply, RC_PERMISSION_DENIED, "%s", step->not_allowed);
    else if (strcmp(row->claim.status, "approved") != 0)
        rpc_reply_error(reply, RC_FAILED_PRECONDITION, "the claim is not approved");
    else if (done_at != NULL)
        rpc_reply_error(reply, RC_FAILED_PRECONDITION, "%s", step->repeated);
    else
        return 0;
    return -1;
}

/* Tells svc-listings of the receipt now if it answers; otherwise the
 * settler will. */
static void tell_listings(const rpc_request *req, const claim_row *row)
{
    fault_point("claims.receive.before_listings");
    rpc_reply told = {0};
    listings_receive(req->service, req, row->claim.listing_id, row->claim.id, &told);
    if (told.code == RC_OK)
        claim_receipt_confirmed(req->db, req->request_id, row->claim.id);
    else
        log_warn(req->request_id, "receipt of listing %lld for claim %lld deferred: %s",
                 (long long)row->claim.listing_id, (long long)row->claim.id,
                 rc_status_name(told.code));
    rpc_reply_clear(&told);
}

static void take_step(const rpc_request *req, const claim_row *row, const handover_step *step,
                      rpc_reply *reply)
{
    char id[DB_INT64_LEN], actor[DB_INT64_LEN];
    const char *params[] = {db_param_int64(id, row->claim.id), req->caller->email,
                            db_param_int64(actor, req->caller->user_id), req->caller->department,
                            req->caller->name};
    PGresult *res = NULL;
    rc_status st = db_exec(req->db, step->stmt, params, req->request_id, &res);
    if (st != RC_OK) {
        rpc_reply_db_error(reply, st);
    } else if (PQntuples(res) == 0) {
        rpc_reply_error(reply, RC_FAILED_PRECONDITION, "%s", step->repeated);
    } else {
        claim_row now;
        claim_from_row(res, 0, &now);
        if (step->by_requester)
            tell_listings(req, &now);
        rpc_reply_ok(reply, &now.claim.base);
    }
    PQclear(res);
}

static void run_step(const rpc_request *req, const handover_step *step, rpc_reply *reply)
{
    int64_t id = ((const Rcycle__Claims__ClaimIdRequest *)req->input)->id;
    if (id <= 0) {
        rpc_reply_error(reply, RC_INVALID_ARGUMENT, "invalid claim id");
        return;
    }
    PGresult *res = NULL;
    claim_row row;
    rc_status st = claim_load(req, id, &res, &row);
    if (st == RC_NOT_FOUND)
        rpc_reply_error(reply, RC_NOT_FOUND, "claim not found");
    else if (st != RC_OK)
        rpc_reply_db_error(reply, st);
    else if (step_allowed(req, &row, step, reply) == 0)
        take_step(req, &row, step, reply);
    PQclear(res);
}

void claims_hand_over(const rpc_request *req, rpc_reply *reply)
{
    run_step(req, &hand_over_step, reply);
}

void claims_receive(const rpc_request *req, rpc_reply *reply)
{
    run_step(req, &receive_step, reply);
}
