/* routes_mail.c - the admin's view of the email outbox (svc-users decides
 * who may): the dead letters the alerts point at, and sending one again. */
#include "json_map.h"
#include "routes.h"

static json_t *mail_body(gw_exchange *ex, const ProtobufCMessage *msg, void *arg)
{
    (void)ex, (void)arg;
    return json_from_mail((const Rcycle__Users__MailMessage *)msg);
}

static const gw_view list_view = {.status = 200, .item = mail_body};
static const gw_view retry_view = {.status = 200, .to_json = mail_body};

void route_list_mail(gw_exchange *ex)
{
    Rcycle__Users__ListMailRequest req = RCYCLE__USERS__LIST_MAIL_REQUEST__INIT;
    req.state = (char *)query_get(&ex->query, "state");
    if (gw_query_int(ex, "limit", &req.limit, &req.has_limit) != 0 ||
        gw_query_int(ex, "offset", &req.offset, &req.has_offset) != 0)
        return;
    gw_call(ex, ex->gw->users, RPC_USERS_LIST_MAIL, &req.base, &list_view, NULL);
}

void route_retry_mail(gw_exchange *ex)
{
    Rcycle__Users__MailIdRequest req = RCYCLE__USERS__MAIL_ID_REQUEST__INIT;
    req.id = ex->id;
    gw_call(ex, ex->gw->users, RPC_USERS_RETRY_MAIL, &req.base, &retry_view, NULL);
}
