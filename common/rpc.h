/* rpc.h - request/reply RPC over nng with protobuf-c envelopes: what both
 * ends share, and the client. The server side is rpc_server.h.
 *
 * Every request is an rcycle.Envelope (method, request id, absolute deadline,
 * caller, payload) and every answer an rcycle.Reply (status code, message,
 * payload); see proto/envelope.proto. A method is named by its descriptor,
 * one constant per RPC in the generated rpc_methods.h (RPC_USERS_LOGIN ...),
 * never by a string: the descriptor carries the name the envelope sends and
 * the input and output types both ends unpack.
 *
 * Client: one nng REQ socket with several dialers to the same address (so
 * connection-level balancing spreads them across replicas), a context per
 * call, and a deadline on every call. This header depends on nng and
 * protobuf-c only, so the gateway links no database library. */
#ifndef RCYCLE_RPC_H
#define RCYCLE_RPC_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "envelope.pb-c.h"
#include "rpc_methods.h"
#include "status.h"
#include "trace.h"

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
/* Answers a failed database call with a message that says only whether
 * trying again may help; the cause was logged where it happened. */
void rpc_reply_db_error(rpc_reply *reply, rc_status status);
/* Attaches an error detail message as the payload of an error reply. */
void rpc_reply_detail(rpc_reply *reply, const ProtobufCMessage *detail);
/* Frees what the reply owns and zeroes it. */
void rpc_reply_clear(rpc_reply *reply);
/* rpc_reply_clear, then free() of a heap-allocated reply. */
void rpc_reply_free(rpc_reply *reply);

/* 1 when the caller holds role. */
int rpc_caller_has_role(const Rcycle__Caller *caller, const char *role);

/* ---- deadlines: absolute, milliseconds since the Unix epoch ---- */

/* The wall clock in milliseconds, the unit of every deadline. Deadlines cross
 * processes, so they are wall-clock times; intervals inside one process use
 * a monotonic clock instead (worker.h, metrics_clock). */
int64_t rpc_now_ms(void);

/* The deadline ms milliseconds from now. */
int64_t rpc_deadline_in(int64_t ms);

/* The deadline of a call made while serving a request whose deadline is
 * caller_deadline (0 = none): never later than the caller's, and at most
 * cap_ms from now, so a callee cannot outlive the request it works for. */
int64_t rpc_callee_deadline(int64_t caller_deadline, int64_t cap_ms);

/* ---- client ---- */

typedef struct rpc_client rpc_client;

/* Opens a REQ socket with ndialers connections to url. Connection happens in
 * the background and is retried for as long as the client lives. A
 * tls+tcp:// url is dialled with this process's certificate and accepts only
 * a service certificate issued by one in the file trust_var names
 * (rpc_tls.h); a plain one needs the development switch. */
rc_status rpc_client_open(const char *url, const char *trust_var, int ndialers, rpc_client **out);
void rpc_client_close(rpc_client *client);

typedef struct rpc_call_opts {
    const char *request_id;       /* may be NULL */
    const Rcycle__Caller *caller; /* may be NULL */
    int64_t deadline_ms;          /* absolute, epoch ms; required */
    const trace_ctx *trace;       /* NULL: the calling thread's current trace, if any */
} rpc_call_opts;

/* Called once per call on an nng thread; takes ownership of reply (free it
 * with rpc_reply_free). A service that cannot be reached gives UNAVAILABLE,
 * one that does not answer before the deadline DEADLINE_EXCEEDED. */
typedef void (*rpc_done_fn)(void *arg, rpc_reply *reply);

/* Starts a call of method and returns at once. request is of the method's
 * input type, or NULL for an empty one. On RC_OK, done will be called exactly
 * once; on any other value it will not be. */
rc_status rpc_call_async(rpc_client *client, const ProtobufCMethodDescriptor *method,
                         const ProtobufCMessage *request, const rpc_call_opts *opts,
                         rpc_done_fn done, void *arg);

/* Blocking call for services and tools; fills *reply (clear it after). */
void rpc_call(rpc_client *client, const ProtobufCMethodDescriptor *method,
              const ProtobufCMessage *request, const rpc_call_opts *opts, rpc_reply *reply);

/* Unpacks an OK reply's payload as the method's output; NULL when it does
 * not unpack. Free the result with protobuf_c_message_free_unpacked. */
ProtobufCMessage *rpc_reply_unpack(const ProtobufCMethodDescriptor *method, const rpc_reply *reply);

#endif
