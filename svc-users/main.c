/* main.c - svc-users: accounts, roles and sessions. This file only describes
 * the service; service_main reads the configuration, opens the database pool
 * and serves the methods below until SIGINT or SIGTERM. */
#include "service.h"
#include "users.h"

static const rpc_method methods[] = {
    {"Login", users_login},
    {"Logout", users_logout},
    {"Authenticate", users_authenticate},
    {"GetUser", users_get_user},
    {"ListUsers", users_list_users},
    {"CreateUser", users_create_user},
    {NULL, NULL},
};

static const service_def svc_users = {
    .name = "svc-users",
    .addr_var = "RCYCLE_USERS_ADDR",
    .default_addr = "tcp://127.0.0.1:7101",
    .default_admin_port = 7201,
    .methods = methods,
    .init = users_init,
};

int main(void)
{
    return service_main(&svc_users);
}
