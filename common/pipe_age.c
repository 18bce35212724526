/* pipe_age.c - retiring old idle connections of a server socket
 * (pipe_age.h). */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "log.h"
#include "pipe_age.h"
#include "worker.h"

/* The shortest and the longest wait between sweeps. */
#define PIPE_MIN_SWEEP_MS 250
#define PIPE_MAX_SWEEP_MS 1000
/* How long a connection must have been idle: a reply just handed to nng
 * may not have left the socket yet. Short, so that a connection under
 * steady load still has such a gap now and then. */
#define PIPE_QUIET_MS 20

typedef struct tracked {
    uint32_t id;
    int busy;        /* requests received and not yet answered */
    int64_t born_ms; /* monotonic */
    int64_t idle_ms; /* when it last went idle */
} tracked;

struct pipe_ager {
    int max_age_ms;
    worker *sweeper;
    pthread_mutex_t mu; /* guards everything below */
    tracked *pipes;
    size_t n, cap;
    long retired;
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Call with the ager's lock held. NULL when p is not tracked. */
static tracked *find(pipe_ager *a, uint32_t id)
{
    for (size_t i = 0; i < a->n; i++)
        if (a->pipes[i].id == id)
            return &a->pipes[i];
    return NULL;
}

/* nng calls this on its own threads as connections come and go. A
 * connection the ager cannot track (out of memory) is merely never
 * retired. */
static void on_pipe(nng_pipe p, nng_pipe_ev ev, void *arg)
{
    pipe_ager *a = arg;
    uint32_t id = (uint32_t)nng_pipe_id(p);
    pthread_mutex_lock(&a->mu);
    if (ev == NNG_PIPE_EV_ADD_POST) {
        if (a->n == a->cap) {
            size_t cap = a->cap ? a->cap * 2 : 16;
            tracked *grown = realloc(a->pipes, cap * sizeof *grown);
            if (grown != NULL) {
                a->pipes = grown;
                a->cap = cap;
            }
        }
        if (a->n < a->cap) {
            int64_t now = now_ms();
            a->pipes[a->n++] = (tracked){.id = id, .born_ms = now, .idle_ms = now};
        }
    } else if (ev == NNG_PIPE_EV_REM_POST) {
        tracked *t = find(a, id);
        if (t != NULL)
            *t = a->pipes[--a->n];
    }
    pthread_mutex_unlock(&a->mu);
}

void pipe_ager_busy(pipe_ager *a, nng_pipe p)
{
    pthread_mutex_lock(&a->mu);
    tracked *t = find(a, (uint32_t)nng_pipe_id(p));
    if (t != NULL)
        t->busy++;
    pthread_mutex_unlock(&a->mu);
}

void pipe_ager_idle(pipe_ager *a, nng_pipe p)
{
    pthread_mutex_lock(&a->mu);
    tracked *t = find(a, (uint32_t)nng_pipe_id(p));
    if (t != NULL && t->busy > 0) {
        t->busy--;
        t->idle_ms = now_ms();
    }
    pthread_mutex_unlock(&a->mu);
}

/* One sweep: closes the oldest connection that is old and idle (see
 * pipe_age.h for a request that races the close), outside the lock, since
 * closing runs on_pipe; it is marked busy while it closes, so that the next
 * sweep cannot pick it again. One per sweep: a caller's connections, made
 * together, age out together, and closing them all at once would leave it
 * with none while it redials (a TLS handshake, slower still under load);
 * one at a time, its other connections carry its calls meanwhile. */
static void sweep(void *arg)
{
    pipe_ager *a = arg;
    tracked *oldest = NULL;
    int64_t now = now_ms();
    pthread_mutex_lock(&a->mu);
    for (size_t i = 0; i < a->n; i++) {
        tracked *t = &a->pipes[i];
        if (t->busy == 0 && now - t->born_ms >= a->max_age_ms &&
            now - t->idle_ms >= PIPE_QUIET_MS && (oldest == NULL || t->born_ms < oldest->born_ms))
            oldest = t;
    }
    uint32_t doomed = 0;
    if (oldest != NULL) {
        oldest->busy = 1;
        doomed = oldest->id;
        a->retired++;
    }
    pthread_mutex_unlock(&a->mu);
    if (doomed != 0) {
        nng_pipe p = NNG_PIPE_INITIALIZER;
        p.id = doomed;
        nng_pipe_close(p);
        log_debug(NULL, "retired a connection older than %d ms", a->max_age_ms);
    }
}

rc_status pipe_ager_start(nng_socket sock, int max_age_ms, pipe_ager **out)
{
    *out = NULL;
    pipe_ager *a = calloc(1, sizeof *a);
    if (a == NULL)
        return RC_INTERNAL;
    a->max_age_ms = max_age_ms;
    pthread_mutex_init(&a->mu, NULL);
    if (nng_pipe_notify(sock, NNG_PIPE_EV_ADD_POST, on_pipe, a) != 0 ||
        nng_pipe_notify(sock, NNG_PIPE_EV_REM_POST, on_pipe, a) != 0) {
        pipe_ager_stop(a);
        return RC_INTERNAL;
    }
    if (max_age_ms > 0) {
        /* A quarter of the age between sweeps, and at most
         * PIPE_MAX_SWEEP_MS, since each sweep retires one connection: the
         * connections of many callers still turn over within about a
         * quarter of the age more than asked. */
        int period = max_age_ms / 4;
        if (period < PIPE_MIN_SWEEP_MS)
            period = PIPE_MIN_SWEEP_MS;
        if (period > PIPE_MAX_SWEEP_MS)
            period = PIPE_MAX_SWEEP_MS;
        a->sweeper = worker_start("connection ager", period, period / 4, sweep, a);
        if (a->sweeper == NULL) {
            pipe_ager_stop(a);
            return RC_INTERNAL;
        }
    }
    *out = a;
    return RC_OK;
}

int pipe_ager_open(pipe_ager *a)
{
    pthread_mutex_lock(&a->mu);
    int n = (int)a->n;
    pthread_mutex_unlock(&a->mu);
    return n;
}

long pipe_ager_retired(pipe_ager *a)
{
    pthread_mutex_lock(&a->mu);
    long n = a->retired;
    pthread_mutex_unlock(&a->mu);
    return n;
}

void pipe_ager_stop(pipe_ager *a)
{
    if (a == NULL)
        return;
    worker_stop(a->sweeper);
    pthread_mutex_destroy(&a->mu);
    free(a->pipes);
    free(a);
}
