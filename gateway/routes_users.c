/* routes_users.c - the user accounts (svc-users). Listing and creating
 * accounts is for admins: svc-users decides, the gateway only maps. */
#include <stdlib.h>

#include "json_map.h"
#include "routes.h"

static void on_users(gw_exchange *ex, rpc_reply *reply)
{
    if (reply->code != RC_OK) {
        gw_respond_reply_error(ex, reply);
        return;
    }
    Rcycle__Users__ListUsersReply *r = (Rcycle__Users__ListUsersReply *)gw_unpack_reply(
        ex, reply, &rcycle__users__list_users_reply__descriptor);
    if (r == NULL)
        return;
    json_t *list = json_array();
    for (size_t i = 0; i < r->n_users; i++)
        json_array_append_new(list, json_from_user(r->users[i]));
    rcycle__users__list_users_reply__free_unpacked(r, NULL);
    gw_respond_json(ex, 200, list);
}

void route_list_users(gw_exchange *ex)
{
    gw_call(ex, ex->gw->users, "ListUsers", NULL, on_users);
}

static void on_user_created(gw_exchange *ex, rpc_reply *reply)
{
    if (reply->code != RC_OK) {
        gw_respond_reply_error(ex, reply);
        return;
    }
    Rcycle__Users__User *u =
        (Rcycle__Users__User *)gw_unpack_reply(ex, reply, &rcycle__users__user__descriptor);
    if (u == NULL)
        return;
    json_t *body = json_from_user(u);
    rcycle__users__user__free_unpacked(u, NULL);
    gw_respond_json(ex, 201, body);
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
    gw_call(ex, ex->gw->users, "CreateUser", &req.base, on_user_created);
    free(roles);
}
