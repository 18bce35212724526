/* watches.c - CreateWatch, ListWatches, DeleteWatch (the caller's saved
 * filters) and ListWatchMatches, the feed svc-users follows to send
 * watch_match notifications.
 *
 * Matching is one statement: the listing events of a page (paged by the
 * chain's seq, like the listing feed, feed.c) that made a listing available
 * (posted, or back from a claim), each listing joined by its primary key to
 * every watch it matches by LISTING_MATCHES, the very condition the listing
 * filters use, with the watch's columns as its operands; a watch of the
 * listing's own department does not match. */
#include <stdlib.h>
#include <string.h>

#include "listings.h"
#include "listings.pb-c.h"
#include "text.h"

#define WATCHES_MAX      100
#define SEARCH_MAX_CHARS 200
#define DEPT_MAX_CHARS   200
#define MATCH_DEFAULT    100
#define MATCH_MAX        1000
#define WATCH_COLUMNS                                                                              \
    "id, want_category, search, want_department, "                                                 \
    "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

static const db_stmt create_watch = {
    "listings_watch_create",
    "INSERT INTO listings.watches (user_id, owner_department, want_category, search, pattern, "
    "want_department) SELECT $1, $2, $3, $4, $5, $6 "
    "WHERE (SELECT count(*) FROM listings.watches WHERE user_id = $1) < $7 "
    "RETURNING " WATCH_COLUMNS,
    7,
};

static const db_stmt list_watches = {
    "listings_watch_list",
    "SELECT " WATCH_COLUMNS " FROM listings.watches WHERE user_id = $1 ORDER BY id DESC",
    1,
};

static const db_stmt delete_watch = {
    "listings_watch_delete",
    "DELETE FROM listings.watches WHERE id = $1 AND user_id = $2",
    2,
};

/* One snapshot: the matches, the page's last seq and the chain head come
 * from one statement, with one row of NULL matches when nothing matched. */
static const db_stmt watch_matches = {
    "listings_watch_matches",
    "WITH ev AS (SELECT seq, listing_id, from_status, to_status FROM listings.events "
    "WHERE seq > $1 AND listing_id IS NOT NULL ORDER BY seq LIMIT $2), "
    "m AS (SELECT ev.seq, l.id, l.title, l.department, w.user_id "
    "FROM ev JOIN listings.listings l ON l.id = ev.listing_id "
    "JOIN listings.watches w ON w.owner_department <> l.department AND " LISTING_MATCHES(
        "w.want_category", "w.want_department",
        "w.pattern") " "
                     "WHERE ev.to_status = 'available' AND ev.from_status IS DISTINCT FROM "
                     "'available' "
                     "GROUP BY ev.seq, l.id, l.title, l.department, w.user_id) "
                     "SELECT m.seq, m.id, m.title, m.department, m.user_id, "
                     "coalesce((SELECT max(seq) FROM ev), $1), coalesce((SELECT seq FROM "
                     "listings.audit_head), 0) "
                     "FROM (SELECT 1) AS one LEFT JOIN m ON true ORDER BY m.seq, m.user_id",
    2,
};

/* A db_row_fill. */
static void watch_from_row(const PGresult *res, int row, void *item)
{
    Rcycle__Listings__Watch *w = item;
    rcycle__listings__watch__init(w);
    w->id = db_int64(res, row, 0);
    w->category = db_text(res, row, 1);
    w->search = db_text(res, row, 2);
    w->department = db_text(res, row, 3);
    w->created_at = db_text(res, row, 4);
}

static int signed_in(const rpc_request *req, rpc_reply *reply)
{
    const Rcycle__Caller *c = req->caller;
    if (c->has_user_id && c->department != NULL && c->department[0] != '\0')
        return 1;
    rpc_reply_error(reply, RC_PERMISSION_DENIED, "a signed-in member of a department is required");
    return 0;
}

static const char *given(const char *s)
{
    return s != NULL && s[0] != '\0' ? s : NULL;
}

/* 0 when the filter is one ListListings would take, with at least one part. */
static int watch_ok(const char *category, const char *search, const char *department,
                    rpc_reply *reply)
{
    if (category == NULL && search == NULL && department == NULL) {
        rpc_reply_error(reply, RC_INVALID_ARGUMENT,
                        "a watch needs at least one of category, search and department");
        return -1;
    }
    if (category != NULL && !listing_category_valid(category)) {
        rpc_reply_error(reply, RC_INVALID_ARGUMENT,
                        "category must be Server, Networking or Storage");
        return -1;
    }
    if ((search && !text_field_ok(reply, "search", search, 1, SEARCH_MAX_CHARS)) ||
        (department && !text_field_ok(reply, "department", department, 1, DEPT_MAX_CHARS)))
        return -1;
    return 0;
}

static void reply_created(rpc_reply *reply, rc_status st, const PGresult *res)
{
    if (st != RC_OK) {
        rpc_reply_db_error(reply, st);
    } else if (PQntuples(res) == 0) {
        rpc_reply_error(reply, RC_FAILED_PRECONDITION, "at most %d watches each", WATCHES_MAX);
    } else {
        Rcycle__Listings__Watch w;
        watch_from_row(res, 0, &w);
        rpc_reply_ok(reply, &w.base);
    }
}

void listings_create_watch(const rpc_request *req, rpc_reply *reply)
{
    const Rcycle__Listings__CreateWatchRequest *in =
        (const Rcycle__Listings__CreateWatchRequest *)req->input;
    const char *category = given(in->category), *search = given(in->search),
               *department = given(in->department);
    if (category != NULL && strcmp(category, "all") == 0)
        category = NULL;
    if (!signed_in(req, reply) || watch_ok(category, search, department, reply) != 0)
        return;
    char *pattern = search ? listing_like_literal(search) : NULL;
    if (search != NULL && pattern == NULL) {
        rpc_reply_error(reply, RC_INTERNAL, "internal error");
        return;
    }
    char user[DB_INT64_LEN], max[DB_INT64_LEN];
    const char *params[] = {db_param_int64(user, req->caller->user_id),
                            req->caller->department,
                            category,
                            search,
                            pattern,
                            department,
                            db_param_int64(max, WATCHES_MAX)};
    PGresult *res = NULL;
    rc_status st = db_exec(req->db, &create_watch, params, req->request_id, &res);
    reply_created(reply, st, res);
    PQclear(res);
    free(pattern);
}

void listings_list_watches(const rpc_request *req, rpc_reply *reply)
{
    if (!signed_in(req, reply))
        return;
    char user[DB_INT64_LEN];
    const char *params[] = {db_param_int64(user, req->caller->user_id)};
    Rcycle__Listings__ListWatchesReply out = RCYCLE__LISTINGS__LIST_WATCHES_REPLY__INIT;
    rpc_reply_query(req, &list_watches, params, &out.base, sizeof(Rcycle__Listings__Watch),
                    watch_from_row, reply);
}

void listings_delete_watch(const rpc_request *req, rpc_reply *reply)
{
    const Rcycle__Listings__WatchIdRequest *in =
        (const Rcycle__Listings__WatchIdRequest *)req->input;
    if (!signed_in(req, reply))
        return;
    char id[DB_INT64_LEN], user[DB_INT64_LEN];
    const char *params[] = {db_param_int64(id, in->id), db_param_int64(user, req->caller->user_id)};
    PGresult *res = NULL;
    rc_status st = db_exec(req->db, &delete_watch, params, req->request_id, &res);
    Rcycle__Empty empty = RCYCLE__EMPTY__INIT;
    if (st != RC_OK)
        rpc_reply_db_error(reply, st);
    else if (strcmp(PQcmdTuples(res), "1") != 0)
        rpc_reply_error(reply, RC_NOT_FOUND, "watch not found");
    else
        rpc_reply_ok(reply, &empty.base);
    PQclear(res);
}

/* A db_row_fill. */
static void match_from_row(const PGresult *res, int row, void *item)
{
    Rcycle__Listings__WatchMatch *m = item;
    rcycle__listings__watch_match__init(m);
    m->seq = db_int64(res, row, 0);
    m->listing_id = db_int64(res, row, 1);
    m->title = db_text(res, row, 2);
    m->department = db_text(res, row, 3);
    m->user_id = db_int64(res, row, 4);
}

void listings_list_watch_matches(const rpc_request *req, rpc_reply *reply)
{
    const Rcycle__Listings__WatchMatchesRequest *in =
        (const Rcycle__Listings__WatchMatchesRequest *)req->input;
    int limit = in->has_limit ? in->limit : MATCH_DEFAULT;
    if (in->after_seq < 0 || limit < 1 || limit > MATCH_MAX) {
        rpc_reply_error(reply, RC_INVALID_ARGUMENT,
                        "after_seq must not be negative and limit between 1 and %d", MATCH_MAX);
        return;
    }
    char after[DB_INT64_LEN], lim[DB_INT64_LEN];
    const char *params[] = {db_param_int64(after, in->after_seq), db_param_int64(lim, limit)};
    PGresult *res = NULL;
    rc_status st = db_exec(req->db, &watch_matches, params, req->request_id, &res);
    Rcycle__Listings__WatchMatchesReply out = RCYCLE__LISTINGS__WATCH_MATCHES_REPLY__INIT;
    if (st != RC_OK) {
        rpc_reply_db_error(reply, st);
    } else {
        out.last_seq = db_int64(res, 0, 5);
        out.head_seq = db_int64(res, 0, 6);
        if (PQgetisnull(res, 0, 0))
            rpc_reply_ok(reply, &out.base);
        else
            rpc_reply_rows(reply, &out.base, res, sizeof(Rcycle__Listings__WatchMatch),
                           match_from_row);
    }
    PQclear(res);
}
