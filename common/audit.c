/* audit.c - appending to, reading and witnessing the audit chains (audit.h). */
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "log.h"
#include "metrics.h"
#include "text.h"
#include "worker.h"

/* The gauge is refreshed this often; the head is logged every HEADS_LOG_ROUNDS. */
#define HEADS_PERIOD_MS  60000
#define HEADS_JITTER_MS  1000
#define HEADS_LOG_ROUNDS 60
#define ACQUIRE_MS       1000

#define LIST_DEFAULT_LIMIT 20
/* A page of the merged list is taken from the top offset + limit of each
 * chain (gateway/routes_audit.c), so each chain answers at most this many. */
#define LIST_MAX_ROWS 10100
/* The count behind X-Total-Count stops COUNT_AHEAD rows past the rows
 * asked for (and at LIST_MAX_ROWS, which no page reaches past): an exact
 * count of a broad filter reads every matching index entry (130k for one
 * action at 1M events, over 100 ms), and even 10k entries cost more than
 * the page itself. Counting ahead of the page still tells a pager that more
 * pages follow; counting one more row tells "exactly" from "at least". */
#define COUNT_AHEAD      1000
#define EXPORT_MAX_LIMIT 5000

/* The exported columns, in AuditEvent's order (audit_col). */
#define AUDIT_COLUMNS                                                                              \
    "seq, public.rcycle_audit_time(at), actor_id, actor_email, actor_department, entity,"          \
    " entity_id, action, from_status, to_status, note, encode(hash, 'hex'),"                       \
    " encode(prev_hash, 'hex')"

/* $1 from, $2 to, $3 actor, $4 action, $5 entity, $6 entity_id; NULL = any.
 * The statements using these run with db_exec_custom (planned for the
 * filters they are given), so each filter finds its index. */
#define AUDIT_FILTERS                                                                              \
    " WHERE ($1::timestamptz IS NULL OR at >= $1::timestamptz)"                                    \
    " AND ($2::timestamptz IS NULL OR at < $2::timestamptz)"                                       \
    " AND ($3::text IS NULL OR actor_email = lower($3))"                                           \
    " AND ($4::text IS NULL OR action = $4) AND ($5::text IS NULL OR entity = $5)"                 \
    " AND ($6::text IS NULL OR entity_id = $6)"

#define CHAIN_STMTS(s)                                                                             \
    {                                                                                              \
        {"audit_append_" s,                                                                        \
         "INSERT INTO " s ".events (actor_id, actor_email, actor_department, entity, entity_id,"   \
         " action, from_status, to_status, note) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",     \
         9},                                                                                       \
            {"audit_list_" s,                                                                      \
             "SELECT " AUDIT_COLUMNS " FROM " s ".events" AUDIT_FILTERS                            \
             " ORDER BY at DESC, seq DESC LIMIT $7 OFFSET $8",                                     \
             8},                                                                                   \
            {"audit_count_" s,                                                                     \
             "SELECT count(*) FROM (SELECT 1 FROM " s ".events" AUDIT_FILTERS " LIMIT $7) c", 7},  \
            {"audit_export_" s,                                                                    \
             "SELECT " AUDIT_COLUMNS " FROM " s ".events"                                          \
             " WHERE seq > $3 AND ($1::timestamptz IS NULL OR at >= $1::timestamptz)"              \
             " AND ($2::timestamptz IS NULL OR at < $2::timestamptz) ORDER BY seq LIMIT $4",       \
             4},                                                                                   \
            {"audit_head_" s, "SELECT seq, encode(hash, 'hex') FROM " s ".audit_head", 0},         \
    }

typedef struct chain_stmts {
    db_stmt append, list, count, export, head;
} chain_stmts;

static const chain_stmts STMTS[AUDIT_NCHAINS] = {
    [AUDIT_USERS] = CHAIN_STMTS("users"),
    [AUDIT_LISTINGS] = CHAIN_STMTS("listings"),
    [AUDIT_CLAIMS] = CHAIN_STMTS("claims"),
};

static const char *const NAMES[AUDIT_NCHAINS] = {"users", "listings", "claims"};

audit_actor audit_actor_of(const Rcycle__Caller *caller)
{
    audit_actor a = {0};
    if (caller->has_user_id && caller->user_id > 0) {
        a.id = caller->user_id;
        a.email = caller->email;
        a.department = caller->department;
    }
    return a;
}

rc_status audit_append(db_conn *db, audit_chain chain, const audit_actor *actor,
                       const audit_event *ev, const char *request_id)
{
    char id[DB_INT64_LEN];
    const char *params[] = {
        actor->id > 0 ? db_param_int64(id, actor->id) : NULL,
        actor->email,
        actor->department,
        ev->entity,
        ev->entity_id,
        ev->action,
        ev->from_status,
        ev->to_status,
        ev->note,
    };
    PGresult *res = NULL;
    rc_status st = db_exec(db, &STMTS[chain].append, params, request_id, &res);
    PQclear(res);
    return st;
}

/* ---- reading ---- */

enum audit_col {
    COL_SEQ,
    COL_AT,
    COL_ACTOR_ID,
    COL_ACTOR_EMAIL,
    COL_ACTOR_DEPARTMENT,
    COL_ENTITY,
    COL_ENTITY_ID,
    COL_ACTION,
    COL_FROM,
    COL_TO,
    COL_NOTE,
    COL_HASH,
    COL_PREV_HASH,
};

/* The chain of the rows being mapped: db_row_fill has no argument, and a
 * worker thread maps one result at a time. */
static _Thread_local audit_chain fill_chain;

static void event_from_row(const PGresult *res, int row, void *item)
{
    Rcycle__AuditEvent *e = item;
    rcycle__audit_event__init(e);
    e->chain = (char *)NAMES[fill_chain];
    e->seq = db_int64(res, row, COL_SEQ);
    e->at = db_text(res, row, COL_AT);
    if (!PQgetisnull(res, row, COL_ACTOR_ID)) {
        e->has_actor_id = 1;
        e->actor_id = db_int64(res, row, COL_ACTOR_ID);
    }
    e->actor_email = db_text(res, row, COL_ACTOR_EMAIL);
    e->actor_department = db_text(res, row, COL_ACTOR_DEPARTMENT);
    e->entity = db_text(res, row, COL_ENTITY);
    e->entity_id = db_text(res, row, COL_ENTITY_ID);
    e->action = db_text(res, row, COL_ACTION);
    e->from_status = db_text(res, row, COL_FROM);
    e->to_status = db_text(res, row, COL_TO);
    e->note = db_text(res, row, COL_NOTE);
    e->hash = db_text(res, row, COL_HASH);
    e->prev_hash = db_text(res, row, COL_PREV_HASH);
}

/* A bad from or to is the caller's mistake, not the database's. */
static void reply_query_error(const rpc_request *req, rc_status st, rpc_reply *reply)
{
    if (strncmp(db_last_sqlstate(req->db), "22", 2) == 0)
        rpc_reply_error(reply, RC_INVALID_ARGUMENT, "from and to must be RFC 3339 times");
    else
        rpc_reply_db_error(reply, st);
}

/* total < 0: no count (the export); a total past cap is reported as cap. */
static void reply_page(audit_chain chain, const PGresult *rows, int64_t total, int64_t cap,
                       rpc_reply *reply)
{
    Rcycle__AuditPage out = RCYCLE__AUDIT_PAGE__INIT;
    if (total >= 0) {
        out.has_total = out.has_total_capped = 1;
        out.total_capped = total > cap;
        out.total = out.total_capped ? cap : total;
    }
    fill_chain = chain;
    rpc_reply_rows(reply, &out.base, rows, sizeof(Rcycle__AuditEvent), event_from_row);
}

/* 1 when the caller may read the trail (security, admin); else answers. */
static int may_read(const rpc_request *req, const Rcycle__AuditQuery *q, rpc_reply *reply)
{
    if (!rpc_caller_has_role(req->caller, "security") &&
        !rpc_caller_has_role(req->caller, "admin")) {
        rpc_reply_error(reply, RC_PERMISSION_DENIED,
                        "only security and admin may read the audit trail");
        return 0;
    }
    if ((q->from && !text_is_rfc3339(q->from)) || (q->to && !text_is_rfc3339(q->to))) {
        rpc_reply_error(reply, RC_INVALID_ARGUMENT, "from and to must be RFC 3339 times");
        return 0;
    }
    return 1;
}

void audit_list(const rpc_request *req, audit_chain chain, rpc_reply *reply)
{
    const Rcycle__AuditQuery *q = (const Rcycle__AuditQuery *)req->input;
    if (!may_read(req, q, reply))
        return;
    int limit = q->has_limit ? q->limit : LIST_DEFAULT_LIMIT;
    int offset = q->has_offset ? q->offset : 0;
    if (limit < 1 || offset < 0 || (int64_t)limit + offset > LIST_MAX_ROWS) {
        rpc_reply_error(reply, RC_INVALID_ARGUMENT,
                        "limit must be positive and offset + limit at most %d", LIST_MAX_ROWS);
        return;
    }
    char limit_text[DB_INT64_LEN], offset_text[DB_INT64_LEN], cap_text[DB_INT64_LEN];
    const char *params[] = {q->from,
                            q->to,
                            q->actor,
                            q->action,
                            q->entity,
                            q->entity_id,
                            db_param_int64(limit_text, limit),
                            db_param_int64(offset_text, offset)};
    PGresult *rows = NULL, *count = NULL;
    rc_status st = db_exec_custom(req->db, &STMTS[chain].list, params, req->request_id, &rows);
    int64_t cap = (int64_t)offset + limit + COUNT_AHEAD;
    if (cap > LIST_MAX_ROWS)
        cap = LIST_MAX_ROWS;
    int64_t total = -1;
    /* A short page that is not past the end holds the last match: no count
     * needed (most narrow filters, and most chains of a filtered page). */
    if (st == RC_OK && PQntuples(rows) < limit && (PQntuples(rows) > 0 || offset == 0))
        total = (int64_t)offset + PQntuples(rows);
    /* The count's $7 is its cap; the filters are the list's. */
    params[6] = db_param_int64(cap_text, cap + 1);
    if (st == RC_OK && total < 0) {
        st = db_exec_custom(req->db, &STMTS[chain].count, params, req->request_id, &count);
        if (st == RC_OK)
            total = db_int64(count, 0, 0);
    }
    if (st == RC_OK)
        reply_page(chain, rows, total, cap, reply);
    else
        reply_query_error(req, st, reply);
    PQclear(rows);
    PQclear(count);
}

void audit_export(const rpc_request *req, audit_chain chain, rpc_reply *reply)
{
    const Rcycle__AuditQuery *q = (const Rcycle__AuditQuery *)req->input;
    if (!may_read(req, q, reply))
        return;
    int limit = q->has_limit ? q->limit : EXPORT_MAX_LIMIT;
    int64_t after = q->has_after_seq ? q->after_seq : 0;
    if (limit < 1 || limit > EXPORT_MAX_LIMIT || after < 0) {
        rpc_reply_error(reply, RC_INVALID_ARGUMENT,
                        "limit must be between 1 and %d and after_seq not negative",
                        EXPORT_MAX_LIMIT);
        return;
    }
    char after_text[DB_INT64_LEN], limit_text[DB_INT64_LEN];
    const char *params[] = {q->from, q->to, db_param_int64(after_text, after),
                            db_param_int64(limit_text, limit)};
    PGresult *rows = NULL;
    rc_status st = db_exec_custom(req->db, &STMTS[chain].export, params, req->request_id, &rows);
    if (st == RC_OK)
        reply_page(chain, rows, -1, 0, reply);
    else
        reply_query_error(req, st, reply);
    PQclear(rows);
}

/* ---- the witness ---- */

struct audit_heads {
    db_pool *pool;
    audit_chain chain;
    worker *worker;
    atomic_llong seq; /* -1 until read */
    int rounds;
};

/* Reads the head; logs it when log is set. 0 when read. */
static int read_head(audit_heads *h, int log)
{
    db_conn *db = db_acquire(h->pool, ACQUIRE_MS);
    if (db == NULL)
        return -1;
    PGresult *res = NULL;
    rc_status st = db_exec(db, &STMTS[h->chain].head, NULL, NULL, &res);
    if (st == RC_OK && PQntuples(res) == 1) {
        int64_t seq = db_int64(res, 0, 0);
        atomic_store(&h->seq, seq);
        if (log)
            log_info(NULL, "audit chain head chain=%s seq=%" PRId64 " hash=%s", NAMES[h->chain],
                     seq, PQgetvalue(res, 0, 1));
    }
    PQclear(res);
    db_release(h->pool, db);
    return st == RC_OK ? 0 : -1;
}

static void heads_round(void *arg)
{
    audit_heads *h = arg;
    int log = h->rounds % HEADS_LOG_ROUNDS == 0;
    if (read_head(h, log) == 0)
        h->rounds++;
}

static double head_seq(void *arg)
{
    audit_heads *h = arg;
    return (double)atomic_load(&h->seq);
}

audit_heads *audit_heads_start(db_pool *pool, audit_chain chain)
{
    audit_heads *h = calloc(1, sizeof *h);
    if (h == NULL)
        return NULL;
    h->pool = pool;
    h->chain = chain;
    atomic_init(&h->seq, -1);
    /* The first round runs at once, so the head is logged at start too. */
    heads_round(h);
    h->worker = worker_start("audit-heads", HEADS_PERIOD_MS, HEADS_JITTER_MS, heads_round, h);
    if (h->worker == NULL) {
        free(h);
        return NULL;
    }
    metrics_gauge("rcycle_audit_chain_head_seq", "The seq of the audit chain's newest event",
                  "chain", NAMES[chain], head_seq, h);
    return h;
}

void audit_heads_stop(audit_heads *h)
{
    if (h == NULL)
        return;
    worker_stop(h->worker);
    read_head(h, 1);
    free(h);
}
