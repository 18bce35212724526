/* routes_watches.c - the caller's watches (svc-listings). */
#include "json_map.h"
#include "routes.h"

static json_t *or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

static json_t *watch_json(gw_exchange *ex, const ProtobufCMessage *msg, void *arg)
{
    const Rcycle__Listings__Watch *w = (const Rcycle__Listings__Watch *)msg;
    (void)ex, (void)arg;
    return json_pack("{s:I, s:o, s:o, s:o, s:s}", "id", (json_int_t)w->id, "category",
                     or_null(w->category), "search", or_null(w->search), "department",
                     or_null(w->department), "createdAt", w->created_at);
}

static const gw_view created_view = {.status = 201, .to_json = watch_json};
static const gw_view watches_view = {.status = 200, .item = watch_json};
static const gw_view deleted_view = {.status = 204};

void route_create_watch(gw_exchange *ex)
{
    char err[JSON_ERR_LEN];
    const char *category, *search, *department;
    if (json_field_string(ex->body, "category", 0, &category, err) != 0 ||
        json_field_string(ex->body, "search", 0, &search, err) != 0 ||
        json_field_string(ex->body, "department", 0, &department, err) != 0) {
        gw_respond_error(ex, RC_INVALID_ARGUMENT, err);
        return;
    }
    Rcycle__Listings__CreateWatchRequest req = RCYCLE__LISTINGS__CREATE_WATCH_REQUEST__INIT;
    req.category = (char *)category;
    req.search = (char *)search;
    req.department = (char *)department;
    gw_call(ex, ex->gw->listings, RPC_LISTINGS_CREATE_WATCH, &req.base, &created_view, NULL);
}

void route_list_watches(gw_exchange *ex)
{
    gw_call(ex, ex->gw->listings, RPC_LISTINGS_LIST_WATCHES, NULL, &watches_view, NULL);
}

void route_delete_watch(gw_exchange *ex)
{
    Rcycle__Listings__WatchIdRequest req = RCYCLE__LISTINGS__WATCH_ID_REQUEST__INIT;
    req.id = ex->id;
    gw_call(ex, ex->gw->listings, RPC_LISTINGS_DELETE_WATCH, &req.base, &deleted_view, NULL);
}
