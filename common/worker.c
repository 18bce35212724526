/* worker.c - periodic background workers (worker.h). */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include <sodium.h>

#include "clock.h"
#include "log.h"
#include "trace.h"
#include "worker.h"

struct worker {
    const char *name;
    int period_ms;
    int jitter_ms;
    worker_fn fn;
    void *arg;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t wake; /* signalled by worker_stop; waits on CLOCK_MONOTONIC */
    int stopping;        /* guarded by mu */
};

/* Waits one period or until stopped; returns 1 when stopping. */
static int nap(worker *w)
{
    int ms = w->period_ms;
    if (w->jitter_ms > 0)
        ms += (int)randombytes_uniform((uint32_t)w->jitter_ms + 1);
    struct timespec until = clock_after(CLOCK_MONOTONIC, ms);
    pthread_mutex_lock(&w->mu);
    while (!w->stopping && pthread_cond_timedwait(&w->wake, &w->mu, &until) != ETIMEDOUT)
        ;
    int stopping = w->stopping;
    pthread_mutex_unlock(&w->mu);
    return stopping;
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    while (!nap(w)) {
        /* Each run is a trace of its own, so its log lines and the RPCs it
         * makes can be followed like a request's. */
        trace_ctx trace;
        trace_begin(&trace, NULL, NULL);
        trace_set(&trace);
        w->fn(w->arg);
        trace_set(NULL);
    }
    return NULL;
}

worker *worker_start(const char *name, int period_ms, int jitter_ms, worker_fn fn, void *arg)
{
    worker *w = calloc(1, sizeof *w);
    if (w == NULL) {
        log_error(NULL, "%s: out of memory", name);
        return NULL;
    }
    *w = (worker){
        .name = name, .period_ms = period_ms, .jitter_ms = jitter_ms, .fn = fn, .arg = arg};
    pthread_mutex_init(&w->mu, NULL);
    clock_cond_init_monotonic(&w->wake);
    int err = pthread_create(&w->thread, NULL, worker_main, w);
    if (err != 0) {
        log_error(NULL, "%s: cannot start its thread (error %d)", name, err);
        pthread_cond_destroy(&w->wake);
        pthread_mutex_destroy(&w->mu);
        free(w);
        return NULL;
    }
    return w;
}

void worker_stop(worker *w)
{
    if (w == NULL)
        return;
    pthread_mutex_lock(&w->mu);
    w->stopping = 1;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    pthread_cond_destroy(&w->wake);
    pthread_mutex_destroy(&w->mu);
    free(w);
}
