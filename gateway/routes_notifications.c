/* routes_notifications.c - the caller's inbox (svc-users holds it). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "routes.h"

/* As svc-users refuses more. */
#define MARK_MAX_IDS 500

static json_t *notification_json(const Rcycle__Users__Notification *n)
{
    return json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:b}", "id", (json_int_t)n->id, "at", n->at,
                     "kind", n->kind, "title", n->title, "body", n->body, "link", n->link, "read",
                     n->read);
}

/* The page, with X-Total-Count and X-Unread-Count. */
static json_t *inbox_body(gw_exchange *ex, const ProtobufCMessage *msg, void *arg)
{
    const Rcycle__Users__ListNotificationsReply *r =
        (const Rcycle__Users__ListNotificationsReply *)msg;
    (void)arg;
    char text[24];
    snprintf(text, sizeof text, "%" PRId64, r->total);
    gw_add_header(ex, "x-total-count", text);
    snprintf(text, sizeof text, "%" PRId64, r->unread);
    gw_add_header(ex, "x-unread-count", text);
    gw_add_header(ex, "cache-control", "no-store");
    json_t *out = json_array();
    for (size_t i = 0; i < r->n_notifications; i++)
        json_array_append_new(out, notification_json(r->notifications[i]));
    return out;
}

static const gw_view inbox_view = {.status = 200, .to_json = inbox_body};
static const gw_view marked_view = {.status = 204};

void route_list_notifications(gw_exchange *ex)
{
    Rcycle__Users__ListNotificationsRequest req = RCYCLE__USERS__LIST_NOTIFICATIONS_REQUEST__INIT;
    const char *unread = query_get(&ex->query, "unread");
    if (unread != NULL && unread[0] != '\0') {
        if (strcmp(unread, "1") != 0 && strcmp(unread, "0") != 0 && strcmp(unread, "true") != 0 &&
            strcmp(unread, "false") != 0) {
            gw_respond_error(ex, RC_INVALID_ARGUMENT, "unread must be 1 or 0");
            return;
        }
        req.has_unread_only = 1;
        req.unread_only = unread[0] == '1' || unread[0] == 't';
    }
    if (gw_query_int(ex, "limit", &req.limit, &req.has_limit) != 0 ||
        gw_query_int(ex, "offset", &req.offset, &req.has_offset) != 0)
        return;
    gw_call(ex, ex->gw->users, RPC_USERS_LIST_NOTIFICATIONS, &req.base, &inbox_view, NULL);
}

/* The body's ids: *ids a new array (free it), or an error message. */
static const char *read_ids(json_t *list, int64_t **ids, size_t *n)
{
    *ids = NULL;
    *n = 0;
    if (list == NULL || json_is_null(list))
        return NULL;
    if (!json_is_array(list))
        return "ids must be an array of notification ids";
    if (json_array_size(list) > MARK_MAX_IDS)
        return "at most 500 ids";
    *ids = calloc(json_array_size(list) + 1, sizeof **ids);
    if (*ids == NULL)
        return "out of memory";
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v)
    {
        if (!json_is_integer(v) || json_integer_value(v) <= 0) {
            free(*ids);
            *ids = NULL;
            return "ids must be positive integers";
        }
        (*ids)[(*n)++] = json_integer_value(v);
    }
    return NULL;
}

void route_mark_notifications_read(gw_exchange *ex)
{
    Rcycle__Users__MarkNotificationsReadRequest req =
        RCYCLE__USERS__MARK_NOTIFICATIONS_READ_REQUEST__INIT;
    json_t *all = json_object_get(ex->body, "all");
    if (all != NULL && !json_is_null(all) && !json_is_boolean(all)) {
        gw_respond_error(ex, RC_INVALID_ARGUMENT, "all must be true or false");
        return;
    }
    req.has_all = all != NULL && json_is_true(all);
    req.all = req.has_all;
    int64_t *ids;
    const char *err = read_ids(json_object_get(ex->body, "ids"), &ids, &req.n_ids);
    if (err != NULL) {
        gw_respond_error(ex, RC_INVALID_ARGUMENT, err);
        return;
    }
    req.ids = ids;
    gw_call(ex, ex->gw->users, RPC_USERS_MARK_NOTIFICATIONS_READ, &req.base, &marked_view, NULL);
    free(ids);
}
