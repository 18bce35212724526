/* listen_watch.c - the probe and the thread of listen_watch.h. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "clock.h"
#include "listen_watch.h"
#include "worker.h"

#include <nng/supplemental/util/platform.h>

/* How often a probe looks at the listener's counters while it waits. */
#define SOCKET_SIDE_POLL_MS 20

/* The SP header a REQ peer sends first (nng's sp/transport framing). */
static const uint8_t sp_req_header[8] = {0x00, 'S', 'P', 0x00, 0x00, 0x30, 0x00, 0x00};

/* url with a wildcard host replaced by loopback, into out. Returns 0, or -1
 * when it does not fit. */
static int dialable_url(const char *url, char *out, size_t len)
{
    const char *host = strstr(url, "://");
    host = host != NULL ? host + 3 : url;
    const char *port = strrchr(host, ':');
    size_t host_len = port != NULL ? (size_t)(port - host) : strlen(host);
    const char *loopback = addr_wildcard_loopback(host, host_len);
    int n = loopback == NULL ? snprintf(out, len, "%s", url)
                             : snprintf(out, len, "%.*s%s%s", (int)(host - url), url, loopback,
                                        port ? port : "");
    return n >= 0 && (size_t)n < len ? 0 : -1;
}

/* A refused or unanswered connection is a miss; any other failure means the
 * listener took the connection up and spoke (a TLS refusal, a reset). */
static listen_probe_result judge(int rv)
{
    return rv == NNG_ETIMEDOUT || rv == NNG_ECONNREFUSED || rv == NNG_EADDRINVAL || rv == NNG_ENOENT
               ? LISTEN_PROBE_MISSED
               : LISTEN_PROBE_ANSWERED;
}

/* One operation of a probe in flight, and the wait for its end. nng 1.5.2
 * does not time out a TLS stream's send while its handshake waits for a
 * listener that never answers, so the probe keeps its own deadline and, past
 * it, closes the stream (or the dialer), which ends the operation. */
typedef struct probe_op {
    nng_aio *aio;
    pthread_mutex_t mu;
    pthread_cond_t cv; /* on CLOCK_MONOTONIC */
    int done;          /* under mu */
} probe_op;

static void op_done(void *arg)
{
    probe_op *op = arg;
    pthread_mutex_lock(&op->mu);
    op->done = 1;
    pthread_cond_signal(&op->cv);
    pthread_mutex_unlock(&op->mu);
}

static int op_init(probe_op *op)
{
    op->done = 0;
    clock_cond_init_monotonic(&op->cv);
    pthread_mutex_init(&op->mu, NULL);
    if (nng_aio_alloc(&op->aio, op_done, op) == 0)
        return 0;
    pthread_cond_destroy(&op->cv);
    pthread_mutex_destroy(&op->mu);
    return -1;
}

static void op_fini(probe_op *op)
{
    nng_aio_free(op->aio);
    pthread_cond_destroy(&op->cv);
    pthread_mutex_destroy(&op->mu);
}

/* Waits for the operation started on op->aio, at most timeout_ms; past
 * that calls stop(what), which must end it. Returns its result, or
 * NNG_ETIMEDOUT when it failed after it had to be stopped. */
static int op_wait(probe_op *op, int timeout_ms, void (*stop)(void *), void *what)
{
    struct timespec until = clock_after(CLOCK_MONOTONIC, timeout_ms);
    pthread_mutex_lock(&op->mu);
    while (!op->done && pthread_cond_timedwait(&op->cv, &op->mu, &until) != ETIMEDOUT) {
    }
    int late = !op->done;
    pthread_mutex_unlock(&op->mu);
    if (late)
        stop(what);
    /* Returns after the callback too, so op->done is ours again. */
    nng_aio_wait(op->aio);
    op->done = 0;
    int rv = nng_aio_result(op->aio);
    /* One that ended well as the deadline passed is taken as it ended, so
     * that a stream it made is not lost. */
    return late && rv != 0 ? NNG_ETIMEDOUT : rv;
}

static void stop_dialer(void *dialer)
{
    nng_stream_dialer_close(dialer);
}

static void stop_stream(void *stream)
{
    nng_stream_close(stream);
}

/* Runs one transfer on s (send when sending, else receive) of buf, to the
 * end or the first failure, each step within timeout_ms. Returns 0 or an
 * nng error. */
static int transfer(nng_stream *s, probe_op *op, uint8_t *buf, size_t len, int sending,
                    int timeout_ms)
{
    size_t done = 0;
    while (done < len) {
        nng_iov iov = {buf + done, len - done};
        nng_aio_set_iov(op->aio, 1, &iov);
        if (sending)
            nng_stream_send(s, op->aio);
        else
            nng_stream_recv(s, op->aio);
        int rv = op_wait(op, timeout_ms, stop_stream, s);
        if (rv != 0)
            return rv;
        size_t n = nng_aio_count(op->aio);
        if (n == 0)
            return NNG_ECONNSHUT;
        done += n;
    }
    return 0;
}

/* Connections the socket's side of listener has taken up, accepted or
 * failed: the sum of its nng counters, or -1 when nng keeps none. */
static int64_t socket_side_events(nng_listener listener)
{
    nng_stat *all = NULL;
    if (nng_listener_id(listener) <= 0 || nng_stats_get(&all) != 0)
        return -1;
    int64_t n = -1;
    nng_stat *mine = nng_stat_find_listener(all, listener);
    for (nng_stat *c = mine != NULL ? nng_stat_child(mine) : NULL; c != NULL;
         c = nng_stat_next(c)) {
        /* "pipes" counts open connections, which fall as well as rise. */
        if (nng_stat_type(c) == NNG_STAT_COUNTER && strcmp(nng_stat_name(c), "pipes") != 0)
            n = (n < 0 ? 0 : n) + (int64_t)nng_stat_value(c);
    }
    nng_stats_free(all);
    return n;
}

/* Whether the socket's side of listener takes up connections: it counts
 * more than *seen within timeout_ms; *seen is then the new count. Every
 * probe that reached the transport is such a connection (taken up, or
 * failed on the probe's certificate) while the accept loop runs, though nng
 * may count a failure only when the next connection comes, a round later;
 * once nng 1.5.2 has ended the loop, the transport still negotiates and the
 * count stands still for good. */
static int socket_side_moved(nng_listener listener, int64_t *seen, int timeout_ms)
{
    nng_time until = nng_clock() + (nng_time)timeout_ms;
    for (;;) {
        int64_t events = socket_side_events(listener);
        if (events > *seen) {
            *seen = events;
            return 1;
        }
        if (nng_clock() >= until)
            return 0;
        nng_msleep(SOCKET_SIDE_POLL_MS);
    }
}

listen_probe_result listen_probe(const char *url, nng_tls_config *tls, nng_listener listener,
                                 int64_t *seen, int timeout_ms)
{
    char target[512];
    nng_stream_dialer *dialer = NULL;
    probe_op op;
    if (dialable_url(url, target, sizeof target) != 0 ||
        nng_stream_dialer_alloc(&dialer, target) != 0) {
        /* Not the listener's fault: count it as answered, so that a probe
         * that cannot run never replaces a listener. */
        nng_stream_dialer_free(dialer);
        return LISTEN_PROBE_ANSWERED;
    }
    if (op_init(&op) != 0) {
        nng_stream_dialer_free(dialer);
        return LISTEN_PROBE_ANSWERED;
    }
    int rv = tls != NULL ? nng_stream_dialer_set_ptr(dialer, NNG_OPT_TLS_CONFIG, tls) : 0;
    listen_probe_result result = LISTEN_PROBE_ANSWERED;
    if (*seen < 0)
        *seen = socket_side_events(listener);
    if (rv == 0) {
        nng_stream_dialer_dial(dialer, op.aio);
        rv = op_wait(&op, timeout_ms, stop_dialer, dialer);
        if (rv != 0) {
            result = judge(rv);
        } else {
            nng_stream *s = nng_aio_get_output(op.aio, 0);
            uint8_t header[8];
            memcpy(header, sp_req_header, sizeof header);
            rv = transfer(s, &op, header, sizeof header, 1, timeout_ms);
            if (rv == 0)
                rv = transfer(s, &op, header, sizeof header, 0, timeout_ms);
            result = judge(rv);
            nng_stream_close(s);
            nng_stream_free(s);
        }
    }
    op_fini(&op);
    nng_stream_dialer_close(dialer);
    nng_stream_dialer_free(dialer);
    if (result == LISTEN_PROBE_ANSWERED && *seen >= 0 &&
        !socket_side_moved(listener, seen, timeout_ms))
        result = LISTEN_PROBE_MISSED;
    return result;
}

struct listen_watch {
    worker *worker;
    listen_target targets[RPC_WATCH_MAX_TARGETS];
    /* Touched by the worker's rounds only: */
    int misses[RPC_WATCH_MAX_TARGETS];
    int64_t seen[RPC_WATCH_MAX_TARGETS]; /* -1: not yet read from this listener */
    size_t n;
    listen_watch_timing timing;
    listen_current_fn current;
    listen_replace_fn replace;
    void *arg;
};

/* A worker_fn: one probe of each target. */
static void watch_round(void *arg)
{
    listen_watch *w = arg;
    for (size_t i = 0; i < w->n; i++) {
        listen_probe_result r =
            listen_probe(w->targets[i].url, w->targets[i].tls, w->current(w->arg, i), &w->seen[i],
                         w->timing.timeout_ms);
        w->misses[i] = r == LISTEN_PROBE_MISSED ? w->misses[i] + 1 : 0;
        if (w->misses[i] >= w->timing.strikes) {
            w->misses[i] = 0;
            w->replace(w->arg, i);
            w->seen[i] = -1;
        }
    }
}

static void free_targets(const listen_target *targets, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (targets[i].tls != NULL)
            nng_tls_config_free(targets[i].tls);
}

listen_watch *listen_watch_start(const listen_target *targets, size_t n, listen_watch_timing timing,
                                 listen_current_fn current, listen_replace_fn replace, void *arg)
{
    listen_watch *w = n <= RPC_WATCH_MAX_TARGETS ? calloc(1, sizeof *w) : NULL;
    if (w == NULL) {
        free_targets(targets, n);
        return NULL;
    }
    memcpy(w->targets, targets, n * sizeof *targets);
    w->n = n;
    for (size_t i = 0; i < n; i++)
        w->seen[i] = -1;
    w->timing = timing;
    w->current = current;
    w->replace = replace;
    w->arg = arg;
    w->worker =
        worker_start("listener watch", timing.interval_ms, timing.interval_ms / 10, watch_round, w);
    if (w->worker == NULL) {
        free_targets(w->targets, w->n);
        free(w);
        return NULL;
    }
    return w;
}

void listen_watch_stop(listen_watch *w)
{
    if (w == NULL)
        return;
    worker_stop(w->worker);
    free_targets(w->targets, w->n);
    free(w);
}
