/* admin.c - the admin HTTP port of a service (/healthz, /readyz, /metrics),
 * served by its own h2o event loop on its own thread. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "httpd.h"
#include "metrics.h"

#define TEXT_PLAIN "text/plain; charset=utf-8"

struct admin_server {
    h2o_globalconf_t config;
    h2o_context_t ctx;
    h2o_accept_ctx_t accept_ctx;
    h2o_socket_t *listener;
    pthread_t thread;
    atomic_int stopping;
    admin_ready_fn ready;
    void *ready_arg;
};

typedef struct admin_handler {
    h2o_handler_t super;
    admin_server *server;
} admin_handler;

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

static int on_readyz(h2o_handler_t *self, h2o_req_t *req)
{
    admin_server *s = ((admin_handler *)self)->server;
    if (!is_get(req))
        return -1;
    if (s->ready(s->ready_arg))
        httpd_respond(req, 200, TEXT_PLAIN, H2O_STRLIT("ready\n"));
    else
        httpd_respond(req, 503, TEXT_PLAIN, H2O_STRLIT("not ready\n"));
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

rc_status admin_start(const char *host, int port, admin_ready_fn ready, void *arg,
                      admin_server **out)
{
    admin_server *s = calloc(1, sizeof *s);
    if (s == NULL)
        return RC_INTERNAL;
    s->ready = ready;
    s->ready_arg = arg;
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
    rc_status st = httpd_listen(&s->accept_ctx, host, port, &s->listener);
    if (st == RC_OK && pthread_create(&s->thread, NULL, admin_main, s) != 0)
        st = RC_INTERNAL;
    if (st != RC_OK) {
        if (s->listener != NULL)
            h2o_socket_close(s->listener);
        h2o_evloop_t *loop = s->ctx.loop;
        h2o_context_dispose(&s->ctx);
        h2o_evloop_destroy(loop);
        h2o_config_dispose(&s->config);
        free(s);
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
    h2o_socket_close(s->listener);
    h2o_evloop_t *loop = s->ctx.loop;
    h2o_context_dispose(&s->ctx);
    /* Let the loop run the socket's deferred close before it is destroyed. */
    h2o_evloop_run(loop, 0);
    h2o_evloop_destroy(loop);
    h2o_config_dispose(&s->config);
    free(s);
}
