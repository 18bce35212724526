/* service.h - the common start-up and shut-down of an RPC service.
 *
 * A service's main.c describes itself in a service_def and calls
 * service_main, which reads the configuration (DATABASE_URL, the service's
 * address variables, RCYCLE_ADMIN_PORT, LOG_LEVEL, the TLS files of
 * rpc_tls.h), opens the database pool,
 * initialises libsodium (token_init), starts the RPC server and the admin
 * port, and runs until SIGINT/SIGTERM. */
#ifndef RCYCLE_SERVICE_H
#define RCYCLE_SERVICE_H

#include "audit.h"
#include "db.h"
#include "rpc_server.h"

typedef struct service_env {
    db_pool *pool;
    int workers; /* RCYCLE_WORKERS: the RPC worker threads */
} service_env;

typedef struct service_def {
    const char *name;         /* "svc-users" */
    const char *addr_var;     /* "RCYCLE_USERS_ADDR" */
    const char *default_addr; /* "tls+tcp://127.0.0.1:7101" */
    /* Optional: a second, internal listener for the methods the rpc table
     * limits to RPC_LISTENER_INTERNAL ("RCYCLE_LISTINGS_INTERNAL_ADDR"). */
    const char *internal_addr_var;
    const char *default_internal_addr;
    /* Optional: a listener for the methods limited to RPC_LISTENER_FEED,
     * trusting RCYCLE_TLS_FEED_CALLERS_CA ("RCYCLE_CLAIMS_FEED_ADDR"). */
    const char *feed_addr_var;
    const char *default_feed_addr;
    int default_admin_port;
    rpc_service rpc;   /* the .proto service and its method table */
    audit_chain chain; /* the audit chain the service owns (its schema's) */
    /* Optional: builds the service's state (clients to other services,
     * background workers) once the pool exists. Returns 0 on success, or -1
     * after logging why. */
    int (*init)(service_env *env, void **state);
    /* Optional: stops and frees what init built. */
    void (*fini)(void *state);
} service_def;

/* Runs the service; returns the process exit status. With the one argument
 * --check-methods it only checks the method table against the .proto
 * service (rpc_service_check) and exits 0 or 1: the build runs that after
 * linking, so a method declared and not served fails the build. */
int service_main(const service_def *def, int argc, char **argv);

#endif
