/* feed.c - ListListingEvents: the listing change feed.
 *
 * A reader that remembers the last event it saw must never miss one. Ids
 * come from a sequence when a row is inserted and transactions commit in
 * their own order, so ids can show holes that fill later. The chain's seq
 * cannot: public.rcycle_audit_append (db/bootstrap.sql) keeps the chain head
 * locked until the appending transaction ends, so seq n+1 is only handed out
 * once seq n has committed or rolled back. The feed pages by seq, then, and
 * a snapshot that shows an event shows every event before it. An event
 * about no listing (a registry import) is no part of the feed. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "listings.h"
#include "listings.pb-c.h"

#define FEED_DEFAULT_LIMIT 100
#define FEED_MAX_LIMIT     1000

static const db_stmt page_events = {
    "listings_events_page",
    "SELECT seq, listing_id, action, from_status, to_status, claim_id,"
    " to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
    " FROM listings.events WHERE seq > $1 AND listing_id IS NOT NULL ORDER BY seq LIMIT $2",
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
    rc_status status = db_exec(req->db, &page_events, params, req->request_id, &page);
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
