/* expiry.c - the expiry sweep (listings.h).
 *
 * One statement expires every due listing and writes its event, so a
 * listing is never expired without its event, whatever stops the process.
 * Every replica sweeps: rows another sweeper (or a request) holds locked are
 * skipped, and the next sweep takes whatever is still due. */
#include <stdlib.h>

#include "listings.h"
#include "log.h"

#define ACQUIRE_TIMEOUT_MS 1000

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
