/* passwords.c - the rule for new passwords, SetPassword (an admin resets a
 * local user's password) and ChangePassword (a user changes their own).
 * Either ends sessions: a password that changed because it may have leaked
 * must not leave a thief's session behind. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "text.h"
#include "token.h"
#include "users.h"

/* docs/API.md: new passwords are 12 to 256 characters. */
#define PASSWORD_MIN_CHARS 12
#define PASSWORD_MAX_CHARS 256

static const db_stmt find_local_stmt = {
    .name = "users_find_password_account",
    .sql = "SELECT a.email, a.auth_source, a.password_hash FROM users.accounts a WHERE a.id = $1",
    .nparams = 1,
};

/* Sets the hash, ends the user's sessions but the one whose hash is $3
 * (none when $3 is NULL) and records the change ($7: password_reset or
 * password_changed, by the actor $4-$6, the client address in the note), in
 * one statement so that no session survives a change it should not and the
 * event commits with it. The event says only that the password changed. */
static const db_stmt set_password_stmt = {
    .name = "users_set_password",
    .sql = "WITH a AS (UPDATE users.accounts SET password_hash = $2 WHERE id = $1 RETURNING id),"
           " s AS (DELETE FROM users.sessions s USING a WHERE s.user_id = a.id"
           " AND s.token_hash IS DISTINCT FROM $3),"
           " e AS (" USERS_EVENT_INSERT " SELECT $4, $5, $6, 'user', id::text, $7, NULL, NULL, $8"
           " FROM a)"
           " SELECT count(*) FROM a",
    .nparams = 8,
};

int users_new_password_ok(const char *password, const char *email, rpc_reply *reply)
{
    size_t len = strlen(password);
    long chars = text_utf8_valid(password, len) ? text_utf8_chars(password) : -1;

    if (chars < PASSWORD_MIN_CHARS || chars > PASSWORD_MAX_CHARS) {
        rpc_reply_error(reply, RC_INVALID_ARGUMENT, "password must be %d to %d characters",
                        PASSWORD_MIN_CHARS, PASSWORD_MAX_CHARS);
        return 0;
    }
    if (email != NULL && strcasecmp(password, email) == 0) {
        rpc_reply_error(reply, RC_INVALID_ARGUMENT, "password must not be the email address");
        return 0;
    }
    return 1;
}

int users_hash_new_password(const rpc_request *req, const char *password,
                            char out[crypto_pwhash_STRBYTES], rpc_reply *reply)
{
    const users_state *st = req->service;
    /* UNAVAILABLE rather than Login's RESOURCE_EXHAUSTED: the caller did
     * nothing too often, the service is busy with sign-ins. */
    if (!hash_pool_enter(st->hash)) {
        rpc_reply_error(reply, RC_UNAVAILABLE,
                        "too many passwords being hashed; try again shortly");
        return -1;
    }
    rc_status rc = hash_pool_hash(st->hash, req->deadline_ms, out, password);
    hash_pool_leave(st->hash);
    if (rc == RC_INTERNAL)
        log_error(req->request_id, "could not hash a new password (out of memory)");
    if (rc != RC_OK) {
        rpc_reply_error(reply, rc, rc == RC_INTERNAL ? "internal error" : "no time left");
        return -1;
    }
    return 0;
}

/* Loads the account of id into *res (its email, auth source and hash); 0,
 * or -1 after answering 404 or why it has no password of its own. */
static int load_local_account(const rpc_request *req, int64_t id, PGresult **res, rpc_reply *reply)
{
    char id_text[DB_INT64_LEN];
    const char *params[] = {db_param_int64(id_text, id)};
    rc_status rc = db_exec(req->db, &find_local_stmt, params, req->request_id, res);
    if (rc != RC_OK) {
        rpc_reply_db_error(reply, rc);
        return -1;
    }
    if (PQntuples(*res) == 0)
        rpc_reply_error(reply, RC_NOT_FOUND, "user not found");
    else if (strcmp(PQgetvalue(*res, 0, 1), "local") != 0)
        rpc_reply_error(reply, RC_FAILED_PRECONDITION,
                        "this user signs in through single sign-on and has no password here");
    else
        return 0;
    PQclear(*res);
    *res = NULL;
    return -1;
}

/* Stores hash as id's password, ends its sessions but keep_hash's and
 * records action in the users chain. */
static void store_password(const rpc_request *req, int64_t id, const char *hash,
                           const char *keep_hash, const char *action, rpc_reply *reply)
{
    char id_text[DB_INT64_LEN], actor_id[DB_INT64_LEN];
    const char *params[8] = {db_param_int64(id_text, id), hash, keep_hash};
    users_actor_params(req, actor_id, &params[3]);
    params[6] = action;
    params[7] = users_client_addr(req);
    PGresult *res;
    rc_status rc = db_exec(req->db, &set_password_stmt, params, req->request_id, &res);
    if (rc != RC_OK) {
        rpc_reply_db_error(reply, rc);
        return;
    }
    PQclear(res);
    Rcycle__Empty empty = RCYCLE__EMPTY__INIT;
    rpc_reply_ok(reply, &empty.base);
}

void users_set_password(const rpc_request *req, rpc_reply *reply)
{
    const Rcycle__Users__SetPasswordRequest *in = (const void *)req->input;
    char hash[crypto_pwhash_STRBYTES];
    PGresult *account;

    if (!users_caller_is_admin(req, "reset passwords", reply))
        return;
    if (in->id <= 0) {
        rpc_reply_error(reply, RC_INVALID_ARGUMENT, "id must be a positive integer");
        return;
    }
    if (load_local_account(req, in->id, &account, reply) != 0)
        return;
    if (users_new_password_ok(in->password, PQgetvalue(account, 0, 0), reply) &&
        users_hash_new_password(req, in->password, hash, reply) == 0) {
        store_password(req, in->id, hash, NULL, "password_reset", reply);
        if (reply->code == RC_OK)
            log_info(req->request_id,
                     "security: password reset user=%" PRId64 " by=%" PRId64 " client=%s", in->id,
                     req->caller->user_id, users_client_addr(req));
    }
    PQclear(account);
}

/* 1 when password is the account's (row 0 of account); else answers 403. */
static int current_password_ok(const rpc_request *req, const PGresult *account,
                               const char *password, rpc_reply *reply)
{
    const users_state *st = req->service;
    int matches = 0;
    if (!hash_pool_enter(st->hash)) {
        rpc_reply_error(reply, RC_UNAVAILABLE,
                        "too many passwords being hashed; try again shortly");
        return 0;
    }
    rc_status rc =
        hash_pool_verify(st->hash, req->deadline_ms, PQgetvalue(account, 0, 2), password, &matches);
    hash_pool_leave(st->hash);
    if (rc != RC_OK) {
        rpc_reply_error(reply, rc, "no time left to check the password");
        return 0;
    }
    if (!matches) {
        log_info(req->request_id,
                 "security: password change refused (wrong current password) user=%" PRId64
                 " client=%s",
                 req->caller->user_id, users_client_addr(req));
        rpc_reply_error(reply, RC_PERMISSION_DENIED, "the current password is wrong");
    }
    return matches;
}

void users_change_password(const rpc_request *req, rpc_reply *reply)
{
    const Rcycle__Users__ChangePasswordRequest *in = (const void *)req->input;
    char hash[crypto_pwhash_STRBYTES];
    char keep[TOKEN_HASH_LEN + 1];
    PGresult *account;

    if (!req->caller->has_user_id || req->caller->user_id <= 0) {
        rpc_reply_error(reply, RC_PERMISSION_DENIED, "a signed-in user is required");
        return;
    }
    if (strlen(in->current_password) > PASSWORD_MAX_BYTES) {
        rpc_reply_error(reply, RC_INVALID_ARGUMENT, "currentPassword is too long");
        return;
    }
    if (load_local_account(req, req->caller->user_id, &account, reply) != 0)
        return;
    if (in->keep_session != NULL)
        token_hash_hex(in->keep_session, keep);
    if (users_new_password_ok(in->new_password, PQgetvalue(account, 0, 0), reply) &&
        current_password_ok(req, account, in->current_password, reply) &&
        users_hash_new_password(req, in->new_password, hash, reply) == 0) {
        store_password(req, req->caller->user_id, hash, in->keep_session ? keep : NULL,
                       "password_changed", reply);
        if (reply->code == RC_OK)
            log_info(req->request_id, "security: password changed user=%" PRId64 " client=%s",
                     req->caller->user_id, users_client_addr(req));
    }
    PQclear(account);
}
