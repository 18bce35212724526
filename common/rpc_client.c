/* rpc_client.c - the REQ side of the RPC layer.
 *
 * One REQ socket per service address, dialled several times so that each
 * dialer's connection may land on a different replica behind a Kubernetes
 * Service; nng's REQ protocol spreads requests over the live connections and
 * redials lost ones in the background. Every call gets its own context and
 * aio, so calls never block one another and the caller never blocks at all
 * (rpc_call_async); completion runs on an nng thread.
 *
 * Deadlines: nng timeouts apply per operation, so the send is given at most
 * RPC_CONNECT_WAIT_MS (a send that cannot be handed to any connection by then
 * means the service is unreachable: UNAVAILABLE) and the receive whatever is
 * left of the call's deadline (DEADLINE_EXCEEDED).
 *
 * A connection that closes under a call (a server retiring an old
 * connection, common/pipe_age.h, or a replica going away) fails it with
 * ECONNRESET, since nng's own resend is off. A call with a request id is
 * then sent once more, on another connection: the services answer a request
 * id they already applied with the answer they gave (common/idem.h). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>

#include "log.h"
#include "metrics.h"
#include "rpc.h"
#include "dialers.h"
#include "rpc_tls.h"

#define RPC_CONNECT_WAIT_MS  1000
#define RPC_MAX_REPLY_BYTES  (16 * 1024 * 1024)
#define RPC_RECONNECT_MIN_MS 50
#define RPC_RECONNECT_MAX_MS 1000

struct rpc_client {
    nng_socket sock;
    dialer_set *dialers; /* owns sock */
};

/* One call in flight. It owns itself: the aio callback frees it when the call
 * is over (nng_aio_reap, since an aio cannot be freed from its own callback
 * with nng_aio_free). */
typedef struct rpc_call_state {
    nng_ctx ctx;
    nng_aio *aio;
    int sending;
    int64_t deadline_ms;
    double started;
    const char *method; /* the descriptor's name, static */
    rpc_done_fn done;
    void *arg;
    nng_msg *again; /* a copy for the one resend, or NULL (owned) */
    rpc_client *client;
} rpc_call_state;

rc_status rpc_client_open(const char *url, const char *trust_var, int ndialers, rpc_client **out)
{
    nng_tls_config *tls;
    rc_status st = rpc_tls_config(url, NNG_TLS_MODE_CLIENT, trust_var, &tls);
    if (st != RC_OK)
        return st;
    rpc_client *c = calloc(1, sizeof *c);
    if (c == NULL) {
        if (tls != NULL)
            nng_tls_config_free(tls);
        return RC_INTERNAL;
    }
    int rv = nng_req0_open(&c->sock);
    if (rv == 0)
        /* Never resend on a timer: a resent CreateClaim would run twice. */
        rv = nng_socket_set_ms(c->sock, NNG_OPT_REQ_RESENDTIME, NNG_DURATION_INFINITE);
    if (rv == 0)
        rv = nng_socket_set_ms(c->sock, NNG_OPT_RECONNMINT, RPC_RECONNECT_MIN_MS);
    if (rv == 0)
        rv = nng_socket_set_ms(c->sock, NNG_OPT_RECONNMAXT, RPC_RECONNECT_MAX_MS);
    if (rv == 0)
        rv = nng_socket_set_size(c->sock, NNG_OPT_RECVMAXSZ, RPC_MAX_REPLY_BYTES);
    if (rv != 0)
        nng_close(c->sock);
    /* Each dialer keeps its connection, and so its TLS session, for as long
     * as it lives: a handshake per connection, not per call. */
    else
        c->dialers = dialer_set_start(c->sock, url, tls, ndialers, &rv);
    /* The set holds the configuration it dials with. */
    if (tls != NULL)
        nng_tls_config_free(tls);
    if (rv != 0) {
        log_error(NULL, "cannot dial %s: %s", url, nng_strerror(rv));
        free(c);
        return RC_INVALID_ARGUMENT;
    }
    *out = c;
    return RC_OK;
}

void rpc_client_close(rpc_client *c)
{
    if (c == NULL)
        return;
    dialer_set_close(c->dialers);
    free(c);
}

static rpc_reply *reply_new(rc_status code, const char *message)
{
    rpc_reply *r = calloc(1, sizeof *r);
    if (r == NULL)
        abort();
    r->code = code;
    r->message = message ? strdup(message) : NULL;
    return r;
}

static rpc_reply *decode_reply(nng_msg *msg)
{
    Rcycle__Reply *in =
        rcycle__reply__unpack(NULL, nng_msg_len(msg), (const uint8_t *)nng_msg_body(msg));
    if (in == NULL)
        return reply_new(RC_INTERNAL, "malformed reply from service");
    rpc_reply *r = reply_new((rc_status)in->code, in->message);
    if (in->code < 0 || in->code > RC_UNAUTHENTICATED)
        r->code = RC_UNKNOWN;
    if (in->has_payload && in->payload.len > 0) {
        r->payload = malloc(in->payload.len);
        if (r->payload == NULL)
            abort();
        memcpy(r->payload, in->payload.data, in->payload.len);
        r->payload_len = in->payload.len;
    }
    rcycle__reply__free_unpacked(in, NULL);
    return r;
}

static void finish_call(rpc_call_state *call, rpc_reply *reply)
{
    metrics_observe_rpc("client", call->method, rc_status_name(reply->code),
                        metrics_clock() - call->started);
    call->done(call->arg, reply);
    nng_msg_free(call->again);
    nng_ctx_close(call->ctx);
    nng_aio_reap(call->aio);
    free(call);
}

static void on_sent(rpc_call_state *call)
{
    int rv = nng_aio_result(call->aio);
    /* No connection took the call for a whole wait: whatever the dialers
     * believe they hold, they are replaced (dialers.h). */
    if (rv == NNG_ETIMEDOUT)
        dialer_set_kick(call->client->dialers);
    if (rv != 0) {
        nng_msg_free(nng_aio_get_msg(call->aio));
        finish_call(call, reply_new(RC_UNAVAILABLE, "service unavailable"));
        return;
    }
    int64_t left = call->deadline_ms - rpc_now_ms();
    if (left <= 0) {
        finish_call(call, reply_new(RC_DEADLINE_EXCEEDED, "service did not answer in time"));
        return;
    }
    call->sending = 0;
    nng_aio_set_timeout(call->aio, (nng_duration)left);
    nng_ctx_recv(call->ctx, call->aio);
}

static nng_duration send_wait(int64_t left)
{
    return left < RPC_CONNECT_WAIT_MS ? (nng_duration)left : RPC_CONNECT_WAIT_MS;
}

/* The copy of msg kept for the one resend, or NULL. A function of its own,
 * never inlined, so that test/lsan.supp can name it: nng 1.5.2 can lose a
 * request handed to nng_ctx_send again after NNG_ECONNRESET (the call is
 * freed, and finish_call frees the copy unless resend gave it to nng). */
__attribute__((noinline)) static nng_msg *resend_copy(nng_msg *msg)
{
    nng_msg *copy = NULL;
    return nng_msg_dup(&copy, msg) == 0 ? copy : NULL;
}

/* Sends the call's copy once more when its connection closed under it;
 * 1 when it did. */
static int resend(rpc_call_state *call)
{
    int64_t left = call->deadline_ms - rpc_now_ms();
    if (call->again == NULL || left <= 0)
        return 0;
    log_debug(NULL, "rpc %s: connection closed under the call; sending it again", call->method);
    call->sending = 1;
    nng_aio_set_timeout(call->aio, send_wait(left));
    nng_aio_set_msg(call->aio, call->again);
    call->again = NULL;
    nng_ctx_send(call->ctx, call->aio);
    return 1;
}

static void on_received(rpc_call_state *call)
{
    int rv = nng_aio_result(call->aio);
    if (rv == NNG_ECONNRESET && resend(call))
        return;
    if (rv == NNG_ETIMEDOUT) {
        /* A connection that takes requests and never answers is as lost as
         * none (dialers.h): the dialers are replaced. */
        dialer_set_kick(call->client->dialers);
        finish_call(call, reply_new(RC_DEADLINE_EXCEEDED, "service did not answer in time"));
        return;
    }
    if (rv != 0) {
        finish_call(call, reply_new(RC_UNAVAILABLE, "service unavailable"));
        return;
    }
    nng_msg *msg = nng_aio_get_msg(call->aio);
    rpc_reply *reply = decode_reply(msg);
    nng_msg_free(msg);
    finish_call(call, reply);
}

static void on_call_event(void *arg)
{
    rpc_call_state *call = arg;
    if (call->sending)
        on_sent(call);
    else
        on_received(call);
}

static nng_msg *encode_envelope(const ProtobufCMethodDescriptor *method,
                                const ProtobufCMessage *request, const rpc_call_opts *opts)
{
    Rcycle__Envelope env = RCYCLE__ENVELOPE__INIT;
    env.method = (char *)method->name;
    env.request_id = (char *)opts->request_id;
    env.has_deadline_ms = 1;
    env.deadline_ms = opts->deadline_ms;
    env.caller = (Rcycle__Caller *)opts->caller;
    const trace_ctx *trace = opts->trace ? opts->trace : trace_current();
    if (trace != NULL) {
        env.trace_id = (char *)trace->trace_id;
        env.parent_span_id = (char *)trace->span_id;
    }
    uint8_t *payload = NULL;
    if (request != NULL) {
        size_t len = protobuf_c_message_get_packed_size(request);
        payload = malloc(len ? len : 1);
        if (payload == NULL)
            abort();
        protobuf_c_message_pack(request, payload);
        env.has_payload = 1;
        env.payload.data = payload;
        env.payload.len = len;
    }
    nng_msg *msg = NULL;
    if (nng_msg_alloc(&msg, protobuf_c_message_get_packed_size(&env.base)) == 0)
        protobuf_c_message_pack(&env.base, nng_msg_body(msg));
    free(payload);
    return msg;
}

rc_status rpc_call_async(rpc_client *c, const ProtobufCMethodDescriptor *method,
                         const ProtobufCMessage *request, const rpc_call_opts *opts,
                         rpc_done_fn done, void *arg)
{
    /* A request of another type than the method takes is a programmer
     * error that the service would only see as garbage. */
    if (request != NULL && request->descriptor != method->input)
        abort();
    int64_t left = opts->deadline_ms - rpc_now_ms();
    if (left <= 0)
        return RC_DEADLINE_EXCEEDED;
    rpc_call_state *call = calloc(1, sizeof *call);
    if (call == NULL)
        return RC_INTERNAL;
    call->method = method->name;
    call->client = c;
    call->deadline_ms = opts->deadline_ms;
    call->started = metrics_clock();
    call->done = done;
    call->arg = arg;
    call->sending = 1;
    nng_msg *msg = encode_envelope(method, request, opts);
    if (msg == NULL || nng_ctx_open(&call->ctx, c->sock) != 0) {
        nng_msg_free(msg);
        free(call);
        return RC_UNAVAILABLE;
    }
    if (nng_aio_alloc(&call->aio, on_call_event, call) != 0) {
        nng_msg_free(msg);
        nng_ctx_close(call->ctx);
        free(call);
        return RC_INTERNAL;
    }
    nng_ctx_set_ms(call->ctx, NNG_OPT_REQ_RESENDTIME, NNG_DURATION_INFINITE);
    if (opts->request_id != NULL && opts->request_id[0] != '\0')
        call->again = resend_copy(msg);
    nng_aio_set_timeout(call->aio, send_wait(left));
    nng_aio_set_msg(call->aio, msg);
    nng_ctx_send(call->ctx, call->aio);
    return RC_OK;
}

/* The rendezvous between a blocking caller and the nng thread that finishes
 * its call. */
typedef struct sync_wait {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    rpc_reply *reply;
} sync_wait;

static void on_sync_done(void *arg, rpc_reply *reply)
{
    sync_wait *w = arg;
    pthread_mutex_lock(&w->mu);
    w->reply = reply;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

void rpc_call(rpc_client *c, const ProtobufCMethodDescriptor *method,
              const ProtobufCMessage *request, const rpc_call_opts *opts, rpc_reply *out)
{
    sync_wait w = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL};
    memset(out, 0, sizeof *out);
    rc_status st = rpc_call_async(c, method, request, opts, on_sync_done, &w);
    if (st != RC_OK) {
        rpc_reply_error(out, st, "%s",
                        st == RC_DEADLINE_EXCEEDED ? "deadline exceeded" : "service unavailable");
        return;
    }
    pthread_mutex_lock(&w.mu);
    while (w.reply == NULL)
        pthread_cond_wait(&w.cv, &w.mu);
    pthread_mutex_unlock(&w.mu);
    *out = *w.reply;
    free(w.reply);
}

ProtobufCMessage *rpc_reply_unpack(const ProtobufCMethodDescriptor *method, const rpc_reply *reply)
{
    return protobuf_c_message_unpack(method->output, NULL, reply->payload_len, reply->payload);
}
