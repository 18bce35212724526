/* routes_users.c - the user accounts (svc-users). Listing and creating
 * accounts is for admins: svc-users decides, the gateway only maps. */
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
