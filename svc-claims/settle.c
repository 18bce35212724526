/* settle.c - the settler: the background thread that keeps claims and
 * listings consistent across crashes.
 *
 * THE INVARIANT (docs/API.md): once settled, a listing is 'claimed' exactly when
 * it has one open claim (pending_owner or pending_security), and that claim
 * is the one svc-listings recorded as its holder (listings.claim_id).
 *
 * How it is kept. svc-claims drives every change; svc-listings' three steps
 * (Reserve, Release, Transfer) are idempotent per claim id. Before calling
 * one, svc-claims commits the claim's own change together with a note of the
 * listing step still owed (claims.listing_sync = reserve | release |
 * transfer). After svc-listings confirms, the note is cleared. So after a
 * crash of either service at any point, every claim whose listing may
 * disagree with it carries a note, and this thread, running every
 * SETTLE_PERIOD_MS, repeats the owed step until it is confirmed:
 *   - reserve (claim 'reserving', not open): Reserve again. Held for this
 *     claim -> the claim opens (pending_owner). Refused -> Release, which
 *     also fences the claim id in svc-listings so that a reservation still
 *     in flight can never land later, then the claim is 'abandoned'.
 *   - release (claim denied or withdrawn, so closed): Release again; it only
 *     frees the listing if this claim still holds it.
 *   - transfer (claim still pending_security): Transfer again. Done -> the
 *     claim is approved; refused (the listing was withdrawn or expired
 *     meanwhile) -> the claim is cancelled.
 *   - receipt (approved claim, received; handover.c): Receive again until
 *     svc-listings confirms; it only counts for the leaderboard.
 * A step is retried only once its note is SETTLE_AFTER_MS old, so the
 * request that wrote the note normally finishes it itself.
 *
 * Listings that svc-listings closes on its own (withdrawn by their owner,
 * expired by its sweeper) are learnt from its change feed
 * (ListListingEvents), followed from a cursor kept in claims.feed_cursor and
 * advanced in the same transaction as the cancellations it causes, so no
 * event is lost or applied twice. */
#include <stdio.h>
#include <string.h>

#include "claims.h"
#include "db.h"
#include "log.h"

#define SETTLE_AFTER_MS 5000
#define SETTLE_BATCH    100
#define FEED_BATCH      200

static const db_stmt unsettled = {
    "claims_unsettled",
    "SELECT id, listing_id, listing_sync, requesting_department FROM claims.claims "
    "WHERE listing_sync <> 'none' AND updated_at < now() - make_interval(secs => $1::int / 1000.0) "
    "ORDER BY updated_at LIMIT $2",
    2,
};

/* One settler at a time across every replica: the steps of one claim are
 * several RPCs and statements apart, and two settlers interleaving them
 * could confirm and release the same reservation. A session lock, so a
 * replica that dies frees it with its connection. */
static const db_stmt try_settler_lock = {
    "claims_settler_try_lock",
    "SELECT pg_try_advisory_lock(hashtext('rcycle.claims.settler'))",
    0,
};

static const db_stmt settler_unlock = {
    "claims_settler_unlock",
    "SELECT pg_advisory_unlock(hashtext('rcycle.claims.settler'))",
    0,
};

static const db_stmt backlog = {
    "claims_settler_backlog",
    "SELECT count(*), coalesce(floor(extract(epoch FROM now() - min(updated_at)) * 1000), "
    "0)::bigint "
    "FROM claims.claims WHERE listing_sync <> 'none'",
    0,
};

static const db_stmt read_cursor = {
    "claims_feed_cursor",
    "SELECT last_event_id FROM claims.feed_cursor WHERE feed = 'listings' FOR UPDATE",
    0,
};

static const db_stmt advance_cursor = {
    "claims_feed_advance",
    "UPDATE claims.feed_cursor SET last_event_id = $1 WHERE feed = 'listings'",
    1,
};

/* Closes every claim still in progress on a listing that svc-listings
 * closed: open claims are cancelled, reservations abandoned. */
static const db_stmt close_for_listing = {
    "claims_close_for_listing",
    "WITH old AS (SELECT id, status FROM claims.claims WHERE listing_id = $1 "
    "AND status IN ('reserving', 'pending_owner', 'pending_security') FOR UPDATE), "
    "c AS (UPDATE claims.claims AS cl SET status = CASE WHEN old.status = 'reserving' "
    "THEN 'abandoned' ELSE 'cancelled' END, listing_sync = 'none', updated_at = now() "
    "FROM old WHERE cl.id = old.id RETURNING cl.id, cl.status, old.status AS from_status) "
    "INSERT INTO claims.events (claim_id, action, from_status, to_status, note) "
    "SELECT id, status, from_status, status, $2 FROM c",
    2,
};

/* One owed step; the strings point into the result it was read from, which
 * outlives the step (a department may be 200 characters of up to 4 bytes
 * each, so it is never copied into a buffer of guessed size). */
typedef struct owed_step {
    int64_t claim_id;
    int64_t listing_id;
    const char *sync;
    const char *department;
} owed_step;

/* Each settle_* makes one owed step and answers RC_OK when it is settled or
 * decided, else the code that leaves it owed (settle_owed_steps logs it). */
static rc_status settle_reserve(claims_service *svc, db_conn *db, const owed_step *s)
{
    rpc_reply r = {0};
    listings_reserve(svc, NULL, s->listing_id, s->claim_id, s->department, NULL, &r);
    rc_status left = RC_OK;
    if (r.code == RC_OK) {
        PGresult *res = NULL;
        claim_confirm_reserved(db, NULL, s->claim_id, "settled after an interruption", &res);
        PQclear(res);
        log_info(NULL, "claim %lld: reservation confirmed by the settler", (long long)s->claim_id);
    } else if (r.code == RC_FAILED_PRECONDITION || r.code == RC_NOT_FOUND ||
               r.code == RC_PERMISSION_DENIED) {
        rpc_reply fenced = {0};
        listings_release(svc, NULL, s->listing_id, s->claim_id, &fenced);
        if (fenced.code == RC_OK || fenced.code == RC_NOT_FOUND) {
            claim_abandon(db, NULL, s->claim_id, "listing not available");
            log_info(NULL, "claim %lld abandoned by the settler", (long long)s->claim_id);
        } else {
            left = fenced.code;
        }
        rpc_reply_clear(&fenced);
    } else {
        left = r.code;
    }
    rpc_reply_clear(&r);
    return left;
}

static rc_status settle_release(claims_service *svc, db_conn *db, const owed_step *s)
{
    rpc_reply r = {0};
    listings_release(svc, NULL, s->listing_id, s->claim_id, &r);
    rc_status left = r.code;
    if (r.code == RC_OK || r.code == RC_NOT_FOUND) {
        claim_release_confirmed(db, NULL, s->claim_id);
        log_info(NULL, "claim %lld: release confirmed by the settler", (long long)s->claim_id);
        left = RC_OK;
    }
    rpc_reply_clear(&r);
    return left;
}

static rc_status settle_transfer(claims_service *svc, db_conn *db, const owed_step *s)
{
    rpc_reply r = {0};
    listings_transfer(svc, NULL, s->listing_id, s->claim_id, &r);
    PGresult *res = NULL;
    rc_status left = RC_OK;
    if (r.code == RC_OK) {
        claim_finish_transfer(db, NULL, s->claim_id, "completed after an interruption", &res);
        log_info(NULL, "claim %lld: approval completed by the settler", (long long)s->claim_id);
    } else if (r.code == RC_FAILED_PRECONDITION || r.code == RC_NOT_FOUND) {
        claim_cancel(db, NULL, s->claim_id, "listing no longer available", &res);
        log_info(NULL, "claim %lld cancelled by the settler", (long long)s->claim_id);
    } else {
        left = r.code;
    }
    PQclear(res);
    rpc_reply_clear(&r);
    return left;
}

static rc_status settle_receipt(claims_service *svc, db_conn *db, const owed_step *s)
{
    rpc_reply r = {0};
    listings_receive(svc, NULL, s->listing_id, s->claim_id, &r);
    rc_status left = r.code;
    if (r.code == RC_OK || r.code == RC_NOT_FOUND || r.code == RC_FAILED_PRECONDITION) {
        claim_receipt_confirmed(db, NULL, s->claim_id);
        log_info(NULL, "claim %lld: receipt told by the settler (%s)", (long long)s->claim_id,
                 rc_status_name(r.code));
        left = RC_OK;
    }
    rpc_reply_clear(&r);
    return left;
}

/* Repeats every owed listing step that is old enough. */
static void settle_owed_steps(claims_service *svc, db_conn *db)
{
    char after[DB_INT64_LEN], limit[DB_INT64_LEN];
    const char *params[] = {db_param_int64(after, SETTLE_AFTER_MS),
                            db_param_int64(limit, SETTLE_BATCH)};
    PGresult *res = NULL;
    if (db_exec(db, &unsettled, params, NULL, &res) != RC_OK)
        return;
    /* One line a round for the steps still owed after it, not one a step:
     * while svc-listings is away every step of the batch fails. */
    int owed = 0;
    int64_t first_claim = 0;
    rc_status first_code = RC_OK;
    for (int i = 0; i < PQntuples(res); i++) {
        owed_step step = {
            .claim_id = db_int64(res, i, 0),
            .listing_id = db_int64(res, i, 1),
            .sync = db_text(res, i, 2),
            .department = db_text(res, i, 3),
        };
        rc_status left;
        if (strcmp(step.sync, "reserve") == 0)
            left = settle_reserve(svc, db, &step);
        else if (strcmp(step.sync, "release") == 0)
            left = settle_release(svc, db, &step);
        else if (strcmp(step.sync, "receipt") == 0)
            left = settle_receipt(svc, db, &step);
        else
            left = settle_transfer(svc, db, &step);
        if (left != RC_OK && owed++ == 0) {
            first_claim = step.claim_id;
            first_code = left;
        }
    }
    if (owed > 0)
        log_warn(NULL, "settler: %d of %d owed steps still owed after this round (claim %lld: %s)",
                 owed, PQntuples(res), (long long)first_claim, rc_status_name(first_code));
    PQclear(res);
}

static int listing_closed(const Rcycle__Listings__ListingEvent *e)
{
    return e->to_status != NULL &&
           (strcmp(e->to_status, "withdrawn") == 0 || strcmp(e->to_status, "expired") == 0);
}

/* Applies one batch of feed events in one transaction with the cursor. */
static rc_status apply_feed_batch(db_conn *db, const Rcycle__Listings__ListListingEventsReply *r)
{
    rc_status st = RC_OK;
    for (size_t i = 0; st == RC_OK && i < r->n_events; i++) {
        const Rcycle__Listings__ListingEvent *e = r->events[i];
        if (!listing_closed(e))
            continue;
        char listing[DB_INT64_LEN], note[64];
        snprintf(note, sizeof note, "listing %s", e->to_status);
        const char *params[] = {db_param_int64(listing, e->listing_id), note};
        PGresult *res = NULL;
        st = db_exec(db, &close_for_listing, params, NULL, &res);
        PQclear(res);
    }
    if (st == RC_OK && r->n_events > 0) {
        char last[DB_INT64_LEN];
        const char *params[] = {db_param_int64(last, r->events[r->n_events - 1]->id)};
        PGresult *res = NULL;
        st = db_exec(db, &advance_cursor, params, NULL, &res);
        PQclear(res);
    }
    return st;
}

/* Reads the feed from the cursor and applies it; the cursor row stays
 * locked for the whole batch, so two replicas never apply one batch. */
static void follow_listing_feed(claims_service *svc, db_conn *db)
{
    PGresult *res = NULL;
    if (db_command(db, "BEGIN", NULL) != RC_OK)
        return;
    if (db_exec(db, &read_cursor, NULL, NULL, &res) != RC_OK || PQntuples(res) != 1) {
        PQclear(res);
        db_command(db, "ROLLBACK", NULL);
        return;
    }
    Rcycle__Listings__ListListingEventsRequest req =
        RCYCLE__LISTINGS__LIST_LISTING_EVENTS_REQUEST__INIT;
    req.after_id = db_int64(res, 0, 0);
    req.has_limit = 1;
    req.limit = FEED_BATCH;
    PQclear(res);
    rpc_reply got = {0};
    listings_call(svc, NULL, RPC_LISTINGS_LIST_LISTING_EVENTS, &req.base, NULL, &got);
    Rcycle__Listings__ListListingEventsReply *r =
        got.code == RC_OK ? rcycle__listings__list_listing_events_reply__unpack(
                                NULL, got.payload_len, got.payload)
                          : NULL;
    rpc_reply_clear(&got);
    if (r != NULL && apply_feed_batch(db, r) == RC_OK)
        db_command(db, "COMMIT", NULL);
    else
        db_command(db, "ROLLBACK", NULL);
    if (r != NULL)
        rcycle__listings__list_listing_events_reply__free_unpacked(r, NULL);
}

/* Runs a one-boolean statement; 1 when it answered true. */
static int run_flag(db_conn *db, const db_stmt *stmt)
{
    PGresult *res = NULL;
    int yes = db_exec(db, stmt, NULL, NULL, &res) == RC_OK && db_bool(res, 0, 0);
    PQclear(res);
    return yes;
}

/* Every replica measures, so the gauge does not depend on who holds the
 * lock; the partial index claims_unsettled makes it cheap. */
static void measure_backlog(claims_service *svc, db_conn *db)
{
    PGresult *res = NULL;
    if (db_exec(db, &backlog, NULL, NULL, &res) == RC_OK && PQntuples(res) == 1) {
        atomic_store(&svc->owed, db_int64(res, 0, 0));
        atomic_store(&svc->oldest_owed_ms, db_int64(res, 0, 1));
    }
    PQclear(res);
}

void claims_settle(void *arg)
{
    claims_service *svc = arg;
    db_conn *db = db_acquire(svc->pool, SETTLE_PERIOD_MS);
    if (db == NULL)
        return;
    measure_backlog(svc, db);
    if (run_flag(db, &try_settler_lock)) {
        follow_listing_feed(svc, db);
        settle_owed_steps(svc, db);
        run_flag(db, &settler_unlock);
    }
    db_release(svc->pool, db);
}
