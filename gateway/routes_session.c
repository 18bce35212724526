/* routes_session.c - sign in, sign out, and who am I (svc-users). */
#include <string.h>

#include "auth.h"
#include "json_map.h"
#include "log.h"
#include "routes.h"

#define COOKIE_LEN 160

static void on_login(gw_exchange *ex, rpc_reply *reply)
{
    if (reply->code != RC_OK) {
        gw_respond_reply_error(ex, reply);
        return;
    }
    Rcycle__Users__LoginReply *r = (Rcycle__Users__LoginReply *)gw_unpack_reply(
        ex, reply, &rcycle__users__login_reply__descriptor);
    if (r == NULL)
        return;
    char csrf[TOKEN_TEXT_LEN + 1];
    char cookie[COOKIE_LEN];
    token_csrf(r->token, csrf);
    gw_session_cookie(ex->gw, r->token, cookie, sizeof cookie);
    gw_add_header(ex, "set-cookie", cookie);
    json_t *body = json_pack("{s:s, s:s, s:o}", "token", r->token, "csrfToken", csrf, "user",
                             json_from_user(r->user));
    rcycle__users__login_reply__free_unpacked(r, NULL);
    gw_respond_json(ex, 200, body);
}

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
    gw_call(ex, ex->gw->users, "Login", &req.base, on_login);
}

static void on_logout(gw_exchange *ex, rpc_reply *reply)
{
    if (reply->code != RC_OK) {
        gw_respond_reply_error(ex, reply);
        return;
    }
    char cookie[COOKIE_LEN];
    gw_session_cookie(ex->gw, NULL, cookie, sizeof cookie);
    gw_add_header(ex, "set-cookie", cookie);
    gw_respond_no_content(ex);
}

void route_logout(gw_exchange *ex)
{
    /* Forget the session here first: on this gateway it stops working at
     * once, whatever svc-users answers. */
    auth_cache_forget(ex->gw->auth, ex->token, rpc_now_ms());
    Rcycle__Users__LogoutRequest req = RCYCLE__USERS__LOGOUT_REQUEST__INIT;
    req.token = ex->token;
    gw_call(ex, ex->gw->users, "Logout", &req.base, on_logout);
}

void route_me(gw_exchange *ex)
{
    gw_respond_json(ex, 200, json_from_user(ex->user));
}
