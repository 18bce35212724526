/* notifications.c - ListNotifications and MarkNotificationsRead: the
 * caller's inbox, which the follower (notify.c) fills. */
#include <stdio.h>
#include <stdlib.h>

#include "db.h"
#include "users.h"

#define DEFAULT_LIMIT 100
#define MAX_LIMIT     500
/* A mark-read request names at most a page of ids. */
#define MAX_IDS MAX_LIMIT

/* One statement: the page, and the caller's total and unread counts beside
 * every row (or alone, for an empty page). */
static const db_stmt list_page = {
    "users_notifications_page",
    "WITH mine AS (SELECT id, at, kind, title, body, link, read_at FROM users.notifications "
    "WHERE user_id = $1), "
    "counts AS (SELECT count(*) FILTER (WHERE NOT $2 OR read_at IS NULL) AS total, "
    "count(*) FILTER (WHERE read_at IS NULL) AS unread FROM mine), "
    "page AS (SELECT * FROM mine WHERE NOT $2 OR read_at IS NULL ORDER BY id DESC "
    "LIMIT $3 OFFSET $4) "
    "SELECT p.id, " USERS_RFC3339(
        "p.at") ", p.kind, p.title, p.body, p.link, "
                "p.read_at IS NOT NULL, c.total, c.unread "
                "FROM counts c LEFT JOIN page p ON true ORDER BY p.id DESC",
    4,
};

static const db_stmt mark_ids = {
    "users_notifications_mark",
    "UPDATE users.notifications SET read_at = now() "
    "WHERE user_id = $1 AND id = ANY($2::bigint[]) AND read_at IS NULL",
    2,
};

static const db_stmt mark_all = {
    "users_notifications_mark_all",
    "UPDATE users.notifications SET read_at = now() WHERE user_id = $1 AND read_at IS NULL",
    1,
};

enum column {
    COL_ID,
    COL_AT,
    COL_KIND,
    COL_TITLE,
    COL_BODY,
    COL_LINK,
    COL_READ,
    COL_TOTAL,
    COL_UNREAD
};

/* A db_row_fill. */
static void notification_from_row(const PGresult *res, int row, void *item)
{
    Rcycle__Users__Notification *n = item;
    rcycle__users__notification__init(n);
    n->id = db_int64(res, row, COL_ID);
    n->at = db_text(res, row, COL_AT);
    n->kind = db_text(res, row, COL_KIND);
    n->title = db_text(res, row, COL_TITLE);
    n->body = db_text(res, row, COL_BODY);
    n->link = db_text(res, row, COL_LINK);
    n->read = db_bool(res, row, COL_READ);
}

/* The page's rows, without the one row of counts an empty page has. */
static void reply_page(rpc_reply *reply, const PGresult *res)
{
    Rcycle__Users__ListNotificationsReply out = RCYCLE__USERS__LIST_NOTIFICATIONS_REPLY__INIT;
    out.total = db_int64(res, 0, COL_TOTAL);
    out.unread = db_int64(res, 0, COL_UNREAD);
    if (PQgetisnull(res, 0, COL_ID))
        rpc_reply_ok(reply, &out.base);
    else
        rpc_reply_rows(reply, &out.base, res, sizeof(Rcycle__Users__Notification),
                       notification_from_row);
}

void users_list_notifications(const rpc_request *req, rpc_reply *reply)
{
    const Rcycle__Users__ListNotificationsRequest *in =
        (const Rcycle__Users__ListNotificationsRequest *)req->input;
    if (!users_signed_in(req, reply))
        return;
    int limit = in->has_limit ? in->limit : DEFAULT_LIMIT;
    int offset = in->has_offset ? in->offset : 0;
    if (limit < 1 || limit > MAX_LIMIT || offset < 0) {
        rpc_reply_error(reply, RC_INVALID_ARGUMENT, "limit must be 1 to %d and offset at least 0",
                        MAX_LIMIT);
        return;
    }
    char user[DB_INT64_LEN], lim[DB_INT64_LEN], off[DB_INT64_LEN];
    const char *params[] = {db_param_int64(user, req->caller->user_id),
                            in->has_unread_only && in->unread_only ? "true" : "false",
                            db_param_int64(lim, limit), db_param_int64(off, offset)};
    PGresult *res = NULL;
    rc_status st = db_exec(req->db, &list_page, params, req->request_id, &res);
    if (st == RC_OK)
        reply_page(reply, res);
    else
        rpc_reply_db_error(reply, st);
    PQclear(res);
}

/* The ids as a PostgreSQL array literal ("{1,2,3}"); NULL when out of memory. */
static char *id_array(const int64_t *ids, size_t n)
{
    char *text = malloc(n * DB_INT64_LEN + 3);
    if (text == NULL)
        return NULL;
    size_t len = 0;
    text[len++] = '{';
    for (size_t i = 0; i < n; i++) {
        char one[DB_INT64_LEN];
        len += (size_t)snprintf(text + len, DB_INT64_LEN + 1, "%s%s", i ? "," : "",
                                db_param_int64(one, ids[i]));
    }
    text[len++] = '}';
    text[len] = '\0';
    return text;
}

/* Marks the listed ids of the caller's, or all of them when ids is NULL. */
static rc_status mark(const rpc_request *req, const char *user, const char *ids)
{
    const char *params[] = {user, ids};
    PGresult *res = NULL;
    rc_status st = db_exec(req->db, ids ? &mark_ids : &mark_all, params, req->request_id, &res);
    PQclear(res);
    return st;
}

/* 0 when the request names ids or all (not both), few enough, each positive. */
static int check_mark_request(const Rcycle__Users__MarkNotificationsReadRequest *in,
                              rpc_reply *reply)
{
    int all = in->has_all && in->all;
    if (all == (in->n_ids > 0)) {
        rpc_reply_error(reply, RC_INVALID_ARGUMENT, "give either ids or all");
        return -1;
    }
    if (in->n_ids > MAX_IDS) {
        rpc_reply_error(reply, RC_INVALID_ARGUMENT, "at most %d ids", MAX_IDS);
        return -1;
    }
    for (size_t i = 0; i < in->n_ids; i++) {
        if (in->ids[i] <= 0) {
            rpc_reply_error(reply, RC_INVALID_ARGUMENT, "ids must be positive integers");
            return -1;
        }
    }
    return 0;
}

void users_mark_notifications_read(const rpc_request *req, rpc_reply *reply)
{
    const Rcycle__Users__MarkNotificationsReadRequest *in =
        (const Rcycle__Users__MarkNotificationsReadRequest *)req->input;
    if (!users_signed_in(req, reply) || check_mark_request(in, reply) != 0)
        return;
    char user[DB_INT64_LEN];
    db_param_int64(user, req->caller->user_id);
    char *ids = NULL;
    if (in->n_ids > 0 && (ids = id_array(in->ids, in->n_ids)) == NULL) {
        rpc_reply_error(reply, RC_INTERNAL, "internal error");
        return;
    }
    rc_status st = mark(req, user, ids);
    free(ids);
    Rcycle__Empty empty = RCYCLE__EMPTY__INIT;
    if (st == RC_OK)
        rpc_reply_ok(reply, &empty.base);
    else
        rpc_reply_db_error(reply, st);
}
