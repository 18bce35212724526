/* admin.c - the admin HTTP port of a service (/healthz, /readyz, /metrics),
 * served by its own h2o event loop on its own thread.
 *
 * The readiness function may block (a database ping, RPCs to the services),
 * so it runs on a checker thread of its own: /readyz requests wait for the
 * next result without holding the loop, and /healthz (the liveness probe)
 * is answered at once whatever the database does. */
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "httpd.h"
#include "log.h"
#include "metrics.h"

#define TEXT_PLAIN      "text/plain; charset=utf-8"
#define NOTES_MAX_BYTES 1024

/* The result of one readiness check, handed from the checker to the loop. */
typedef struct check_result {
    h2o_multithread_message_t super;
    int ready;
    char notes[NOTES_MAX_BYTES];
} check_result;

/* A /readyz request waiting for the check in flight; lives in the request's
 * pool, so that a client that goes away unlinks it. */
typedef struct parked_request {
    h2o_linklist_t link;
    h2o_req_t *req;
} parked_request;

struct admin_server {
    h2o_globalconf_t config;
    h2o_context_t ctx;
    h2o_accept_ctx_t accept_ctx;
    httpd_conns conns;
    h2o_socket_t *listener;
    pthread_t thread;
    atomic_int stopping;
    admin_ready_fn ready;
    void *ready_arg;
    /* The one check in flight's result: the checker fills it and sends it to
     * the loop, and starts no other check before the loop has answered it
     * (in_flight), so one is all there ever is. */
    check_result result;
    /* Loop thread only. */
    h2o_multithread_queue_t *queue;
    h2o_multithread_receiver_t results;
    h2o_linklist_t parked;
    int in_flight;
    /* Shared with the checker thread, under mu. */
    pthread_t checker;
    int checker_started;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int check_wanted;
    int checker_quit;
};

typedef struct admin_handler {
    h2o_handler_t super;
    admin_server *server;
} admin_handler;

/* The notes of the check running on this thread (the checker's only). */
static _Thread_local char *current_notes;

void admin_ready_note(const char *fmt, ...)
{
    if (current_notes == NULL)
        return;
    size_t used = strlen(current_notes);
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(current_notes + used, NOTES_MAX_BYTES - used, fmt, ap);
    va_end(ap);
    used = n < 0 ? used : strlen(current_notes);
    if (used + 1 < NOTES_MAX_BYTES) {
        current_notes[used] = '\n';
        current_notes[used + 1] = '\0';
    }
}

static int is_get(h2o_req_t *req)
{
    return h2o_memis(req->method.base, req->method.len, H2O_STRLIT("GET")) ||
           h2o_memis(req->method.base, req->method.len, H2O_STRLIT("HEAD"));
}

static int on_healthz(h2o_handler_t *self, h2o_req_t *req)
{
    (void)self;
    if (!is_get(req))
        return -1;
    httpd_respond(req, 200, TEXT_PLAIN, H2O_STRLIT("ok\n"));
    return 0;
}

static void *checker_main(void *arg)
{
    admin_server *s = arg;
    pthread_mutex_lock(&s->mu);
    for (;;) {
        while (!s->check_wanted && !s->checker_quit)
            pthread_cond_wait(&s->cv, &s->mu);
        if (!s->check_wanted)
            break;
        s->check_wanted = 0;
        int quitting = s->checker_quit;
        pthread_mutex_unlock(&s->mu);
        check_result *r = &s->result;
        r->ready = 0;
        r->notes[0] = '\0';
        /* At shutdown the waiting requests are answered without a check. */
        if (!quitting) {
            current_notes = r->notes;
            r->ready = s->ready(s->ready_arg);
            current_notes = NULL;
        }
        h2o_multithread_send_message(&s->results, &r->super);
        pthread_mutex_lock(&s->mu);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

static void request_check(admin_server *s)
{
    if (s->in_flight)
        return;
    s->in_flight = 1;
    pthread_mutex_lock(&s->mu);
    s->check_wanted = 1;
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

static void unpark(void *p)
{
    parked_request *pr = p;
    if (h2o_linklist_is_linked(&pr->link))
        h2o_linklist_unlink(&pr->link);
}

/* Every waiting /readyz gets the result of the check that ends now. */
static void on_results(h2o_multithread_receiver_t *receiver, h2o_linklist_t *messages)
{
    admin_server *s = H2O_STRUCT_FROM_MEMBER(admin_server, results, receiver);
    while (!h2o_linklist_is_empty(messages)) {
        check_result *r = H2O_STRUCT_FROM_MEMBER(check_result, super.link, messages->next);
        h2o_linklist_unlink(&r->super.link);
        s->in_flight = 0;
        char body[sizeof r->notes + 16];
        int n = snprintf(body, sizeof body, "%s\n%s", r->ready ? "ready" : "not ready", r->notes);
        size_t len = n < 0 ? 0 : (size_t)n >= sizeof body ? sizeof body - 1 : (size_t)n;
        while (!h2o_linklist_is_empty(&s->parked)) {
            parked_request *pr = H2O_STRUCT_FROM_MEMBER(parked_request, link, s->parked.next);
            h2o_linklist_unlink(&pr->link);
            httpd_respond(pr->req, r->ready ? 200 : 503, TEXT_PLAIN, body, len);
        }
    }
}

static int on_readyz(h2o_handler_t *self, h2o_req_t *req)
{
    admin_server *s = ((admin_handler *)self)->server;
    if (!is_get(req))
        return -1;
    parked_request *pr = h2o_mem_alloc_shared(&req->pool, sizeof *pr, unpark);
    pr->link = (h2o_linklist_t){NULL, NULL};
    pr->req = req;
    h2o_linklist_insert(&s->parked, &pr->link);
    request_check(s);
    return 0;
}

static int on_metrics(h2o_handler_t *self, h2o_req_t *req)
{
    (void)self;
    if (!is_get(req))
        return -1;
    char *text = metrics_render();
    if (text == NULL) {
        httpd_respond(req, 500, TEXT_PLAIN, H2O_STRLIT("out of memory\n"));
        return 0;
    }
    httpd_respond(req, 200, "text/plain; version=0.0.4; charset=utf-8", text, strlen(text));
    free(text);
    return 0;
}

static void *admin_main(void *arg)
{
    admin_server *s = arg;
    while (!atomic_load(&s->stopping))
        h2o_evloop_run(s->ctx.loop, 100);
    return NULL;
}

static void register_admin_path(admin_server *s, h2o_hostconf_t *host, const char *path,
                                int (*on_req)(h2o_handler_t *, h2o_req_t *))
{
    admin_handler *h =
        (admin_handler *)httpd_register(host, path, sizeof(admin_handler), on_req, NULL);
    h->server = s;
}

/* Stops the checker, answers the requests still waiting, frees the queue. */
static void stop_checker(admin_server *s)
{
    if (s->checker_started) {
        pthread_mutex_lock(&s->mu);
        s->checker_quit = 1;
        pthread_cond_signal(&s->cv);
        pthread_mutex_unlock(&s->mu);
        pthread_join(s->checker, NULL);
    }
    while (s->in_flight)
        h2o_evloop_run(s->ctx.loop, 10);
    h2o_multithread_unregister_receiver(s->queue, &s->results);
    h2o_multithread_destroy_queue(s->queue);
}

/* How long a stopping server waits for its connections to close. */
#define END_CONNECTIONS_MS 1000

static void dispose(admin_server *s)
{
    if (s->listener != NULL)
        h2o_socket_close(s->listener);
    h2o_evloop_t *loop = s->ctx.loop;
    if (httpd_end_all(&s->conns, loop, END_CONNECTIONS_MS) > 0) {
        /* The process is stopping; h2o would abort on a context in use. */
        log_warn(NULL, "admin port: connections still open at shutdown; not freed");
        return;
    }
    h2o_context_dispose(&s->ctx);
    /* Let the loop run the socket's deferred close before it is destroyed. */
    h2o_evloop_run(loop, 0);
    h2o_evloop_destroy(loop);
    h2o_config_dispose(&s->config);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
    free(s);
}

rc_status admin_start(const char *host, int port, admin_ready_fn ready, void *arg,
                      admin_server **out)
{
    admin_server *s = calloc(1, sizeof *s);
    if (s == NULL)
        return RC_INTERNAL;
    s->ready = ready;
    s->ready_arg = arg;
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    h2o_linklist_init_anchor(&s->parked);
    h2o_config_init(&s->config);
    s->config.server_name = h2o_iovec_init(H2O_STRLIT("r-cycle"));
    h2o_hostconf_t *hostconf =
        h2o_config_register_host(&s->config, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    register_admin_path(s, hostconf, "/healthz", on_healthz);
    register_admin_path(s, hostconf, "/readyz", on_readyz);
    register_admin_path(s, hostconf, "/metrics", on_metrics);
    h2o_context_init(&s->ctx, h2o_evloop_create(), &s->config);
    s->accept_ctx.ctx = &s->ctx;
    s->accept_ctx.hosts = s->config.hosts;
    s->queue = h2o_multithread_create_queue(s->ctx.loop);
    h2o_multithread_register_receiver(s->queue, &s->results, on_results);
    httpd_conns_init(&s->conns, &s->accept_ctx, NULL);
    rc_status st = httpd_listen(&s->conns, host, port, &s->listener);
    if (st == RC_OK) {
        if (pthread_create(&s->checker, NULL, checker_main, s) == 0)
            s->checker_started = 1;
        else
            st = RC_INTERNAL;
    }
    if (st == RC_OK && pthread_create(&s->thread, NULL, admin_main, s) != 0)
        st = RC_INTERNAL;
    if (st != RC_OK) {
        stop_checker(s);
        dispose(s);
        return st;
    }
    *out = s;
    return RC_OK;
}

void admin_stop(admin_server *s)
{
    if (s == NULL)
        return;
    atomic_store(&s->stopping, 1);
    pthread_join(s->thread, NULL);
    stop_checker(s);
    dispose(s);
}
