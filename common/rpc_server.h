/* rpc_server.h - the REP side of the RPC layer: a service's method table and
 * the server that dispatches to it.
 *
 * A service's method table has one line per RPC of its .proto `service`
 * block, indexed by the generated RPCI_ constants:
 *     [RPCI_LISTINGS_GET_LISTING] = listings_get_listing,
 * RPC_SERVICE sizes it to the service's method count, and the server
 * refuses to start on a table with a hole, so a method added to a .proto
 * and not served stops the service at start. The server unpacks each
 * request as the method's input before the handler runs and frees it after;
 * an unknown method or a payload that does not unpack is answered
 * INVALID_ARGUMENT without reaching a handler. One nng REP socket is served
 * by N worker threads, each with its own nng context; a worker borrows a
 * database connection for the length of one request, so the number of
 * workers bounds the connections in use. */
#ifndef RCYCLE_RPC_SERVER_H
#define RCYCLE_RPC_SERVER_H

#include <stddef.h>

#include "db.h"
#include "rpc.h"

typedef struct rpc_request {
    const ProtobufCMethodDescriptor *method;
    ProtobufCMessage *input;      /* of method->input; never NULL; freed after the handler */
    const char *request_id;       /* never NULL; "" when the caller gave none */
    int64_t deadline_ms;          /* absolute, epoch ms; 0 = none */
    const Rcycle__Caller *caller; /* never NULL; empty when anonymous */
    db_conn *db;                  /* borrowed for this request; never NULL */
    void *service;                /* the state given to rpc_server_start */
} rpc_request;

/* Answers req in reply: rpc_reply_ok with a message of method->output, or an
 * error. Runs on a worker thread; everything in req is borrowed. */
typedef void (*rpc_handler_fn)(const rpc_request *req, rpc_reply *reply);

/* The listeners a server may have. Which peers reach a listener is decided
 * by the issuers its TLS configuration trusts (rpc_tls.h): the public one
 * takes the gateway (and the services that call this one), the internal one
 * only the services the methods limited to it are meant for, the feed one
 * only svc-users, which follows the services' events for notifications. */
#define RPC_LISTENER_PUBLIC   1u
#define RPC_LISTENER_INTERNAL 2u
#define RPC_LISTENER_FEED     4u

/* A service descriptor and its method table: handlers[i] serves
 * desc->methods[i]. listeners, when not NULL, holds per method the listeners
 * it is served on (RPC_LISTENER_* bits; 0 = the public and internal ones,
 * never the feed one), indexed like
 * handlers; a request on any other listener is answered PERMISSION_DENIED
 * before its payload is decoded. Common.Health is served on every one. */
typedef struct rpc_service {
    const ProtobufCServiceDescriptor *desc;
    const rpc_handler_fn *handlers;
    size_t n_handlers;
    const unsigned *listeners;
    size_t n_listeners;
} rpc_service;

/* desc and a table declared as `static const rpc_handler_fn t[COUNT]`. */
#define RPC_SERVICE(desc, table)                                                                   \
    {                                                                                              \
        (desc), (table), sizeof(table) / sizeof((table)[0]), NULL, 0                               \
    }

/* The same with a listener table declared as `static const unsigned l[COUNT]`. */
#define RPC_SERVICE_LIMITED(desc, table, limits)                                                   \
    {                                                                                              \
        (desc), (table), sizeof(table) / sizeof((table)[0]), (limits),                             \
            sizeof(limits) / sizeof((limits)[0])                                                   \
    }

/* 0 when the table serves each method of the descriptor exactly once;
 * otherwise -1 and a sentence naming the first fault in err. */
int rpc_service_check(const rpc_service *service, char *err, size_t err_len);

/* Answers OK with msg, its one repeated message field filled with the rows
 * of res, each mapped by fill into an item of item_size (db_map_rows); the
 * other fields of msg are the caller's to set. Out of memory answers
 * INTERNAL. msg's strings point into res, so this packs before it returns. */
void rpc_reply_rows(rpc_reply *reply, ProtobufCMessage *msg, const PGresult *res, size_t item_size,
                    db_row_fill fill);

/* Runs stmt with params for req and answers rpc_reply_rows of its result,
 * or the database error. */
void rpc_reply_query(const rpc_request *req, const db_stmt *stmt, const char *const *params,
                     ProtobufCMessage *msg, size_t item_size, db_row_fill fill, rpc_reply *reply);

typedef struct rpc_server rpc_server;

/* Answers one request message (data, len bytes, as it came off the socket)
 * exactly as a server of service does, into reply (clear it after): decode,
 * caller and size checks, dispatch. With pool NULL a request that gets as far
 * as needing the database is answered UNAVAILABLE, so the fuzz targets drive
 * the whole dispatch without one. */
void rpc_server_answer(const rpc_service *service, db_pool *pool, void *state, const uint8_t *data,
                       size_t len, rpc_reply *reply);
/* The same for a request that came in on listener (an RPC_LISTENER_* bit);
 * rpc_server_answer is this on RPC_LISTENER_PUBLIC. */
void rpc_server_answer_on(const rpc_service *service, db_pool *pool, void *state, unsigned listener,
                          const uint8_t *data, size_t len, rpc_reply *reply);

/* One address a server listens on, the variable naming the file of issuers
 * whose certificates it accepts (rpc_tls_config), and which listener it is. */
typedef struct rpc_listen {
    const char *url;
    const char *trust_var;
    unsigned listener; /* one RPC_LISTENER_* bit */
} rpc_listen;

#define RPC_MAX_LISTENERS 3

/* Listens on each of the n_listens addresses (at most RPC_MAX_LISTENERS) and
 * serves service (and Common.Health, a database ping) with nworkers threads.
 * A connection older than conn_max_age_ms (0: none) is closed once idle, so
 * that its caller redials (pipe_age.h). Fails when the table does not pass
 * rpc_service_check, an address cannot be listened on or its TLS
 * configuration is refused, or a worker cannot be started. */
rc_status rpc_server_start(const rpc_listen *listens, size_t n_listens, const rpc_service *service,
                           int nworkers, int conn_max_age_ms, db_pool *pool, void *state,
                           rpc_server **out);
/* Stops accepting, waits for the workers and frees the server. */
void rpc_server_stop(rpc_server *server);

#endif
