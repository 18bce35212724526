/* expiry.c - the expiry sweep and ListExpiringListings (listings.h).
 *
 * One statement expires every due listing and writes its event, so a
 * listing is never expired without its event, whatever stops the process.
 * Every replica sweeps: rows another sweeper (or a request) holds locked are
 * skipped, and the next sweep takes whatever is still due. */
#include <stdlib.h>

#include "listings.h"
#include "log.h"

#define ACQUIRE_TIMEOUT_MS 1000
/* svc-users asks every few seconds; the oldest dates first, a page at most. */
#define EXPIRING_MAX 1000

static const db_stmt expire_due = {
    "listings_expire_due",
    "WITH due AS ("
    " SELECT id, status, claim_id FROM listings.listings"
    " WHERE status IN ('available', 'claimed') AND expiration_date < " UTC_TODAY
    " FOR UPDATE SKIP LOCKED), "
    "expired AS ("
    " UPDATE listings.listings AS l SET status = 'expired', claim_id = NULL, updated_at = now()"
    " FROM due WHERE l.id = due.id"
    " RETURNING l.id, due.status AS from_status, due.claim_id) "
    "INSERT INTO listings.events (listing_id, action, from_status, to_status, claim_id)"
    " SELECT id, 'expired', from_status, 'expired', claim_id FROM expired ORDER BY id",
    0,
};

/* docs/API.md: listing_expiring, 3 days before expiry. */
static const db_stmt expiring = {
    "listings_expiring",
    "SELECT id, title, department, to_char(expiration_date, 'YYYY-MM-DD') FROM listings.listings"
    " WHERE status IN ('available', 'claimed') AND expiration_date >= " UTC_TODAY
    " AND expiration_date <= " UTC_TODAY " + 3 ORDER BY expiration_date, id LIMIT $1",
    1,
};

/* A db_row_fill. */
static void expiring_from_row(const PGresult *res, int row, void *item)
{
    Rcycle__Listings__ExpiringListing *out = item;
    rcycle__listings__expiring_listing__init(out);
    out->listing_id = db_int64(res, row, 0);
    out->title = db_text(res, row, 1);
    out->department = db_text(res, row, 2);
    out->expiration_date = db_text(res, row, 3);
}

void listings_list_expiring(const rpc_request *req, rpc_reply *reply)
{
    char lim[DB_INT64_LEN];
    const char *params[] = {db_param_int64(lim, EXPIRING_MAX)};
    Rcycle__Listings__ExpiringListingsReply out = RCYCLE__LISTINGS__EXPIRING_LISTINGS_REPLY__INIT;
    rpc_reply_query(req, &expiring, params, &out.base, sizeof(Rcycle__Listings__ExpiringListing),
                    expiring_from_row, reply);
}

void listings_expiry_sweep(void *arg)
{
    db_pool *pool = arg;
    db_conn *db = db_acquire(pool, ACQUIRE_TIMEOUT_MS);
    if (db == NULL) {
        log_warn(NULL, "expiry sweep skipped: no database connection");
        return;
    }
    PGresult *res;
    if (db_exec(db, &expire_due, NULL, NULL, &res) == RC_OK) {
        /* One event per expired listing: the INSERT's count. */
        long expired = strtol(PQcmdTuples(res), NULL, 10);
        if (expired > 0)
            log_info(NULL, "expiry sweep: %ld listing(s) expired", expired);
        PQclear(res);
    }
    db_release(pool, db);
}
