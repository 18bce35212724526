/* routes_audit.c - GET /api/audit and GET /api/audit/export (docs/AUDIT.md).
 *
 * Each service serves its own chain; the list merges the three newest
 * first, and the export streams them one after the other in seq order, a
 * page at a time: the next page is asked for only once h2o has sent the
 * last one (the generator's proceed), so the gateway holds one page however
 * long the export. Who may read it (security, admin) is the services' check. */
#include <stdlib.h>
#include <string.h>

#include "json_map.h"
#include "log.h"
#include "readiness.h"
#include "routes.h"

#define LIST_DEFAULT_LIMIT 100
#define LIST_MAX_LIMIT     500
/* Each chain gives its top offset + limit for the merge (common/audit.c
 * caps the sum at 10100). */
#define LIST_MAX_OFFSET 9600
#define EXPORT_PAGE     1000

static const ProtobufCMethodDescriptor *list_method(int chain)
{
    return chain == 0   ? RPC_USERS_LIST_AUDIT
           : chain == 1 ? RPC_LISTINGS_LIST_AUDIT
                        : RPC_CLAIMS_LIST_AUDIT;
}

static const ProtobufCMethodDescriptor *export_method(int chain)
{
    return chain == 0   ? RPC_USERS_EXPORT_AUDIT
           : chain == 1 ? RPC_LISTINGS_EXPORT_AUDIT
                        : RPC_CLAIMS_EXPORT_AUDIT;
}

/* The chains are the services' (users, listings, claims: gw_service_client's
 * order), in export order. */
/* Which chains can hold events about entity (NULL: all). */
static int chain_has_entity(int chain, const char *entity)
{
    if (entity == NULL)
        return 1;
    if (strcmp(entity, "user") == 0 || strcmp(entity, "token") == 0)
        return chain == 0;
    if (strcmp(entity, "listing") == 0 || strcmp(entity, "registry") == 0)
        return chain == 1;
    if (strcmp(entity, "claim") == 0)
        return chain == 2;
    return -1;
}

/* A query parameter, NULL when absent or empty. */
static const char *param(gw_exchange *ex, const char *name)
{
    const char *v = query_get(&ex->query, name);
    return v != NULL && v[0] != '\0' ? v : NULL;
}

/* ---- the list ---- */

typedef struct audit_merge {
    int answered, asked;
    int32_t limit, offset;
    rc_status failed; /* the first error, answered once all are in */
    char message[160];
    Rcycle__AuditPage *pages[GW_SERVICES];
} audit_merge;

static void merge_free(void *data)
{
    audit_merge *m = data;
    for (int i = 0; i < GW_SERVICES; i++)
        if (m->pages[i] != NULL)
            rcycle__audit_page__free_unpacked(m->pages[i], NULL);
    free(m);
}

/* Newest first; a tie broken by chain and seq so the order is total. */
static int newer(const Rcycle__AuditEvent *a, int ca, const Rcycle__AuditEvent *b, int cb)
{
    int c = strcmp(a->at, b->at);
    if (c != 0)
        return c > 0;
    if (ca != cb)
        return ca > cb;
    return a->seq > b->seq;
}

static void answer_merged(gw_exchange *ex, audit_merge *m)
{
    size_t at[GW_SERVICES] = {0};
    int64_t total = 0;
    int exact = 1;
    for (int i = 0; i < GW_SERVICES; i++)
        if (m->pages[i] != NULL) {
            total += m->pages[i]->total;
            exact &= !m->pages[i]->total_capped;
        }
    json_t *out = json_array();
    for (int32_t k = 0; k < m->offset + m->limit; k++) {
        int best = -1;
        for (int i = 0; i < GW_SERVICES; i++) {
            const Rcycle__AuditPage *p = m->pages[i];
            if (p == NULL || at[i] == p->n_events)
                continue;
            if (best < 0 || newer(p->events[at[i]], i, m->pages[best]->events[at[best]], best))
                best = i;
        }
        if (best < 0)
            break;
        if (k >= m->offset)
            json_array_append_new(out, json_from_audit_event(m->pages[best]->events[at[best]]));
        at[best]++;
    }
    char text[24];
    snprintf(text, sizeof text, "%lld", (long long)total);
    gw_add_header(ex, "x-total-count", text);
    /* Each chain counts up to a cap (common/audit.c): past it the total is
     * a lower bound, and a client must not show it as exact. */
    gw_add_header(ex, "x-total-count-exact", exact ? "true" : "false");
    gw_respond_json(ex, 200, out);
}

static void on_list_page(gw_exchange *ex, rpc_reply *reply, void *arg)
{
    int chain = (int)(intptr_t)arg;
    audit_merge *m = ex->data;
    m->answered++;
    if (reply->code != RC_OK && m->failed == RC_OK) {
        m->failed = reply->code;
        snprintf(m->message, sizeof m->message, "%s", reply->message ? reply->message : "");
    } else if (reply->code == RC_OK) {
        m->pages[chain] = (Rcycle__AuditPage *)rpc_reply_unpack(list_method(chain), reply);
        if (m->pages[chain] == NULL && m->failed == RC_OK)
            m->failed = RC_INTERNAL;
    }
    if (m->answered < m->asked)
        return;
    if (m->failed != RC_OK)
        gw_respond_reply_error(ex, &(rpc_reply){.code = m->failed, .message = m->message});
    else
        answer_merged(ex, m);
}

/* The filters of both routes into q; answers 400 and returns -1 on a bad one. */
static int read_filters(gw_exchange *ex, Rcycle__AuditQuery *q, int with_filters)
{
    q->from = (char *)param(ex, "from");
    q->to = (char *)param(ex, "to");
    if (!with_filters)
        return 0;
    q->actor = (char *)param(ex, "actor");
    q->action = (char *)param(ex, "action");
    q->entity = (char *)param(ex, "entity");
    q->entity_id = (char *)param(ex, "entityId");
    if (chain_has_entity(0, q->entity) < 0) {
        gw_respond_error(ex, RC_INVALID_ARGUMENT,
                         "entity must be claim, listing, user, token or registry");
        return -1;
    }
    return 0;
}

void route_list_audit(gw_exchange *ex)
{
    Rcycle__AuditQuery q = RCYCLE__AUDIT_QUERY__INIT;
    int32_t limit = LIST_DEFAULT_LIMIT, offset = 0;
    int has;
    if (read_filters(ex, &q, 1) != 0 || gw_query_int(ex, "limit", &limit, &has) != 0 ||
        gw_query_int(ex, "offset", &offset, &has) != 0)
        return;
    if (!has)
        offset = 0;
    if (limit < 1 || limit > LIST_MAX_LIMIT || offset > LIST_MAX_OFFSET) {
        gw_respond_error(ex, RC_INVALID_ARGUMENT,
                         "limit must be 1 to 500 and offset at most 9600 (narrow with from/to)");
        return;
    }
    audit_merge *m = calloc(1, sizeof *m);
    if (m == NULL) {
        gw_respond_error(ex, RC_INTERNAL, "internal error");
        return;
    }
    m->limit = limit;
    m->offset = offset;
    ex->data = m;
    ex->free_data = merge_free;
    q.has_limit = q.has_offset = 1;
    q.limit = limit + offset;
    q.offset = 0;
    for (int i = 0; i < GW_SERVICES; i++)
        m->asked += chain_has_entity(i, q.entity) == 1;
    for (int i = 0; i < GW_SERVICES; i++)
        if (chain_has_entity(i, q.entity) == 1)
            gw_call_then(ex, gw_service_client(ex->gw, i), list_method(i), &q.base, on_list_page,
                         (void *)(intptr_t)i);
}

/* ---- the export ---- */

typedef struct audit_stream {
    h2o_generator_t gen; /* first: h2o hands it back to proceed */
    gw_exchange *ex;
    char *from, *to;
    int chain;
    int64_t after;
    int started, done;
    char *buf; /* the page h2o is sending */
    size_t len;
} audit_stream;

static void stream_free(void *data)
{
    audit_stream *s = data;
    free(s->from);
    free(s->to);
    free(s->buf);
    free(s);
}

static void next_page(audit_stream *s);

/* h2o sent the last page: the next may come. */
static void on_proceed(h2o_generator_t *gen, h2o_req_t *req)
{
    (void)req;
    audit_stream *s = (audit_stream *)gen;
    free(s->buf);
    s->buf = NULL;
    s->len = 0;
    if (!s->done)
        next_page(s);
}

/* The client went away: the page in flight is dropped when it arrives. */
static void on_stop(h2o_generator_t *gen, h2o_req_t *req)
{
    (void)gen, (void)req;
}

/* The page's events as NDJSON lines into s->buf; -1 when out of memory. */
static int render_page(audit_stream *s, const Rcycle__AuditPage *page)
{
    size_t cap = 0;
    for (size_t i = 0; i < page->n_events; i++) {
        json_t *o = json_from_audit_event(page->events[i]);
        char *line = json_dumps(o, JSON_COMPACT);
        json_decref(o);
        if (line == NULL)
            return -1;
        size_t n = strlen(line);
        if (s->len + n + 1 > cap) {
            size_t want = cap ? cap * 2 : 64 * 1024;
            while (want < s->len + n + 1)
                want *= 2;
            char *grown = realloc(s->buf, want);
            if (grown == NULL) {
                free(line);
                return -1;
            }
            s->buf = grown;
            cap = want;
        }
        memcpy(s->buf + s->len, line, n);
        s->buf[s->len + n] = '\n';
        s->len += n + 1;
        free(line);
    }
    return 0;
}

/* Ends the stream after an error: before the first byte an error answer,
 * after it a cut connection (the verifier then sees a missing tail). */
static void stream_failed(audit_stream *s, const rpc_reply *reply)
{
    gw_exchange *ex = s->ex;
    log_warn(ex->request_id, "audit export stopped at chain %d after seq %lld (code %d)", s->chain,
             (long long)s->after, reply->code);
    s->done = 1;
    if (!s->started)
        gw_respond_reply_error(ex, reply);
    else
        h2o_send(ex->req, NULL, 0, H2O_SEND_STATE_ERROR);
}

static void on_export_page(gw_exchange *ex, rpc_reply *reply, void *arg)
{
    (void)arg;
    audit_stream *s = ex->data;
    Rcycle__AuditPage *page =
        reply->code == RC_OK ? (Rcycle__AuditPage *)rpc_reply_unpack(export_method(s->chain), reply)
                             : NULL;
    if (page == NULL || render_page(s, page) != 0) {
        rpc_reply failed = {.code = reply->code == RC_OK ? RC_INTERNAL : reply->code,
                            .message = reply->message};
        if (page != NULL)
            rcycle__audit_page__free_unpacked(page, NULL);
        stream_failed(s, &failed);
        return;
    }
    if (page->n_events == EXPORT_PAGE) {
        s->after = page->events[page->n_events - 1]->seq;
    } else {
        s->chain++;
        s->after = 0;
    }
    rcycle__audit_page__free_unpacked(page, NULL);
    s->done = s->chain == GW_SERVICES;
    if (!s->started) {
        if (gw_start_stream(ex, 200, "application/x-ndjson", &s->gen) != 0)
            return;
        s->started = 1;
    }
    if (s->len == 0 && !s->done) {
        next_page(s);
        return;
    }
    h2o_iovec_t vec = h2o_iovec_init(s->buf ? s->buf : "", s->len);
    h2o_send(ex->req, &vec, 1, s->done ? H2O_SEND_STATE_FINAL : H2O_SEND_STATE_IN_PROGRESS);
}

static void next_page(audit_stream *s)
{
    gw_exchange *ex = s->ex;
    Rcycle__AuditQuery q = RCYCLE__AUDIT_QUERY__INIT;
    q.from = s->from;
    q.to = s->to;
    q.has_after_seq = q.has_limit = 1;
    q.after_seq = s->after;
    q.limit = EXPORT_PAGE;
    /* Each page has the time a request has; the export as a whole has none. */
    ex->deadline_ms = rpc_deadline_in(GW_REQUEST_DEADLINE_MS);
    gw_call_then(ex, gw_service_client(ex->gw, s->chain), export_method(s->chain), &q.base,
                 on_export_page, NULL);
}

static char *copy_or_null(const char *v)
{
    return v ? strdup(v) : NULL;
}

void route_export_audit(gw_exchange *ex)
{
    audit_stream *s = calloc(1, sizeof *s);
    Rcycle__AuditQuery q = RCYCLE__AUDIT_QUERY__INIT;
    if (s != NULL && read_filters(ex, &q, 0) == 0) {
        s->gen.proceed = on_proceed;
        s->gen.stop = on_stop;
        s->ex = ex;
        s->from = copy_or_null(q.from);
        s->to = copy_or_null(q.to);
        if ((q.from && !s->from) || (q.to && !s->to)) {
            stream_free(s);
            gw_respond_error(ex, RC_INTERNAL, "internal error");
            return;
        }
        ex->data = s;
        ex->free_data = stream_free;
        next_page(s);
        return;
    }
    free(s);
    gw_respond_error(ex, RC_INTERNAL, "internal error");
}
