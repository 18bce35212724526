/* feed.c - ListListingEvents: the listing change feed.
 *
 * A reader that remembers the last id it saw must never miss an event. Ids
 * come from a sequence when a row is inserted, but transactions commit in
 * their own order: while a change holding id 7 is still running, id 8 may
 * already be committed, and a reader that took 8 would skip 7 for ever. So
 * the feed first takes a SHARE lock on listings.events, which waits for
 * every transaction that has inserted an event (they hold ROW EXCLUSIVE)
 * and keeps new ones out for the moment of the read: what it then sees has
 * no holes that could still fill. Writers wait at most that moment. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "listings.h"
#include "listings.pb-c.h"

#define FEED_DEFAULT_LIMIT 100
#define FEED_MAX_LIMIT     1000

static const db_stmt page_events = {
    "listings_events_page",
    "SELECT id, listing_id, action, from_status, to_status, claim_id,"
    " to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
    " FROM listings.events WHERE id > $1 ORDER BY id LIMIT $2",
    2,
};

enum event_column {
    COL_ID,
    COL_LISTING_ID,
    COL_ACTION,
    COL_FROM_STATUS,
    COL_TO_STATUS,
    COL_CLAIM_ID,
    COL_AT,
};

/* A db_row_fill. */
static void event_from_row(const PGresult *res, int row, void *item)
{
    Rcycle__Listings__ListingEvent *out = item;
    rcycle__listings__listing_event__init(out);
    out->id = db_int64(res, row, COL_ID);
    out->listing_id = db_int64(res, row, COL_LISTING_ID);
    out->action = db_text(res, row, COL_ACTION);
    out->from_status = db_text(res, row, COL_FROM_STATUS);
    out->to_status = db_text(res, row, COL_TO_STATUS);
    if (!PQgetisnull(res, row, COL_CLAIM_ID)) {
        out->has_claim_id = 1;
        out->claim_id = db_int64(res, row, COL_CLAIM_ID);
    }
    out->at = db_text(res, row, COL_AT);
}

/* Reads the page under the SHARE lock. The lock waits at most a second, so
 * that a long transaction does not hold every writer queued behind it. */
static rc_status read_page(const rpc_request *req, const char *const *params, PGresult **page)
{
    rc_status status = db_command(req->db, "BEGIN", req->request_id);
    if (status == RC_OK)
        status = db_command(req->db, "SET LOCAL lock_timeout = '1s'", req->request_id);
    if (status == RC_OK) {
        status = db_command(req->db, "LOCK TABLE listings.events IN SHARE MODE", req->request_id);
        if (strcmp(db_last_sqlstate(req->db), "55P03") == 0) /* lock_not_available */
            status = RC_UNAVAILABLE;                         /* the reader tries again */
    }
    if (status == RC_OK)
        status = db_exec(req->db, &page_events, params, req->request_id, page);
    rc_status end = db_command(req->db, status == RC_OK ? "COMMIT" : "ROLLBACK", req->request_id);
    return status != RC_OK ? status : end;
}

static void reply_events(const PGresult *page, rpc_reply *reply)
{
    Rcycle__Listings__ListListingEventsReply out =
        RCYCLE__LISTINGS__LIST_LISTING_EVENTS_REPLY__INIT;
    rpc_reply_rows(reply, &out.base, page, sizeof(Rcycle__Listings__ListingEvent), event_from_row);
}

static void list_and_reply(const rpc_request *req, int64_t after_id, int limit, rpc_reply *reply)
{
    char after_text[DB_INT64_LEN], limit_text[DB_INT64_LEN];
    db_param_int64(after_text, after_id);
    db_param_int64(limit_text, limit);
    const char *params[] = {after_text, limit_text};
    PGresult *page = NULL;
    rc_status status = read_page(req, params, &page);
    if (status == RC_OK)
        reply_events(page, reply);
    else
        rpc_reply_db_error(reply, status);
    PQclear(page);
}

void listings_list_listing_events(const rpc_request *req, rpc_reply *reply)
{
    Rcycle__Listings__ListListingEventsRequest *in =
        (Rcycle__Listings__ListListingEventsRequest *)req->input;
    int limit = in->has_limit ? in->limit : FEED_DEFAULT_LIMIT;
    if (in->after_id < 0)
        rpc_reply_error(reply, RC_INVALID_ARGUMENT, "after_id must not be negative");
    else if (limit < 1 || limit > FEED_MAX_LIMIT)
        rpc_reply_error(reply, RC_INVALID_ARGUMENT, "limit must be between 1 and %d",
                        FEED_MAX_LIMIT);
    else
        list_and_reply(req, in->after_id, limit, reply);
}
