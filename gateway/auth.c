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
#include "log.h"

#define SESSION_COOKIE    "rcycle_session"
#define SESSION_MAX_AGE_S 43200

/* A Bearer credential may be a session token or an API token (api 1); a
 * cookie only ever holds a session, which login set (api 0). */
static int copy_token(gw_exchange *ex, const char *s, size_t len, int api)
{
    if (!token_well_formed(s, len) && !(api && api_token_well_formed(s, len)))
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
    return copy_token(ex, v.base + sizeof scheme - 1, v.len - (sizeof scheme - 1), 1);
}

int gw_cookie_in(h2o_iovec_t v, const char *cookie, h2o_iovec_t *value)
{
    size_t name_len = strlen(cookie);
    size_t i = 0;
    while (i < v.len) {
        while (i < v.len && (v.base[i] == ' ' || v.base[i] == ';'))
            i++;
        size_t end = i;
        while (end < v.len && v.base[end] != ';')
            end++;
        if (end - i > name_len && memcmp(v.base + i, cookie, name_len) == 0 &&
            v.base[i + name_len] == '=') {
            *value = h2o_iovec_init(v.base + i + name_len + 1, end - i - name_len - 1);
            return 1;
        }
        i = end;
    }
    return 0;
}

/* Looks for rcycle_session=<token> among "a=b; c=d" pairs. */
static int token_from_cookie(gw_exchange *ex, h2o_iovec_t v)
{
    h2o_iovec_t value;
    return gw_cookie_in(v, SESSION_COOKIE, &value) && copy_token(ex, value.base, value.len, 0);
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
    ex->caller.name = user->name;
    ex->caller.n_roles = user->n_roles;
    ex->caller.roles = user->roles;
}

/* docs/API.md: a read token may only GET; no token may use the routes that
 * need a session (creating tokens, changing users). 1 when allowed, else
 * answered 403 and logged without the secret. */
static int scope_allows(gw_exchange *ex)
{
    const char *why = NULL;
    if (ex->token_scope == GW_SCOPE_SESSION)
        return 1;
    if (ex->route->flags & ROUTE_SESSION)
        why = "this request needs a signed-in session, not an API token";
    else if (ex->token_scope == GW_SCOPE_READ && is_unsafe_method(ex->req))
        why = "this API token has the read scope only";
    if (why == NULL)
        return 1;
    log_info(ex->request_id, "security: api token refused (%s) token=%lld user=%lld %s %s", why,
             (long long)ex->token_id, (long long)ex->user->id, ex->route->method,
             ex->route->pattern);
    gw_respond_error(ex, RC_PERMISSION_DENIED, why);
    return 0;
}

/* Takes the user and scope out of who (which the caller frees) and runs
 * the route if the credential may. */
static void start_as(gw_exchange *ex, Rcycle__Users__AuthenticateReply *who)
{
    Rcycle__Users__User *user = who->user;
    who->user = NULL;
    gw_set_user(ex, user);
    ex->token_scope = who->token_scope == NULL                 ? GW_SCOPE_SESSION
                      : strcmp(who->token_scope, "write") == 0 ? GW_SCOPE_WRITE
                                                               : GW_SCOPE_READ;
    ex->token_id = who->token_id;
    rcycle__users__authenticate_reply__free_unpacked(who, NULL);
    if (scope_allows(ex))
        gw_start_route(ex);
}

static void on_authenticated(gw_exchange *ex, rpc_reply *reply, void *arg)
{
    (void)arg;
    if (reply->code == RC_UNAUTHENTICATED) {
        gw_respond_error(ex, RC_UNAUTHENTICATED,
                         api_token_well_formed(ex->token, strlen(ex->token))
                             ? "invalid, expired or revoked API token"
                             : "invalid or expired session");
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
    auth_cache_put(ex->gw->auth, ex->token, r, rpc_now_ms());
    start_as(ex, r);
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
    Rcycle__Users__AuthenticateReply *cached =
        auth_cache_get(ex->gw->auth, ex->token, rpc_now_ms());
    if (cached != NULL) {
        start_as(ex, cached);
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
