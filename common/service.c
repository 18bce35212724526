/* service.c - start-up and shut-down shared by the three RPC services:
 * configuration, logging, database pool, RPC server, admin port, signals. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "config.h"
#include "log.h"
#include "metrics.h"
#include "rpc_tls.h"
#include "service.h"
#include "token.h"

#define READY_PING_TIMEOUT_MS 1000

typedef struct service_config {
    log_level level;
    const char *database_url;
    const char *addr;
    const char *internal_addr; /* NULL when the service has no internal listener */
    const char *feed_addr;     /* NULL when the service has no feed listener */
    const char *bind_host;
    int admin_port;
    int workers;
    int conn_max_age_s;
} service_config;

/* A listener address the service may have: *out NULL when var is NULL. */
static int optional_addr(const char *var, const char *fallback, const char **out)
{
    char err[CONFIG_ERR_LEN];
    *out = NULL;
    if (var == NULL || config_nng_url(var, fallback, out, err) == 0)
        return 0;
    fprintf(stderr, "%s\n", err);
    return -1;
}

/* Reads every variable; returns 0, or -1 after printing one line per bad one. */
static int read_config(const service_def *def, service_config *cfg)
{
    char err[CONFIG_ERR_LEN];
    int bad = 0;
    if (log_parse_level(config_string("LOG_LEVEL", "info"), &cfg->level) != 0) {
        fprintf(stderr, "LOG_LEVEL: must be debug, info, warn or error\n");
        bad = 1;
    }
    if (db_config_url("DATABASE_URL", "postgresql://127.0.0.1:5432/rcycle", &cfg->database_url,
                      err) != 0) {
        fprintf(stderr, "%s\n", err);
        bad = 1;
    }
    if (config_nng_url(def->addr_var, def->default_addr, &cfg->addr, err) != 0) {
        fprintf(stderr, "%s\n", err);
        bad = 1;
    }
    if (optional_addr(def->internal_addr_var, def->default_internal_addr, &cfg->internal_addr) !=
            0 ||
        optional_addr(def->feed_addr_var, def->default_feed_addr, &cfg->feed_addr) != 0)
        bad = 1;
    if (config_port("RCYCLE_ADMIN_PORT", def->default_admin_port, &cfg->admin_port, err) != 0) {
        fprintf(stderr, "%s\n", err);
        bad = 1;
    }
    if (config_int("RCYCLE_WORKERS", 8, 1, 256, &cfg->workers, err) != 0) {
        fprintf(stderr, "%s\n", err);
        bad = 1;
    }
    if (config_int("RCYCLE_RPC_CONN_MAX_AGE", 0, 0, 86400, &cfg->conn_max_age_s, err) != 0) {
        fprintf(stderr, "%s\n", err);
        bad = 1;
    }
    cfg->bind_host = config_string("RCYCLE_BIND_HOST", "127.0.0.1");
    return bad ? -1 : 0;
}

static int database_ready(void *arg)
{
    return db_ping(arg, READY_PING_TIMEOUT_MS) == RC_OK;
}

static double pool_in_use(void *arg)
{
    int in_use, idle;
    db_pool_counts(arg, &in_use, &idle);
    return in_use;
}

static double pool_size(void *arg)
{
    return db_pool_size(arg);
}

static double pool_idle(void *arg)
{
    int in_use, idle;
    db_pool_counts(arg, &in_use, &idle);
    return idle;
}

/* Blocks SIGINT and SIGTERM in every thread, so that only sigwait sees them. */
static void block_stop_signals(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, set, NULL);
    signal(SIGPIPE, SIG_IGN);
}

static int check_methods(const service_def *def)
{
    char err[256];
    if (rpc_service_check(&def->rpc, err, sizeof err) != 0) {
        fprintf(stderr, "%s: method table: %s\n", def->name, err);
        return 1;
    }
    return 0;
}

int service_main(const service_def *def, int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--check-methods") == 0)
        return check_methods(def);
    if (argc > 1) {
        fprintf(stderr, "usage: %s [--check-methods]\n", def->name);
        return 2;
    }
    service_config cfg;
    if (read_config(def, &cfg) != 0)
        return 2;
    log_init(def->name, cfg.level);
    metrics_init(def->name, RCYCLE_VERSION);
    if (token_init() != 0) {
        log_error(NULL, "libsodium failed to initialise");
        return 1;
    }
    if (rpc_tls_export_expiry(def->name) != 0)
        return 1;
    sigset_t stop_signals;
    block_stop_signals(&stop_signals);

    service_env env = {.pool = db_pool_create(cfg.database_url, def->name, cfg.workers + 2),
                       .workers = cfg.workers};
    if (env.pool == NULL) {
        log_error(NULL, "out of memory creating the database pool");
        return 1;
    }
    metrics_gauge("rcycle_db_pool_connections", "Database connections by state", "state", "in_use",
                  pool_in_use, env.pool);
    metrics_gauge("rcycle_db_pool_connections", "Database connections by state", "state", "idle",
                  pool_idle, env.pool);
    metrics_gauge("rcycle_db_pool_max_connections", "Connections the database pool may open", NULL,
                  NULL, pool_size, env.pool);

    int status = 1;
    void *state = NULL;
    rpc_server *server = NULL;
    admin_server *admin = NULL;
    audit_heads *heads = NULL;
    if (def->init != NULL && def->init(&env, &state) != 0)
        goto out;
    /* The public listener takes the callers the gateway's and services'
     * issuers vouch for; the internal and feed ones only those of their own
     * files. */
    rpc_listen listens[RPC_MAX_LISTENERS] = {
        {cfg.addr, "RCYCLE_TLS_CALLERS_CA", RPC_LISTENER_PUBLIC},
    };
    size_t n_listens = 1;
    if (cfg.internal_addr != NULL)
        listens[n_listens++] = (rpc_listen){cfg.internal_addr, "RCYCLE_TLS_INTERNAL_CALLERS_CA",
                                            RPC_LISTENER_INTERNAL};
    if (cfg.feed_addr != NULL)
        listens[n_listens++] =
            (rpc_listen){cfg.feed_addr, "RCYCLE_TLS_FEED_CALLERS_CA", RPC_LISTENER_FEED};
    if (rpc_server_start(listens, n_listens, &def->rpc, cfg.workers, cfg.conn_max_age_s * 1000,
                         env.pool, state, &server) != RC_OK)
        goto out;
    if (admin_start(cfg.bind_host, cfg.admin_port, database_ready, env.pool, &admin) != RC_OK)
        goto out;
    if ((heads = audit_heads_start(env.pool, def->chain)) == NULL)
        goto out;
    log_info(NULL, "%s serving %s%s%s%s%s, admin on %s:%d", def->name, cfg.addr,
             cfg.internal_addr ? " and internally " : "",
             cfg.internal_addr ? cfg.internal_addr : "", cfg.feed_addr ? ", feed on " : "",
             cfg.feed_addr ? cfg.feed_addr : "", cfg.bind_host, cfg.admin_port);

    int sig;
    sigwait(&stop_signals, &sig);
    log_info(NULL, "%s stopping on signal %d", def->name, sig);
    status = 0;
out:
    admin_stop(admin);
    rpc_server_stop(server);
    audit_heads_stop(heads);
    if (def->fini != NULL && state != NULL)
        def->fini(state);
    db_pool_destroy(env.pool);
    metrics_shutdown();
    return status;
}
