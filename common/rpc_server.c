/* rpc_server.c - the REP side of the RPC layer.
 *
 * Each worker thread owns one nng context and serves one request at a time:
 * receive, decode the envelope, borrow a database connection, run the
 * handler, send the reply. Blocking a worker on the database is the point:
 * the number of workers bounds the number of database connections in use.
 * Nothing a peer sends can crash a worker: every decode failure becomes an
 * INVALID_ARGUMENT reply. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>

#include "log.h"
#include "metrics.h"
#include "rpc.h"

/* Larger requests are refused by nng before they are read into memory. */
#define RPC_MAX_REQUEST_BYTES (4 * 1024 * 1024)
/* How long a request may wait for a database connection at most. */
#define RPC_DB_WAIT_MS 2000

struct rpc_server {
    nng_socket sock;
    const rpc_method *methods;
    db_pool *pool;
    void *service;
    int nworkers;
    pthread_t *threads;
};

static const Rcycle__Caller anonymous_caller = RCYCLE__CALLER__INIT;

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

static rpc_handler_fn find_handler(const rpc_server *s, const char *method)
{
    if (strcmp(method, "Health") == 0)
        return handle_health;
    for (const rpc_method *m = s->methods; m->name != NULL; m++)
        if (strcmp(m->name, method) == 0)
            return m->handler;
    return NULL;
}

ProtobufCMessage *rpc_unpack_request(const rpc_request *req, const ProtobufCMessageDescriptor *desc,
                                     rpc_reply *reply)
{
    ProtobufCMessage *msg = protobuf_c_message_unpack(desc, NULL, req->payload_len, req->payload);
    if (msg == NULL)
        rpc_reply_error(reply, RC_INVALID_ARGUMENT, "malformed %s request", req->method);
    return msg;
}

/* Runs handler for an unpacked envelope, with a borrowed connection. */
static void dispatch(rpc_server *s, rpc_handler_fn handler, const Rcycle__Envelope *env,
                     rpc_reply *reply)
{
    int64_t now = rpc_now_ms();
    int64_t deadline = env->has_deadline_ms ? env->deadline_ms : 0;
    if (deadline > 0 && now >= deadline) {
        rpc_reply_error(reply, RC_DEADLINE_EXCEEDED, "deadline exceeded before the request ran");
        return;
    }
    int wait_ms = RPC_DB_WAIT_MS;
    if (deadline > 0 && deadline - now < wait_ms)
        wait_ms = (int)(deadline - now);
    db_conn *db = db_acquire(s->pool, wait_ms);
    if (db == NULL) {
        rpc_reply_error(reply, RC_UNAVAILABLE, "database unavailable");
        return;
    }
    rpc_request req = {
        .method = env->method,
        .request_id = env->request_id ? env->request_id : "",
        .deadline_ms = deadline,
        .caller = env->caller ? env->caller : &anonymous_caller,
        .payload = env->has_payload ? env->payload.data : NULL,
        .payload_len = env->has_payload ? env->payload.len : 0,
        .db = db,
        .service = s->service,
    };
    handler(&req, reply);
    db_release(s->pool, db);
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

/* Decodes one request message and returns the reply message (NULL only when
 * out of memory, in which case the peer times out). */
static nng_msg *serve_message(rpc_server *s, nng_msg *in)
{
    double started = metrics_clock();
    rpc_reply reply = {0};
    Rcycle__Envelope *env =
        rcycle__envelope__unpack(NULL, nng_msg_len(in), (const uint8_t *)nng_msg_body(in));
    /* The metric label is the method only when it is one of ours, so a
     * peer cannot grow the metrics registry with invented names. */
    const char *method = "malformed";
    const char *request_id = NULL;
    if (env == NULL) {
        rpc_reply_error(&reply, RC_INVALID_ARGUMENT, "malformed envelope");
    } else {
        request_id = env->request_id;
        rpc_handler_fn handler = find_handler(s, env->method);
        if (handler == NULL) {
            method = "unknown";
            rpc_reply_error(&reply, RC_UNIMPLEMENTED, "unknown method");
        } else {
            method = env->method;
            dispatch(s, handler, env, &reply);
        }
    }
    if (reply.code == RC_INTERNAL || reply.code == RC_UNAVAILABLE)
        log_warn(request_id, "rpc %s -> %s: %s", method, rc_status_name(reply.code),
                 reply.message ? reply.message : "");
    else
        log_debug(request_id, "rpc %s -> %s", method, rc_status_name(reply.code));
    metrics_observe_rpc("server", method, rc_status_name(reply.code), metrics_clock() - started);
    nng_msg *out = encode_reply(&reply);
    rpc_reply_clear(&reply);
    if (env != NULL)
        rcycle__envelope__free_unpacked(env, NULL);
    return out;
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
        nng_msg *out = serve_message(s, in);
        nng_msg_free(in);
        if (out == NULL)
            continue;
        nng_aio_set_msg(aio, out);
        nng_ctx_send(ctx, aio);
        nng_aio_wait(aio);
        rv = nng_aio_result(aio);
        if (rv != 0)
            nng_msg_free(out);
        if (rv == NNG_ECLOSED)
            break;
    }
    nng_aio_free(aio);
    nng_ctx_close(ctx);
    return NULL;
}

rc_status rpc_server_start(const char *url, const rpc_method *methods, int nworkers, db_pool *pool,
                           void *service, rpc_server **out)
{
    rpc_server *s = calloc(1, sizeof *s);
    if (s == NULL)
        return RC_INTERNAL;
    s->methods = methods;
    s->pool = pool;
    s->service = service;
    int rv = nng_rep0_open(&s->sock);
    if (rv == 0)
        rv = nng_socket_set_size(s->sock, NNG_OPT_RECVMAXSZ, RPC_MAX_REQUEST_BYTES);
    if (rv == 0)
        rv = nng_listen(s->sock, url, NULL, 0);
    if (rv != 0) {
        log_error(NULL, "cannot listen on %s: %s", url, nng_strerror(rv));
        nng_close(s->sock);
        free(s);
        return RC_UNAVAILABLE;
    }
    s->threads = calloc((size_t)nworkers, sizeof *s->threads);
    if (s->threads == NULL)
        abort();
    for (int i = 0; i < nworkers; i++) {
        if (pthread_create(&s->threads[i], NULL, worker_main, s) != 0)
            break;
        s->nworkers++;
    }
    *out = s;
    return RC_OK;
}

void rpc_server_stop(rpc_server *s)
{
    if (s == NULL)
        return;
    nng_close(s->sock);
    for (int i = 0; i < s->nworkers; i++)
        pthread_join(s->threads[i], NULL);
    free(s->threads);
    free(s);
}
