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

/* A service descriptor and its method table: handlers[i] serves
 * desc->methods[i]. */
typedef struct rpc_service {
    const ProtobufCServiceDescriptor *desc;
    const rpc_handler_fn *handlers;
    size_t n_handlers;
} rpc_service;

/* desc and a table declared as `static const rpc_handler_fn t[COUNT]`. */
#define RPC_SERVICE(desc, table)                                                                   \
    {                                                                                              \
        (desc), (table), sizeof(table) / sizeof((table)[0])                                        \
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

typedef struct rpc_server rpc_server;

/* Answers one request message (data, len bytes, as it came off the socket)
 * exactly as a server of service does, into reply (clear it after): decode,
 * caller and size checks, dispatch. With pool NULL a request that gets as far
 * as needing the database is answered UNAVAILABLE, so the fuzz targets drive
 * the whole dispatch without one. */
void rpc_server_answer(const rpc_service *service, db_pool *pool, void *state, const uint8_t *data,
                       size_t len, rpc_reply *reply);

/* Listens on url and serves service (and Common.Health, a database ping) with
 * nworkers threads. Fails when the table does not pass rpc_service_check, the
 * address cannot be listened on, or a worker cannot be started. */
rc_status rpc_server_start(const char *url, const rpc_service *service, int nworkers, db_pool *pool,
                           void *state, rpc_server **out);
/* Stops accepting, waits for the workers and frees the server. */
void rpc_server_stop(rpc_server *server);

#endif
