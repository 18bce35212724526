/* tokens.c - API tokens: CreateToken, ListTokens, RevokeToken, and
 * Authenticate for a credential that is one.
 *
 * Like a session, a token is known to the database only by the SHA-256 of
 * its secret (256 random bits, so a plain hash is enough: there is no
 * dictionary to try). The secret leaves this service once, in CreateToken's
 * reply, and is never logged. Which routes a scope allows is the gateway's to
 * enforce (it knows the routes); whether a token is good is decided here. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "text.h"
#include "token.h"
#include "users.h"

#define TOKEN_NAME_MAX_CHARS 100
#define TOKEN_MAX_DAYS       365

#define TOKEN_COLUMNS                                                                              \
    "t.id, t.name, array_to_string(t.scopes, ','), " USERS_RFC3339(                                \
        "t.created_at") ", " USERS_RFC3339("t.expires_at") ", " USERS_RFC3339("t.last_used_at")

/* Each statement that changes a token records it in the users chain
 * (entity "token", its id; the note its name; docs/AUDIT.md), never its
 * secret or hash. A new token's scopes are its "to" status. $6-$8: the
 * acting user. */
static const db_stmt create_token_stmt = {
    .name = "users_create_token",
    .sql = "WITH t AS (INSERT INTO users.api_tokens (user_id, name, scopes, token_hash, expires_at)"
           " VALUES ($1, $2, string_to_array($3, ','), $4, now() + make_interval(days => $5::int))"
           " RETURNING *),"
           " e AS (" USERS_EVENT_INSERT " SELECT $6, $7, $8, 'token', t.id::text, 'created', NULL,"
           " $3, t.name FROM t)"
           " SELECT " TOKEN_COLUMNS " FROM t",
    .nparams = 8,
};

static const db_stmt list_tokens_stmt = {
    .name = "users_list_tokens",
    .sql = "SELECT " TOKEN_COLUMNS " FROM users.api_tokens t"
           " WHERE t.user_id = $1 AND t.revoked_at IS NULL ORDER BY t.created_at DESC, t.id DESC",
    .nparams = 1,
};

/* Another user's token is not found unless the caller is an admin ($3), so
 * that ids do not tell who holds tokens. */
static const db_stmt revoke_token_stmt = {
    .name = "users_revoke_token",
    .sql = "WITH t AS (UPDATE users.api_tokens SET revoked_at = now()"
           " WHERE id = $1 AND revoked_at IS NULL AND (user_id = $2 OR $3::boolean)"
           " RETURNING id, name, token_hash, user_id),"
           " e AS (" USERS_EVENT_INSERT " SELECT $4, $5, $6, 'token', t.id::text, 'revoked', NULL,"
           " NULL, t.name FROM t)"
           " SELECT token_hash, user_id FROM t",
    .nparams = 6,
};

/* The UTC hour now, for the "used" events. */
#define TOKEN_THIS_HOUR "date_trunc('hour', now() AT TIME ZONE 'UTC')"

/* The token's user, when the token is good. lastUsedAt is written only when
 * it is a minute old or from an earlier hour (docs/API.md lets it lag a
 * minute), so a busy script costs one write a minute, not one per request;
 * the gateway's cache already spares most lookups.
 *
 * A bearer token authenticates every request, so recording each would bury
 * the chain (and serialise every request on its head): the first use of a
 * token in each UTC hour writes one `used` event, the write that moves
 * lastUsedAt into the new hour (docs/AUDIT.md). The hour is checked on the
 * row being updated, so of two requests racing into a new hour only the
 * first updates it and records the use. */
static const db_stmt find_token_stmt = {
    .name = "users_find_api_token",
    .sql = "WITH t AS (SELECT " USER_COLUMNS ", array_to_string(t.scopes, ',') AS scopes,"
           " t.id AS token_id, t.name AS token_name, t.last_used_at FROM users.api_tokens t"
           " JOIN users.accounts a ON a.id = t.user_id WHERE t.token_hash = $1"
           " AND t.revoked_at IS NULL AND t.expires_at > now() AND a.active),"
           " u AS (UPDATE users.api_tokens x SET last_used_at = now()"
           " WHERE x.id IN (SELECT token_id FROM t) AND (x.last_used_at IS NULL"
           " OR x.last_used_at < now() - interval '1 minute'"
           " OR date_trunc('hour', x.last_used_at AT TIME ZONE 'UTC') < " TOKEN_THIS_HOUR ")"
           " RETURNING x.id),"
           " e AS (" USERS_EVENT_INSERT " SELECT t.id, t.email, t.department, 'token',"
           " t.token_id::text, 'used', NULL, NULL, t.token_name FROM t JOIN u ON u.id = t.token_id"
           " WHERE t.last_used_at IS NULL"
           " OR date_trunc('hour', t.last_used_at AT TIME ZONE 'UTC') < " TOKEN_THIS_HOUR ")"
           " SELECT * FROM t",
    .nparams = 1,
};

/* Why a token was refused, for the security event (only after a refusal). */
static const db_stmt why_refused_stmt = {
    .name = "users_api_token_refusal",
    .sql = "SELECT t.id, t.user_id, CASE WHEN t.revoked_at IS NOT NULL THEN 'revoked'"
           " WHEN t.expires_at <= now() THEN 'expired' ELSE 'user deactivated' END"
           " FROM users.api_tokens t WHERE t.token_hash = $1",
    .nparams = 1,
};

/* A token row of TOKEN_COLUMNS and the storage its scope list points into. */
typedef struct token_row {
    Rcycle__Users__ApiToken msg;
    char *scopes[2];
} token_row;

static void token_from_row(const PGresult *res, int row, void *item)
{
    token_row *t = item;
    const char *scopes = PQgetvalue(res, row, 2);
    rcycle__users__api_token__init(&t->msg);
    t->msg.id = strtoll(PQgetvalue(res, row, 0), NULL, 10);
    t->msg.name = PQgetvalue(res, row, 1);
    t->scopes[t->msg.n_scopes++] = "read";
    if (strcmp(scopes, "read,write") == 0)
        t->scopes[t->msg.n_scopes++] = "write";
    t->msg.scopes = t->scopes;
    t->msg.created_at = PQgetvalue(res, row, 3);
    t->msg.expires_at = PQgetvalue(res, row, 4);
    t->msg.last_used_at = PQgetisnull(res, row, 5) ? NULL : PQgetvalue(res, row, 5);
}

/* The scopes as the table stores them: "read" or "read,write". */
static const char *scopes_text(const Rcycle__Users__CreateTokenRequest *in, rpc_reply *reply)
{
    int read = 0, write = 0;
    for (size_t i = 0; i < in->n_scopes; i++) {
        if (strcmp(in->scopes[i], "read") == 0)
            read = 1;
        else if (strcmp(in->scopes[i], "write") == 0)
            write = 1;
        else
            read = -1;
    }
    if (read == 1)
        return write ? "read,write" : "read";
    rpc_reply_error(reply, RC_INVALID_ARGUMENT,
                    "scopes must be [\"read\"] or [\"read\",\"write\"]");
    return NULL;
}

void users_create_token(const rpc_request *req, rpc_reply *reply)
{
    const Rcycle__Users__CreateTokenRequest *in = (const void *)req->input;
    if (!users_signed_in(req, reply) ||
        !text_field_ok(reply, "name", in->name, 1, TOKEN_NAME_MAX_CHARS))
        return;
    const char *scopes = scopes_text(in, reply);
    if (scopes == NULL)
        return;
    if (in->expires_in_days < 1 || in->expires_in_days > TOKEN_MAX_DAYS) {
        rpc_reply_error(reply, RC_INVALID_ARGUMENT, "expiresInDays must be 1 to %d",
                        TOKEN_MAX_DAYS);
        return;
    }

    char secret[API_TOKEN_TEXT_LEN + 1], hash[TOKEN_HASH_LEN + 1];
    char user[DB_INT64_LEN], days[DB_INT64_LEN], actor_id[DB_INT64_LEN];
    api_token_generate(secret);
    token_hash_hex(secret, hash);
    const char *params[8] = {db_param_int64(user, req->caller->user_id), in->name, scopes, hash,
                             db_param_int64(days, in->expires_in_days)};
    users_actor_params(req, actor_id, &params[5]);
    PGresult *res;
    rc_status rc = db_exec(req->db, &create_token_stmt, params, req->request_id, &res);
    if (rc != RC_OK) {
        rpc_reply_db_error(reply, rc);
    } else {
        token_row t = {0};
        token_from_row(res, 0, &t);
        Rcycle__Users__CreateTokenReply out = RCYCLE__USERS__CREATE_TOKEN_REPLY__INIT;
        out.token = &t.msg;
        out.secret = secret;
        rpc_reply_ok(reply, &out.base);
        log_info(req->request_id,
                 "security: api token created token=%" PRId64 " user=%" PRId64 " scopes=%s",
                 t.msg.id, req->caller->user_id, scopes);
        PQclear(res);
    }
    sodium_memzero(secret, sizeof secret);
}

void users_list_tokens(const rpc_request *req, rpc_reply *reply)
{
    char user[DB_INT64_LEN];
    PGresult *res;
    if (!users_signed_in(req, reply))
        return;
    const char *params[] = {db_param_int64(user, req->caller->user_id)};
    rc_status rc = db_exec(req->db, &list_tokens_stmt, params, req->request_id, &res);
    if (rc != RC_OK) {
        rpc_reply_db_error(reply, rc);
        return;
    }
    Rcycle__Users__ListTokensReply out = RCYCLE__USERS__LIST_TOKENS_REPLY__INIT;
    rpc_reply_rows(reply, &out.base, res, sizeof(token_row), token_from_row);
    PQclear(res);
}

void users_revoke_token(const rpc_request *req, rpc_reply *reply)
{
    const Rcycle__Users__TokenIdRequest *in = (const void *)req->input;
    char id[DB_INT64_LEN], user[DB_INT64_LEN], actor_id[DB_INT64_LEN];
    PGresult *res;
    if (!users_signed_in(req, reply))
        return;
    if (in->id <= 0) {
        rpc_reply_error(reply, RC_INVALID_ARGUMENT, "id must be a positive integer");
        return;
    }
    const char *admin = rpc_caller_has_role(req->caller, "admin") ? "true" : "false";
    const char *params[6] = {db_param_int64(id, in->id), db_param_int64(user, req->caller->user_id),
                             admin};
    users_actor_params(req, actor_id, &params[3]);
    rc_status rc = db_exec(req->db, &revoke_token_stmt, params, req->request_id, &res);
    if (rc != RC_OK) {
        rpc_reply_db_error(reply, rc);
        return;
    }
    if (PQntuples(res) == 0) {
        rpc_reply_error(reply, RC_NOT_FOUND, "token not found");
    } else {
        Rcycle__Users__RevokeTokenReply out = RCYCLE__USERS__REVOKE_TOKEN_REPLY__INIT;
        out.token_hash = PQgetvalue(res, 0, 0);
        rpc_reply_ok(reply, &out.base);
        log_info(req->request_id,
                 "security: api token revoked token=%" PRId64 " owner=%s by=%" PRId64 " client=%s",
                 in->id, PQgetvalue(res, 0, 1), req->caller->user_id, users_client_addr(req));
    }
    PQclear(res);
}

/* ---- Authenticate ---- */

/* Logs why the token of hash was refused (never the token) and answers 401. */
static void refuse(const rpc_request *req, const char *hash, rpc_reply *reply)
{
    const char *params[] = {hash};
    PGresult *res;
    rc_status rc = db_exec(req->db, &why_refused_stmt, params, req->request_id, &res);
    if (rc == RC_OK && PQntuples(res) == 1)
        log_info(req->request_id, "security: api token refused (%s) token=%s user=%s client=%s",
                 PQgetvalue(res, 0, 2), PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1),
                 users_client_addr(req));
    else
        log_info(req->request_id, "security: api token refused (unknown) client=%s",
                 users_client_addr(req));
    if (rc == RC_OK)
        PQclear(res);
    rpc_reply_error(reply, RC_UNAUTHENTICATED, "invalid, expired or revoked API token");
}

void tokens_authenticate(const rpc_request *req, const char *token, rpc_reply *reply)
{
    char hash[TOKEN_HASH_LEN + 1];
    PGresult *res;

    token_hash_hex(token, hash);
    const char *params[] = {hash};
    rc_status rc = db_exec(req->db, &find_token_stmt, params, req->request_id, &res);
    if (rc != RC_OK) {
        rpc_reply_db_error(reply, rc);
        return;
    }
    if (PQntuples(res) == 0) {
        refuse(req, hash, reply);
    } else {
        user_row user;
        user_from_row(&user, res, 0);
        Rcycle__Users__AuthenticateReply out = RCYCLE__USERS__AUTHENTICATE_REPLY__INIT;
        out.user = &user.msg;
        out.token_scope =
            strcmp(PQgetvalue(res, 0, USER_NCOLUMNS), "read,write") == 0 ? "write" : "read";
        out.has_token_id = 1;
        out.token_id = strtoll(PQgetvalue(res, 0, USER_NCOLUMNS + 1), NULL, 10);
        rpc_reply_ok(reply, &out.base);
    }
    PQclear(res);
}
