/* expiry.c - the expiry sweeper (see expiry.h).
 *
 * One statement expires every due listing and writes its event, so a
 * listing is never expired without its event, whatever stops the process.
 * Every replica sweeps: rows another sweeper (or a request) holds locked are
 * skipped, and the next sweep takes whatever is still due. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "expiry.h"
#include "listing_row.h"
#include "log.h"

#define SWEEP_INTERVAL_MS  5000
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

struct expiry_sweeper {
    db_pool *pool;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t wake; /* signalled by expiry_stop */
    int stopping;
};

static void sweep(db_pool *pool)
{
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

static struct timespec monotonic_after(int ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

static void *sweeper_main(void *arg)
{
    expiry_sweeper *s = arg;
    pthread_mutex_lock(&s->mu);
    while (!s->stopping) {
        pthread_mutex_unlock(&s->mu);
        sweep(s->pool);
        pthread_mutex_lock(&s->mu);
        struct timespec until = monotonic_after(SWEEP_INTERVAL_MS);
        while (!s->stopping && pthread_cond_timedwait(&s->wake, &s->mu, &until) != ETIMEDOUT)
            ;
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

expiry_sweeper *expiry_start(db_pool *pool)
{
    expiry_sweeper *s = calloc(1, sizeof *s);
    if (s == NULL) {
        log_error(NULL, "expiry sweeper: out of memory");
        return NULL;
    }
    s->pool = pool;
    pthread_mutex_init(&s->mu, NULL);
    /* A monotonic clock, so that a step of the wall clock neither stalls
     * nor hurries the sweeps. */
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&s->wake, &attr);
    pthread_condattr_destroy(&attr);
    int err = pthread_create(&s->thread, NULL, sweeper_main, s);
    if (err != 0) {
        log_error(NULL, "expiry sweeper: cannot start its thread (error %d)", err);
        pthread_cond_destroy(&s->wake);
        pthread_mutex_destroy(&s->mu);
        free(s);
        return NULL;
    }
    return s;
}

void expiry_stop(expiry_sweeper *s)
{
    pthread_mutex_lock(&s->mu);
    s->stopping = 1;
    pthread_cond_signal(&s->wake);
    pthread_mutex_unlock(&s->mu);
    pthread_join(s->thread, NULL);
    pthread_cond_destroy(&s->wake);
    pthread_mutex_destroy(&s->mu);
    free(s);
}
