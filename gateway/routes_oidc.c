/* routes_oidc.c - which sign-ins this site offers, and the browser's side of
 * single sign-on (docs/API.md; the design is docs/ARCHITECTURE.md "Single
 * sign-on"). The gateway only redirects and carries the rcycle_oidc cookie;
 * svc-users keeps the state, nonce and PKCE verifier, talks to the IdP and
 * verifies the ID token. Every failure sends the browser to the login page
 * with a short reason and writes no session. */
#include <stdio.h>
#include <string.h>

#include "admit.h"
#include "auth.h"
#include "log.h"
#include "routes.h"

#define OIDC_COOKIE      "rcycle_oidc"
#define OIDC_COOKIE_PATH "/api/auth/oidc"
/* As long as svc-users keeps a sign-in under way (oidc_login.c). */
#define OIDC_COOKIE_MAX_AGE_S 600
#define COOKIE_LEN            200
#define CSRF_COOKIE           "rcycle_csrf"
#define CSRF_COOKIE_MAX_AGE_S 300
#define REASON_MAX            32
#define LOGIN_PAGE_ERROR      "/#/login?error="

void route_auth_config(gw_exchange *ex)
{
    gw_respond_json(
        ex, 200,
        json_pack("{s:b, s:b}", "local", ex->gw->local_login, "oidc", ex->gw->oidc_enabled));
}

/* Lax, not Strict: the IdP's redirect back is a cross-site navigation, and
 * the cookie must come with it. */
static void oidc_cookie(gw_exchange *ex, const char *key)
{
    char cookie[COOKIE_LEN];
    snprintf(cookie, sizeof cookie,
             OIDC_COOKIE "=%s; HttpOnly; SameSite=Lax; Path=" OIDC_COOKIE_PATH "; Max-Age=%d%s",
             key ? key : "", key ? OIDC_COOKIE_MAX_AGE_S : 0,
             ex->gw->cookie_secure ? "; Secure" : "");
    gw_add_header(ex, "set-cookie", cookie);
}

/* 1 when s is a reason as svc-users words them: [a-z_], short. */
static int reason_shaped(const char *s)
{
    size_t n = s ? strspn(s, "abcdefghijklmnopqrstuvwxyz_") : 0;
    return n > 0 && n <= REASON_MAX && s[n] == '\0';
}

static void fail_to_login_page(gw_exchange *ex, const char *reason)
{
    char location[sizeof LOGIN_PAGE_ERROR + REASON_MAX];
    snprintf(location, sizeof location, LOGIN_PAGE_ERROR "%s",
             reason_shaped(reason) ? reason : "sso_failed");
    oidc_cookie(ex, NULL);
    gw_respond_redirect(ex, location);
}

static void on_begun(gw_exchange *ex, rpc_reply *reply, void *arg)
{
    (void)arg;
    if (reply->code != RC_OK) {
        fail_to_login_page(ex, reply->message);
        return;
    }
    Rcycle__Users__OidcBeginReply *r =
        (Rcycle__Users__OidcBeginReply *)gw_unpack_reply(ex, RPC_USERS_OIDC_BEGIN, reply);
    if (r == NULL)
        return;
    oidc_cookie(ex, r->browser_key);
    gw_respond_redirect(ex, r->authorize_url);
    protobuf_c_message_free_unpacked(&r->base, NULL);
}

void route_oidc_login(gw_exchange *ex)
{
    const char *next = query_get(&ex->query, "next");
    Rcycle__Users__OidcBeginRequest req = RCYCLE__USERS__OIDC_BEGIN_REQUEST__INIT;
    /* Anything but a path of this origin (https://evil.example, //evil)
     * returns to the start page instead. */
    req.next = admit_next_path(next) ? (char *)next : "/";
    gw_call_then(ex, ex->gw->users, RPC_USERS_OIDC_BEGIN, &req.base, on_begun, NULL);
}

static void on_finished(gw_exchange *ex, rpc_reply *reply, void *arg)
{
    (void)arg;
    if (reply->code != RC_OK) {
        fail_to_login_page(ex, reply->message);
        return;
    }
    Rcycle__Users__OidcFinishReply *r =
        (Rcycle__Users__OidcFinishReply *)gw_unpack_reply(ex, RPC_USERS_OIDC_FINISH, reply);
    if (r == NULL)
        return;
    char cookie[COOKIE_LEN], csrf[TOKEN_TEXT_LEN + 1];
    gw_session_cookie(ex->gw, r->login->token, cookie, sizeof cookie);
    gw_add_header(ex, "set-cookie", cookie);
    oidc_cookie(ex, NULL);
    /* A redirect has no body to carry the CSRF token that POST /api/session
     * returns: the page reads it from this cookie once and deletes it. Not
     * HttpOnly for that; another site can neither read it nor have it sent
     * (Strict), and it is worth nothing without the session cookie. */
    token_csrf(r->login->token, csrf);
    snprintf(cookie, sizeof cookie, CSRF_COOKIE "=%s; SameSite=Strict; Path=/; Max-Age=%d%s", csrf,
             CSRF_COOKIE_MAX_AGE_S, ex->gw->cookie_secure ? "; Secure" : "");
    gw_add_header(ex, "set-cookie", cookie);
    gw_respond_redirect(ex, admit_next_path(r->next) ? r->next : "/");
    protobuf_c_message_free_unpacked(&r->base, NULL);
}

/* The rcycle_oidc cookie's value, or NULL. */
static char *browser_key(gw_exchange *ex)
{
    h2o_req_t *req = ex->req;
    h2o_iovec_t value;
    for (ssize_t at = h2o_find_header(&req->headers, H2O_TOKEN_COOKIE, -1); at != -1;
         at = h2o_find_header(&req->headers, H2O_TOKEN_COOKIE, at))
        if (gw_cookie_in(req->headers.entries[at].value, OIDC_COOKIE, &value) &&
            token_well_formed(value.base, value.len))
            return h2o_strdup(&req->pool, value.base, value.len).base;
    return NULL;
}

void route_oidc_callback(gw_exchange *ex)
{
    const char *code = query_get(&ex->query, "code");
    const char *state = query_get(&ex->query, "state");
    char *key = browser_key(ex);
    if (query_get(&ex->query, "error") != NULL) {
        /* The IdP's own refusal (access_denied, login_required, ...). */
        log_info(ex->request_id, "security: single sign-on refused by the IdP (%s)",
                 query_get(&ex->query, "error"));
        fail_to_login_page(ex, "idp_refused");
        return;
    }
    if (code == NULL || state == NULL || key == NULL) {
        log_info(ex->request_id, "security: single sign-on refused (invalid_state: %s)",
                 key == NULL ? "no sign-in cookie" : "no code or state");
        fail_to_login_page(ex, "invalid_state");
        return;
    }
    Rcycle__Users__OidcFinishRequest req = RCYCLE__USERS__OIDC_FINISH_REQUEST__INIT;
    req.browser_key = key;
    req.state = (char *)state;
    req.code = (char *)code;
    gw_call_then(ex, ex->gw->users, RPC_USERS_OIDC_FINISH, &req.base, on_finished, NULL);
}
