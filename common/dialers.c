/* dialers.c - dialers that keep dialling (dialers.h). */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dialers.h"
#include "log.h"
#include "worker.h"

/* Longer than nng's longest wait between two attempts (the client's
 * RPC_RECONNECT_MAX_MS, 1 s): a dialer that is still trying has had an
 * attempt in it, and one that answered ECLOSED has stopped. */
#define DIALER_STALL_MS 3000
#define DIALER_WATCH_MS 1000

/* A dialer has one connection at a time. It is found by the connection's
 * id when that closes: by then nng no longer names the connection's
 * dialer. */
typedef struct slot {
    nng_dialer dialer;
    uint32_t pipe_id; /* its connection now, 0 for none */
    int64_t lost_ms;  /* when it last had none (monotonic) */
} slot;

struct dialer_set {
    nng_socket sock;
    char *url;
    nng_tls_config *tls; /* a reference of the set's own, or NULL */
    worker *watch;
    pthread_mutex_t mu; /* guards slots */
    int n;
    slot slots[];
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* nng calls this on its own threads as connections come and go. */
static void on_pipe(nng_pipe p, nng_pipe_ev ev, void *arg)
{
    dialer_set *s = arg;
    uint32_t pipe_id = (uint32_t)nng_pipe_id(p);
    int dialer_id = ev == NNG_PIPE_EV_ADD_POST ? nng_dialer_id(nng_pipe_dialer(p)) : -1;
    pthread_mutex_lock(&s->mu);
    for (int i = 0; i < s->n; i++) {
        slot *t = &s->slots[i];
        if (ev == NNG_PIPE_EV_ADD_POST && nng_dialer_id(t->dialer) == dialer_id) {
            t->pipe_id = pipe_id;
        } else if (ev == NNG_PIPE_EV_REM_POST && t->pipe_id == pipe_id) {
            t->pipe_id = 0;
            t->lost_ms = now_ms();
        }
    }
    pthread_mutex_unlock(&s->mu);
}

static int dialer_create(dialer_set *s, nng_dialer *d)
{
    int rv = nng_dialer_create(d, s->sock, s->url);
    if (rv == 0 && s->tls != NULL)
        rv = nng_dialer_set_ptr(*d, NNG_OPT_TLS_CONFIG, s->tls);
    if (rv != 0 && nng_dialer_id(*d) > 0)
        nng_dialer_close(*d);
    return rv;
}

/* Replaces slot i's dialer. The new one is in the slot before it starts, so
 * that its first connection is counted; the old one is closed outside the
 * lock, since closing runs on_pipe. A close can land in the middle of a TLS
 * handshake, where nng 1.5.2 is at its least robust (a close that blocks,
 * a pipe freed while it starts), so replacements are kept to the dialers
 * that need one: stopped ones (no connection for DIALER_STALL_MS) and
 * connected ones that a call found dead (dialer_set_kick). */
static void replace(dialer_set *s, int i)
{
    nng_dialer fresh;
    if (dialer_create(s, &fresh) != 0)
        return;
    pthread_mutex_lock(&s->mu);
    nng_dialer old = s->slots[i].dialer;
    s->slots[i] = (slot){.dialer = fresh, .lost_ms = now_ms()};
    pthread_mutex_unlock(&s->mu);
    nng_dialer_close(old);
    nng_dialer_start(fresh, NNG_FLAG_NONBLOCK);
}

static void watch(void *arg)
{
    dialer_set *s = arg;
    int64_t now = now_ms();
    for (int i = 0; i < s->n; i++) {
        pthread_mutex_lock(&s->mu);
        int stalled = s->slots[i].pipe_id == 0 && now - s->slots[i].lost_ms >= DIALER_STALL_MS;
        pthread_mutex_unlock(&s->mu);
        if (stalled) {
            log_debug(NULL, "%s: a dialer without a connection for %d ms is replaced", s->url,
                      DIALER_STALL_MS);
            replace(s, i);
        }
    }
}

void dialer_set_kick(dialer_set *s)
{
    int64_t long_ago = now_ms() - DIALER_STALL_MS;
    pthread_mutex_lock(&s->mu);
    for (int i = 0; i < s->n; i++)
        if (s->slots[i].pipe_id != 0)
            s->slots[i] = (slot){.dialer = s->slots[i].dialer, .lost_ms = long_ago};
    pthread_mutex_unlock(&s->mu);
}

dialer_set *dialer_set_start(nng_socket sock, const char *url, nng_tls_config *tls, int n, int *rv)
{
    *rv = NNG_ENOMEM;
    dialer_set *s = calloc(1, sizeof *s + (size_t)n * sizeof s->slots[0]);
    char *copy = strdup(url);
    if (s == NULL || copy == NULL) {
        nng_close(sock);
        free(copy);
        free(s);
        return NULL;
    }
    s->url = copy;
    s->sock = sock;
    s->tls = tls;
    if (tls != NULL)
        nng_tls_config_hold(tls);
    pthread_mutex_init(&s->mu, NULL);
    *rv = nng_pipe_notify(sock, NNG_PIPE_EV_ADD_POST, on_pipe, s);
    if (*rv == 0)
        *rv = nng_pipe_notify(sock, NNG_PIPE_EV_REM_POST, on_pipe, s);
    int64_t now = now_ms();
    for (int i = 0; *rv == 0 && i < n; i++) {
        *rv = dialer_create(s, &s->slots[i].dialer);
        if (*rv == 0) {
            s->slots[i].lost_ms = now;
            s->n++;
            *rv = nng_dialer_start(s->slots[i].dialer, NNG_FLAG_NONBLOCK);
        }
    }
    if (*rv == 0 && (s->watch = worker_start("dialer watch", DIALER_WATCH_MS, DIALER_WATCH_MS / 4,
                                             watch, s)) == NULL)
        *rv = NNG_ENOMEM;
    if (*rv != 0) {
        dialer_set_close(s);
        return NULL;
    }
    return s;
}

void dialer_set_close(dialer_set *s)
{
    if (s == NULL)
        return;
    worker_stop(s->watch);
    nng_close(s->sock);
    if (s->tls != NULL)
        nng_tls_config_free(s->tls);
    pthread_mutex_destroy(&s->mu);
    free(s->url);
    free(s);
}
