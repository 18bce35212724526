/* routes_session.c - sign in, sign out, and who am I (svc-users). */
#include <string.h>

#include "auth.h"
#include "json_map.h"
#include "log.h"
#include "routes.h"

#define COOKIE_LEN 160

/* The session cookie, and the token and CSRF token in the body (docs/API.md). */
static json_t *login_body(gw_exchange *ex, const ProtobufCMessage *msg, void *arg)
{
    const Rcycle__Users__LoginReply *r = (const Rcycle__Users__LoginReply *)msg;
    char csrf[TOKEN_TEXT_LEN + 1];
    char cookie[COOKIE_LEN];
    (void)arg;
    token_csrf(r->token, csrf);
    gw_session_cookie(ex->gw, r->token, cookie, sizeof cookie);
    gw_add_header(ex, "set-cookie", cookie);
    return json_pack("{s:s, s:s, s:o}", "token", r->token, "csrfToken", csrf, "user",
                     json_from_user(r->user));
}

static const gw_view login_view = {.status = 200, .to_json = login_body};

void route_login(gw_exchange *ex)
{
    char err[JSON_ERR_LEN];
    const char *email, *password;
    if (json_field_string(ex->body, "email", 1, &email, err) != 0 ||
        json_field_string(ex->body, "password", 1, &password, err) != 0) {
        gw_respond_error(ex, RC_INVALID_ARGUMENT, err);
        return;
    }
    Rcycle__Users__LoginRequest req = RCYCLE__USERS__LOGIN_REQUEST__INIT;
    req.email = (char *)email;
    req.password = (char *)password;
    gw_call(ex, ex->gw->users, RPC_USERS_LOGIN, &req.base, &login_view, NULL);
}

static json_t *clear_cookie(gw_exchange *ex, const ProtobufCMessage *msg, void *arg)
{
    char cookie[COOKIE_LEN];
    (void)msg, (void)arg;
    gw_session_cookie(ex->gw, NULL, cookie, sizeof cookie);
    gw_add_header(ex, "set-cookie", cookie);
    return NULL;
}

static const gw_view logout_view = {.status = 204, .to_json = clear_cookie};

void route_logout(gw_exchange *ex)
{
    /* Forget the session here first: on this gateway it stops working at
     * once, whatever svc-users answers. */
    auth_cache_forget(ex->gw->auth, ex->token, rpc_now_ms());
    Rcycle__Users__LogoutRequest req = RCYCLE__USERS__LOGOUT_REQUEST__INIT;
    req.token = ex->token;
    gw_call(ex, ex->gw->users, RPC_USERS_LOGOUT, &req.base, &logout_view, NULL);
}

void route_me(gw_exchange *ex)
{
    gw_respond_json(ex, 200, json_from_user(ex->user));
}
