/* auth.c - credentials and CSRF checks of docs/API.md, and the user lookup.
 *
 * A request authenticates with "Authorization: Bearer <token>" or with the
 * rcycle_session cookie. Cookie requests with an unsafe method must also
 * carry X-CSRF-Token equal to the session's CSRF token: a cross-site form can
 * send the cookie but cannot set that header or know its value. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "auth.h"

#define SESSION_COOKIE    "rcycle_session"
#define SESSION_MAX_AGE_S 43200

static int copy_token(gw_exchange *ex, const char *s, size_t len)
{
    if (!token_well_formed(s, len))
        return 0;
    memcpy(ex->token, s, len);
    ex->token[len] = '\0';
    ex->has_token = 1;
    return 1;
}

/* "Bearer <token>", scheme case-insensitive. */
static int token_from_authorization(gw_exchange *ex, h2o_iovec_t v)
{
    static const char scheme[] = "bearer ";
    if (v.len < sizeof scheme - 1 || strncasecmp(v.base, scheme, sizeof scheme - 1) != 0)
        return 0;
    return copy_token(ex, v.base + sizeof scheme - 1, v.len - (sizeof scheme - 1));
}

/* Looks for rcycle_session=<token> among "a=b; c=d" pairs. */
static int token_from_cookie(gw_exchange *ex, h2o_iovec_t v)
{
    static const char name[] = SESSION_COOKIE "=";
    size_t i = 0;
    while (i < v.len) {
        while (i < v.len && (v.base[i] == ' ' || v.base[i] == ';'))
            i++;
        size_t end = i;
        while (end < v.len && v.base[end] != ';')
            end++;
        if (end - i > sizeof name - 1 && memcmp(v.base + i, name, sizeof name - 1) == 0)
            return copy_token(ex, v.base + i + sizeof name - 1, end - i - (sizeof name - 1));
        i = end;
    }
    return 0;
}

/* Returns 1 when the request carries a well-formed token. A present but
 * malformed credential counts as none (401). */
static int find_credentials(gw_exchange *ex)
{
    h2o_req_t *req = ex->req;
    ssize_t at = h2o_find_header(&req->headers, H2O_TOKEN_AUTHORIZATION, -1);
    if (at != -1)
        return token_from_authorization(ex, req->headers.entries[at].value);
    for (at = h2o_find_header(&req->headers, H2O_TOKEN_COOKIE, -1); at != -1;
         at = h2o_find_header(&req->headers, H2O_TOKEN_COOKIE, at)) {
        if (token_from_cookie(ex, req->headers.entries[at].value)) {
            ex->token_from_cookie = 1;
            return 1;
        }
    }
    return 0;
}

static int is_unsafe_method(const h2o_req_t *req)
{
    return !(h2o_memis(req->method.base, req->method.len, H2O_STRLIT("GET")) ||
             h2o_memis(req->method.base, req->method.len, H2O_STRLIT("HEAD")) ||
             h2o_memis(req->method.base, req->method.len, H2O_STRLIT("OPTIONS")));
}

static int csrf_ok(gw_exchange *ex)
{
    h2o_req_t *req = ex->req;
    ssize_t at = h2o_find_header_by_str(&req->headers, H2O_STRLIT("x-csrf-token"), -1);
    if (at == -1)
        return 0;
    h2o_iovec_t v = req->headers.entries[at].value;
    if (v.len != TOKEN_TEXT_LEN)
        return 0;
    char given[TOKEN_TEXT_LEN + 1], expected[TOKEN_TEXT_LEN + 1];
    memcpy(given, v.base, v.len);
    given[v.len] = '\0';
    token_csrf(ex->token, expected);
    return token_equal(given, expected);
}

void gw_set_user(gw_exchange *ex, Rcycle__Users__User *user)
{
    ex->user = user;
    ex->caller.has_user_id = 1;
    ex->caller.user_id = user->id;
    ex->caller.department = user->department;
    ex->caller.email = user->email;
    ex->caller.n_roles = user->n_roles;
    ex->caller.roles = user->roles;
}

static void on_authenticated(gw_exchange *ex, rpc_reply *reply, void *arg)
{
    (void)arg;
    if (reply->code == RC_UNAUTHENTICATED) {
        gw_respond_error(ex, RC_UNAUTHENTICATED, "invalid or expired session");
        return;
    }
    if (reply->code != RC_OK) {
        gw_respond_reply_error(ex, reply);
        return;
    }
    Rcycle__Users__AuthenticateReply *r =
        (Rcycle__Users__AuthenticateReply *)gw_unpack_reply(ex, RPC_USERS_AUTHENTICATE, reply);
    if (r == NULL)
        return;
    auth_cache_put(ex->gw->auth, ex->token, r->user, rpc_now_ms());
    /* Take the user out of the reply so that it outlives it. */
    Rcycle__Users__User *user = r->user;
    r->user = NULL;
    rcycle__users__authenticate_reply__free_unpacked(r, NULL);
    gw_set_user(ex, user);
    gw_start_route(ex);
}

void gw_authenticate(gw_exchange *ex)
{
    if (!find_credentials(ex)) {
        gw_respond_error(ex, RC_UNAUTHENTICATED, "authentication required");
        return;
    }
    if (ex->token_from_cookie && is_unsafe_method(ex->req) && !csrf_ok(ex)) {
        gw_respond_error(ex, RC_PERMISSION_DENIED, "missing or invalid X-CSRF-Token header");
        return;
    }
    Rcycle__Users__User *cached = auth_cache_get(ex->gw->auth, ex->token, rpc_now_ms());
    if (cached != NULL) {
        gw_set_user(ex, cached);
        gw_start_route(ex);
        return;
    }
    Rcycle__Users__AuthenticateRequest r = RCYCLE__USERS__AUTHENTICATE_REQUEST__INIT;
    r.token = ex->token;
    gw_call_then(ex, ex->gw->users, RPC_USERS_AUTHENTICATE, &r.base, on_authenticated, NULL);
}

void gw_session_cookie(const gateway *gw, const char *token, char *out, size_t out_len)
{
    const char *secure = gw->cookie_secure ? "; Secure" : "";
    if (token != NULL)
        snprintf(out, out_len, SESSION_COOKIE "=%s; HttpOnly; SameSite=Lax; Path=/; Max-Age=%d%s",
                 token, SESSION_MAX_AGE_S, secure);
    else
        snprintf(out, out_len, SESSION_COOKIE "=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0%s",
                 secure);
}
