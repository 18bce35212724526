/* accounts.c - GetUser, ListUsers and CreateUser over users.accounts, and
 * UpdateMe, the caller's own settings. Listing and creating accounts is for
 * admins only. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idem.h"
#include "log.h"
#include "text.h"
#include "users.h"

static const db_stmt get_user_stmt = {
    .name = "users_get_user",
    .sql = "SELECT " USER_COLUMNS " FROM users.accounts a WHERE a.id = $1",
    .nparams = 1,
};

static const db_stmt list_users_stmt = {
    .name = "users_list_users",
    .sql = "SELECT " USER_COLUMNS " FROM users.accounts a ORDER BY a.id",
    .nparams = 0,
};

/* $4 is a comma-separated list of checked role names, which string_to_array
 * cannot misread. */
static const db_stmt create_user_stmt = {
    .name = "users_create_user",
    .sql = "INSERT INTO users.accounts AS a (email, name, department, roles, password_hash)"
           " VALUES (lower($1), $2, $3, string_to_array($4, ','), $5)"
           " RETURNING " USER_COLUMNS,
    .nparams = 5,
};

/* NULL leaves the setting as it is. Only the caller's own row: the id comes
 * from the gateway's authentication, never from the client. */
static const db_stmt update_me_stmt = {
    .name = "users_update_me",
    .sql = "UPDATE users.accounts a"
           " SET email_notifications = coalesce($2::boolean, a.email_notifications)"
           " WHERE a.id = $1 RETURNING " USER_COLUMNS,
    .nparams = 2,
};

int users_caller_is_admin(const rpc_request *req, const char *action, rpc_reply *reply)
{
    if (rpc_caller_has_role(req->caller, "admin"))
        return 1;
    /* user=0 is a caller the gateway did not sign in. */
    log_info(req->request_id,
             "security: permission denied (%s needs admin) user=%" PRId64 " email=%s client=%s",
             action, req->caller->user_id, req->caller->email ? req->caller->email : "-",
             users_client_addr(req));
    rpc_reply_error(reply, RC_PERMISSION_DENIED, "only an admin may %s", action);
    return 0;
}

/* A repeated CreateUser answers the account it made (idem.h). */
static const idem_table answers = IDEM_TABLE("users");

/* ---- GetUser ---- */

static void get_user(const rpc_request *req, int64_t id, rpc_reply *reply)
{
    char id_text[DB_INT64_LEN];
    const char *params[] = {id_text};
    PGresult *res;

    db_param_int64(id_text, id);
    rc_status rc = db_exec(req->db, &get_user_stmt, params, req->request_id, &res);
    if (rc != RC_OK) {
        rpc_reply_db_error(reply, rc);
        return;
    }
    users_reply_user(reply, res);
    PQclear(res);
}

void users_get_user(const rpc_request *req, rpc_reply *reply)
{
    Rcycle__Users__GetUserRequest *in = (Rcycle__Users__GetUserRequest *)req->input;
    if (in->id > 0)
        get_user(req, in->id, reply);
    else
        rpc_reply_error(reply, RC_INVALID_ARGUMENT, "id must be a positive integer");
}

/* ---- ListUsers ---- */

/* A db_row_fill; the User is the first member of a user_row. */
static void fill_user(const PGresult *res, int row, void *item)
{
    user_from_row(item, res, row);
}

static void reply_users(const PGresult *res, rpc_reply *reply)
{
    Rcycle__Users__ListUsersReply out = RCYCLE__USERS__LIST_USERS_REPLY__INIT;
    rpc_reply_rows(reply, &out.base, res, sizeof(user_row), fill_user);
}

void users_list_users(const rpc_request *req, rpc_reply *reply)
{
    PGresult *res;

    if (!users_caller_is_admin(req, "list users", reply))
        return;
    rc_status rc = db_exec(req->db, &list_users_stmt, NULL, req->request_id, &res);
    if (rc != RC_OK) {
        rpc_reply_db_error(reply, rc);
        return;
    }
    reply_users(res, reply);
    PQclear(res);
}

/* ---- CreateUser ---- */

/* 1 when s looks like an email address: one '@' with something on each side
 * and no spaces or control characters. Delivery is not this service's to
 * check. */
int email_shape_ok(const char *s)
{
    const char *at = strchr(s, '@');

    if (at == NULL || at == s || at[1] == '\0' || strchr(at + 1, '@') != NULL)
        return 0;
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++)
        if (*p <= ' ' || *p == 0x7f)
            return 0;
    return 1;
}

static int role_index(const char *name)
{
    for (int i = 0; i < USER_NROLES; i++)
        if (strcmp(name, user_role_names[i]) == 0)
            return i;
    return -1;
}

int users_roles_text(char *const *roles, size_t n_roles, char out[ROLES_TEXT_LEN], rpc_reply *reply)
{
    unsigned held = 0;

    for (size_t i = 0; i < n_roles; i++) {
        int r = role_index(roles[i]);
        if (r < 0) {
            rpc_reply_error(reply, RC_INVALID_ARGUMENT,
                            "each role must be member, security or admin");
            return 0;
        }
        held |= 1u << r;
    }
    /* Everyone is a member (docs/API.md); the other roles add to it. */
    held |= 1u << role_index("member");

    out[0] = '\0';
    for (int r = 0; r < USER_NROLES; r++) {
        if (!(held & 1u << r))
            continue;
        if (out[0] != '\0')
            strcat(out, ",");
        strcat(out, user_role_names[r]);
    }
    return 1;
}

static int create_args_ok(const Rcycle__Users__CreateUserRequest *in, char roles[ROLES_TEXT_LEN],
                          rpc_reply *reply)
{
    if (!text_field_ok(reply, "email", in->email, 1, EMAIL_MAX_CHARS))
        return 0;
    if (!email_shape_ok(in->email)) {
        rpc_reply_error(reply, RC_INVALID_ARGUMENT, "email must be a valid address");
        return 0;
    }
    return text_field_ok(reply, "name", in->name, 1, NAME_MAX_CHARS) &&
           text_field_ok(reply, "department", in->department, 1, NAME_MAX_CHARS) &&
           users_new_password_ok(in->password, in->email, reply) &&
           users_roles_text(in->roles, in->n_roles, roles, reply);
}

/* The checked request and its password hash: an idem_write_fn's arg. */
typedef struct new_account {
    const Rcycle__Users__CreateUserRequest *in;
    const char *roles;
    const char *hash;
} new_account;

static void insert_account(const rpc_request *req, const void *arg, rpc_reply *reply)
{
    const new_account *a = arg;
    PGresult *res;
    const char *params[] = {a->in->email, a->in->name, a->in->department, a->roles, a->hash};
    rc_status rc = db_exec(req->db, &create_user_stmt, params, req->request_id, &res);
    if (rc == RC_ALREADY_EXISTS) {
        rpc_reply_error(reply, RC_ALREADY_EXISTS, "a user with this email already exists");
        return;
    }
    if (rc != RC_OK) {
        rpc_reply_db_error(reply, rc);
        return;
    }

    user_row user;
    user_from_row(&user, res, 0);
    audit_actor actor = audit_actor_of(req->caller);
    rc = users_audit(req, &actor, "created", user.msg.id, a->roles);
    if (rc == RC_OK)
        rpc_reply_ok(reply, &user.msg.base);
    else
        rpc_reply_db_error(reply, rc);
    PQclear(res);
}

static void create_user(const rpc_request *req, const Rcycle__Users__CreateUserRequest *in,
                        const char *roles, rpc_reply *reply)
{
    char hash[crypto_pwhash_STRBYTES];

    if (users_hash_new_password(req, in->password, hash, reply) != 0)
        return;
    idem_write(&answers, req, insert_account, &(new_account){in, roles, hash}, reply);
}

void users_create_user(const rpc_request *req, rpc_reply *reply)
{
    char roles[ROLES_TEXT_LEN];

    if (!users_caller_is_admin(req, "create users", reply))
        return;
    Rcycle__Users__CreateUserRequest *in = (Rcycle__Users__CreateUserRequest *)req->input;
    /* A repeat is answered before the costly hash. */
    if (create_args_ok(in, roles, reply) && idem_replay(&answers, req, reply) == 0)
        create_user(req, in, roles, reply);
}

/* ---- UpdateMe ---- */

void users_update_me(const rpc_request *req, rpc_reply *reply)
{
    const Rcycle__Users__UpdateMeRequest *in = (const void *)req->input;
    char id[DB_INT64_LEN];
    if (req->caller->user_id <= 0) {
        rpc_reply_error(reply, RC_UNAUTHENTICATED, "sign in first");
        return;
    }
    const char *notify = !in->has_email_notifications ? NULL
                         : in->email_notifications    ? "true"
                                                      : "false";
    const char *params[] = {db_param_int64(id, req->caller->user_id), notify};
    PGresult *res;
    rc_status rc = db_exec(req->db, &update_me_stmt, params, req->request_id, &res);
    if (rc != RC_OK) {
        rpc_reply_db_error(reply, rc);
        return;
    }
    users_reply_user(reply, res);
    PQclear(res);
}
