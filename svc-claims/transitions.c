/* transitions.c - ApproveClaim, DenyClaim and WithdrawClaim.
 *
 * Every transition is a conditional update on the status the handler saw
 * (and on listing_sync being 'none'), so two concurrent requests cannot both
 * move one claim: the loser finds no row and answers 409. Steps that change
 * the listing too are recorded in listing_sync in the same transaction as
 * the claim's change, and finished (now, or by the settler) afterwards. */
#include <stdio.h>
#include <string.h>

#include "claims.h"
#include "db.h"
#include "fault.h"
#include "log.h"
#include "text.h"

#define REASON_MAX_CHARS 2000

static const db_stmt owner_approve = {
    "claims_owner_approve",
    "WITH c AS (UPDATE claims.claims SET status = 'pending_security', owner_approved_at = now(), "
    "owner_approved_by = $2, updated_at = now() "
    "WHERE id = $1 AND status = 'pending_owner' AND listing_sync = 'none' RETURNING *), "
    "e AS (INSERT INTO claims.events (claim_id, actor_id, actor_email, actor_name, "
    "actor_department, action, from_status, to_status) SELECT id, $3, $2, $5, $4, "
    "'owner_approved', 'pending_owner', 'pending_security' FROM c) "
    "SELECT " CLAIM_COLUMNS " FROM c",
    5,
};

static const db_stmt mark_transfer = {
    "claims_mark_transfer",
    "UPDATE claims.claims SET listing_sync = 'transfer', sync_actor_id = $2, sync_actor = $3, "
    "sync_actor_department = $4, sync_actor_name = $5, updated_at = now() "
    "WHERE id = $1 AND status = 'pending_security' AND listing_sync = 'none'",
    5,
};

static const db_stmt finish_transfer = {
    "claims_finish_transfer",
    "WITH c AS (UPDATE claims.claims SET status = 'approved', security_approved_at = now(), "
    "security_approved_by = sync_actor, listing_sync = 'none', updated_at = now() "
    "WHERE id = $1 AND status = 'pending_security' AND listing_sync = 'transfer' RETURNING *), "
    "e AS (INSERT INTO claims.events (claim_id, actor_id, actor_email, actor_name, "
    "actor_department, action, from_status, to_status, note) SELECT id, sync_actor_id, "
    "sync_actor, sync_actor_name, sync_actor_department, 'security_approved', "
    "'pending_security', 'approved', $2 FROM c) "
    "SELECT " CLAIM_COLUMNS " FROM c",
    2,
};

static const db_stmt cancel_claim = {
    "claims_cancel",
    "WITH old AS (SELECT id, status FROM claims.claims WHERE id = $1 "
    "AND status IN ('pending_owner', 'pending_security') FOR UPDATE), "
    "c AS (UPDATE claims.claims AS cl SET status = 'cancelled', listing_sync = 'none', "
    "updated_at = now() FROM old WHERE cl.id = old.id RETURNING cl.*, old.status AS from_status), "
    "e AS (INSERT INTO claims.events (claim_id, action, from_status, to_status, note) "
    "SELECT id, 'cancelled', from_status, 'cancelled', $2 FROM c) "
    "SELECT " CLAIM_COLUMNS " FROM c",
    2,
};

/* Deny and withdraw close the claim and leave the release of the listing to
 * be confirmed (listing_sync 'release'). */
static const db_stmt deny = {
    "claims_deny",
    "WITH c AS (UPDATE claims.claims SET status = 'denied', denied_at = now(), denied_by = $3, "
    "denial_reason = $4, listing_sync = 'release', updated_at = now() "
    "WHERE id = $1 AND status = $2 AND listing_sync = 'none' RETURNING *), "
    "e AS (INSERT INTO claims.events (claim_id, actor_id, actor_email, actor_name, "
    "actor_department, action, from_status, to_status, note) SELECT id, $5, $3, $7, $6, "
    "'denied', $2, 'denied', $4 FROM c) "
    "SELECT " CLAIM_COLUMNS " FROM c",
    7,
};

static const db_stmt withdraw = {
    "claims_withdraw",
    "WITH c AS (UPDATE claims.claims SET status = 'withdrawn', listing_sync = 'release', "
    "updated_at = now() WHERE id = $1 AND status = $2 AND listing_sync = 'none' RETURNING *), "
    "e AS (INSERT INTO claims.events (claim_id, actor_id, actor_email, actor_name, "
    "actor_department, action, from_status, to_status) SELECT id, $3, $5, $6, $4, 'withdrawn', "
    "$2, 'withdrawn' FROM c) "
    "SELECT " CLAIM_COLUMNS " FROM c",
    6,
};

static const db_stmt release_confirmed = {
    "claims_release_confirmed",
    "UPDATE claims.claims SET listing_sync = 'none', updated_at = now() "
    "WHERE id = $1 AND listing_sync = 'release'",
    1,
};

typedef struct id_text {
    char s[DB_INT64_LEN];
} id_text;

static id_text text_of(int64_t v)
{
    id_text t;
    db_param_int64(t.s, v);
    return t;
}

rc_status claim_finish_transfer(db_conn *db, const char *request_id, int64_t claim_id,
                                const char *note, PGresult **res)
{
    id_text id = text_of(claim_id);
    const char *params[] = {id.s, note};
    return db_exec(db, &finish_transfer, params, request_id, res);
}

rc_status claim_cancel(db_conn *db, const char *request_id, int64_t claim_id, const char *note,
                       PGresult **res)
{
    id_text id = text_of(claim_id);
    const char *params[] = {id.s, note};
    return db_exec(db, &cancel_claim, params, request_id, res);
}

rc_status claim_release_confirmed(db_conn *db, const char *request_id, int64_t claim_id)
{
    id_text id = text_of(claim_id);
    const char *params[] = {id.s};
    PGresult *res = NULL;
    rc_status st = db_exec(db, &release_confirmed, params, request_id, &res);
    PQclear(res);
    return st;
}

/* Answers with the single claim row of res, or 409 when the conditional
 * update matched nothing (another request moved the claim first). */
static void reply_updated(rpc_reply *reply, rc_status st, PGresult *res)
{
    if (st != RC_OK) {
        rpc_reply_db_error(reply, st);
    } else if (PQntuples(res) == 0) {
        rpc_reply_error(reply, RC_FAILED_PRECONDITION, "the claim was changed concurrently");
    } else {
        claim_row row;
        claim_from_row(res, 0, &row);
        rpc_reply_ok(reply, &row.claim.base);
    }
}

/* The checks every transition starts with, in docs/API.md's order: the claim
 * exists (404), the caller may see it (403), it is open (409), and no
 * listing change is pending for it (409). On success *res holds the row. */
static int load_open_claim(const rpc_request *req, int64_t id, PGresult **res, claim_row *row,
                           rpc_reply *reply)
{
    rc_status st = claim_load(req, id, res, row);
    if (st == RC_NOT_FOUND) {
        rpc_reply_error(reply, RC_NOT_FOUND, "claim not found");
        return -1;
    }
    if (st != RC_OK) {
        rpc_reply_db_error(reply, st);
        return -1;
    }
    if (!claim_visible_to(row, req->caller))
        rpc_reply_error(reply, RC_PERMISSION_DENIED, "you may not see this claim");
    else if (!claim_is_open(row->claim.status))
        rpc_reply_error(reply, RC_FAILED_PRECONDITION, "claim is no longer open");
    else if (strcmp(row->listing_sync, "none") != 0)
        rpc_reply_error(reply, RC_ABORTED, "claim is being updated; try again");
    else
        return 0;
    PQclear(*res);
    *res = NULL;
    return -1;
}

/* 1 when the caller may approve or deny at the claim's current stage. */
static int may_decide(const claim_row *row, const Rcycle__Caller *caller)
{
    if (strcmp(row->claim.status, "pending_owner") == 0)
        return claim_caller_in(caller, row->owner_department);
    return rpc_caller_has_role(caller, "security");
}

static int same_person(const char *email, const char *other)
{
    return email != NULL && other != NULL && strcmp(email, other) == 0;
}

/* The separation-of-duties rule (docs/API.md) the caller would break by
 * deciding the claim's current stage, or NULL. People are compared by email,
 * which is unique and never changes; the claim records its steps by it. */
static const char *duty_conflict(const claim_row *row, const Rcycle__Caller *caller)
{
    if (same_person(caller->email, row->claim.requested_by))
        return "separation of duties: the requester of a claim may not approve or deny it";
    if (strcmp(row->claim.status, "pending_security") == 0 &&
        same_person(caller->email, row->claim.owner_approved_by))
        return "separation of duties: the owner-stage approver may not decide the security stage";
    return NULL;
}

/* 1 when the caller may decide the claim now; otherwise answers 403 naming
 * the stage's rule or the duty the caller would break. */
static int decision_allowed(const rpc_request *req, const claim_row *row, const char *not_allowed,
                            rpc_reply *reply)
{
    if (!may_decide(row, req->caller)) {
        rpc_reply_error(reply, RC_PERMISSION_DENIED, "%s", not_allowed);
        return 0;
    }
    const char *conflict = duty_conflict(row, req->caller);
    if (conflict == NULL)
        return 1;
    log_info(req->request_id, "security: decision refused (%s) claim=%lld user=%lld", conflict,
             (long long)row->claim.id, (long long)req->caller->user_id);
    rpc_reply_error(reply, RC_PERMISSION_DENIED, "%s", conflict);
    return 0;
}

static void approve_by_owner(const rpc_request *req, const claim_row *row, rpc_reply *reply)
{
    id_text id = text_of(row->claim.id), actor = text_of(req->caller->user_id);
    const char *params[] = {id.s, req->caller->email, actor.s, req->caller->department,
                            req->caller->name};
    PGresult *res = NULL;
    rc_status st = db_exec(req->db, &owner_approve, params, req->request_id, &res);
    reply_updated(reply, st, res);
    PQclear(res);
}

/* The final approval hands the listing over; see the file comment. */
static void approve_by_security(const rpc_request *req, const claim_row *row, rpc_reply *reply)
{
    id_text id = text_of(row->claim.id), actor = text_of(req->caller->user_id);
    const char *params[] = {id.s, actor.s, req->caller->email, req->caller->department,
                            req->caller->name};
    PGresult *res = NULL;
    rc_status st = db_exec(req->db, &mark_transfer, params, req->request_id, &res);
    int marked = st == RC_OK && PQcmdTuples(res)[0] == '1';
    PQclear(res);
    res = NULL;
    if (!marked) {
        reply_updated(reply, st, NULL);
        return;
    }
    fault_point("claims.approve.after_mark");
    rpc_reply transferred = {0};
    listings_transfer(req->service, req, row->claim.listing_id, row->claim.id, &transferred);
    fault_point("claims.approve.after_transfer");
    if (transferred.code == RC_OK) {
        st = claim_finish_transfer(req->db, req->request_id, row->claim.id, NULL, &res);
        reply_updated(reply, st, res);
    } else if (transferred.code == RC_FAILED_PRECONDITION || transferred.code == RC_NOT_FOUND) {
        st = claim_cancel(req->db, req->request_id, row->claim.id, "listing no longer available",
                          &res);
        if (st == RC_OK)
            rpc_reply_error(reply, RC_FAILED_PRECONDITION,
                            "the listing is no longer available; the claim was cancelled");
        else
            rpc_reply_db_error(reply, st);
    } else {
        rpc_reply_error(reply, RC_UNAVAILABLE,
                        "the listing service did not answer; the approval will complete shortly");
    }
    PQclear(res);
    rpc_reply_clear(&transferred);
}

static int64_t unpack_id(const rpc_request *req, rpc_reply *reply)
{
    int64_t id = ((const Rcycle__Claims__ClaimIdRequest *)req->input)->id;
    if (id <= 0)
        rpc_reply_error(reply, RC_INVALID_ARGUMENT, "invalid claim id");
    return id > 0 ? id : 0;
}

static int signed_in(const rpc_request *req, rpc_reply *reply)
{
    if (req->caller->has_user_id && req->caller->department && req->caller->email)
        return 1;
    rpc_reply_error(reply, RC_PERMISSION_DENIED, "a signed-in user is required");
    return 0;
}

/* The start of approve and withdraw: the path's claim, open, for a
 * signed-in caller; 0 when loaded (PQclear *res after), else answered. */
static int load_for_caller(const rpc_request *req, PGresult **res, claim_row *row, rpc_reply *reply)
{
    int64_t id = unpack_id(req, reply);
    if (id == 0 || !signed_in(req, reply))
        return -1;
    return load_open_claim(req, id, res, row, reply);
}

void claims_approve(const rpc_request *req, rpc_reply *reply)
{
    PGresult *res = NULL;
    claim_row row;
    if (load_for_caller(req, &res, &row, reply) != 0)
        return;
    const char *not_allowed = strcmp(row.claim.status, "pending_owner") == 0
                                  ? "only the owning department may approve at this stage"
                                  : "only a security reviewer may approve at this stage";
    if (decision_allowed(req, &row, not_allowed, reply)) {
        if (strcmp(row.claim.status, "pending_owner") == 0)
            approve_by_owner(req, &row, reply);
        else
            approve_by_security(req, &row, reply);
    }
    PQclear(res);
}

/* After a claim was closed: give the listing back now if svc-listings
 * answers; otherwise the settler will. */
static void release_listing(const rpc_request *req, const rpc_reply *closed)
{
    Rcycle__Claims__Claim *c =
        rcycle__claims__claim__unpack(NULL, closed->payload_len, closed->payload);
    if (c == NULL)
        return;
    fault_point("claims.close.before_release");
    rpc_reply released = {0};
    listings_release(req->service, req, c->listing_id, c->id, &released);
    if (released.code == RC_OK)
        claim_release_confirmed(req->db, req->request_id, c->id);
    else
        log_warn(req->request_id, "release of listing %lld for claim %lld deferred: %s",
                 (long long)c->listing_id, (long long)c->id, rc_status_name(released.code));
    rpc_reply_clear(&released);
    rcycle__claims__claim__free_unpacked(c, NULL);
}

/* Denies a loaded open claim with reason. */
static void deny_loaded(const rpc_request *req, const claim_row *row, const char *reason,
                        rpc_reply *reply)
{
    if (!decision_allowed(req, row, "you may not deny this claim", reply))
        return;
    id_text id = text_of(row->claim.id), actor = text_of(req->caller->user_id);
    const char *params[] = {id.s,    row->claim.status,       req->caller->email, reason,
                            actor.s, req->caller->department, req->caller->name};
    PGresult *updated = NULL;
    rc_status st = db_exec(req->db, &deny, params, req->request_id, &updated);
    reply_updated(reply, st, updated);
    PQclear(updated);
    if (reply->code == RC_OK)
        release_listing(req, reply);
}

void claims_deny(const rpc_request *req, rpc_reply *reply)
{
    Rcycle__Claims__DenyClaimRequest *r = (Rcycle__Claims__DenyClaimRequest *)req->input;
    PGresult *res = NULL;
    claim_row row;
    if (r->id <= 0)
        rpc_reply_error(reply, RC_INVALID_ARGUMENT, "invalid claim id");
    else if (r->reason == NULL || text_blank(r->reason))
        rpc_reply_error(reply, RC_INVALID_ARGUMENT, "reason is required");
    else if (text_field_ok(reply, "reason", r->reason, 1, REASON_MAX_CHARS) &&
             signed_in(req, reply) && load_open_claim(req, r->id, &res, &row, reply) == 0)
        deny_loaded(req, &row, r->reason, reply);
    PQclear(res);
}

void claims_withdraw(const rpc_request *req, rpc_reply *reply)
{
    PGresult *res = NULL;
    claim_row row;
    if (load_for_caller(req, &res, &row, reply) != 0)
        return;
    if (!claim_caller_in(req->caller, row.claim.requesting_department)) {
        rpc_reply_error(reply, RC_PERMISSION_DENIED,
                        "only the requesting department may withdraw a claim");
    } else {
        id_text idt = text_of(row.claim.id), actor = text_of(req->caller->user_id);
        const char *params[] = {idt.s,
                                row.claim.status,
                                actor.s,
                                req->caller->department,
                                req->caller->email,
                                req->caller->name};
        PGresult *updated = NULL;
        rc_status st = db_exec(req->db, &withdraw, params, req->request_id, &updated);
        reply_updated(reply, st, updated);
        PQclear(updated);
        if (reply->code == RC_OK)
            release_listing(req, reply);
    }
    PQclear(res);
}
