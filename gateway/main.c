/* main.c - the gateway: configuration, the h2o server on the public port,
 * the admin port, and one RPC client per service. */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "admin.h"
#include "config.h"
#include "gateway.h"
#include "httpd.h"
#include "log.h"
#include "metrics.h"
#include "readiness.h"
#include "routes.h"
#include "static_ui.h"

/* Connections kept to each service address, so that replicas behind one
 * Kubernetes Service all get work. */
#define DIALERS_PER_SERVICE 4
#define AUTH_CACHE_MAX      10000

typedef struct gateway_config {
    log_level level;
    const char *bind_host;
    int port;
    int admin_port;
    int cookie_secure;
    int max_connections;
    const char *users_addr;
    const char *listings_addr;
    const char *claims_addr;
    const char *ui_dir;
    client_trust trusted_proxies;
} gateway_config;

static atomic_int stop_requested;

static int read_config(gateway_config *cfg)
{
    char err[CONFIG_ERR_LEN];
    int bad = 0;
#define CHECK(call)                                                                                \
    do {                                                                                           \
        if ((call) != 0) {                                                                         \
            fprintf(stderr, "%s\n", err);                                                          \
            bad = 1;                                                                               \
        }                                                                                          \
    } while (0)
    if (log_parse_level(config_string("LOG_LEVEL", "info"), &cfg->level) != 0) {
        fprintf(stderr, "LOG_LEVEL: must be debug, info, warn or error\n");
        bad = 1;
    }
    cfg->bind_host = config_string("RCYCLE_BIND_HOST", "127.0.0.1");
    cfg->ui_dir = config_string("RCYCLE_UI_DIR", "gateway/ui");
    CHECK(config_port("PORT", 3000, &cfg->port, err));
    CHECK(config_port("RCYCLE_ADMIN_PORT", 7200, &cfg->admin_port, err));
    CHECK(config_bool("RCYCLE_COOKIE_SECURE", 0, &cfg->cookie_secure, err));
    CHECK(client_trust_parse(config_string("RCYCLE_TRUSTED_PROXIES", ""), &cfg->trusted_proxies,
                             err, sizeof err));
    CHECK(config_int("RCYCLE_MAX_CONNECTIONS", 96, 1, 65536, &cfg->max_connections, err));
    CHECK(config_nng_url("RCYCLE_USERS_ADDR", "tcp://127.0.0.1:7101", &cfg->users_addr, err));
    CHECK(config_nng_url("RCYCLE_LISTINGS_ADDR", "tcp://127.0.0.1:7102", &cfg->listings_addr, err));
    CHECK(config_nng_url("RCYCLE_CLAIMS_ADDR", "tcp://127.0.0.1:7103", &cfg->claims_addr, err));
#undef CHECK
    return bad ? -1 : 0;
}

static void *wait_for_stop_signal(void *arg)
{
    sigset_t *set = arg;
    int sig;
    sigwait(set, &sig);
    atomic_store(&stop_requested, 1);
    return NULL;
}

static int open_clients(gateway *gw, const gateway_config *cfg)
{
    return rpc_client_open(cfg->users_addr, DIALERS_PER_SERVICE, &gw->users) != RC_OK ||
                   rpc_client_open(cfg->listings_addr, DIALERS_PER_SERVICE, &gw->listings) !=
                       RC_OK ||
                   rpc_client_open(cfg->claims_addr, DIALERS_PER_SERVICE, &gw->claims) != RC_OK
               ? -1
               : 0;
}

static void setup_http(gateway *gw, const char *ui_dir)
{
    h2o_config_init(&gw->config);
    gw->config.server_name = h2o_iovec_init(H2O_STRLIT("r-cycle"));
    /* h2o 2.2 reads a whole body into the connection's buffer before any
     * handler runs, and refuses one whose Content-Length is over this before
     * reading it: the largest route limit is therefore the most a connection
     * buffers (smaller route limits are checked by the gateway, admit.c). */
    gw->config.max_request_entity_size = router_max_body(gw_routes, gw_routes_count);
    /* No HTTP/2 on the plain port (h2o 2.2 has no defence against rapid
     * reset): this one switch refuses both the h2c upgrade and a connection
     * that opens with the HTTP/2 preface, which h2o then treats as a broken
     * HTTP/1 request. */
    gw->config.http1.upgrade_to_http2 = 0;
    h2o_hostconf_t *host =
        h2o_config_register_host(&gw->config, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    /* The API and the probes first: h2o takes the first registered prefix
     * that matches, and "/" (the UI) matches everything. */
    static const char *const api_paths[] = {"/api", "/healthz", "/readyz"};
    for (size_t i = 0; i < sizeof api_paths / sizeof api_paths[0]; i++) {
        h2o_pathconf_t *pathconf;
        gw_handler *api = (gw_handler *)httpd_register(host, api_paths[i], sizeof(gw_handler),
                                                       gw_on_api_request, &pathconf);
        api->gw = gw;
        gw_register_security_headers(pathconf);
    }
    /* A path that is no file gets the API's JSON 404 from the router. */
    h2o_pathconf_t *ui = gw_register_ui(host, ui_dir, gw);
    gw_handler *not_found = (gw_handler *)h2o_create_handler(ui, sizeof(gw_handler));
    not_found->super.on_req = gw_on_api_request;
    not_found->gw = gw;
    h2o_context_init(&gw->ctx, h2o_evloop_create(), &gw->config);
    gw->accept_ctx.ctx = &gw->ctx;
    gw->accept_ctx.hosts = gw->config.hosts;
    gw->queue = h2o_multithread_create_queue(gw->ctx.loop);
    h2o_multithread_register_receiver(gw->queue, &gw->rpc_done, gw_on_rpc_done);
}

static void on_accept(h2o_socket_t *listener, const char *err);

static void on_connection_closed(void *data)
{
    gateway *gw = data;
    gw->connections--;
    if (gw->listener != NULL && gw->connections == gw->max_connections - 1)
        h2o_socket_read_start(gw->listener, on_accept);
}

/* Accepts like httpd.c, and stops accepting at the cap: further clients
 * wait in the kernel's backlog instead of costing a buffer each. */
static void on_accept(h2o_socket_t *listener, const char *err)
{
    if (err != NULL)
        return;
    gateway *gw = H2O_STRUCT_FROM_MEMBER(gateway, accept_ctx, listener->data);
    h2o_socket_t *sock = h2o_evloop_socket_accept(listener);
    if (sock == NULL)
        return;
    gw->connections++;
    sock->on_close.cb = on_connection_closed;
    sock->on_close.data = gw;
    if (gw->connections >= gw->max_connections)
        h2o_socket_read_stop(listener);
    h2o_accept(&gw->accept_ctx, sock);
}

/* How long shutdown waits for the RPCs in flight to come back. */
#define DRAIN_MAX_MS 5000

static void teardown(gateway *gw, h2o_socket_t *listener)
{
    gw->stopping = 1;
    gw->listener = NULL;
    if (listener != NULL)
        h2o_socket_close(listener);
    /* Closing the clients makes every call in flight complete (as
     * UNAVAILABLE) on an nng thread, some time later; their completions are
     * drained from the queue before it is destroyed. */
    rpc_client_close(gw->users);
    rpc_client_close(gw->listings);
    rpc_client_close(gw->claims);
    for (int waited = 0; gw->inflight > 0 && waited < DRAIN_MAX_MS; waited += 10)
        h2o_evloop_run(gw->ctx.loop, 10);
    h2o_evloop_run(gw->ctx.loop, 0);
    h2o_multithread_unregister_receiver(gw->queue, &gw->rpc_done);
    h2o_multithread_destroy_queue(gw->queue);
    h2o_evloop_t *loop = gw->ctx.loop;
    h2o_context_dispose(&gw->ctx);
    h2o_evloop_destroy(loop);
    h2o_config_dispose(&gw->config);
    auth_cache_destroy(gw->auth);
}

int main(void)
{
    gateway_config cfg;
    if (read_config(&cfg) != 0)
        return 2;
    log_init("gateway", cfg.level);
    metrics_init("gateway", RCYCLE_VERSION);
    if (token_init() != 0) {
        log_error(NULL, "libsodium failed to initialise");
        return 1;
    }
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
    signal(SIGPIPE, SIG_IGN);
    pthread_t signal_thread;
    int err = pthread_create(&signal_thread, NULL, wait_for_stop_signal, &stop_signals);
    if (err != 0) {
        log_error(NULL, "cannot start the signal thread (error %d)", err);
        return 1;
    }

    static gateway gw;
    gw.cookie_secure = cfg.cookie_secure;
    gw.bind_host = cfg.bind_host;
    gw.port = cfg.port;
    gw.trusted_proxies = cfg.trusted_proxies;
    gw.max_connections = cfg.max_connections;
    gw.auth = auth_cache_create(AUTH_CACHE_MAX);
    setup_http(&gw, cfg.ui_dir);
    h2o_socket_t *listener = NULL;
    admin_server *admin = NULL;
    int status = 1;
    if (open_clients(&gw, &cfg) != 0)
        goto out;
    if (httpd_listen(&gw.accept_ctx, cfg.bind_host, cfg.port, &listener) != RC_OK)
        goto out;
    /* The same listener, read by the accept above that counts connections. */
    gw.listener = listener;
    h2o_socket_read_stop(listener);
    h2o_socket_read_start(listener, on_accept);
    if (admin_start(cfg.bind_host, cfg.admin_port, gw_services_ready, &gw, &admin) != RC_OK)
        goto out;
    log_info(NULL, "gateway listening on http://%s:%d, admin on port %d", cfg.bind_host, cfg.port,
             cfg.admin_port);
    while (!atomic_load(&stop_requested))
        h2o_evloop_run(gw.ctx.loop, 100);
    log_info(NULL, "gateway stopping");
    status = 0;
out:
    if (!atomic_load(&stop_requested))
        pthread_kill(signal_thread, SIGTERM);
    pthread_join(signal_thread, NULL);
    admin_stop(admin);
    teardown(&gw, listener);
    metrics_shutdown();
    return status;
}
