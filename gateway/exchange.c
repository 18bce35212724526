/* exchange.c - the life of one API request: routing, request id, query and
 * body decoding, the RPC bridge back to the event loop, and responses. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "admit.h"
#include "auth.h"
#include "gateway.h"
#include "json_map.h"
#include "log.h"
#include "metrics.h"
#include "pb_reflect.h"
#include "routes.h"

#define JSON_CONTENT_TYPE "application/json; charset=utf-8"

/* An RPC completion on its way from an nng thread to the loop thread. */
typedef struct rpc_done_msg {
    h2o_multithread_message_t super;
    gw_exchange *ex;
    const ProtobufCMethodDescriptor *method;
    const gw_view *view; /* a route's answer, or NULL: fn continues instead */
    gw_reply_fn fn;
    void *arg;
    rpc_reply *reply;
} rpc_done_msg;

static void exchange_free(gw_exchange *ex)
{
    query_free(&ex->query);
    json_decref(ex->body);
    ex->gw->tree_bytes -= ex->tree_bytes;
    if (ex->user != NULL)
        rcycle__users__user__free_unpacked(ex->user, NULL);
    if (ex->free_data != NULL)
        ex->free_data(ex->data);
    free(ex);
}

/* h2o disposes the request's pool when the request is over, whether it was
 * answered or the client went away. */
static void on_request_disposed(void *slot)
{
    gw_exchange *ex = *(gw_exchange **)slot;
    ex->req = NULL;
    if (ex->pending == 0)
        exchange_free(ex);
}

/* A request id from the client is echoed when it is a short token of safe
 * characters (it goes into every log line); otherwise one is made. */
static int acceptable_request_id(const char *s, size_t len)
{
    if (len == 0 || len > 64)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.' || c == ':'))
            return 0;
    }
    return 1;
}

void gw_request_id(h2o_req_t *req, char out[GW_REQUEST_ID_LEN])
{
    ssize_t at = h2o_find_header_by_str(&req->headers, H2O_STRLIT("x-request-id"), -1);
    if (at != -1) {
        h2o_iovec_t v = req->headers.entries[at].value;
        if (acceptable_request_id(v.base, v.len)) {
            memcpy(out, v.base, v.len);
            out[v.len] = '\0';
            return;
        }
    }
    unsigned char raw[16];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(out, GW_REQUEST_ID_LEN, raw, sizeof raw);
}

/* A POST's Idempotency-Key becomes its request id: the services answer a
 * create they already made by request id with its first answer
 * (common/idem.h), so a client's retry with the same key gets the same 201.
 * A key that could not be a request id is refused. */
static int take_idempotency_key(gw_exchange *ex)
{
    h2o_req_t *req = ex->req;
    if (!h2o_memis(req->method.base, req->method.len, H2O_STRLIT("POST")))
        return 0;
    ssize_t at = h2o_find_header_by_str(&req->headers, H2O_STRLIT("idempotency-key"), -1);
    if (at == -1)
        return 0;
    h2o_iovec_t v = req->headers.entries[at].value;
    if (!acceptable_request_id(v.base, v.len)) {
        gw_respond_error(ex, RC_INVALID_ARGUMENT,
                         "Idempotency-Key must be 1 to 64 letters, digits, '-', '_', '.' or ':'");
        return -1;
    }
    memcpy(ex->request_id, v.base, v.len);
    ex->request_id[v.len] = '\0';
    return 0;
}

static const char *method_label(const gw_exchange *ex)
{
    return ex->route ? ex->route->method : "other";
}

static void log_and_count(const gw_exchange *ex, int status)
{
    double seconds = metrics_clock() - ex->started;
    metrics_observe_http(ex->route ? ex->route->pattern : "unmatched", method_label(ex), status,
                         seconds);
    log_info(ex->request_id, "%s %s -> %d in %.1f ms", method_label(ex),
             ex->route ? ex->route->pattern : "unmatched", status, seconds * 1000.0);
}

/* The head every response starts with; NULL when there is no one to answer
 * or the request was answered already. */
static h2o_req_t *start_head(gw_exchange *ex, int status)
{
    h2o_req_t *req = ex->req;
    if (req == NULL || ex->responded)
        return NULL;
    ex->responded = 1;
    log_and_count(ex, status);
    req->res.status = status;
    req->res.reason = rc_http_reason(status);
    /* Set, not added: the UI's path stamped one already when this is its
     * 404 (static_ui.c). */
    h2o_set_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("x-request-id"), 0,
                          ex->request_id, strlen(ex->request_id), 1);
    char traceparent[TRACEPARENT_LEN];
    trace_traceparent(&ex->trace, traceparent);
    /* h2o keeps a pointer to the value, not a copy: it goes in the pool. */
    h2o_iovec_t value = h2o_strdup(&req->pool, traceparent, strlen(traceparent));
    h2o_set_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("traceparent"), 0, value.base,
                          value.len, 1);
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL,
                   H2O_STRLIT("no-store"));
    return req;
}

static void respond(gw_exchange *ex, int status, const char *body, size_t len)
{
    h2o_req_t *req = start_head(ex, status);
    if (req == NULL)
        return;
    if (len > 0)
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL,
                       H2O_STRLIT(JSON_CONTENT_TYPE));
    req->res.content_length = len;
    h2o_send_inline(req, body, len);
}

int gw_start_stream(gw_exchange *ex, int status, const char *content_type, h2o_generator_t *gen)
{
    h2o_req_t *req = start_head(ex, status);
    if (req == NULL)
        return -1;
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, content_type,
                   strlen(content_type));
    h2o_start_response(req, gen);
    return 0;
}

void gw_respond_json(gw_exchange *ex, int status, json_t *body)
{
    /* 15 significant digits print 59.1 as 59.1, not 59.100000000000001. */
    char *text = json_dumps(body, JSON_COMPACT | JSON_REAL_PRECISION(15));
    json_decref(body);
    if (text == NULL) {
        static const char fail[] = "{\"error\":\"internal error\",\"code\":\"INTERNAL\"}";
        respond(ex, 500, fail, sizeof fail - 1);
        return;
    }
    respond(ex, status, text, strlen(text));
    free(text);
}

static json_t *error_body(rc_status code, const char *message)
{
    return json_pack("{s:s, s:s}", "error", message, "code", rc_status_name(code));
}

void gw_respond_error(gw_exchange *ex, rc_status code, const char *message)
{
    gw_respond_json(ex, rc_status_http(code), error_body(code, message));
}

void gw_respond_error_json(gw_exchange *ex, rc_status code, json_t *body)
{
    json_object_set_new(body, "code", json_string(rc_status_name(code)));
    gw_respond_json(ex, rc_status_http(code), body);
}

void gw_respond_reply_error(gw_exchange *ex, const rpc_reply *reply)
{
    const char *message = reply->message && reply->message[0] ? reply->message : "request failed";
    if (reply->code == RC_INTERNAL || reply->code == RC_UNKNOWN)
        message = "internal error";
    gw_respond_error(ex, reply->code == RC_OK ? RC_INTERNAL : reply->code, message);
}

void gw_respond_no_content(gw_exchange *ex)
{
    respond(ex, 204, "", 0);
}

void gw_respond_redirect(gw_exchange *ex, const char *location)
{
    gw_add_header(ex, "location", location);
    respond(ex, 302, "", 0);
}

void gw_add_header(gw_exchange *ex, const char *name, const char *value)
{
    if (ex->req == NULL)
        return;
    h2o_req_t *req = ex->req;
    h2o_add_header_by_str(&req->pool, &req->res.headers, name, strlen(name), 0, NULL,
                          h2o_strdup(&req->pool, value, SIZE_MAX).base, strlen(value));
}

ProtobufCMessage *gw_unpack_reply(gw_exchange *ex, const ProtobufCMethodDescriptor *method,
                                  const rpc_reply *reply)
{
    ProtobufCMessage *msg = rpc_reply_unpack(method, reply);
    if (msg == NULL) {
        log_error(ex->request_id, "malformed %s reply from a service", method->name);
        gw_respond_error(ex, RC_INTERNAL, "internal error");
    }
    return msg;
}

/* The JSON array of a list reply (gw_view.item): the reply's list
 * (pb_list_field), X-Total-Count from its int64 `total` if it has one, and
 * with it X-Total-Count-Exact, "false" when its bool `total_capped` says the
 * count stopped at a cap (a lower bound), as GET /api/audit says it. */
static json_t *list_json(gw_exchange *ex, const ProtobufCMessage *msg, const gw_view *view,
                         void *arg)
{
    const ProtobufCMessageDescriptor *d = msg->descriptor;
    const ProtobufCFieldDescriptor *list = pb_list_field(d);
    if (list == NULL)
        return NULL;
    const ProtobufCFieldDescriptor *total =
        protobuf_c_message_descriptor_get_field_by_name(d, "total");
    if (total != NULL && total->type == PROTOBUF_C_TYPE_INT64) {
        char text[24];
        snprintf(text, sizeof text, "%" PRId64,
                 *(const int64_t *)((const char *)msg + total->offset));
        gw_add_header(ex, "x-total-count", text);
    }
    const ProtobufCFieldDescriptor *capped =
        protobuf_c_message_descriptor_get_field_by_name(d, "total_capped");
    if (capped != NULL && capped->type == PROTOBUF_C_TYPE_BOOL)
        gw_add_header(ex, "x-total-count-exact",
                      *(const protobuf_c_boolean *)((const char *)msg + capped->offset) ? "false"
                                                                                        : "true");
    json_t *out = json_array();
    ProtobufCMessage *const *items = pb_messages(msg, list);
    for (size_t k = 0; k < pb_count(msg, list); k++)
        json_array_append_new(out, view->item(ex, items[k], arg));
    return out;
}

int gw_query_int(gw_exchange *ex, const char *name, int32_t *out, int *present)
{
    const char *v = query_get(&ex->query, name);
    *present = 0;
    if (v == NULL || v[0] == '\0')
        return 0;
    char *end;
    long n = strtol(v, &end, 10);
    if (*end != '\0' || n < 0 || n > 1000000000L || v[0] == '+' || v[0] == ' ') {
        char msg[96];
        snprintf(msg, sizeof msg, "%s must be a non-negative integer", name);
        gw_respond_error(ex, RC_INVALID_ARGUMENT, msg);
        return -1;
    }
    *out = (int32_t)n;
    *present = 1;
    return 0;
}

/* ---- the RPC bridge ---- */

/* Runs on an nng thread: only hands the reply over to the loop. */
static void on_rpc_reply(void *arg, rpc_reply *reply)
{
    rpc_done_msg *msg = arg;
    msg->reply = reply;
    h2o_multithread_send_message(&msg->ex->gw->rpc_done, &msg->super);
}

/* The one reply path of every route: error, unpack, to JSON, respond. */
static void respond_view(gw_exchange *ex, const ProtobufCMethodDescriptor *method,
                         const rpc_reply *reply, const gw_view *view, void *arg)
{
    if (reply->code != RC_OK) {
        if (view->on_error == NULL || !view->on_error(ex, reply, arg))
            gw_respond_reply_error(ex, reply);
        return;
    }
    ProtobufCMessage *msg = gw_unpack_reply(ex, method, reply);
    if (msg == NULL)
        return;
    json_t *body = view->item      ? list_json(ex, msg, view, arg)
                   : view->to_json ? view->to_json(ex, msg, arg)
                                   : NULL;
    protobuf_c_message_free_unpacked(msg, NULL);
    if (view->status == 204) {
        json_decref(body);
        gw_respond_no_content(ex);
    } else if (body == NULL) {
        gw_respond_error(ex, RC_INTERNAL, "internal error");
    } else {
        gw_respond_json(ex, view->status, body);
    }
}

/* Hands a call's reply to its route's view, or to its continuation. */
static void deliver(gw_exchange *ex, const rpc_done_msg *msg, rpc_reply *reply)
{
    if (msg->view != NULL)
        respond_view(ex, msg->method, reply, msg->view, msg->arg);
    else
        msg->fn(ex, reply, msg->arg);
}

void gw_on_rpc_done(h2o_multithread_receiver_t *receiver, h2o_linklist_t *messages)
{
    (void)receiver;
    while (!h2o_linklist_is_empty(messages)) {
        rpc_done_msg *msg = H2O_STRUCT_FROM_MEMBER(rpc_done_msg, super.link, messages->next);
        h2o_linklist_unlink(&msg->super.link);
        gw_exchange *ex = msg->ex;
        ex->gw->inflight--;
        ex->pending--;
        if (ex->req == NULL) {
            if (ex->pending == 0)
                exchange_free(ex);
        } else {
            /* ex may be freed inside (the response can end the request), so
             * it is not touched after this call. */
            trace_set(&ex->trace);
            deliver(ex, msg, msg->reply);
            trace_set(NULL);
        }
        rpc_reply_free(msg->reply);
        free(msg);
    }
}

/* Starts a call of method for ex whose reply goes to view or, without one,
 * to fn; a call that cannot start is answered at once. */
static void start_call(gw_exchange *ex, rpc_client *client, const ProtobufCMethodDescriptor *method,
                       const ProtobufCMessage *request, const gw_view *view, gw_reply_fn fn,
                       void *arg)
{
    rpc_done_msg *msg = calloc(1, sizeof *msg);
    if (msg == NULL) {
        gw_respond_error(ex, RC_INTERNAL, "internal error");
        return;
    }
    *msg = (rpc_done_msg){.ex = ex, .method = method, .view = view, .fn = fn, .arg = arg};
    rpc_call_opts opts = {
        .request_id = ex->request_id,
        .caller = &ex->caller,
        .deadline_ms = ex->deadline_ms,
        .trace = &ex->trace,
    };
    rc_status st = ex->gw->stopping
                       ? RC_UNAVAILABLE
                       : rpc_call_async(client, method, request, &opts, on_rpc_reply, msg);
    if (st == RC_OK) {
        ex->pending++;
        ex->gw->inflight++;
        return;
    }
    rpc_reply failed = {.code = st};
    deliver(ex, msg, &failed);
    free(msg);
}

void gw_call(gw_exchange *ex, rpc_client *client, const ProtobufCMethodDescriptor *method,
             const ProtobufCMessage *request, const gw_view *view, void *arg)
{
    start_call(ex, client, method, request, view, NULL, arg);
}

void gw_call_then(gw_exchange *ex, rpc_client *client, const ProtobufCMethodDescriptor *method,
                  const ProtobufCMessage *request, gw_reply_fn fn, void *arg)
{
    start_call(ex, client, method, request, NULL, fn, arg);
}

/* ---- the entry point ---- */

/* Answers a request that admit_request refused; returns -1 then. */
static int answer_refusal(gw_exchange *ex, admit_result result, const char *path, size_t path_len)
{
    char text[96];
    switch (result) {
    case ADMIT_OK:
        return 0;
    case ADMIT_NUL_PATH:
        gw_respond_error(ex, RC_INVALID_ARGUMENT, "invalid path: it holds a NUL");
        break;
    case ADMIT_NO_METHOD: {
        char allow[64];
        router_allowed_methods(gw_routes, gw_routes_count, path, path_len, allow, sizeof allow);
        gw_add_header(ex, "allow", allow);
        gw_respond_json(ex, 405, error_body(RC_UNIMPLEMENTED, "method not allowed"));
        break;
    }
    case ADMIT_BAD_ID:
        gw_respond_error(ex, RC_INVALID_ARGUMENT, "invalid id: ids are positive integers");
        break;
    case ADMIT_TOO_LARGE:
        snprintf(text, sizeof text, "request body is larger than %zu bytes", ex->route->max_body);
        gw_respond_json(ex, 413, error_body(RC_INVALID_ARGUMENT, text));
        break;
    case ADMIT_NOT_JSON:
        gw_respond_json(ex, 415,
                        error_body(RC_INVALID_ARGUMENT, "request body must be application/json"));
        break;
    default:
        gw_respond_error(ex, RC_NOT_FOUND, "not found");
        break;
    }
    return -1;
}

/* Finds the route and checks the request's head against it (admit.h);
 * responds itself to a request it refuses. Nothing here reads the body. */
static int admit(gw_exchange *ex)
{
    h2o_req_t *req = ex->req;
    admit_head head = {
        .method = req->method.base,
        .method_len = req->method.len,
        .path = req->path.base,
        .path_len = req->query_at != SIZE_MAX ? req->query_at : req->path.len,
        .body_len = req->entity.base != NULL ? req->entity.len : 0,
    };
    ssize_t at = h2o_find_header(&req->headers, H2O_TOKEN_CONTENT_TYPE, -1);
    if (at != -1) {
        head.content_type = req->headers.entries[at].value.base;
        head.content_type_len = req->headers.entries[at].value.len;
    }
    const gw_route *route = NULL;
    admit_result result = admit_request(gw_routes, gw_routes_count, &head, &route, &ex->id);
    if (result == ADMIT_OK || result == ADMIT_TOO_LARGE || result == ADMIT_NOT_JSON)
        ex->route = route;
    if (answer_refusal(ex, result, head.path, head.path_len) != 0)
        return -1;
    if (req->query_at != SIZE_MAX &&
        query_parse(req->path.base + req->query_at + 1, req->path.len - req->query_at - 1,
                    &ex->query) != 0) {
        gw_respond_error(ex, RC_INVALID_ARGUMENT, "invalid query string");
        return -1;
    }
    return 0;
}

/* Parses the body of ex within its share of the trees' budget; responds
 * itself and returns -1 when it cannot. */
static int parse_body(gw_exchange *ex)
{
    h2o_req_t *req = ex->req;
    gateway *gw = ex->gw;
    size_t room = gw->trees_max - gw->tree_bytes;
    size_t cost;
    char err[JSON_ERR_LEN];
    ex->body = json_parse_object(req->entity.base ? req->entity.base : "", req->entity.len,
                                 room < JSON_PARSE_MAX ? room : JSON_PARSE_MAX, &cost, err);
    if (ex->body != NULL) {
        ex->tree_bytes = cost;
        gw->tree_bytes += cost;
        return 0;
    }
    if (cost > JSON_PARSE_MAX)
        gw_respond_json(ex, 413, error_body(RC_INVALID_ARGUMENT, err));
    else if (cost > room)
        gw_respond_error(ex, RC_UNAVAILABLE, "the gateway is busy; try again");
    else
        gw_respond_error(ex, RC_INVALID_ARGUMENT, err);
    return -1;
}

void gw_start_route(gw_exchange *ex)
{
    if ((ex->route->flags & ROUTE_BODY) && parse_body(ex) != 0)
        return;
    ex->route->start(ex);
}

/* The request's first steps, on the loop thread with its trace current. */
static void handle_request(gw_exchange *ex)
{
    h2o_req_t *req = ex->req;
    client_addr_of(&ex->gw->trusted_proxies, req, ex->client_addr);
    rcycle__caller__init(&ex->caller);
    ex->caller.client_addr = ex->client_addr;
    if (take_idempotency_key(ex) != 0)
        return;
    if (admit(ex) != 0)
        return;
    /* Only login parses a body before authentication: no one can make the
     * gateway build a JSON tree without credentials (docs/ARCHITECTURE.md). */
    if (ex->route->flags & ROUTE_PUBLIC)
        gw_start_route(ex);
    else
        gw_authenticate(ex);
}

int gw_on_api_request(h2o_handler_t *self, h2o_req_t *req)
{
    gw_exchange *ex = calloc(1, sizeof *ex);
    if (ex == NULL)
        abort();
    ex->gw = ((gw_handler *)self)->gw;
    ex->req = req;
    ex->started = metrics_clock();
    ex->deadline_ms = rpc_deadline_in(GW_REQUEST_DEADLINE_MS);
    gw_exchange **slot = h2o_mem_alloc_shared(&req->pool, sizeof *slot, on_request_disposed);
    *slot = ex;
    gw_request_id(req, ex->request_id);
    ssize_t tp = h2o_find_header_by_str(&req->headers, H2O_STRLIT("traceparent"), -1);
    if (tp != -1)
        trace_from_traceparent(&ex->trace, req->headers.entries[tp].value.base,
                               req->headers.entries[tp].value.len);
    else
        trace_begin(&ex->trace, NULL, NULL);
    trace_set(&ex->trace);
    handle_request(ex);
    trace_set(NULL);
    return 0;
}
