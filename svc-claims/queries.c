/* queries.c - ListClaims, GetClaim and ListEvents: what a caller may read. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "claims.h"
#include "db.h"

#define DEFAULT_LIMIT 100
#define MAX_LIMIT     500

/* $1 requesting department, $2 owning department, $3 either of the two
 * (the default scope of a plain member), $4 status, $5 listing id: each
 * NULL when it does not filter. Internal states are never shown. The
 * statements using it run with db_exec_custom, so each filter finds its
 * index. */
#define CLAIM_FILTER                                                                               \
    " FROM claims.claims WHERE status NOT IN ('reserving', 'abandoned') "                          \
    "AND ($1::text IS NULL OR requesting_department = $1) "                                        \
    "AND ($2::text IS NULL OR owner_department = $2) "                                             \
    "AND ($3::text IS NULL OR requesting_department = $3 OR owner_department = $3) "               \
    "AND ($4::text IS NULL OR status = $4) "                                                       \
    "AND ($5::bigint IS NULL OR listing_id = $5)"

static const db_stmt count_claims = {"claims_count", "SELECT count(*)" CLAIM_FILTER, 5};

/* The page and, in its last column, the total before paging, in one
 * statement (one snapshot); a page past the end has no row to carry the
 * total, and then count_claims is asked. */
static const db_stmt page_claims = {
    "claims_page",
    "WITH page AS (SELECT " CLAIM_COLUMNS CLAIM_FILTER
    " ORDER BY requested_at DESC, id DESC LIMIT $6 OFFSET $7)"
    " SELECT page.*, (SELECT count(*)" CLAIM_FILTER ") FROM page",
    7,
};

static const db_stmt list_events = {
    "claims_events",
    "SELECT claims.rfc3339(at), actor_id, actor_department, action, from_status, to_status, note, "
    "actor_email, actor_name FROM claims.events WHERE claim_id = $1 ORDER BY seq",
    1,
};

typedef struct claim_filter {
    const char *params[7];
    char listing_id[DB_INT64_LEN];
    char limit[DB_INT64_LEN];
    char offset[DB_INT64_LEN];
} claim_filter;

static int valid_status(const char *s)
{
    static const char *const statuses[] = {"pending_owner", "pending_security", "approved",
                                           "denied",        "withdrawn",        "cancelled"};
    for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++)
        if (strcmp(s, statuses[i]) == 0)
            return 1;
    return 0;
}

static int privileged(const Rcycle__Caller *caller)
{
    return rpc_caller_has_role(caller, "security") || rpc_caller_has_role(caller, "admin");
}

/* Turns the request into query parameters; answers and returns -1 on a bad
 * value or a scope the caller may not use. */
static int build_filter(const rpc_request *req, const Rcycle__Claims__ListClaimsRequest *r,
                        claim_filter *f, rpc_reply *reply)
{
    const Rcycle__Caller *caller = req->caller;
    const char *scope = r->scope && r->scope[0] ? r->scope : NULL;
    const char *status = r->status && r->status[0] ? r->status : NULL;
    memset(f, 0, sizeof *f);
    if (caller->department == NULL) {
        rpc_reply_error(reply, RC_PERMISSION_DENIED, "a signed-in user is required");
        return -1;
    }
    if (status != NULL && !valid_status(status)) {
        rpc_reply_error(reply, RC_INVALID_ARGUMENT, "unknown status");
        return -1;
    }
    if (scope == NULL) {
        f->params[2] = privileged(caller) ? NULL : caller->department;
    } else if (strcmp(scope, "mine") == 0) {
        f->params[0] = caller->department;
    } else if (strcmp(scope, "incoming") == 0) {
        f->params[1] = caller->department;
    } else if (strcmp(scope, "review") == 0) {
        if (!rpc_caller_has_role(caller, "security")) {
            rpc_reply_error(reply, RC_PERMISSION_DENIED,
                            "the review queue is for security reviewers");
            return -1;
        }
        /* The queue is pending_security; another status filters it down to
         * nothing, which a status no claim has expresses. */
        status =
            status == NULL || strcmp(status, "pending_security") == 0 ? "pending_security" : "none";
    } else {
        rpc_reply_error(reply, RC_INVALID_ARGUMENT, "scope must be mine, incoming or review");
        return -1;
    }
    f->params[3] = status;
    int limit = r->has_limit ? r->limit : DEFAULT_LIMIT;
    int offset = r->has_offset ? r->offset : 0;
    if (limit < 1 || limit > MAX_LIMIT || offset < 0) {
        rpc_reply_error(reply, RC_INVALID_ARGUMENT, "limit must be 1 to %d and offset at least 0",
                        MAX_LIMIT);
        return -1;
    }
    if (r->has_listing_id) {
        db_param_int64(f->listing_id, r->listing_id);
        f->params[4] = f->listing_id;
    }
    db_param_int64(f->limit, limit);
    db_param_int64(f->offset, offset);
    f->params[5] = f->limit;
    f->params[6] = f->offset;
    return 0;
}

/* A db_row_fill; the Claim is the first member of a claim_row. */
static void fill_claim(const PGresult *res, int row, void *item)
{
    claim_from_row(res, row, item);
}

static void reply_page(const PGresult *page, int64_t total, rpc_reply *reply)
{
    Rcycle__Claims__ListClaimsReply out = RCYCLE__CLAIMS__LIST_CLAIMS_REPLY__INIT;
    out.total = total;
    rpc_reply_rows(reply, &out.base, page, sizeof(claim_row), fill_claim);
}

static void run_list(const rpc_request *req, const claim_filter *f, rpc_reply *reply)
{
    PGresult *page = NULL, *count = NULL;
    rc_status st = db_exec_custom(req->db, &page_claims, f->params, req->request_id, &page);
    if (st == RC_OK && PQntuples(page) == 0)
        st = db_exec_custom(req->db, &count_claims, f->params, req->request_id, &count);
    if (st != RC_OK)
        rpc_reply_db_error(reply, st);
    else
        reply_page(page, count ? db_int64(count, 0, 0) : db_int64(page, 0, CLAIM_NCOLUMNS), reply);
    PQclear(page);
    PQclear(count);
}

void claims_list(const rpc_request *req, rpc_reply *reply)
{
    Rcycle__Claims__ListClaimsRequest *r = (Rcycle__Claims__ListClaimsRequest *)req->input;
    claim_filter f;
    if (build_filter(req, r, &f, reply) == 0)
        run_list(req, &f, reply);
}

/* Loads a claim the caller may see; answers 400/404/403 otherwise. */
static int load_visible(const rpc_request *req, PGresult **res, claim_row *row, rpc_reply *reply)
{
    int64_t id = ((const Rcycle__Claims__ClaimIdRequest *)req->input)->id;
    rc_status st = claim_load(req, id, res, row);
    if (st == RC_NOT_FOUND)
        rpc_reply_error(reply, RC_NOT_FOUND, "claim not found");
    else if (st != RC_OK)
        rpc_reply_db_error(reply, st);
    else if (!claim_visible_to(row, req->caller))
        rpc_reply_error(reply, RC_PERMISSION_DENIED, "you may not see this claim");
    else
        return 0;
    PQclear(*res);
    *res = NULL;
    return -1;
}

void claims_get(const rpc_request *req, rpc_reply *reply)
{
    PGresult *res = NULL;
    claim_row row;
    if (load_visible(req, &res, &row, reply) == 0)
        rpc_reply_ok(reply, &row.claim.base);
    PQclear(res);
}

/* A db_row_fill. */
static void event_from_row(const PGresult *res, int i, void *item)
{
    Rcycle__Claims__Event *e = item;
    rcycle__claims__event__init(e);
    e->at = db_text(res, i, 0);
    e->has_actor_id = !PQgetisnull(res, i, 1);
    e->actor_id = e->has_actor_id ? db_int64(res, i, 1) : 0;
    e->actor_department = db_text(res, i, 2);
    e->action = db_text(res, i, 3);
    e->from_status = db_text(res, i, 4);
    e->to_status = db_text(res, i, 5);
    e->note = db_text(res, i, 6);
    e->actor_email = db_text(res, i, 7);
    e->actor_name = db_text(res, i, 8);
}

static void reply_events(const PGresult *events, rpc_reply *reply)
{
    Rcycle__Claims__ListEventsReply out = RCYCLE__CLAIMS__LIST_EVENTS_REPLY__INIT;
    rpc_reply_rows(reply, &out.base, events, sizeof(Rcycle__Claims__Event), event_from_row);
}

void claims_list_events(const rpc_request *req, rpc_reply *reply)
{
    PGresult *claim = NULL, *events = NULL;
    claim_row row;
    if (load_visible(req, &claim, &row, reply) != 0)
        return;
    char id[DB_INT64_LEN];
    db_param_int64(id, row.claim.id);
    const char *params[] = {id};
    rc_status st = db_exec(req->db, &list_events, params, req->request_id, &events);
    if (st != RC_OK) {
        rpc_reply_db_error(reply, st);
    } else {
        reply_events(events, reply);
    }
    PQclear(events);
    PQclear(claim);
}
