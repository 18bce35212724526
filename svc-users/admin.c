/* admin.c - UpdateUser (an admin edits, deactivates or reactivates an
 * account) and ListDepartments (the departments of the active users, for
 * pickers). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "text.h"
#include "users.h"

/* One statement: the account changes, and when it ends up inactive its
 * sessions go and its tokens are revoked with it, so no credential of a
 * deactivated user outlives the change. $4 is a checked roles list or NULL
 * (unchanged); the other NULLs leave their column as it is. Reactivating
 * brings no credential back: the user signs in again.
 *
 * The same statement records what changed (docs/AUDIT.md): an `updated`
 * event per field whose value moved, from and to in fromStatus/toStatus and
 * the field in the note, then `deactivated` or `reactivated`. The old values
 * are read FOR UPDATE, so a concurrent change cannot slip between the "from"
 * recorded and the row changed. $6-$8 are the acting admin. */
static const db_stmt update_user_stmt = {
    .name = "users_update_user",
    .sql =
        "WITH o AS (SELECT id, name, department, array_to_string(roles, ',') AS roles, active"
        " FROM users.accounts WHERE id = $1 FOR UPDATE),"
        " a AS (UPDATE users.accounts a SET name = coalesce($2, a.name),"
        " department = coalesce($3, a.department),"
        " roles = coalesce(string_to_array($4, ','), a.roles),"
        " active = coalesce($5::boolean, a.active)"
        " FROM o WHERE a.id = o.id RETURNING a.*),"
        " s AS (DELETE FROM users.sessions WHERE user_id IN (SELECT id FROM a WHERE NOT active)),"
        " t AS (UPDATE users.api_tokens SET revoked_at = now() WHERE revoked_at IS NULL"
        " AND user_id IN (SELECT id FROM a WHERE NOT active)),"
        " e AS (" USERS_EVENT_INSERT " SELECT $6, $7, $8, 'user', a.id::text, c.action,"
        " c.from_value, c.to_value, c.field FROM a JOIN o ON o.id = a.id CROSS JOIN LATERAL"
        " (VALUES (1, 'updated', o.name, a.name, 'name'),"
        " (2, 'updated', o.department, a.department, 'department'),"
        " (3, 'updated', o.roles, array_to_string(a.roles, ','), 'roles'),"
        " (4, CASE WHEN a.active THEN 'reactivated' ELSE 'deactivated' END,"
        " CASE WHEN o.active THEN 'active' ELSE 'inactive' END,"
        " CASE WHEN a.active THEN 'active' ELSE 'inactive' END, NULL))"
        " AS c(n, action, from_value, to_value, field)"
        " WHERE c.from_value IS DISTINCT FROM c.to_value ORDER BY c.n)"
        " SELECT " USER_COLUMNS " FROM a",
    .nparams = 8,
};

static const db_stmt list_departments_stmt = {
    .name = "users_list_departments",
    .sql = "SELECT department, count(*) FROM users.accounts WHERE active"
           " GROUP BY department ORDER BY department",
    .nparams = 0,
};

/* 1 when roles (a users_roles_text list) hold admin. */
static int has_admin(const char *roles)
{
    return strstr(roles, "admin") != NULL;
}

/* An admin who locks themselves out leaves the site without one: refused
 * (docs/API.md, 409). */
static int self_lockout(const rpc_request *req, const Rcycle__Users__UpdateUserRequest *in,
                        const char *roles, rpc_reply *reply)
{
    if (in->id != req->caller->user_id)
        return 0;
    if (in->has_active && !in->active) {
        rpc_reply_error(reply, RC_FAILED_PRECONDITION, "an admin cannot deactivate themselves");
        return 1;
    }
    if (roles != NULL && !has_admin(roles)) {
        rpc_reply_error(reply, RC_FAILED_PRECONDITION,
                        "an admin cannot remove their own admin role");
        return 1;
    }
    return 0;
}

static int update_args_ok(const Rcycle__Users__UpdateUserRequest *in, char roles[ROLES_TEXT_LEN],
                          rpc_reply *reply)
{
    if (in->id <= 0) {
        rpc_reply_error(reply, RC_INVALID_ARGUMENT, "id must be a positive integer");
        return 0;
    }
    if (in->name != NULL && !text_field_ok(reply, "name", in->name, 1, NAME_MAX_CHARS))
        return 0;
    if (in->department != NULL &&
        !text_field_ok(reply, "department", in->department, 1, NAME_MAX_CHARS))
        return 0;
    return !in->set_roles || users_roles_text(in->roles, in->n_roles, roles, reply);
}

static void log_change(const rpc_request *req, const Rcycle__Users__UpdateUserRequest *in)
{
    const char *what = !in->has_active ? "updated" : in->active ? "reactivated" : "deactivated";
    log_info(req->request_id, "security: user %s user=%" PRId64 " by=%" PRId64 " client=%s", what,
             in->id, req->caller->user_id, users_client_addr(req));
}

void users_update_user(const rpc_request *req, rpc_reply *reply)
{
    const Rcycle__Users__UpdateUserRequest *in = (const void *)req->input;
    char roles[ROLES_TEXT_LEN];
    char id_text[DB_INT64_LEN];
    PGresult *res;

    if (!users_caller_is_admin(req, "change users", reply) || !update_args_ok(in, roles, reply) ||
        self_lockout(req, in, in->set_roles ? roles : NULL, reply))
        return;
    const char *active = !in->has_active ? NULL : in->active ? "true" : "false";
    char actor_id[DB_INT64_LEN];
    const char *params[8] = {db_param_int64(id_text, in->id), in->name, in->department,
                             in->set_roles ? roles : NULL, active};
    users_actor_params(req, actor_id, &params[5]);
    rc_status rc = db_exec(req->db, &update_user_stmt, params, req->request_id, &res);
    if (rc != RC_OK) {
        rpc_reply_db_error(reply, rc);
        return;
    }
    if (users_reply_user(reply, res))
        log_change(req, in);
    PQclear(res);
}

/* A db_row_fill for a Department. */
static void fill_department(const PGresult *res, int row, void *item)
{
    Rcycle__Users__Department *d = item;
    rcycle__users__department__init(d);
    d->name = PQgetvalue(res, row, 0);
    d->members = strtoll(PQgetvalue(res, row, 1), NULL, 10);
}

void users_list_departments(const rpc_request *req, rpc_reply *reply)
{
    PGresult *res;
    rc_status rc = db_exec(req->db, &list_departments_stmt, NULL, req->request_id, &res);
    if (rc != RC_OK) {
        rpc_reply_db_error(reply, rc);
        return;
    }
    Rcycle__Users__ListDepartmentsReply out = RCYCLE__USERS__LIST_DEPARTMENTS_REPLY__INIT;
    rpc_reply_rows(reply, &out.base, res, sizeof(Rcycle__Users__Department), fill_department);
    PQclear(res);
}
