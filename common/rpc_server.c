/* rpc_server.c - the REP side of the RPC layer (rpc_server.h).
 *
 * Each worker thread owns one nng context and serves one request at a time:
 * receive, decode the envelope, find the method, unpack its input, borrow a
 * database connection, run the handler, send the reply. Blocking a worker on
 * the database is the point: the number of workers bounds the number of
 * database connections in use. Nothing a peer sends can crash a worker:
 * every decode failure becomes an INVALID_ARGUMENT reply. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>

#include "listen_watch.h"
#include "log.h"
#include "metrics.h"
#include "pb_budget.h"
#include "pb_reflect.h"
#include "pipe_age.h"
#include "rpc_server.h"
#include "trace.h"
#include "rpc_tls.h"

/* Larger requests are refused by nng before they are read into memory. The
 * largest a fair caller sends is an envelope around the gateway's largest
 * body (1 MiB), with room. */
#define RPC_MAX_REQUEST_BYTES (2 * 1024 * 1024)
/* The most elements a repeated field of any request may hold (the longest
 * real one is a user's roles, three). */
#define RPC_MAX_REPEATED 64
/* The caller an envelope may name: a user of the roles there are, and a
 * department and email the schema allows (200 and 254 characters of up to
 * four bytes). */
#define RPC_MAX_CALLER_ROLES 8
#define RPC_MAX_CALLER_TEXT  1024
/* How long a request may wait for a database connection at most. */
#define RPC_DB_WAIT_MS 2000
/* How long a worker waits for a connection to take its reply. nng sends one
 * reply at a time per connection and queues the rest, and a send has no
 * deadline of its own, so one connection whose send never ends (a peer that
 * stops reading; in the soak, a connection of the gateway's after
 * svc-listings was stopped and resumed) would hold every worker in turn and
 * leave the service deaf for good. A reply is taken in microseconds; its
 * caller waits five seconds at most. */
#define RPC_REPLY_WAIT_MS 2000

struct rpc_server {
    nng_socket sock;
    rpc_service service; /* read-only once started, so workers share it unlocked */
    db_pool *pool;
    void *state;
    int nworkers;
    pthread_t *threads;
    pipe_ager *ager;
    /* Which listener is which: a request's pipe names its listener. The
     * watch replaces a listener that stopped accepting, so workers read
     * listeners[] and the watch writes it with listeners_lock held. */
    pthread_mutex_t listeners_lock;
    nng_listener listeners[RPC_MAX_LISTENERS];
    rpc_listen listens[RPC_MAX_LISTENERS]; /* what each was made from */
    size_t nlisteners;
    listen_watch *watch;
    unsigned replaced; /* listeners the watch replaced, under listeners_lock */
};

static const Rcycle__Caller anonymous_caller = RCYCLE__CALLER__INIT;

/* Common.Health, which every server answers. */
static void handle_health(const rpc_request *req, rpc_reply *reply)
{
    PGresult *res = NULL;
    static const db_stmt ping = {"rpc_health_ping", "SELECT 1", 0};
    rc_status st = db_exec(req->db, &ping, NULL, req->request_id, &res);
    PQclear(res);
    if (st != RC_OK)
        rpc_reply_error(reply, RC_UNAVAILABLE, "database unavailable");
    else
        rpc_reply_ok(reply, NULL);
}

/* 1 when method may be called on listener. The limits are the service's
 * identity check: a listener's trusted issuers say who its peers are, this
 * says what those peers may ask. A method without a limit is served on the
 * public and internal listeners; the feed listener serves only the methods
 * that name it, so adding one to a service exposes nothing else. */
static int served_on(const rpc_service *service, const ProtobufCMethodDescriptor *method,
                     unsigned listener)
{
    const ProtobufCServiceDescriptor *d = service->desc;
    if (listener == 0)
        return 0;
    if (service->listeners == NULL || method < d->methods || method >= d->methods + d->n_methods)
        return 1;
    unsigned allowed = service->listeners[method - d->methods];
    if (allowed == 0)
        allowed = RPC_LISTENER_PUBLIC | RPC_LISTENER_INTERNAL;
    return (allowed & listener) != 0;
}

/* The handler of the method an envelope names, or NULL; *method is set. */
static rpc_handler_fn find_handler(const rpc_server *s, const char *name,
                                   const ProtobufCMethodDescriptor **method)
{
    const ProtobufCMethodDescriptor *health = RPC_COMMON_HEALTH;
    if (strcmp(name, health->name) == 0) {
        *method = health;
        return handle_health;
    }
    const ProtobufCServiceDescriptor *d = s->service.desc;
    *method = protobuf_c_service_descriptor_get_method_by_name(d, name);
    return *method ? s->service.handlers[*method - d->methods] : NULL;
}

/* 1 when no repeated field of msg, or of a message in it, holds more than max
 * elements. Requests nest two levels at most; depth stops a hostile
 * descriptor-shaped loop all the same. */
static int repeated_within(const ProtobufCMessage *msg, size_t max, int depth)
{
    const ProtobufCMessageDescriptor *d = msg->descriptor;
    if (depth > 8)
        return 0;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t n = pb_count(msg, f);
            if (n > max)
                return 0;
            if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
                ProtobufCMessage *const *items = pb_messages(msg, f);
                for (size_t k = 0; k < n; k++)
                    if (!repeated_within(items[k], max, depth + 1))
                        return 0;
            }
        } else if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
            const ProtobufCMessage *sub = pb_message(msg, f);
            if (sub != NULL && !repeated_within(sub, max, depth + 1))
                return 0;
        }
    }
    return 1;
}

static int short_text(const char *s)
{
    return s == NULL || strnlen(s, RPC_MAX_CALLER_TEXT + 1) <= RPC_MAX_CALLER_TEXT;
}

/* The envelope's caller, checked before its payload is decoded. */
static int caller_plausible(const Rcycle__Caller *c)
{
    if (c == NULL)
        return 1;
    if (c->n_roles > RPC_MAX_CALLER_ROLES || !short_text(c->department) || !short_text(c->email))
        return 0;
    for (size_t i = 0; i < c->n_roles; i++)
        if (!short_text(c->roles[i]))
            return 0;
    return 1;
}

/* Runs handler for an envelope: unpacks the input, borrows a connection, and
 * frees both after the handler. */
static void dispatch(rpc_server *s, const ProtobufCMethodDescriptor *method, rpc_handler_fn handler,
                     const Rcycle__Envelope *env, rpc_reply *reply)
{
    int64_t now = rpc_now_ms();
    int64_t deadline = env->has_deadline_ms ? env->deadline_ms : 0;
    if (deadline > 0 && now >= deadline) {
        rpc_reply_error(reply, RC_DEADLINE_EXCEEDED, "deadline exceeded before the request ran");
        return;
    }
    if (!caller_plausible(env->caller)) {
        rpc_reply_error(reply, RC_INVALID_ARGUMENT, "malformed caller");
        return;
    }
    size_t len = env->has_payload ? env->payload.len : 0;
    pb_budget budget;
    pb_budget_init(&budget, pb_budget_for(len));
    ProtobufCMessage *input = protobuf_c_message_unpack(
        method->input, &budget.allocator, len, env->has_payload ? env->payload.data : NULL);
    if (input == NULL) {
        rpc_reply_error(reply, RC_INVALID_ARGUMENT, "malformed %s request", method->name);
        return;
    }
    if (!repeated_within(input, RPC_MAX_REPEATED, 0)) {
        rpc_reply_error(reply, RC_INVALID_ARGUMENT, "%s request has too many elements",
                        method->name);
        protobuf_c_message_free_unpacked(input, &budget.allocator);
        return;
    }
    int wait_ms = RPC_DB_WAIT_MS;
    if (deadline > 0 && deadline - now < wait_ms)
        wait_ms = (int)(deadline - now);
    /* No pool: rpc_server_answer outside a server (the fuzz targets). */
    db_conn *db = s->pool ? db_acquire(s->pool, wait_ms) : NULL;
    if (db == NULL) {
        rpc_reply_error(reply, RC_UNAVAILABLE, "database unavailable");
    } else {
        rpc_request req = {
            .method = method,
            .input = input,
            .request_id = env->request_id ? env->request_id : "",
            .deadline_ms = deadline,
            .caller = env->caller ? env->caller : &anonymous_caller,
            .db = db,
            .service = s->state,
        };
        handler(&req, reply);
        db_release(s->pool, db);
    }
    protobuf_c_message_free_unpacked(input, &budget.allocator);
}

static nng_msg *encode_reply(const rpc_reply *reply)
{
    Rcycle__Reply out = RCYCLE__REPLY__INIT;
    out.code = reply->code;
    out.message = reply->message;
    if (reply->payload != NULL) {
        out.has_payload = 1;
        out.payload.data = reply->payload;
        out.payload.len = reply->payload_len;
    }
    nng_msg *msg;
    if (nng_msg_alloc(&msg, protobuf_c_message_get_packed_size(&out.base)) != 0)
        return NULL;
    protobuf_c_message_pack(&out.base, nng_msg_body(msg));
    return msg;
}

/* Answers one request message of len bytes that came in on listener. */
static void answer(rpc_server *s, unsigned listener, const uint8_t *data, size_t len,
                   rpc_reply *reply_out)
{
    double started = metrics_clock();
    rpc_reply reply = {0};
    /* The payload is a bytes field: its copy is the one big allocation of a
     * fair envelope, and the budget leaves room for it. */
    pb_budget budget;
    pb_budget_init(&budget, pb_budget_for(len));
    Rcycle__Envelope *env = rcycle__envelope__unpack(&budget.allocator, len, data);
    /* The metric label is the method only when it is one of ours, so a
     * peer cannot grow the metrics registry with invented names. */
    const char *method = "malformed";
    const char *request_id = NULL;
    /* The request's span, current on this thread while it is served, so its
     * log lines and the calls it makes carry the trace. */
    trace_ctx trace;
    trace_begin(&trace, env ? env->trace_id : NULL, env ? env->parent_span_id : NULL);
    trace_set(&trace);
    if (env == NULL) {
        rpc_reply_error(&reply, RC_INVALID_ARGUMENT, "malformed envelope");
    } else {
        request_id = env->request_id;
        const ProtobufCMethodDescriptor *m = NULL;
        rpc_handler_fn handler = find_handler(s, env->method, &m);
        if (handler == NULL) {
            method = "unknown";
            rpc_reply_error(&reply, RC_INVALID_ARGUMENT, "unknown method");
        } else if (!served_on(&s->service, m, listener)) {
            method = m->name;
            log_warn(request_id, "security: rpc %s refused on a listener that does not serve it",
                     method);
            rpc_reply_error(&reply, RC_PERMISSION_DENIED, "%s is not served to this peer", method);
        } else {
            method = m->name;
            dispatch(s, m, handler, env, &reply);
        }
    }
    double seconds = metrics_clock() - started;
    int failed = reply.code == RC_INTERNAL || reply.code == RC_UNAVAILABLE;
    /* Health answers every readiness probe: at info it would drown the rest. */
    log_level level = failed                                         ? LOG_WARN
                      : strcmp(method, RPC_COMMON_HEALTH->name) == 0 ? LOG_DEBUG
                                                                     : LOG_INFO;
    log_rpc_served(level, request_id, method, rc_status_name(reply.code), seconds * 1000.0,
                   failed ? (reply.message ? reply.message : "") : NULL);
    metrics_observe_rpc("server", method, rc_status_name(reply.code), seconds);
    trace_set(NULL);
    if (env != NULL)
        rcycle__envelope__free_unpacked(env, &budget.allocator);
    *reply_out = reply;
}

void rpc_server_answer_on(const rpc_service *service, db_pool *pool, void *state, unsigned listener,
                          const uint8_t *data, size_t len, rpc_reply *reply)
{
    rpc_server s = {.service = *service, .pool = pool, .state = state};
    answer(&s, listener, data, len, reply);
}

void rpc_server_answer(const rpc_service *service, db_pool *pool, void *state, const uint8_t *data,
                       size_t len, rpc_reply *reply)
{
    rpc_server_answer_on(service, pool, state, RPC_LISTENER_PUBLIC, data, len, reply);
}

/* The listener a request came in on, 0 when it is none of ours. */
static unsigned listener_of(rpc_server *s, nng_msg *in)
{
    int id = nng_listener_id(nng_pipe_listener(nng_msg_get_pipe(in)));
    unsigned bits = 0;
    pthread_mutex_lock(&s->listeners_lock);
    for (size_t i = 0; i < s->nlisteners; i++)
        if (id > 0 && nng_listener_id(s->listeners[i]) == id)
            bits = s->listens[i].listener;
    pthread_mutex_unlock(&s->listeners_lock);
    return bits;
}

/* Answers one request message; returns the reply message (NULL only when
 * out of memory, in which case the peer times out). */
static nng_msg *serve_message(rpc_server *s, nng_msg *in)
{
    rpc_reply reply;
    answer(s, listener_of(s, in), (const uint8_t *)nng_msg_body(in), nng_msg_len(in), &reply);
    nng_msg *out = encode_reply(&reply);
    rpc_reply_clear(&reply);
    return out;
}

/* Closes a connection that took no reply for RPC_REPLY_WAIT_MS, which fails
 * the replies queued behind the one it holds, so that their workers serve
 * others; its caller redials. */
static void drop_stalled(nng_pipe pipe)
{
    log_warn(NULL, "an RPC connection took no reply for %d ms: closing it", RPC_REPLY_WAIT_MS);
    nng_pipe_close(pipe);
}

static void *worker_main(void *arg)
{
    rpc_server *s = arg;
    nng_ctx ctx;
    nng_aio *aio;
    if (nng_ctx_open(&ctx, s->sock) != 0)
        return NULL;
    if (nng_aio_alloc(&aio, NULL, NULL) != 0) {
        nng_ctx_close(ctx);
        return NULL;
    }
    for (;;) {
        nng_ctx_recv(ctx, aio);
        nng_aio_wait(aio);
        int rv = nng_aio_result(aio);
        if (rv == NNG_ECLOSED)
            break;
        if (rv != 0)
            continue;
        nng_msg *in = nng_aio_get_msg(aio);
        nng_pipe pipe = nng_msg_get_pipe(in);
        pipe_ager_busy(s->ager, pipe);
        nng_msg *out = serve_message(s, in);
        nng_msg_free(in);
        if (out != NULL) {
            nng_aio_set_msg(aio, out);
            nng_aio_set_timeout(aio, RPC_REPLY_WAIT_MS);
            nng_ctx_send(ctx, aio);
            nng_aio_wait(aio);
            nng_aio_set_timeout(aio, NNG_DURATION_INFINITE);
            rv = nng_aio_result(aio);
            if (rv != 0)
                nng_msg_free(out);
            if (rv == NNG_ETIMEDOUT)
                drop_stalled(pipe);
        }
        pipe_ager_idle(s->ager, pipe);
        if (rv == NNG_ECLOSED)
            break;
    }
    nng_aio_free(aio);
    nng_ctx_close(ctx);
    return NULL;
}

static double open_connections(void *arg)
{
    return pipe_ager_open(arg);
}

static double retired_connections(void *arg)
{
    return (double)pipe_ager_retired(arg);
}

/* A started listener of s on l->url, with its TLS configuration. */
static rc_status open_listener(rpc_server *s, const rpc_listen *l, nng_listener *out)
{
    nng_tls_config *tls;
    rc_status st = rpc_tls_config(l->url, NNG_TLS_MODE_SERVER, l->trust_var, &tls);
    if (st != RC_OK)
        return st;
    nng_listener listener = NNG_LISTENER_INITIALIZER;
    int rv = nng_listener_create(&listener, s->sock, l->url);
    if (rv == 0 && tls != NULL)
        rv = nng_listener_set_ptr(listener, NNG_OPT_TLS_CONFIG, tls);
    if (rv == 0)
        rv = nng_listener_start(listener, 0);
    /* The listener holds the configuration it uses. */
    if (tls != NULL)
        nng_tls_config_free(tls);
    if (rv != 0) {
        log_error(NULL, "cannot listen on %s: %s", l->url, nng_strerror(rv));
        if (nng_listener_id(listener) > 0)
            nng_listener_close(listener);
        return RC_UNAVAILABLE;
    }
    *out = listener;
    return RC_OK;
}

/* Adds one listener to s. */
static rc_status listen_on(rpc_server *s, const rpc_listen *l)
{
    nng_listener listener;
    rc_status st = open_listener(s, l, &listener);
    if (st != RC_OK)
        return st;
    s->listeners[s->nlisteners] = listener;
    s->listens[s->nlisteners] = *l;
    s->nlisteners++;
    return RC_OK;
}

/* A listen_current_fn: listener i as it is now. */
static nng_listener current_listener(void *arg, size_t i)
{
    rpc_server *s = arg;
    pthread_mutex_lock(&s->listeners_lock);
    nng_listener l = s->listeners[i];
    pthread_mutex_unlock(&s->listeners_lock);
    return l;
}

/* A listen_replace_fn: closes listener i, which stopped accepting, and
 * listens again on its address. Its connections close with it and their
 * callers redial. When the address cannot be had again, the slot keeps the
 * closed listener and the next strikes retry. */
static void replace_listener(void *arg, size_t i)
{
    rpc_server *s = arg;
    nng_listener old = current_listener(s, i);
    log_warn(NULL, "listener on %s stopped accepting connections: listening again",
             s->listens[i].url);
    nng_listener_close(old);
    nng_listener fresh;
    if (open_listener(s, &s->listens[i], &fresh) != RC_OK)
        return;
    pthread_mutex_lock(&s->listeners_lock);
    s->listeners[i] = fresh;
    s->replaced++;
    pthread_mutex_unlock(&s->listeners_lock);
}

static double replaced_listeners(void *arg)
{
    rpc_server *s = arg;
    pthread_mutex_lock(&s->listeners_lock);
    double n = s->replaced;
    pthread_mutex_unlock(&s->listeners_lock);
    return n;
}

/* Starts the watch over s's listeners, each probed with a client TLS
 * configuration of this process's own certificate that does not check the
 * listener's (the probe asks only whether it answers). */
static rc_status watch_listeners(rpc_server *s)
{
    listen_target targets[RPC_MAX_LISTENERS];
    for (size_t i = 0; i < s->nlisteners; i++) {
        targets[i].url = s->listens[i].url;
        if (rpc_tls_config(s->listens[i].url, NNG_TLS_MODE_CLIENT, s->listens[i].trust_var,
                           &targets[i].tls) != RC_OK ||
            (targets[i].tls != NULL &&
             nng_tls_config_auth_mode(targets[i].tls, NNG_TLS_AUTH_MODE_NONE) != 0)) {
            for (size_t k = 0; k <= i; k++)
                if (targets[k].tls != NULL)
                    nng_tls_config_free(targets[k].tls);
            return RC_INVALID_ARGUMENT;
        }
    }
    s->watch = listen_watch_start(targets, s->nlisteners, LISTEN_WATCH_TIMING, current_listener,
                                  replace_listener, s);
    return s->watch != NULL ? RC_OK : RC_INTERNAL;
}

static void free_server(rpc_server *s)
{
    pthread_mutex_destroy(&s->listeners_lock);
    free(s);
}

rc_status rpc_server_start(const rpc_listen *listens, size_t n_listens, const rpc_service *service,
                           int nworkers, int conn_max_age_ms, db_pool *pool, void *state,
                           rpc_server **out)
{
    if (n_listens == 0 || n_listens > RPC_MAX_LISTENERS)
        return RC_INVALID_ARGUMENT;
    rpc_server *s = calloc(1, sizeof *s);
    if (s == NULL)
        return RC_INTERNAL;
    pthread_mutex_init(&s->listeners_lock, NULL);
    char err[256];
    if (rpc_service_check(service, err, sizeof err) != 0) {
        log_error(NULL, "method table: %s", err);
        free_server(s);
        return RC_INVALID_ARGUMENT;
    }
    s->service = *service;
    s->pool = pool;
    s->state = state;
    int rv = nng_rep0_open(&s->sock);
    if (rv != 0) {
        log_error(NULL, "cannot open the RPC socket: %s", nng_strerror(rv));
        free_server(s);
        return RC_UNAVAILABLE;
    }
    rv = nng_socket_set_size(s->sock, NNG_OPT_RECVMAXSZ, RPC_MAX_REQUEST_BYTES);
    if (rv == 0 && pipe_ager_start(s->sock, conn_max_age_ms, &s->ager) != RC_OK)
        rv = NNG_ENOMEM;
    if (rv != 0) {
        log_error(NULL, "cannot set up the RPC socket: %s", nng_strerror(rv));
        rpc_server_stop(s);
        return RC_UNAVAILABLE;
    }
    for (size_t i = 0; i < n_listens; i++) {
        rc_status st = listen_on(s, &listens[i]);
        if (st != RC_OK) {
            rpc_server_stop(s);
            return st;
        }
    }
    rc_status st = watch_listeners(s);
    if (st != RC_OK) {
        log_error(NULL, "cannot start the listener watch");
        rpc_server_stop(s);
        return st;
    }
    metrics_gauge("rcycle_rpc_server_listeners_replaced",
                  "RPC listeners found no longer accepting and opened again since the start", NULL,
                  NULL, replaced_listeners, s);
    metrics_gauge("rcycle_rpc_server_connections", "RPC connections open to this server", NULL,
                  NULL, open_connections, s->ager);
    metrics_gauge("rcycle_rpc_server_connections_retired",
                  "RPC connections closed for their age since the start, so that callers redial",
                  NULL, NULL, retired_connections, s->ager);
    s->threads = calloc((size_t)nworkers, sizeof *s->threads);
    if (s->threads == NULL) {
        rpc_server_stop(s);
        return RC_INTERNAL;
    }
    for (int i = 0; i < nworkers; i++) {
        if (pthread_create(&s->threads[i], NULL, worker_main, s) != 0) {
            log_error(NULL, "cannot start RPC worker %d of %d", i + 1, nworkers);
            rpc_server_stop(s);
            return RC_INTERNAL;
        }
        s->nworkers++;
    }
    *out = s;
    return RC_OK;
}

void rpc_server_stop(rpc_server *s)
{
    if (s == NULL)
        return;
    /* First the watch: replacing a listener needs the socket. */
    listen_watch_stop(s->watch);
    nng_close(s->sock);
    for (int i = 0; i < s->nworkers; i++)
        pthread_join(s->threads[i], NULL);
    pipe_ager_stop(s->ager);
    free(s->threads);
    free_server(s);
}
