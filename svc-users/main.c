/* main.c - svc-users: accounts, roles and sessions. This file only describes
 * the service; service_main reads the configuration, opens the database pool
 * and serves the method table below until SIGINT or SIGTERM. */
#include "service.h"
#include "users.h"

static const rpc_handler_fn users_methods[RPCI_USERS_COUNT] = {
    [RPCI_USERS_LOGIN] = users_login,
    [RPCI_USERS_LOGOUT] = users_logout,
    [RPCI_USERS_AUTHENTICATE] = users_authenticate,
    [RPCI_USERS_GET_USER] = users_get_user,
    [RPCI_USERS_LIST_USERS] = users_list_users,
    [RPCI_USERS_CREATE_USER] = users_create_user,
};

static const service_def svc_users = {
    .name = "svc-users",
    .addr_var = "RCYCLE_USERS_ADDR",
    .default_addr = "tcp://127.0.0.1:7101",
    .default_admin_port = 7201,
    .rpc = RPC_SERVICE(&rcycle__users__users__descriptor, users_methods),
    .init = users_init,
    .fini = users_fini,
};

int main(int argc, char **argv)
{
    return service_main(&svc_users, argc, argv);
}
