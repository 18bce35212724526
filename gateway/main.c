/* main.c - the gateway: configuration, the h2o server on the public port
 * (one event loop per CPU, RCYCLE_GATEWAY_THREADS), the admin port, and one
 * RPC client per service, which the loops share. */
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "admin.h"
#include "config.h"
#include "gateway.h"
#include "httpd.h"
#include "log.h"
#include "metrics.h"
#include "readiness.h"
#include "routes.h"
#include "rpc_tls.h"
#include "static_ui.h"

/* Connections kept to each service address, so that replicas behind one
 * Kubernetes Service all get work. The loops need no dialers of their own:
 * every call opens its own nng context on the shared socket. */
#define DIALERS_PER_SERVICE 4
#define AUTH_CACHE_MAX      10000
#define MAX_LOOPS           64

typedef struct gateway_config {
    log_level level;
    const char *bind_host;
    int port;
    int admin_port;
    int cookie_secure;
    int local_login;
    int max_connections;
    int loops;
    const char *users_addr;
    const char *listings_addr;
    const char *claims_addr;
    const char *ui_dir;
    client_trust trusted_proxies;
} gateway_config;

static atomic_int stop_requested;

/* The CPUs this process may run on (so taskset limits the loops too). */
static int cpu_count(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0)
        return CPU_COUNT(&set);
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

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
    CHECK(config_bool("RCYCLE_LOCAL_LOGIN", 1, &cfg->local_login, err));
    CHECK(client_trust_parse(config_string("RCYCLE_TRUSTED_PROXIES", ""), &cfg->trusted_proxies,
                             err, sizeof err));
    CHECK(config_int("RCYCLE_MAX_CONNECTIONS", 96, 1, 65536, &cfg->max_connections, err));
    int cpus = cpu_count();
    CHECK(config_int("RCYCLE_GATEWAY_THREADS", cpus < MAX_LOOPS ? cpus : MAX_LOOPS, 1, MAX_LOOPS,
                     &cfg->loops, err));
    CHECK(config_nng_url("RCYCLE_USERS_ADDR", "tls+tcp://127.0.0.1:7101", &cfg->users_addr, err));
    CHECK(config_nng_url("RCYCLE_LISTINGS_ADDR", "tls+tcp://127.0.0.1:7102", &cfg->listings_addr,
                         err));
    CHECK(config_nng_url("RCYCLE_CLAIMS_ADDR", "tls+tcp://127.0.0.1:7103", &cfg->claims_addr, err));
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
    /* Each link trusts only the issuer of the kind it dials. */
    return rpc_client_open(cfg->users_addr, "RCYCLE_TLS_USERS_CA", DIALERS_PER_SERVICE,
                           &gw->users) != RC_OK ||
                   rpc_client_open(cfg->listings_addr, "RCYCLE_TLS_LISTINGS_CA",
                                   DIALERS_PER_SERVICE, &gw->listings) != RC_OK ||
                   rpc_client_open(cfg->claims_addr, "RCYCLE_TLS_CLAIMS_CA", DIALERS_PER_SERVICE,
                                   &gw->claims) != RC_OK
               ? -1
               : 0;
}

static void on_accept(h2o_socket_t *listener, const char *err);
static void on_connection_closed(httpd_conns *conns);

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
    httpd_conns_init(&gw->conns, &gw->accept_ctx, on_connection_closed);
    gw->queue = h2o_multithread_create_queue(gw->ctx.loop);
    h2o_multithread_register_receiver(gw->queue, &gw->rpc_done, gw_on_rpc_done);
}

/* Connections open over all loops: RCYCLE_MAX_CONNECTIONS caps the
 * process, so each accept first takes a slot here. */
static atomic_size_t open_connections;

static void on_connection_closed(httpd_conns *conns)
{
    gateway *gw = H2O_STRUCT_FROM_MEMBER(gateway, conns, conns);
    atomic_fetch_sub(&open_connections, 1);
    if (gw->listener != NULL && gw->paused) {
        gw->paused = 0;
        h2o_socket_read_start(gw->listener, on_accept);
    }
}

/* Accepts like httpd.c, and stops accepting at the cap: further clients
 * wait in the kernel's backlog instead of costing a buffer each. Every loop
 * watches the one listening socket; the kernel hands each connection to one
 * of them, and the others find nothing to accept. */
static void on_accept(h2o_socket_t *listener, const char *err)
{
    if (err != NULL)
        return;
    gateway *gw = H2O_STRUCT_FROM_MEMBER(gateway, conns, listener->data);
    if (atomic_fetch_add(&open_connections, 1) >= gw->max_connections) {
        atomic_fetch_sub(&open_connections, 1);
        gw->paused = 1;
        h2o_socket_read_stop(listener);
        return;
    }
    if (!httpd_accept(&gw->conns, listener))
        atomic_fetch_sub(&open_connections, 1);
}

/* Runs one loop until a stop is requested. A loop paused at the cap with no
 * connection of its own has no close to wake it, so it looks again after
 * each turn (at most every 100 ms). */
static void serve(gateway *gw)
{
    while (!atomic_load(&stop_requested)) {
        h2o_evloop_run(gw->ctx.loop, 100);
        if (gw->paused && gw->listener != NULL &&
            atomic_load(&open_connections) < gw->max_connections) {
            gw->paused = 0;
            h2o_socket_read_start(gw->listener, on_accept);
        }
    }
}

/* How long shutdown waits for the RPCs in flight to come back. */
#define DRAIN_MAX_MS 5000
/* How long it then waits for the client connections to close. */
#define END_CONNECTIONS_MS 1000

/* Loops past stop_accepting, which start no RPC any more: the shared
 * clients may close once every loop is counted here. */
static atomic_int loops_stopped;

/* The first step of a loop's shutdown: no new connection, no new RPC. */
static void stop_accepting(gateway *gw)
{
    gw->stopping = 1;
    if (gw->listener != NULL)
        h2o_socket_close(gw->listener);
    gw->listener = NULL;
    atomic_fetch_add(&loops_stopped, 1);
}

/* The rest, once the clients are closed or closing: closing them makes every
 * call in flight complete (as UNAVAILABLE) on an nng thread, some time
 * later; their completions are drained from the queue before it is
 * destroyed. Returns 0 when the loop's memory could be freed. */
static int finish_loop(gateway *gw)
{
    for (int waited = 0; gw->inflight > 0 && waited < DRAIN_MAX_MS; waited += 10)
        h2o_evloop_run(gw->ctx.loop, 10);
    h2o_evloop_run(gw->ctx.loop, 0);
    h2o_multithread_unregister_receiver(gw->queue, &gw->rpc_done);
    h2o_multithread_destroy_queue(gw->queue);
    h2o_evloop_t *loop = gw->ctx.loop;
    if (httpd_end_all(&gw->conns, loop, END_CONNECTIONS_MS) > 0) {
        /* The process is stopping; h2o would abort on a context in use. */
        log_warn(NULL, "connections still open at shutdown; not freed");
        return -1;
    }
    h2o_context_dispose(&gw->ctx);
    h2o_evloop_destroy(loop);
    h2o_config_dispose(&gw->config);
    return 0;
}

/* What a loop needs to build its h2o state. It is built on the thread that
 * runs the loop: libh2o 0.13 gives each socket's buffers the recycling
 * allocator of the thread that creates the socket (a thread-local free list
 * without a lock), so a socket made on main's thread and read on another
 * (the listener, the context's and the RPC queue's wake-up sockets) would
 * have two threads share one free list, and corrupt the heap under load. */
typedef struct loop_start {
    gateway *gw;
    const char *ui_dir;
    int fd; /* the loop's descriptor of the listening socket; -1 once taken */
} loop_start;

static void start_http(loop_start *ls)
{
    gateway *gw = ls->gw;
    setup_http(gw, ls->ui_dir);
    gw->listener = httpd_listen_fd(&gw->conns, ls->fd);
    ls->fd = -1;
    /* The same listener, read by the accept above that counts connections. */
    h2o_socket_read_stop(gw->listener);
    h2o_socket_read_start(gw->listener, on_accept);
}

/* One loop at a time builds its h2o state: h2o's configuration code was not
 * written to run on several threads at once. */
static pthread_mutex_t start_mu = PTHREAD_MUTEX_INITIALIZER;

/* A loop besides the first, on its own thread. */
static void *run_loop(void *arg)
{
    loop_start *ls = arg;
    pthread_mutex_lock(&start_mu);
    start_http(ls);
    pthread_mutex_unlock(&start_mu);
    serve(ls->gw);
    stop_accepting(ls->gw);
    finish_loop(ls->gw);
    return NULL;
}

/* The shutdown of the loops set up (nloops; nthreads of them besides the
 * first run on threads), on main's thread: once every loop stopped starting
 * RPCs (the threads count themselves in), the shared clients are closed. */
static void teardown(gateway *loops, loop_start *starts, int nloops, pthread_t *threads,
                     int nthreads)
{
    for (int i = 0; i < nloops; i++)
        if (i == 0 || i > nthreads) /* the loops no thread runs */
            stop_accepting(&loops[i]);
    while (nloops > 0 && atomic_load(&loops_stopped) < nloops)
        h2o_evloop_run(loops[0].ctx.loop, 10);
    /* A loop whose thread never started has no h2o state, only its fd. */
    for (int i = 1 + nthreads; i < nloops; i++)
        close(starts[i].fd);
    rpc_client_close(loops[0].users);
    rpc_client_close(loops[0].listings);
    rpc_client_close(loops[0].claims);
    int freed = nloops == 0 || finish_loop(&loops[0]) == 0;
    for (int i = 0; i < nthreads; i++)
        pthread_join(threads[i], NULL);
    if (freed)
        auth_cache_destroy(loops[0].auth);
}

/* Everything but the event loops' own state is shared: the RPC clients
 * (thread-safe), the auth cache (its own lock) and the settings. */
static void setup_loop(gateway *gw, const gateway_config *cfg, const gateway *first, int nloops)
{
    gw->cookie_secure = cfg->cookie_secure;
    gw->local_login = cfg->local_login;
    /* svc-users reads and checks the rest of RCYCLE_OIDC_*. */
    gw->oidc_enabled = config_string("RCYCLE_OIDC_ISSUER", NULL) != NULL;
    gw->bind_host = cfg->bind_host;
    gw->port = cfg->port;
    gw->trusted_proxies = cfg->trusted_proxies;
    gw->max_connections = (size_t)cfg->max_connections;
    /* The process's bound on parsed bodies, split so that each loop keeps
     * its share without asking the others. */
    gw->trees_max = GW_TREES_MAX / (size_t)nloops;
    if (first != NULL) {
        gw->auth = first->auth;
        gw->users = first->users;
        gw->listings = first->listings;
        gw->claims = first->claims;
    }
}

/* Sets up the loops on the one listening socket (a descriptor each): the
 * first one whole, the others up to what their threads build (loop_start);
 * *n counts those set up, even on failure (-1), for teardown. */
static int setup_loops(gateway *loops, loop_start *starts, const gateway_config *cfg, int *n)
{
    *n = 0;
    loops[0].auth = auth_cache_create(AUTH_CACHE_MAX);
    if (open_clients(&loops[0], cfg) != 0)
        return -1;
    int fd = httpd_bind(cfg->bind_host, cfg->port);
    if (fd < 0)
        return -1;
    for (int i = 0; i < cfg->loops; i++) {
        int own = i ? dup(fd) : fd;
        if (own < 0) {
            log_error(NULL, "cannot share the listening socket with loop %d", i);
            return -1;
        }
        setup_loop(&loops[i], cfg, i ? &loops[0] : NULL, cfg->loops);
        starts[i] = (loop_start){.gw = &loops[i], .ui_dir = cfg->ui_dir, .fd = own};
        if (i == 0)
            start_http(&starts[0]);
        *n = i + 1;
    }
    return 0;
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
    if (rpc_tls_export_expiry("gateway") != 0)
        return 1;
    /* jansson seeds its hash function on first use; done here, before any
     * second thread, so that no two loops race to do it. */
    json_object_seed(0);
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

    static gateway loops[MAX_LOOPS];
    static loop_start starts[MAX_LOOPS];
    static pthread_t threads[MAX_LOOPS];
    int nloops = 0, nthreads = 0;
    admin_server *admin = NULL;
    int status = 1;
    if (setup_loops(loops, starts, &cfg, &nloops) != 0)
        goto out;
    for (; nthreads < nloops - 1; nthreads++) {
        err = pthread_create(&threads[nthreads], NULL, run_loop, &starts[1 + nthreads]);
        if (err != 0) {
            log_error(NULL, "cannot start event loop %d (error %d)", 1 + nthreads, err);
            goto out;
        }
    }
    if (admin_start(cfg.bind_host, cfg.admin_port, gw_services_ready, &loops[0], &admin) != RC_OK)
        goto out;
    log_info(NULL, "gateway listening on http://%s:%d (%d event loops), admin on port %d",
             cfg.bind_host, cfg.port, nloops, cfg.admin_port);
    serve(&loops[0]);
    log_info(NULL, "gateway stopping");
    status = 0;
out:
    if (!atomic_load(&stop_requested))
        pthread_kill(signal_thread, SIGTERM);
    pthread_join(signal_thread, NULL);
    admin_stop(admin);
    teardown(loops, starts, nloops, threads, nthreads);
    metrics_shutdown();
    return status;
}
