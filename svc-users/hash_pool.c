/* hash_pool.c - the one gate every argon2id computation of svc-users passes
 * while it serves (users.h: hash_pool).
 *
 * The invariant it keeps, and why Authenticate never waits behind a hash:
 * - at most `concurrency` argon2id computations run at once, so hashing
 *   never holds more than concurrency x crypto_pwhash_MEMLIMIT_INTERACTIVE
 *   (64 MiB each) however many requests come;
 * - at most `concurrency + queue` RPC workers are inside a request that
 *   hashes (Login, CreateUser) at any moment, counting the whole request
 *   (its database work and its wait for a turn), because a request is
 *   admitted before it does anything (hash_pool_enter) and one past the
 *   limit is refused at once;
 * - users_init refuses a configuration in which that sum leaves fewer than
 *   HASH_FREE_WORKERS of the RPC workers (users.h), so the other RPCs
 *   always have workers that are not waiting on a hash.
 * The workers do the hashing themselves on their own thread: a hand-off to
 * threads of the pool's own would bound nothing more, since the worker has
 * to wait for the answer either way. A turn is waited for until the
 * request's deadline at most. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "metrics.h"
#include "users.h"

struct hash_pool {
    pthread_mutex_t mu;
    pthread_cond_t turn; /* signalled when a computation ends; waits on CLOCK_REALTIME */
    int max_hashing;
    int max_admitted;
    int hashing;  /* guarded by mu */
    int admitted; /* guarded by mu */
};

int password_hash(char out[crypto_pwhash_STRBYTES], const char *password, size_t len)
{
    return crypto_pwhash_str(out, password, len, crypto_pwhash_OPSLIMIT_INTERACTIVE,
                             crypto_pwhash_MEMLIMIT_INTERACTIVE);
}

static double count_of(hash_pool *p, const int *field)
{
    pthread_mutex_lock(&p->mu);
    int n = *field;
    pthread_mutex_unlock(&p->mu);
    return n;
}

int hash_pool_hashing(hash_pool *p)
{
    return (int)count_of(p, &p->hashing);
}

static double hashing_now(void *arg)
{
    return hash_pool_hashing(arg);
}

static double admitted_now(void *arg)
{
    hash_pool *p = arg;
    return count_of(p, &p->admitted);
}

hash_pool *hash_pool_create(int concurrency, int queue)
{
    hash_pool *p = calloc(1, sizeof *p);
    if (p == NULL)
        return NULL;
    p->max_hashing = concurrency;
    p->max_admitted = concurrency + queue;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->turn, NULL);
    metrics_gauge("rcycle_password_hash_requests",
                  "Requests that hash a password, by state (admitted includes hashing)", "state",
                  "hashing", hashing_now, p);
    metrics_gauge("rcycle_password_hash_requests",
                  "Requests that hash a password, by state (admitted includes hashing)", "state",
                  "admitted", admitted_now, p);
    return p;
}

void hash_pool_destroy(hash_pool *p)
{
    if (p == NULL)
        return;
    pthread_cond_destroy(&p->turn);
    pthread_mutex_destroy(&p->mu);
    free(p);
}

int hash_pool_enter(hash_pool *p)
{
    pthread_mutex_lock(&p->mu);
    int ok = p->admitted < p->max_admitted;
    if (ok)
        p->admitted++;
    pthread_mutex_unlock(&p->mu);
    return ok;
}

void hash_pool_leave(hash_pool *p)
{
    pthread_mutex_lock(&p->mu);
    p->admitted--;
    pthread_mutex_unlock(&p->mu);
}

/* Waits for a free computation slot until deadline_ms (epoch ms, 0 = none). */
static rc_status take_turn(hash_pool *p, int64_t deadline_ms)
{
    struct timespec until = {.tv_sec = deadline_ms / 1000,
                             .tv_nsec = (long)(deadline_ms % 1000) * 1000000L};
    rc_status st = RC_OK;
    pthread_mutex_lock(&p->mu);
    while (p->hashing >= p->max_hashing && st == RC_OK) {
        int rv = deadline_ms > 0 ? pthread_cond_timedwait(&p->turn, &p->mu, &until)
                                 : pthread_cond_wait(&p->turn, &p->mu);
        if (rv == ETIMEDOUT)
            st = RC_DEADLINE_EXCEEDED;
    }
    if (st == RC_OK)
        p->hashing++;
    pthread_mutex_unlock(&p->mu);
    return st;
}

static void end_turn(hash_pool *p)
{
    pthread_mutex_lock(&p->mu);
    p->hashing--;
    pthread_cond_signal(&p->turn);
    pthread_mutex_unlock(&p->mu);
}

rc_status hash_pool_verify(hash_pool *p, int64_t deadline_ms, const char *hash,
                           const char *password, int *matches)
{
    rc_status st = take_turn(p, deadline_ms);
    if (st != RC_OK)
        return st;
    *matches = crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
    end_turn(p);
    return RC_OK;
}

rc_status hash_pool_hash(hash_pool *p, int64_t deadline_ms, char out[crypto_pwhash_STRBYTES],
                         const char *password)
{
    rc_status st = take_turn(p, deadline_ms);
    if (st != RC_OK)
        return st;
    int rv = password_hash(out, password, strlen(password));
    end_turn(p);
    return rv == 0 ? RC_OK : RC_INTERNAL;
}
