/* sessions.c - Login, Logout and Authenticate. The database knows a session
 * only by the SHA-256 of its bearer token, so a copy of the table lets nobody
 * sign in. */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "token.h"
#include "text.h"
#include "users.h"

/* docs/API.md: more than 10 failed attempts for one email within 15 minutes get
 * RESOURCE_EXHAUSTED, so the eleventh attempt inside the window is refused;
 * so is any attempt from a client network with 30 failures in the window. */
#define LOGIN_MAX_FAILURES      10
#define LOGIN_MAX_ADDR_FAILURES 30
#define LOGIN_WINDOW            "interval '15 minutes'"
#define SESSION_LIFETIME        "interval '12 hours'"

/* The client network a login failure counts against: an IPv4 address
 * itself, an IPv6 address its /64 (one client commonly holds a whole /64);
 * NULL when the caller named no address. */
#define CLIENT_NET(p)                                                                              \
    "network(set_masklen(" p "::inet, CASE family(" p "::inet) WHEN 6 THEN 64 ELSE 32 END))::inet"

/* One message for an unknown email and a wrong password, so a reply does not
 * tell which emails have accounts. */
static const char invalid_login[] = "invalid email or password";
static const char invalid_session[] = "invalid or expired session";

/* What Login verifies a password against when the email has no account. */
static char dummy_hash[crypto_pwhash_STRBYTES];

/* The failures in the window of the email ($1) and of the client network of
 * $2 (none when $2 is NULL). */
static const db_stmt count_failures_stmt = {
    .name = "users_count_login_failures",
    .sql = "SELECT count(*) FILTER (WHERE email = lower($1)),"
           " count(*) FILTER (WHERE client_net = " CLIENT_NET(
               "$2") ")"
                     " FROM users.login_failures"
                     " WHERE (email = lower($1) OR client_net = " CLIENT_NET(
                         "$2") ")"
                               " AND at > now() - " LOGIN_WINDOW,
    .nparams = 2,
};

/* Purging the whole table on each failure keeps it to one window's rows
 * without a sweeper. */
static const db_stmt record_failure_stmt = {
    .name = "users_record_login_failure",
    .sql = "WITH expired AS (DELETE FROM users.login_failures WHERE at <= now() - " LOGIN_WINDOW ")"
           " INSERT INTO users.login_failures (email, client_net)"
           " VALUES (lower($1), " CLIENT_NET("$2") ")",
    .nparams = 2,
};

/* Serialises the logins of one email, for the length of a transaction:
 * counting failures, checking the password and recording a failure must not
 * interleave, or a burst of guesses would all see the count below the
 * limit. Other emails are not held up. A client network's count is not
 * serialised (its logins are for many emails, and holding them all up would
 * hold up everyone behind one proxy): a burst from one network can pass its
 * limit by at most the logins the hash pool admits at once. */
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
           " WHERE s.token_hash = $1 AND s.expires_at > now() AND a.active",
    .nparams = 1,
};

static const db_stmt delete_session_stmt = {
    .name = "users_delete_session",
    .sql = "DELETE FROM users.sessions s USING users.accounts a"
           " WHERE s.token_hash = $1 AND a.id = s.user_id RETURNING a.id, a.email, a.department",
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

/* The caller's client address for the SQL: NULL when it named none. An
 * address that is not one is refused, so it never reaches a cast. */
static int client_addr_param(const rpc_request *req, const char **out, rpc_reply *reply)
{
    const char *addr = req->caller->client_addr;
    unsigned char bin[sizeof(struct in6_addr)];
    *out = NULL;
    if (addr == NULL || addr[0] == '\0')
        return 1;
    if (inet_pton(AF_INET, addr, bin) != 1 && inet_pton(AF_INET6, addr, bin) != 1) {
        rpc_reply_error(reply, RC_INVALID_ARGUMENT, "caller.client_addr is not an IP address");
        return 0;
    }
    *out = addr;
    return 1;
}

typedef struct login_attempt {
    const rpc_request *req;
    const Rcycle__Users__LoginRequest *in;
    const char *client; /* the client address parameter, or NULL */
    hash_pool *hash;
} login_attempt;

static rc_status count_recent_failures(const login_attempt *at, long *email_count,
                                       long *client_count)
{
    const char *params[] = {at->in->email, at->client};
    PGresult *res;
    rc_status rc = db_exec(at->req->db, &count_failures_stmt, params, at->req->request_id, &res);

    if (rc != RC_OK)
        return rc;
    *email_count = strtol(PQgetvalue(res, 0, 0), NULL, 10);
    *client_count = strtol(PQgetvalue(res, 0, 1), NULL, 10);
    PQclear(res);
    return RC_OK;
}

static rc_status record_failure(const login_attempt *at)
{
    const char *params[] = {at->in->email, at->client};
    PGresult *res;
    rc_status rc = db_exec(at->req->db, &record_failure_stmt, params, at->req->request_id, &res);

    if (rc == RC_OK)
        PQclear(res);
    return rc;
}

/* Sets *matches to 1 when account (the zero or one rows found for the
 * email) holds the password. An unknown email costs a verification too, so
 * the time a failure takes does not tell whether the email has an account. */
static rc_status password_matches(const login_attempt *at, const PGresult *account, int *matches)
{
    /* An account the IdP signs in (no password) is not one email login
     * knows. */
    int found = PQntuples(account) == 1 && !PQgetisnull(account, 0, USER_NCOLUMNS);
    const char *hash = found ? PQgetvalue(account, 0, USER_NCOLUMNS) : dummy_hash;
    int verified = 0;
    rc_status rc =
        hash_pool_verify(at->hash, at->req->deadline_ms, hash, at->in->password, &verified);

    /* A deactivated account is refused like a wrong password (docs/API.md:
     * the generic message), after the same verification. */
    *matches = found && verified && PQgetvalue(account, 0, 5)[0] == 't';
    return rc;
}

rc_status session_open(const rpc_request *req, const PGresult *account,
                       char token[TOKEN_TEXT_LEN + 1], user_row *user,
                       Rcycle__Users__LoginReply *out)
{
    char hash[TOKEN_HASH_LEN + 1];
    PGresult *res;

    token_generate(token);
    token_hash_hex(token, hash);
    const char *params[] = {hash, PQgetvalue(account, 0, 0)};
    rc_status rc = db_exec(req->db, &create_session_stmt, params, req->request_id, &res);
    if (rc != RC_OK)
        return rc;
    out->expires_at_ms = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    user_from_row(user, account, 0);
    audit_actor actor = {user->msg.id, user->msg.email, user->msg.department};
    rc = users_audit(req, &actor, "signed_in", user->msg.id, users_client_addr(req));
    if (rc != RC_OK)
        return rc;
    out->token = token;
    out->user = &user->msg;
    return RC_OK;
}

static void start_session(const login_attempt *at, const PGresult *account, rpc_reply *reply)
{
    const rpc_request *req = at->req;
    char token[TOKEN_TEXT_LEN + 1];
    user_row user;
    Rcycle__Users__LoginReply out = RCYCLE__USERS__LOGIN_REPLY__INIT;
    rc_status rc = session_open(req, account, token, &user, &out);
    if (rc != RC_OK) {
        rpc_reply_db_error(reply, rc);
        return;
    }
    rpc_reply_ok(reply, &out.base);
    log_info(req->request_id, "security: sign-in user=%" PRId64 " email=%s client=%s", user.msg.id,
             user.msg.email, users_client_addr(req));
}

/* 1, after answering RESOURCE_EXHAUSTED, when the email or the client
 * network is locked out. Checked before the password, so that a guesser who
 * is locked out learns nothing more even by guessing right. Refused
 * attempts are not counted: a lock lifts as the oldest failures leave the
 * window. */
static int locked_out(const login_attempt *at, long email_count, long client_count,
                      rpc_reply *reply)
{
    const char *what = email_count >= LOGIN_MAX_FAILURES         ? "account"
                       : client_count >= LOGIN_MAX_ADDR_FAILURES ? "client address"
                                                                 : NULL;
    if (what == NULL)
        return 0;
    log_info(at->req->request_id,
             "security: sign-in refused, %s locked out email=%s client=%s failures=%ld/%ld", what,
             at->in->email, users_client_addr(at->req), email_count, client_count);
    rpc_reply_error(reply, RC_RESOURCE_EXHAUSTED,
                    "too many failed login attempts; try again later");
    return 1;
}

/* A failed or refused sign-in, in the login's own transaction: the email
 * tried (never the password) and the client address. */
static rc_status audit_failure(const login_attempt *at, const PGresult *account, const char *action)
{
    audit_actor actor = {.email = at->in->email};
    int64_t id = PQntuples(account) == 1 ? strtoll(PQgetvalue(account, 0, 0), NULL, 10) : 0;
    return users_audit(at->req, &actor, action, id, users_client_addr(at->req));
}

static void login_failed(const login_attempt *at, const PGresult *account, long email_count,
                         long client_count, rpc_reply *reply)
{
    rc_status rc = record_failure(at);
    if (rc == RC_OK)
        rc = audit_failure(at, account, "sign_in_failed");
    if (rc != RC_OK) {
        rpc_reply_db_error(reply, rc);
        return;
    }
    log_info(at->req->request_id, "security: sign-in failed (%s) email=%s client=%s",
             PQntuples(account) == 0               ? "no such account"
             : PQgetvalue(account, 0, 5)[0] != 't' ? "account deactivated"
                                                   : "wrong password",
             at->in->email, users_client_addr(at->req));
    if (email_count + 1 == LOGIN_MAX_FAILURES || client_count + 1 == LOGIN_MAX_ADDR_FAILURES)
        log_info(at->req->request_id,
                 "security: lockout begins email=%s client=%s failures=%ld/%ld", at->in->email,
                 users_client_addr(at->req), email_count + 1, client_count + 1);
    rpc_reply_error(reply, RC_UNAUTHENTICATED, "%s", invalid_login);
}

static void login_locked(const login_attempt *at, rpc_reply *reply)
{
    const char *params[] = {at->in->email};
    long email_count, client_count;
    PGresult *account;

    rc_status rc = count_recent_failures(at, &email_count, &client_count);
    if (rc != RC_OK) {
        rpc_reply_db_error(reply, rc);
        return;
    }
    if (locked_out(at, email_count, client_count, reply)) {
        audit_actor actor = {.email = at->in->email};
        if (users_audit(at->req, &actor, "sign_in_refused", 0, users_client_addr(at->req)) != RC_OK)
            rpc_reply_error(reply, RC_UNAVAILABLE, "could not record the refused sign-in");
        return;
    }

    rc = db_exec(at->req->db, &find_account_stmt, params, at->req->request_id, &account);
    if (rc != RC_OK) {
        rpc_reply_db_error(reply, rc);
        return;
    }
    int matches;
    rc = password_matches(at, account, &matches);
    if (rc != RC_OK)
        rpc_reply_error(reply, rc, "no time left to check the password");
    else if (matches)
        start_session(at, account, reply);
    else
        login_failed(at, account, email_count, client_count, reply);
    PQclear(account);
}

/* One transaction per login, holding the email's lock (lock_email_stmt). */
static void login(const login_attempt *at, rpc_reply *reply)
{
    const rpc_request *req = at->req;
    const char *params[] = {at->in->email};
    PGresult *res = NULL;
    rc_status rc = db_command(req->db, "BEGIN", req->request_id);
    if (rc == RC_OK)
        rc = db_exec(req->db, &lock_email_stmt, params, req->request_id, &res);
    PQclear(res);
    if (rc != RC_OK) {
        rpc_reply_db_error(reply, rc);
        return;
    }
    login_locked(at, reply);
    rc = db_command(req->db, "COMMIT", req->request_id);
    if (rc != RC_OK)
        rpc_reply_db_error(reply, rc);
}

void users_login(const rpc_request *req, rpc_reply *reply)
{
    const users_state *st = req->service;
    login_attempt at = {.req = req, .in = (const void *)req->input, .hash = st->hash};
    if (!st->local_login) {
        rpc_reply_error(reply, RC_UNAUTHENTICATED,
                        "sign-in with email and password is turned off; use single sign-on");
        return;
    }
    if (!login_args_ok(at.in, reply) || !client_addr_param(req, &at.client, reply))
        return;
    /* Admitted before any database work, so a flood past the pool's limit
     * costs neither a hash nor a transaction (hash_pool.c). */
    if (!hash_pool_enter(st->hash)) {
        rpc_reply_error(reply, RC_RESOURCE_EXHAUSTED,
                        "too many sign-ins at once; try again shortly");
        return;
    }
    login(&at, reply);
    hash_pool_leave(st->hash);
}

/* ---- Logout ---- */

static void end_session(const rpc_request *req, const char *token, rpc_reply *reply)
{
    char hash[TOKEN_HASH_LEN + 1];
    PGresult *res = NULL;

    token_hash_hex(token, hash);
    const char *params[] = {hash};
    rc_status rc = db_command(req->db, "BEGIN", req->request_id);
    if (rc == RC_OK)
        rc = db_exec(req->db, &delete_session_stmt, params, req->request_id, &res);
    if (rc == RC_OK && PQntuples(res) == 1) {
        audit_actor actor = {strtoll(PQgetvalue(res, 0, 0), NULL, 10), PQgetvalue(res, 0, 1),
                             PQgetvalue(res, 0, 2)};
        rc = users_audit(req, &actor, "signed_out", actor.id, NULL);
    }
    PQclear(res);
    rc_status end = db_command(req->db, rc == RC_OK ? "COMMIT" : "ROLLBACK", req->request_id);
    if (rc == RC_OK)
        rc = end;
    if (rc != RC_OK) {
        rpc_reply_db_error(reply, rc);
        return;
    }

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

/* The token itself is never logged: it is the session. */
static void refuse_token(const rpc_request *req, const char *why, rpc_reply *reply)
{
    log_info(req->request_id, "security: session token refused (%s) client=%s", why,
             users_client_addr(req));
    rpc_reply_error(reply, RC_UNAUTHENTICATED, "%s", invalid_session);
}

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
        refuse_token(req, "unknown or expired", reply);
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
    size_t len = strlen(in->token);
    /* A malformed token cannot name a session; the database is spared. */
    if (api_token_well_formed(in->token, len))
        tokens_authenticate(req, in->token, reply);
    else if (token_well_formed(in->token, len))
        authenticate(req, in->token, reply);
    else
        refuse_token(req, "malformed", reply);
}
