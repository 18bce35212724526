/* routes_tokens.c - the caller's API tokens (svc-users). Creating and
 * revoking need a session (ROUTE_SESSION in routes.c); the secret is in the
 * create answer only. */
#include <stdlib.h>

#include "json_map.h"
#include "routes.h"

/* docs/API.md's default lifetime. */
#define TOKEN_DEFAULT_DAYS 90
/* Past this svc-users refuses the value anyway; capping here keeps a huge
 * JSON integer from wrapping into range on its way into int32. */
#define TOKEN_DAYS_CAP 366

static json_t *token_json(const Rcycle__Users__ApiToken *t)
{
    json_t *scopes = json_array();
    for (size_t i = 0; i < t->n_scopes; i++)
        json_array_append_new(scopes, json_string(t->scopes[i]));
    return json_pack("{s:I, s:s, s:o, s:s, s:s, s:o}", "id", (json_int_t)t->id, "name", t->name,
                     "scopes", scopes, "createdAt", t->created_at, "expiresAt", t->expires_at,
                     "lastUsedAt", t->last_used_at ? json_string(t->last_used_at) : json_null());
}

static json_t *token_item(gw_exchange *ex, const ProtobufCMessage *msg, void *arg)
{
    (void)ex, (void)arg;
    return token_json((const Rcycle__Users__ApiToken *)msg);
}

static json_t *created_body(gw_exchange *ex, const ProtobufCMessage *msg, void *arg)
{
    const Rcycle__Users__CreateTokenReply *r = (const Rcycle__Users__CreateTokenReply *)msg;
    (void)arg;
    /* The secret must not sit in any cache between client and gateway. */
    gw_add_header(ex, "cache-control", "no-store");
    json_t *o = token_json(r->token);
    json_object_set_new(o, "token", json_string(r->secret));
    return o;
}

/* The revoked token stops working here at once (docs/API.md). */
static json_t *revoked(gw_exchange *ex, const ProtobufCMessage *msg, void *arg)
{
    (void)arg;
    auth_cache_forget_hash(ex->gw->auth, ((const Rcycle__Users__RevokeTokenReply *)msg)->token_hash,
                           rpc_now_ms());
    return NULL;
}

static const gw_view created_view = {.status = 201, .to_json = created_body};
static const gw_view tokens_view = {.status = 200, .item = token_item};
static const gw_view revoked_view = {.status = 204, .to_json = revoked};

void route_create_token(gw_exchange *ex)
{
    char err[JSON_ERR_LEN];
    const char *name;
    const char **scopes;
    size_t n_scopes;
    int64_t days = TOKEN_DEFAULT_DAYS;
    int present;
    if (json_field_string(ex->body, "name", 1, &name, err) != 0 ||
        json_field_string_list(ex->body, "scopes", &scopes, &n_scopes, err) != 0) {
        gw_respond_error(ex, RC_INVALID_ARGUMENT, err);
        return;
    }
    if (json_field_id(ex->body, "expiresInDays", 0, &days, &present, err) != 0) {
        free(scopes);
        gw_respond_error(ex, RC_INVALID_ARGUMENT, "expiresInDays must be 1 to 365");
        return;
    }
    Rcycle__Users__CreateTokenRequest req = RCYCLE__USERS__CREATE_TOKEN_REQUEST__INIT;
    req.name = (char *)name;
    req.scopes = (char **)scopes;
    req.n_scopes = n_scopes;
    req.has_expires_in_days = 1;
    req.expires_in_days = (int32_t)(days > TOKEN_DAYS_CAP ? TOKEN_DAYS_CAP : days);
    gw_call(ex, ex->gw->users, RPC_USERS_CREATE_TOKEN, &req.base, &created_view, NULL);
    free(scopes);
}

void route_list_tokens(gw_exchange *ex)
{
    gw_call(ex, ex->gw->users, RPC_USERS_LIST_TOKENS, NULL, &tokens_view, NULL);
}

void route_revoke_token(gw_exchange *ex)
{
    Rcycle__Users__TokenIdRequest req = RCYCLE__USERS__TOKEN_ID_REQUEST__INIT;
    req.id = ex->id;
    gw_call(ex, ex->gw->users, RPC_USERS_REVOKE_TOKEN, &req.base, &revoked_view, NULL);
}
