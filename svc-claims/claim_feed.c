/* claim_feed.c - ListClaimFeed and ListHandoversDue: what svc-users reads to
 * notify people, served on the feed listener only (listeners.c).
 *
 * The feed pages claims.events by seq, the chain's commit order (see
 * svc-listings/feed.c for why a seq cursor never skips an event that
 * commits later), each event with the claim fields a notification names.
 * head_seq, the chain head, lets a new follower start from now rather than
 * notify the whole history. */
#include "claims.h"
#include "db.h"

#define FEED_DEFAULT_LIMIT 100
#define FEED_MAX_LIMIT     1000
/* Handover reminders are a weekly matter; a page of them is plenty per run. */
#define DUE_MAX 1000

static const db_stmt page_events = {
    "claims_feed_page",
    "SELECT e.seq, e.claim_id, e.action, e.to_status, e.actor_email, c.listing_title, "
    "c.owner_department, c.requesting_department, e.note, "
    "(SELECT seq FROM claims.audit_head) "
    "FROM claims.events e JOIN claims.claims c ON c.id = e.claim_id "
    "WHERE e.seq > $1 ORDER BY e.seq LIMIT $2",
    2,
};

static const db_stmt chain_head = {
    "claims_feed_head",
    "SELECT coalesce((SELECT seq FROM claims.audit_head), 0)",
    0,
};

static const db_stmt handovers_due = {
    "claims_handovers_due",
    "SELECT id, listing_title, owner_department, requesting_department, "
    "(floor(extract(epoch FROM now() - security_approved_at) / 604800) - 2)::int "
    "FROM claims.claims WHERE status = 'approved' AND received_at IS NULL "
    "AND security_approved_at <= now() - interval '14 days' "
    "ORDER BY security_approved_at LIMIT $1",
    1,
};

enum feed_column {
    COL_SEQ,
    COL_CLAIM_ID,
    COL_ACTION,
    COL_TO_STATUS,
    COL_ACTOR_EMAIL,
    COL_TITLE,
    COL_OWNER,
    COL_REQUESTER,
    COL_NOTE,
    COL_HEAD,
};

/* A db_row_fill. */
static void event_from_row(const PGresult *res, int row, void *item)
{
    Rcycle__Claims__ClaimFeedEvent *out = item;
    rcycle__claims__claim_feed_event__init(out);
    out->seq = db_int64(res, row, COL_SEQ);
    out->claim_id = db_int64(res, row, COL_CLAIM_ID);
    out->action = db_text(res, row, COL_ACTION);
    out->to_status = db_text(res, row, COL_TO_STATUS);
    out->actor_email = db_text(res, row, COL_ACTOR_EMAIL);
    out->listing_title = db_text(res, row, COL_TITLE);
    out->owner_department = db_text(res, row, COL_OWNER);
    out->requesting_department = db_text(res, row, COL_REQUESTER);
    out->note = db_text(res, row, COL_NOTE);
}

/* The head when the page is empty; otherwise the page's rows carry it. */
static rc_status read_head(const rpc_request *req, const PGresult *page, int64_t *head)
{
    if (PQntuples(page) > 0) {
        *head = db_int64(page, 0, COL_HEAD);
        return RC_OK;
    }
    PGresult *res = NULL;
    rc_status st = db_exec(req->db, &chain_head, NULL, req->request_id, &res);
    if (st == RC_OK)
        *head = db_int64(res, 0, 0);
    PQclear(res);
    return st;
}

void claims_list_claim_feed(const rpc_request *req, rpc_reply *reply)
{
    const Rcycle__Claims__ClaimFeedRequest *in =
        (const Rcycle__Claims__ClaimFeedRequest *)req->input;
    int limit = in->has_limit ? in->limit : FEED_DEFAULT_LIMIT;
    if (in->after_seq < 0 || limit < 1 || limit > FEED_MAX_LIMIT) {
        rpc_reply_error(reply, RC_INVALID_ARGUMENT,
                        "after_seq must not be negative and limit between 1 and %d",
                        FEED_MAX_LIMIT);
        return;
    }
    char after[DB_INT64_LEN], lim[DB_INT64_LEN];
    const char *params[] = {db_param_int64(after, in->after_seq), db_param_int64(lim, limit)};
    PGresult *page = NULL;
    Rcycle__Claims__ClaimFeedReply out = RCYCLE__CLAIMS__CLAIM_FEED_REPLY__INIT;
    rc_status st = db_exec(req->db, &page_events, params, req->request_id, &page);
    if (st == RC_OK)
        st = read_head(req, page, &out.head_seq);
    if (st == RC_OK)
        rpc_reply_rows(reply, &out.base, page, sizeof(Rcycle__Claims__ClaimFeedEvent),
                       event_from_row);
    else
        rpc_reply_db_error(reply, st);
    PQclear(page);
}

/* A db_row_fill. */
static void due_from_row(const PGresult *res, int row, void *item)
{
    Rcycle__Claims__HandoverDue *out = item;
    rcycle__claims__handover_due__init(out);
    out->claim_id = db_int64(res, row, 0);
    out->listing_title = db_text(res, row, 1);
    out->owner_department = db_text(res, row, 2);
    out->requesting_department = db_text(res, row, 3);
    out->period = (int32_t)db_int64(res, row, 4);
}

void claims_list_handovers_due(const rpc_request *req, rpc_reply *reply)
{
    char lim[DB_INT64_LEN];
    const char *params[] = {db_param_int64(lim, DUE_MAX)};
    Rcycle__Claims__HandoversDueReply out = RCYCLE__CLAIMS__HANDOVERS_DUE_REPLY__INIT;
    rpc_reply_query(req, &handovers_due, params, &out.base, sizeof(Rcycle__Claims__HandoverDue),
                    due_from_row, reply);
}
