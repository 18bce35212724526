/* routes_users.c - the user accounts (svc-users): listing, creating and
 * changing them is for admins, changing one's own password and settings for
 * everyone,
 * the department list for pickers. svc-users decides who may; the gateway
 * maps, and forgets what a change ended. */
#include <stdlib.h>

#include "json_map.h"
#include "routes.h"

static json_t *user_body(gw_exchange *ex, const ProtobufCMessage *msg, void *arg)
{
    (void)ex, (void)arg;
    return json_from_user((const Rcycle__Users__User *)msg);
}

static const gw_view users_view = {.status = 200, .item = user_body};
static const gw_view created_view = {.status = 201, .to_json = user_body};

void route_list_users(gw_exchange *ex)
{
    gw_call(ex, ex->gw->users, RPC_USERS_LIST_USERS, NULL, &users_view, NULL);
}

void route_create_user(gw_exchange *ex)
{
    char err[JSON_ERR_LEN];
    const char *email, *name, *department, *password;
    const char **roles;
    size_t n_roles;
    if (json_field_string(ex->body, "email", 1, &email, err) != 0 ||
        json_field_string(ex->body, "name", 1, &name, err) != 0 ||
        json_field_string(ex->body, "department", 1, &department, err) != 0 ||
        json_field_string(ex->body, "password", 1, &password, err) != 0 ||
        json_field_string_list(ex->body, "roles", &roles, &n_roles, err) != 0) {
        gw_respond_error(ex, RC_INVALID_ARGUMENT, err);
        return;
    }
    /* protobuf-c's fields are not const, but packing only reads them. */
    Rcycle__Users__CreateUserRequest req = RCYCLE__USERS__CREATE_USER_REQUEST__INIT;
    req.email = (char *)email;
    req.name = (char *)name;
    req.department = (char *)department;
    req.password = (char *)password;
    req.roles = (char **)roles;
    req.n_roles = n_roles;
    gw_call(ex, ex->gw->users, RPC_USERS_CREATE_USER, &req.base, &created_view, NULL);
    free(roles);
}

/* A change to a user ends what it must on this gateway at once: a
 * deactivated user's sessions and tokens, and any cached copy of the user
 * (roles, department), so the next request sees the change. */
static json_t *updated_body(gw_exchange *ex, const ProtobufCMessage *msg, void *arg)
{
    auth_cache_forget_user(ex->gw->auth, ((const Rcycle__Users__User *)msg)->id, rpc_now_ms());
    return user_body(ex, msg, arg);
}

static const gw_view updated_view = {.status = 200, .to_json = updated_body};

void route_update_user(gw_exchange *ex)
{
    char err[JSON_ERR_LEN];
    const char *name, *department;
    const char **roles;
    size_t n_roles;
    int active, has_active;
    if (json_field_string(ex->body, "name", 0, &name, err) != 0 ||
        json_field_string(ex->body, "department", 0, &department, err) != 0 ||
        json_field_string_list(ex->body, "roles", &roles, &n_roles, err) != 0) {
        gw_respond_error(ex, RC_INVALID_ARGUMENT, err);
        return;
    }
    if (json_field_bool(ex->body, "active", &active, &has_active, err) != 0) {
        free(roles);
        gw_respond_error(ex, RC_INVALID_ARGUMENT, err);
        return;
    }
    json_t *given_roles = json_object_get(ex->body, "roles");
    Rcycle__Users__UpdateUserRequest req = RCYCLE__USERS__UPDATE_USER_REQUEST__INIT;
    req.id = ex->id;
    req.name = (char *)name;
    req.department = (char *)department;
    req.has_set_roles = 1;
    req.set_roles = given_roles != NULL && !json_is_null(given_roles);
    req.roles = (char **)roles;
    req.n_roles = n_roles;
    req.has_active = has_active;
    req.active = active;
    gw_call(ex, ex->gw->users, RPC_USERS_UPDATE_USER, &req.base, &updated_view, NULL);
    free(roles);
}

/* A reset ends the user's sessions; here at once. */
static json_t *reset_done(gw_exchange *ex, const ProtobufCMessage *msg, void *arg)
{
    (void)msg, (void)arg;
    auth_cache_forget_user(ex->gw->auth, ex->id, rpc_now_ms());
    return NULL;
}

static const gw_view reset_view = {.status = 204, .to_json = reset_done};

void route_reset_password(gw_exchange *ex)
{
    char err[JSON_ERR_LEN];
    const char *password;
    if (json_field_string(ex->body, "password", 1, &password, err) != 0) {
        gw_respond_error(ex, RC_INVALID_ARGUMENT, err);
        return;
    }
    Rcycle__Users__SetPasswordRequest req = RCYCLE__USERS__SET_PASSWORD_REQUEST__INIT;
    req.id = ex->id;
    req.password = (char *)password;
    gw_call(ex, ex->gw->users, RPC_USERS_SET_PASSWORD, &req.base, &reset_view, NULL);
}

/* The caller's other sessions ended; the one in use goes on, checked with
 * svc-users on every request for the next few seconds. */
static json_t *changed(gw_exchange *ex, const ProtobufCMessage *msg, void *arg)
{
    (void)msg, (void)arg;
    auth_cache_forget_user(ex->gw->auth, ex->user->id, rpc_now_ms());
    return NULL;
}

static const gw_view changed_view = {.status = 204, .to_json = changed};

void route_change_password(gw_exchange *ex)
{
    char err[JSON_ERR_LEN];
    const char *current, *fresh;
    if (json_field_string(ex->body, "currentPassword", 1, &current, err) != 0 ||
        json_field_string(ex->body, "newPassword", 1, &fresh, err) != 0) {
        gw_respond_error(ex, RC_INVALID_ARGUMENT, err);
        return;
    }
    Rcycle__Users__ChangePasswordRequest req = RCYCLE__USERS__CHANGE_PASSWORD_REQUEST__INIT;
    req.current_password = (char *)current;
    req.new_password = (char *)fresh;
    /* Through an API token every session ends: no session is in use. */
    req.keep_session = ex->token_scope == GW_SCOPE_SESSION ? ex->token : NULL;
    gw_call(ex, ex->gw->users, RPC_USERS_CHANGE_PASSWORD, &req.base, &changed_view, NULL);
}

/* The caller's own settings; the cached copy of the caller goes, so that the
 * next GET /api/me shows the change. */
static json_t *me_updated(gw_exchange *ex, const ProtobufCMessage *msg, void *arg)
{
    auth_cache_forget_user(ex->gw->auth, ex->user->id, rpc_now_ms());
    return user_body(ex, msg, arg);
}

static const gw_view me_view = {.status = 200, .to_json = me_updated};

void route_update_me(gw_exchange *ex)
{
    char err[JSON_ERR_LEN];
    int notify, has_notify;
    if (json_field_bool(ex->body, "emailNotifications", &notify, &has_notify, err) != 0) {
        gw_respond_error(ex, RC_INVALID_ARGUMENT, err);
        return;
    }
    if (!has_notify) {
        gw_respond_error(ex, RC_INVALID_ARGUMENT,
                         "nothing to change: emailNotifications is missing");
        return;
    }
    Rcycle__Users__UpdateMeRequest req = RCYCLE__USERS__UPDATE_ME_REQUEST__INIT;
    req.has_email_notifications = 1;
    req.email_notifications = notify;
    gw_call(ex, ex->gw->users, RPC_USERS_UPDATE_ME, &req.base, &me_view, NULL);
}

static json_t *department_item(gw_exchange *ex, const ProtobufCMessage *msg, void *arg)
{
    const Rcycle__Users__Department *d = (const Rcycle__Users__Department *)msg;
    (void)ex, (void)arg;
    return json_pack("{s:s, s:I}", "name", d->name, "members", (json_int_t)d->members);
}

static const gw_view departments_view = {.status = 200, .item = department_item};

void route_list_departments(gw_exchange *ex)
{
    gw_call(ex, ex->gw->users, RPC_USERS_LIST_DEPARTMENTS, NULL, &departments_view, NULL);
}
