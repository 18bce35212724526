/* gateway.h - the gateway's state and the life of one API request.
 *
 * Threads: the gateway runs RCYCLE_GATEWAY_THREADS h2o event loops, each on
 * its own thread with its own `gateway` (context, connections, queue), all
 * accepting from one listening socket. A request lives on the loop that
 * accepted its connection, and everything here runs on that loop's thread,
 * except the RPC completions, which arrive on nng threads and are handed to
 * the request's loop through its h2o multithread queue (h2o may only be
 * called from its loop). What the loops share is thread-safe: the RPC
 * clients (nng), the auth cache (its own lock) and the read-only settings.
 *
 * An API request is a gw_exchange. It is freed by whichever comes last: the
 * end of the HTTP request (h2o disposes the request's memory pool) or the
 * end of the last RPC in flight for it. A reply that arrives after the client
 * went away is dropped. */
#ifndef RCYCLE_GATEWAY_H
#define RCYCLE_GATEWAY_H

#include <stdint.h>

#include <h2o.h>
#include <jansson.h>

#include "auth_cache.h"
#include "client_addr.h"
#include "httpd.h"
#include "query.h"
#include "router.h"
#include "rpc.h"
#include "token.h"
#include "trace.h"
#include "users.pb-c.h"

/* Room for a request id: 64 characters and the NUL. */
#define GW_REQUEST_ID_LEN 65
/* The JSON trees of the bodies of all exchanges in flight hold at most this
 * (json_parse_cost), split evenly among the loops (gateway.trees_max); a
 * body that would pass its loop's share gets 503. */
#define GW_TREES_MAX ((size_t)32 * 1024 * 1024)
/* Every API request must be answered within this, RPCs included. */
#define GW_REQUEST_DEADLINE_MS 5000

typedef struct gateway {
    h2o_globalconf_t config;
    h2o_context_t ctx;
    h2o_accept_ctx_t accept_ctx;
    h2o_multithread_queue_t *queue;
    h2o_multithread_receiver_t rpc_done;
    rpc_client *users; /* the clients and the cache: one for all loops */
    rpc_client *listings;
    rpc_client *claims;
    auth_cache *auth;
    client_trust trusted_proxies; /* RCYCLE_TRUSTED_PROXIES */
    int cookie_secure;
    int local_login;       /* RCYCLE_LOCAL_LOGIN, for GET /api/auth/config */
    int oidc_enabled;      /* RCYCLE_OIDC_ISSUER is set */
    const char *bind_host; /* where the public listener listens (readiness dials it) */
    int port;
    /* RPCs whose completion has not reached the loop yet; the queue may go
     * only once this is 0. */
    int inflight;
    int stopping; /* set at shutdown: no new RPC is started */
    /* Open client connections and their cap (RCYCLE_MAX_CONNECTIONS): at
     * the cap the listener stops accepting until one closes, because h2o
     * buffers each connection's request body whole before any handler runs
     * (docs/ARCHITECTURE.md, the gateway's memory bound). */
    httpd_conns conns;
    size_t max_connections; /* over all loops */
    h2o_socket_t *listener; /* NULL once shutdown began */
    int paused;             /* the listener is not read: the cap was reached */
    size_t tree_bytes;      /* the sum of this loop's exchanges' tree_bytes */
    size_t trees_max;       /* this loop's share of GW_TREES_MAX */
} gateway;

/* The h2o handler of the API paths: knows its gateway. */
typedef struct gw_handler {
    h2o_handler_t super;
    gateway *gw;
} gw_handler;

typedef struct gw_exchange gw_exchange;

/* What the credential of a request may do (docs/API.md, API tokens). */
typedef enum gw_token_scope {
    GW_SCOPE_SESSION, /* a session: whatever the user may do */
    GW_SCOPE_READ,    /* an API token with scope read: GET only */
    GW_SCOPE_WRITE,   /* read and write, except the routes that need a session */
} gw_token_scope;

/* How a route answers the reply of its one RPC. On OK the reply is unpacked
 * as the method's output and to_json(ex, reply, arg) (or item, below) makes
 * the body, which
 * is sent with status; a status of 204 sends no body (to_json, if set, may
 * still add headers and must return NULL). An error reply is answered with
 * the API's error shape, unless on_error is set and answers it itself (it
 * returns 1 then). Views are static: a route's answer is declared, not
 * written out. */
typedef json_t *(*gw_json_fn)(gw_exchange *ex, const ProtobufCMessage *msg, void *arg);

typedef struct gw_view {
    int status;
    gw_json_fn to_json;
    /* Instead of to_json, for a reply whose one repeated message field is
     * the answer: a JSON array of item(ex, element, arg) per element, and
     * X-Total-Count when the reply has an int64 field `total`. */
    gw_json_fn item;
    int (*on_error)(gw_exchange *ex, const rpc_reply *reply, void *arg);
} gw_view;

/* Continues an exchange with the raw reply of an RPC, for the steps that are
 * not a route's answer (authentication, readiness); runs on the loop thread.
 * The reply is freed after it returns. */
typedef void (*gw_reply_fn)(gw_exchange *ex, rpc_reply *reply, void *arg);

struct gw_exchange {
    gateway *gw;
    h2o_req_t *req; /* NULL once the client has gone */
    const gw_route *route;
    int pending; /* RPCs in flight */
    int responded;
    char request_id[GW_REQUEST_ID_LEN];
    /* The gateway's span of the request: the client's traceparent continued,
     * or a new trace; the loop thread's current trace while it works on ex. */
    trace_ctx trace;
    double started; /* metrics_clock() */
    int64_t deadline_ms;
    int64_t id; /* the path's {id}, when the route has one */
    gw_query query;
    json_t *body;      /* the JSON object body, for ROUTE_BODY routes */
    size_t tree_bytes; /* what body may hold, counted in gateway.tree_bytes */
    int has_token;
    int token_from_cookie;
    /* A session token, or an API token (Bearer only). */
    char token[API_TOKEN_TEXT_LEN + 1];
    /* Set when token is an API token: its scope (never for a session). */
    gw_token_scope token_scope;
    int64_t token_id;
    Rcycle__Users__User *user;         /* the authenticated user (owned) */
    char client_addr[CLIENT_ADDR_LEN]; /* client_addr_of */
    /* The user as services see it (points into user), and client_addr; sent
     * with every RPC, signed in or not. */
    Rcycle__Caller caller;
    void *data; /* a route's own state, freed with free_data */
    void (*free_data)(void *data);
};

/* The request's id: the client's X-Request-Id when it is a short token of
 * safe characters (it goes into every log line), otherwise a new random one. */
void gw_request_id(h2o_req_t *req, char out[GW_REQUEST_ID_LEN]);

/* Entry point of every /api request (registered in main.c). */
int gw_on_api_request(h2o_handler_t *self, h2o_req_t *req);

/* Runs the exchange's route once the caller may use it (authenticated, or
 * the route is public): parses the body of a ROUTE_BODY route (400 when it
 * is not a JSON object), then calls the route's start. */
void gw_start_route(gw_exchange *ex);

/* The multithread receiver callback that resumes exchanges. */
void gw_on_rpc_done(h2o_multithread_receiver_t *receiver, h2o_linklist_t *messages);

/* Calls method on client for ex and answers the request with its reply as
 * view says. request is of the method's input type, or NULL for an empty one;
 * it is packed before gw_call returns. arg is passed to the view's
 * functions. */
void gw_call(gw_exchange *ex, rpc_client *client, const ProtobufCMethodDescriptor *method,
             const ProtobufCMessage *request, const gw_view *view, void *arg);

/* Calls method on client for ex; fn(ex, reply, arg) runs on the loop. */
void gw_call_then(gw_exchange *ex, rpc_client *client, const ProtobufCMethodDescriptor *method,
                  const ProtobufCMessage *request, gw_reply_fn fn, void *arg);

/* Responses. Each may be called once per exchange; all add X-Request-Id. */
void gw_respond_json(gw_exchange *ex, int status, json_t *body); /* steals body */
void gw_respond_error(gw_exchange *ex, rc_status code, const char *message);
void gw_respond_error_json(gw_exchange *ex, rc_status code, json_t *body); /* steals body */
void gw_respond_reply_error(gw_exchange *ex, const rpc_reply *reply);
void gw_respond_no_content(gw_exchange *ex);
/* 302 to location (copied), no body. */
void gw_respond_redirect(gw_exchange *ex, const char *location);

/* Starts a streamed response with generator gen (h2o_send follows, from the
 * loop thread): logs and counts the request as answered with status now.
 * -1 when the client has gone or the request was answered already. */
int gw_start_stream(gw_exchange *ex, int status, const char *content_type, h2o_generator_t *gen);

/* Adds a response header before responding. value is copied. */
void gw_add_header(gw_exchange *ex, const char *name, const char *value);

/* Reads a query parameter as an optional non-negative integer; on a bad
 * value responds 400 and returns -1. */
int gw_query_int(gw_exchange *ex, const char *name, int32_t *out, int *present);

/* Unpacks an OK reply as the method's output; on failure responds 500 and
 * returns NULL. Free the result with protobuf_c_message_free_unpacked. */
ProtobufCMessage *gw_unpack_reply(gw_exchange *ex, const ProtobufCMethodDescriptor *method,
                                  const rpc_reply *reply);

#endif
