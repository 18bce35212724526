/* oidc_login.c - OidcBegin and OidcFinish: the two halves of a single
 * sign-on (docs/API.md, docs/ARCHITECTURE.md "Single sign-on").
 *
 * Begin makes the state, nonce and PKCE verifier, keeps them in
 * users.oidc_logins under the hash of a random browser key (the gateway puts
 * the key in a short-lived HttpOnly cookie) and answers the authorization
 * URL. Finish takes that row out (once: a replayed callback finds nothing),
 * checks the state, exchanges the code, verifies the ID token, creates or
 * updates the account from its claims and starts a session. A refusal's
 * message is the short reason the browser is sent back with; the details go
 * to the log. */
#include <curl/curl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "oidc_idp.h"
#include "text.h"
#include "users.h"

#define LOGIN_LIFETIME "interval '10 minutes'"
#define LOGINS_MAX     "10000"
/* The longest state, code or next path accepted. */
#define PARAM_MAX       2048
#define FIELD_MAX_CHARS 200
#define ROLES_TEXT_MAX  64

/* Anyone may start a sign-in, so the sign-ins under way are capped: a flood
 * of redirects cannot grow the table past LOGINS_MAX rows (it inserts
 * nothing then, and the sign-in is refused as busy). */
static const db_stmt begin_stmt = {
    .name = "users_oidc_begin",
    .sql = "WITH expired AS (DELETE FROM users.oidc_logins WHERE expires_at <= now())"
           " INSERT INTO users.oidc_logins"
           " (key_hash, state, nonce, code_verifier, next_path, expires_at)"
           " SELECT $1, $2, $3, $4, $5, now() + " LOGIN_LIFETIME
           " WHERE (SELECT count(*) FROM users.oidc_logins WHERE expires_at > now()) < " LOGINS_MAX,
    .nparams = 5,
};

static const db_stmt take_stmt = {
    .name = "users_oidc_take",
    .sql = "DELETE FROM users.oidc_logins WHERE key_hash = $1 AND expires_at > now()"
           " RETURNING state, nonce, code_verifier, next_path",
    .nparams = 1,
};

/* The IdP is the authority once configured: a local account of the same
 * email becomes an OIDC one, and name, department and roles follow the
 * claims at every sign-in. A deactivated account is left as it is and
 * returns no row. */
static const db_stmt provision_stmt = {
    .name = "users_oidc_provision",
    .sql = "INSERT INTO users.accounts AS a"
           " (email, name, department, roles, password_hash, auth_source)"
           " VALUES (lower($1), $2, $3, string_to_array($4, ','), NULL, 'oidc')"
           " ON CONFLICT (email) DO UPDATE SET name = EXCLUDED.name,"
           " department = EXCLUDED.department, roles = EXCLUDED.roles,"
           " password_hash = NULL, auth_source = 'oidc' WHERE a.active"
           " RETURNING " USER_COLUMNS,
    .nparams = 4,
};

static oidc_idp *idp_of(const rpc_request *req, rpc_reply *reply)
{
    const users_state *st = req->service;
    if (st->oidc == NULL)
        rpc_reply_error(reply, RC_FAILED_PRECONDITION, "sso_disabled");
    else if (!oidc_idp_enter(st->oidc))
        rpc_reply_error(reply, RC_RESOURCE_EXHAUSTED, "sso_busy");
    else
        return st->oidc;
    return NULL;
}

static void refuse(const rpc_request *req, rc_status code, const char *reason, const char *detail,
                   rpc_reply *reply)
{
    log_info(req->request_id, "security: single sign-on refused (%s%s%s) client=%s", reason,
             detail ? ": " : "", detail ? detail : "", users_client_addr(req));
    rpc_reply_error(reply, code, "%s", reason);
}

/* ---- OidcBegin ---- */

static char *authorize_url(const oidc_config *cfg, const char *endpoint, const char *state,
                           const char *nonce, const char *challenge)
{
    CURL *c = curl_easy_init();
    char *client = c ? curl_easy_escape(c, cfg->client_id, 0) : NULL;
    char *redirect = c ? curl_easy_escape(c, cfg->redirect_url, 0) : NULL;
    char *scope = c ? curl_easy_escape(c, cfg->scopes, 0) : NULL;
    char *url = NULL;
    if (client && redirect && scope) {
        size_t len = strlen(endpoint) + strlen(client) + strlen(redirect) + strlen(scope) +
                     strlen(state) + strlen(nonce) + strlen(challenge) + 160;
        if ((url = malloc(len)) != NULL)
            snprintf(url, len,
                     "%s%cresponse_type=code&client_id=%s&redirect_uri=%s&scope=%s&state=%s"
                     "&nonce=%s&code_challenge=%s&code_challenge_method=S256",
                     endpoint, strchr(endpoint, '?') ? '&' : '?', client, redirect, scope, state,
                     nonce, challenge);
    }
    curl_free(client), curl_free(redirect), curl_free(scope);
    curl_easy_cleanup(c);
    return url;
}

/* The S256 code challenge of verifier (RFC 7636): base64url(SHA-256). */
static void code_challenge(const char *verifier, char out[TOKEN_TEXT_LEN + 1])
{
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, (const unsigned char *)verifier, strlen(verifier));
    sodium_bin2base64(out, TOKEN_TEXT_LEN + 1, digest, sizeof digest,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

static void begin(const rpc_request *req, oidc_idp *idp, const char *next, rpc_reply *reply)
{
    char *endpoint;
    rc_status rc = oidc_idp_authorize_endpoint(idp, req->deadline_ms, &endpoint);
    if (rc != RC_OK) {
        refuse(req, RC_UNAVAILABLE, "idp_unavailable", "discovery", reply);
        return;
    }
    char key[TOKEN_TEXT_LEN + 1], key_hash[TOKEN_HASH_LEN + 1], state[TOKEN_TEXT_LEN + 1],
        nonce[TOKEN_TEXT_LEN + 1], verifier[TOKEN_TEXT_LEN + 1], challenge[TOKEN_TEXT_LEN + 1];
    token_generate(key);
    token_hash_hex(key, key_hash);
    token_generate(state);
    token_generate(nonce);
    token_generate(verifier);
    code_challenge(verifier, challenge);
    const char *params[] = {key_hash, state, nonce, verifier, next};
    PGresult *res;
    rc = db_exec(req->db, &begin_stmt, params, req->request_id, &res);
    if (rc != RC_OK) {
        free(endpoint);
        rpc_reply_db_error(reply, rc);
        return;
    }
    int stored = strcmp(PQcmdTuples(res), "1") == 0;
    PQclear(res);
    if (!stored) {
        free(endpoint);
        refuse(req, RC_RESOURCE_EXHAUSTED, "sso_busy", "too many sign-ins under way", reply);
        return;
    }
    char *url = authorize_url(oidc_idp_config(idp), endpoint, state, nonce, challenge);
    free(endpoint);
    if (url == NULL) {
        rpc_reply_error(reply, RC_INTERNAL, "out of memory");
        return;
    }
    Rcycle__Users__OidcBeginReply out = RCYCLE__USERS__OIDC_BEGIN_REPLY__INIT;
    out.authorize_url = url;
    out.browser_key = key;
    rpc_reply_ok(reply, &out.base);
    free(url);
}

void users_oidc_begin(const rpc_request *req, rpc_reply *reply)
{
    const Rcycle__Users__OidcBeginRequest *in = (const void *)req->input;
    if (in->next[0] != '/' || strlen(in->next) > PARAM_MAX ||
        !text_utf8_valid(in->next, strlen(in->next))) {
        rpc_reply_error(reply, RC_INVALID_ARGUMENT, "next must be a path");
        return;
    }
    oidc_idp *idp = idp_of(req, reply);
    if (idp == NULL)
        return;
    begin(req, idp, in->next, reply);
    oidc_idp_leave(idp);
}

/* ---- OidcFinish ---- */

/* The account's fields from the verified claims; NULL reason when all are
 * there. The strings point into claims. */
typedef struct claimed {
    const char *email, *name, *department;
    char roles[ROLES_TEXT_MAX];
} claimed;

static const char *read_claims(const oidc_config *cfg, json_t *claims, claimed *out)
{
    json_t *verified = json_object_get(claims, "email_verified");
    out->email = json_string_value(json_object_get(claims, "email"));
    out->name = json_string_value(json_object_get(claims, "name"));
    out->department = json_string_value(oidc_claim_at(claims, cfg->department_claim));
    if (out->email == NULL || !email_shape_ok(out->email) ||
        text_utf8_chars(out->email) > EMAIL_MAX_CHARS || json_is_false(verified))
        return "missing_email";
    if (out->department == NULL || text_utf8_chars(out->department) < 1 ||
        text_utf8_chars(out->department) > FIELD_MAX_CHARS || text_blank(out->department))
        return "missing_department";
    if (out->name == NULL || text_utf8_chars(out->name) < 1 ||
        text_utf8_chars(out->name) > FIELD_MAX_CHARS || text_blank(out->name))
        out->name = out->email;
    oidc_map_roles(&cfg->roles, oidc_claim_at(claims, cfg->roles_claim), out->roles,
                   sizeof out->roles);
    return NULL;
}

static void sign_in(const rpc_request *req, const claimed *c, const char *next, rpc_reply *reply)
{
    const char *params[] = {c->email, c->name, c->department, c->roles};
    PGresult *res;
    rc_status rc = db_exec(req->db, &provision_stmt, params, req->request_id, &res);
    if (rc != RC_OK) {
        rpc_reply_db_error(reply, rc);
        return;
    }
    if (PQntuples(res) == 0) {
        PQclear(res);
        refuse(req, RC_PERMISSION_DENIED, "account_disabled", c->email, reply);
        return;
    }
    char token[TOKEN_TEXT_LEN + 1];
    user_row user;
    Rcycle__Users__LoginReply login = RCYCLE__USERS__LOGIN_REPLY__INIT;
    rc = session_open(req, res, token, &user, &login);
    if (rc != RC_OK) {
        PQclear(res);
        rpc_reply_db_error(reply, rc);
        return;
    }
    Rcycle__Users__OidcFinishReply out = RCYCLE__USERS__OIDC_FINISH_REPLY__INIT;
    out.login = &login;
    out.next = (char *)next;
    rpc_reply_ok(reply, &out.base);
    log_info(req->request_id,
             "security: sign-in (single sign-on) user=%" PRId64 " email=%s roles=%s client=%s",
             user.msg.id, user.msg.email, c->roles, users_client_addr(req));
    PQclear(res);
}

/* From the code to the verified claims; NULL after refusing. */
static json_t *verified_claims(const rpc_request *req, oidc_idp *idp, const char *code,
                               const char *verifier, const char *nonce, rpc_reply *reply)
{
    char *id_token;
    const char *reason;
    rc_status rc = oidc_idp_exchange(idp, req->deadline_ms, code, verifier, &id_token, &reason);
    if (rc != RC_OK) {
        refuse(req, rc == RC_UNAUTHENTICATED ? rc : RC_UNAVAILABLE, reason, "token endpoint",
               reply);
        return NULL;
    }
    json_t *claims;
    oidc_verdict v = oidc_idp_verify(idp, req->deadline_ms, id_token, nonce, &claims, &rc);
    free(id_token);
    if (v == OIDC_UNKNOWN_KEY && rc != RC_OK)
        refuse(req, RC_UNAVAILABLE, "idp_unavailable", "key set", reply);
    else if (v != OIDC_OK)
        refuse(req, RC_UNAUTHENTICATED, oidc_reason(v), "ID token", reply);
    return v == OIDC_OK ? claims : NULL;
}

static void finish(const rpc_request *req, oidc_idp *idp,
                   const Rcycle__Users__OidcFinishRequest *in, rpc_reply *reply)
{
    char key_hash[TOKEN_HASH_LEN + 1];
    token_hash_hex(in->browser_key, key_hash);
    const char *params[] = {key_hash};
    PGresult *row;
    rc_status rc = db_exec(req->db, &take_stmt, params, req->request_id, &row);
    if (rc != RC_OK) {
        rpc_reply_db_error(reply, rc);
        return;
    }
    if (PQntuples(row) == 0 || !token_equal(PQgetvalue(row, 0, 0), in->state)) {
        refuse(req, RC_UNAUTHENTICATED, "invalid_state",
               PQntuples(row) == 0 ? "no sign-in under way" : "state differs", reply);
        PQclear(row);
        return;
    }
    json_t *claims =
        verified_claims(req, idp, in->code, PQgetvalue(row, 0, 2), PQgetvalue(row, 0, 1), reply);
    if (claims != NULL) {
        claimed c;
        const char *missing = read_claims(oidc_idp_config(idp), claims, &c);
        if (missing != NULL)
            refuse(req, RC_PERMISSION_DENIED, missing, c.email, reply);
        else
            sign_in(req, &c, PQgetvalue(row, 0, 3), reply);
        json_decref(claims);
    }
    PQclear(row);
}

void users_oidc_finish(const rpc_request *req, rpc_reply *reply)
{
    const Rcycle__Users__OidcFinishRequest *in = (const void *)req->input;
    if (!token_well_formed(in->browser_key, strlen(in->browser_key)) || in->state[0] == '\0' ||
        in->code[0] == '\0' || strlen(in->state) > PARAM_MAX || strlen(in->code) > PARAM_MAX) {
        refuse(req, RC_UNAUTHENTICATED, "invalid_state", "malformed callback", reply);
        return;
    }
    oidc_idp *idp = idp_of(req, reply);
    if (idp == NULL)
        return;
    finish(req, idp, in, reply);
    oidc_idp_leave(idp);
}
