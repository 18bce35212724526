/* rpc.h - request/reply RPC over nng with protobuf-c envelopes.
 *
 * Every request is an rcycle.Envelope (method, request id, absolute deadline,
 * caller, payload) and every answer an rcycle.Reply (status code, message,
 * payload); see proto/envelope.proto.
 *
 * Server: one nng REP socket served by N worker threads, each with its own
 * nng context; a worker borrows a database connection for the length of one
 * request. Client: one nng REQ socket with several dialers to the same
 * address (so connection-level balancing spreads them across replicas), a
 * context per call, and a deadline on every call. */
#ifndef RCYCLE_RPC_H
#define RCYCLE_RPC_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "db.h"
#include "envelope.pb-c.h"
#include "status.h"

/* A reply, on either side. Owns message and payload (malloc'd or NULL). */
typedef struct rpc_reply {
    rc_status code;
    char *message;
    uint8_t *payload;
    size_t payload_len;
} rpc_reply;

/* Sets code OK and packs msg as the payload (none when msg is NULL). */
void rpc_reply_ok(rpc_reply *reply, const ProtobufCMessage *msg);
/* Sets an error code and a message a user may read (no SQL, no addresses). */
void rpc_reply_error(rpc_reply *reply, rc_status code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Answers a failed db_exec/db_command. db_exec has already logged the cause
 * under the request id; the caller only learns whether trying again may
 * help. */
void rpc_reply_db_error(rpc_reply *reply, rc_status status);
/* Attaches an error detail message as the payload of an error reply. */
void rpc_reply_detail(rpc_reply *reply, const ProtobufCMessage *detail);
/* Frees what the reply owns and zeroes it. */
void rpc_reply_clear(rpc_reply *reply);
/* rpc_reply_clear, then free() of a heap-allocated reply. */
void rpc_reply_free(rpc_reply *reply);

/* ---- server ---- */

typedef struct rpc_request {
    const char *method;
    const char *request_id;       /* never NULL; "" when the caller gave none */
    int64_t deadline_ms;          /* absolute, epoch ms; 0 = none */
    const Rcycle__Caller *caller; /* never NULL; empty when anonymous */
    const uint8_t *payload;
    size_t payload_len;
    db_conn *db;   /* borrowed for this request; never NULL */
    void *service; /* the state given to rpc_server_start */
} rpc_request;

typedef void (*rpc_handler_fn)(const rpc_request *req, rpc_reply *reply);

typedef struct rpc_method {
    const char *name;
    rpc_handler_fn handler;
} rpc_method;

typedef struct rpc_server rpc_server;

/* Listens on url and serves methods (terminated by a {NULL, NULL} entry)
 * with nworkers threads. Every server also answers "Health" (a database
 * ping). Unknown methods get UNIMPLEMENTED; an envelope or payload that does
 * not parse gets INVALID_ARGUMENT. */
rc_status rpc_server_start(const char *url, const rpc_method *methods, int nworkers, db_pool *pool,
                           void *service, rpc_server **out);
/* Stops accepting, waits for the workers and frees the server. */
void rpc_server_stop(rpc_server *server);

/* Unpacks the request payload; on failure sets INVALID_ARGUMENT and returns
 * NULL. Free the result with protobuf_c_message_free_unpacked. */
ProtobufCMessage *rpc_unpack_request(const rpc_request *req, const ProtobufCMessageDescriptor *desc,
                                     rpc_reply *reply);

/* 1 when the caller holds role. */
int rpc_caller_has_role(const Rcycle__Caller *caller, const char *role);

/* ---- client ---- */

typedef struct rpc_client rpc_client;

/* Opens a REQ socket with ndialers connections to url. Connection happens in
 * the background and is retried for as long as the client lives. */
rc_status rpc_client_open(const char *url, int ndialers, rpc_client **out);
void rpc_client_close(rpc_client *client);

typedef struct rpc_call_opts {
    const char *request_id;       /* may be NULL */
    const Rcycle__Caller *caller; /* may be NULL */
    int64_t deadline_ms;          /* absolute, epoch ms; required */
} rpc_call_opts;

/* Called once per call on an nng thread; takes ownership of reply (free it
 * with rpc_reply_free). A service that cannot be reached gives UNAVAILABLE,
 * one that does not answer before the deadline DEADLINE_EXCEEDED. */
typedef void (*rpc_done_fn)(void *arg, rpc_reply *reply);

/* Starts a call and returns at once. On RC_OK, done will be called exactly
 * once; on any other value it will not be. request may be NULL (empty). */
rc_status rpc_call_async(rpc_client *client, const char *method, const ProtobufCMessage *request,
                         const rpc_call_opts *opts, rpc_done_fn done, void *arg);

/* Blocking call for services and tools; fills *reply (clear it after). */
void rpc_call(rpc_client *client, const char *method, const ProtobufCMessage *request,
              const rpc_call_opts *opts, rpc_reply *reply);

/* Milliseconds since the Unix epoch (wall clock, as deadlines are). */
int64_t rpc_now_ms(void);

#endif
