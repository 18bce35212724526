/* sessions.c - Login, Logout and Authenticate. The database knows a session
 * only by the SHA-256 of its bearer token, so a copy of the table lets nobody
 * sign in. */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "token.h"
#include "text.h"
#include "users.h"

/* docs/API.md: more than 10 failed attempts for one email within 15 minutes get
 * RESOURCE_EXHAUSTED, so the eleventh attempt inside the window is refused. */
#define LOGIN_MAX_FAILURES 10
#define LOGIN_WINDOW       "interval '15 minutes'"
#define SESSION_LIFETIME   "interval '12 hours'"

/* One message for an unknown email and a wrong password, so a reply does not
 * tell which emails have accounts. */
static const char invalid_login[] = "invalid email or password";
static const char invalid_session[] = "invalid or expired session";

/* What Login verifies a password against when the email has no account. */
static char dummy_hash[crypto_pwhash_STRBYTES];

static const db_stmt count_failures_stmt = {
    .name = "users_count_login_failures",
    .sql = "SELECT count(*) FROM users.login_failures"
           " WHERE email = lower($1) AND at > now() - " LOGIN_WINDOW,
    .nparams = 1,
};

/* Purging the whole table on each failure keeps it to one window's rows
 * without a sweeper. */
static const db_stmt record_failure_stmt = {
    .name = "users_record_login_failure",
    .sql = "WITH expired AS (DELETE FROM users.login_failures WHERE at <= now() - " LOGIN_WINDOW ")"
           " INSERT INTO users.login_failures (email) VALUES (lower($1))",
    .nparams = 1,
};

/* Serialises the logins of one email, for the length of a transaction:
 * counting failures, checking the password and recording a failure must not
 * interleave, or a burst of guesses would all see the count below the
 * limit. Other emails are not held up. */
static const db_stmt lock_email_stmt = {
    .name = "users_lock_login_email",
    .sql = "SELECT pg_advisory_xact_lock(hashtext(lower($1)))",
    .nparams = 1,
};

static const db_stmt find_account_stmt = {
    .name = "users_find_account_by_email",
    .sql = "SELECT " USER_COLUMNS ", a.password_hash FROM users.accounts a"
           " WHERE a.email = lower($1)",
    .nparams = 1,
};

/* Dropping the user's expired sessions at each login keeps the table from
 * growing without a sweeper. */
static const db_stmt create_session_stmt = {
    .name = "users_create_session",
    .sql = "WITH expired AS (DELETE FROM users.sessions WHERE user_id = $2 AND expires_at <= now())"
           " INSERT INTO users.sessions (token_hash, user_id, expires_at)"
           " VALUES ($1, $2, now() + " SESSION_LIFETIME ")"
           " RETURNING (extract(epoch FROM expires_at) * 1000)::bigint",
    .nparams = 2,
};

static const db_stmt find_session_stmt = {
    .name = "users_find_session",
    .sql = "SELECT " USER_COLUMNS " FROM users.sessions s JOIN users.accounts a ON a.id = s.user_id"
           " WHERE s.token_hash = $1 AND s.expires_at > now()",
    .nparams = 1,
};

static const db_stmt delete_session_stmt = {
    .name = "users_delete_session",
    .sql = "DELETE FROM users.sessions WHERE token_hash = $1",
    .nparams = 1,
};

int sessions_init(void)
{
    unsigned char secret[32];

    randombytes_buf(secret, sizeof secret);
    if (password_hash(dummy_hash, (const char *)secret, sizeof secret) != 0) {
        log_error(NULL, "could not hash the stand-in password (out of memory)");
        return -1;
    }
    return 0;
}

/* ---- Login ---- */

static int login_args_ok(const Rcycle__Users__LoginRequest *in, rpc_reply *reply)
{
    size_t password_len = strlen(in->password);

    if (!text_field_ok(reply, "email", in->email, 1, EMAIL_MAX_CHARS))
        return 0;
    if (password_len == 0) {
        rpc_reply_error(reply, RC_INVALID_ARGUMENT, "password is required");
        return 0;
    }
    if (password_len > PASSWORD_MAX_BYTES) {
        rpc_reply_error(reply, RC_INVALID_ARGUMENT, "password must be at most %d bytes",
                        PASSWORD_MAX_BYTES);
        return 0;
    }
    return 1;
}

static rc_status count_recent_failures(const rpc_request *req, const char *email, long *count)
{
    const char *params[] = {email};
    PGresult *res;
    rc_status rc = db_exec(req->db, &count_failures_stmt, params, req->request_id, &res);

    if (rc != RC_OK)
        return rc;
    *count = strtol(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    return RC_OK;
}

static rc_status record_failure(const rpc_request *req, const char *email)
{
    const char *params[] = {email};
    PGresult *res;
    rc_status rc = db_exec(req->db, &record_failure_stmt, params, req->request_id, &res);

    if (rc == RC_OK)
        PQclear(res);
    return rc;
}

/* 1 when account (the zero or one rows found for the email) holds password.
 * An unknown email costs a verification too, so the time a failure takes
 * does not tell whether the email has an account. */
static int password_matches(const PGresult *account, const char *password)
{
    int found = PQntuples(account) == 1;
    const char *hash = found ? PQgetvalue(account, 0, USER_NCOLUMNS) : dummy_hash;
    int verified = crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;

    return found && verified;
}

static void start_session(const rpc_request *req, const PGresult *account, rpc_reply *reply)
{
    char token[TOKEN_TEXT_LEN + 1];
    char hash[TOKEN_HASH_LEN + 1];
    PGresult *res;

    token_generate(token);
    token_hash_hex(token, hash);
    const char *params[] = {hash, PQgetvalue(account, 0, 0)};
    rc_status rc = db_exec(req->db, &create_session_stmt, params, req->request_id, &res);
    if (rc != RC_OK) {
        rpc_reply_db_error(reply, rc);
        return;
    }

    user_row user;
    user_from_row(&user, account, 0);
    Rcycle__Users__LoginReply out = RCYCLE__USERS__LOGIN_REPLY__INIT;
    out.token = token;
    out.user = &user.msg;
    out.expires_at_ms = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    rpc_reply_ok(reply, &out.base);
    PQclear(res);
}

static void login_locked(const rpc_request *req, const Rcycle__Users__LoginRequest *in,
                         rpc_reply *reply)
{
    const char *params[] = {in->email};
    long failures;
    PGresult *account;

    rc_status rc = count_recent_failures(req, in->email, &failures);
    if (rc != RC_OK) {
        rpc_reply_db_error(reply, rc);
        return;
    }
    /* Checked before the password, so that a guesser who is locked out
     * learns nothing more even by guessing right. Refused attempts are not
     * counted: the lock lifts as the oldest failures leave the window. */
    if (failures >= LOGIN_MAX_FAILURES) {
        rpc_reply_error(reply, RC_RESOURCE_EXHAUSTED,
                        "too many failed login attempts; try again later");
        return;
    }

    rc = db_exec(req->db, &find_account_stmt, params, req->request_id, &account);
    if (rc != RC_OK) {
        rpc_reply_db_error(reply, rc);
        return;
    }
    if (password_matches(account, in->password))
        start_session(req, account, reply);
    else if ((rc = record_failure(req, in->email)) != RC_OK)
        rpc_reply_db_error(reply, rc);
    else
        rpc_reply_error(reply, RC_UNAUTHENTICATED, "%s", invalid_login);
    PQclear(account);
}

/* One transaction per login, holding the email's lock (lock_email_stmt). */
static void login(const rpc_request *req, const Rcycle__Users__LoginRequest *in, rpc_reply *reply)
{
    const char *params[] = {in->email};
    PGresult *res = NULL;
    rc_status rc = db_command(req->db, "BEGIN", req->request_id);
    if (rc == RC_OK)
        rc = db_exec(req->db, &lock_email_stmt, params, req->request_id, &res);
    PQclear(res);
    if (rc != RC_OK) {
        rpc_reply_db_error(reply, rc);
        return;
    }
    login_locked(req, in, reply);
    rc = db_command(req->db, "COMMIT", req->request_id);
    if (rc != RC_OK)
        rpc_reply_db_error(reply, rc);
}

void users_login(const rpc_request *req, rpc_reply *reply)
{
    Rcycle__Users__LoginRequest *in = (Rcycle__Users__LoginRequest *)req->input;
    if (login_args_ok(in, reply))
        login(req, in, reply);
}

/* ---- Logout ---- */

static void end_session(const rpc_request *req, const char *token, rpc_reply *reply)
{
    char hash[TOKEN_HASH_LEN + 1];
    PGresult *res;

    token_hash_hex(token, hash);
    const char *params[] = {hash};
    rc_status rc = db_exec(req->db, &delete_session_stmt, params, req->request_id, &res);
    if (rc != RC_OK) {
        rpc_reply_db_error(reply, rc);
        return;
    }
    PQclear(res);

    /* Deleting nothing is success too: the token no longer works either way. */
    Rcycle__Empty empty = RCYCLE__EMPTY__INIT;
    rpc_reply_ok(reply, &empty.base);
}

void users_logout(const rpc_request *req, rpc_reply *reply)
{
    Rcycle__Users__LogoutRequest *in = (Rcycle__Users__LogoutRequest *)req->input;
    end_session(req, in->token, reply);
}

/* ---- Authenticate ---- */

static void authenticate(const rpc_request *req, const char *token, rpc_reply *reply)
{
    char hash[TOKEN_HASH_LEN + 1];
    PGresult *res;

    token_hash_hex(token, hash);
    const char *params[] = {hash};
    rc_status rc = db_exec(req->db, &find_session_stmt, params, req->request_id, &res);
    if (rc != RC_OK) {
        rpc_reply_db_error(reply, rc);
        return;
    }

    if (PQntuples(res) == 0) {
        rpc_reply_error(reply, RC_UNAUTHENTICATED, "%s", invalid_session);
    } else {
        user_row user;
        user_from_row(&user, res, 0);
        Rcycle__Users__AuthenticateReply out = RCYCLE__USERS__AUTHENTICATE_REPLY__INIT;
        out.user = &user.msg;
        rpc_reply_ok(reply, &out.base);
    }
    PQclear(res);
}

void users_authenticate(const rpc_request *req, rpc_reply *reply)
{
    Rcycle__Users__AuthenticateRequest *in = (Rcycle__Users__AuthenticateRequest *)req->input;
    /* A malformed token cannot name a session; the database is spared. */
    if (token_well_formed(in->token, strlen(in->token)))
        authenticate(req, in->token, reply);
    else
        rpc_reply_error(reply, RC_UNAUTHENTICATED, "%s", invalid_session);
}
