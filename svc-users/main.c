/* main.c - svc-users: accounts, roles, sessions and the notifications inbox. This file only
 * describes the service; service_main reads the configuration, opens the database pool and serves
 * the method table below until SIGINT or SIGTERM. */
#include "service.h"
#include "users.h"

/* The audit trail of the users chain (common/audit.h). */
static void users_list_audit(const rpc_request *req, rpc_reply *reply)
{
    audit_list(req, AUDIT_USERS, reply);
}

static void users_export_audit(const rpc_request *req, rpc_reply *reply)
{
    audit_export(req, AUDIT_USERS, reply);
}

static const rpc_handler_fn users_methods[RPCI_USERS_COUNT] = {
    [RPCI_USERS_LOGIN] = users_login,
    [RPCI_USERS_LOGOUT] = users_logout,
    [RPCI_USERS_AUTHENTICATE] = users_authenticate,
    [RPCI_USERS_GET_USER] = users_get_user,
    [RPCI_USERS_LIST_USERS] = users_list_users,
    [RPCI_USERS_CREATE_USER] = users_create_user,
    [RPCI_USERS_CREATE_TOKEN] = users_create_token,
    [RPCI_USERS_LIST_TOKENS] = users_list_tokens,
    [RPCI_USERS_REVOKE_TOKEN] = users_revoke_token,
    [RPCI_USERS_UPDATE_USER] = users_update_user,
    [RPCI_USERS_SET_PASSWORD] = users_set_password,
    [RPCI_USERS_CHANGE_PASSWORD] = users_change_password,
    [RPCI_USERS_LIST_DEPARTMENTS] = users_list_departments,
    [RPCI_USERS_OIDC_BEGIN] = users_oidc_begin,
    [RPCI_USERS_OIDC_FINISH] = users_oidc_finish,
    [RPCI_USERS_LIST_AUDIT] = users_list_audit,
    [RPCI_USERS_EXPORT_AUDIT] = users_export_audit,
    [RPCI_USERS_LIST_NOTIFICATIONS] = users_list_notifications,
    [RPCI_USERS_MARK_NOTIFICATIONS_READ] = users_mark_notifications_read,
    [RPCI_USERS_UPDATE_ME] = users_update_me,
    [RPCI_USERS_LIST_MAIL] = users_list_mail,
    [RPCI_USERS_RETRY_MAIL] = users_retry_mail,
};

static const service_def svc_users = {
    .name = "svc-users",
    .addr_var = "RCYCLE_USERS_ADDR",
    .default_addr = "tls+tcp://127.0.0.1:7101",
    .default_admin_port = 7201,
    .rpc = RPC_SERVICE(&rcycle__users__users__descriptor, users_methods),
    .chain = AUDIT_USERS,
    .init = users_init,
    .fini = users_fini,
};

int main(int argc, char **argv)
{
    return service_main(&svc_users, argc, argv);
}
