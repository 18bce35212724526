/* users.c - the pieces every RPC group of svc-users shares: start-up, the
 * mapping of an account row to a User message, text checks and the answer to
 * a database error. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "oidc_idp.h"
#include "token.h"
#include "users.h"

/* Reads the hashing limits; 0, or -1 after printing why. Past
 * RCYCLE_WORKERS - HASH_FREE_WORKERS admitted hashing requests could hold
 * every worker, and Authenticate would wait behind them (hash_pool.c). The
 * slots of single sign-on (oidc_idp.c) count against the same room, so the
 * queue's default shrinks by them. */
static int read_hash_limits(const service_env *env, int oidc_slots, int *concurrency, int *queue)
{
    char err[CONFIG_ERR_LEN];
    int room = env->workers - HASH_FREE_WORKERS - oidc_slots;
    int queue_default = HASH_QUEUE_DEFAULT > oidc_slots ? HASH_QUEUE_DEFAULT - oidc_slots : 0;
    if (room < 1) {
        fprintf(stderr, "RCYCLE_WORKERS: svc-users needs at least %d\n", HASH_FREE_WORKERS + 1);
        return -1;
    }
    if (config_int("RCYCLE_HASH_CONCURRENCY", HASH_CONCURRENCY_DEFAULT, 1, room, concurrency,
                   err) != 0 ||
        config_int("RCYCLE_HASH_QUEUE", queue_default, 0, 1024, queue, err) != 0) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    if (*concurrency + *queue > room) {
        fprintf(stderr,
                "RCYCLE_HASH_QUEUE: RCYCLE_HASH_CONCURRENCY + RCYCLE_HASH_QUEUE%s must leave %d "
                "of the %d RCYCLE_WORKERS free (at most %d)\n",
                oidc_slots ? " + RCYCLE_OIDC_CONCURRENCY" : "", HASH_FREE_WORKERS, env->workers,
                room - *concurrency);
        return -1;
    }
    return 0;
}

/* The outbox's sender, when RCYCLE_SMTP_URL is set; 0, or -1 after saying
 * why. */
static int start_mail(const service_env *env, users_state *st)
{
    mail_config mail;
    int on;
    if (mail_config_read(&mail, &on) != 0)
        return -1;
    if (!on) {
        log_info(NULL, "email notifications: off (RCYCLE_SMTP_URL is not set)");
        return 0;
    }
    st->outbox = mail_outbox_start(env->pool, &mail);
    return st->outbox != NULL ? 0 : -1;
}

int users_init(service_env *env, void **state)
{
    int concurrency, queue, local_login;
    char err[CONFIG_ERR_LEN];
    oidc_idp *oidc;
    if (config_bool("RCYCLE_LOCAL_LOGIN", 1, &local_login, err) != 0) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    if (oidc_idp_create(&oidc) != 0)
        return -1;
    if (read_hash_limits(env, oidc ? oidc_idp_config(oidc)->concurrency : 0, &concurrency,
                         &queue) != 0) {
        oidc_idp_destroy(oidc);
        return -1;
    }
    users_state *st = calloc(1, sizeof *st);
    if (st == NULL) {
        oidc_idp_destroy(oidc);
        log_error(NULL, "svc-users: out of memory at start");
        return -1;
    }
    st->oidc = oidc;
    st->local_login = local_login;
    st->hash = hash_pool_create(concurrency, queue);
    if (st->hash == NULL) {
        log_error(NULL, "svc-users: out of memory at start");
        users_fini(st);
        return -1;
    }
    /* sessions_init logs its own failure. */
    if (sessions_init() != 0 || start_mail(env, st) != 0) {
        users_fini(st);
        return -1;
    }
    if ((st->notify = notify_start(env->pool)) == NULL) {
        users_fini(st);
        return -1;
    }
    log_info(NULL, "password hashing: %d at once, %d more admitted", concurrency, queue);
    if (oidc != NULL)
        log_info(NULL, "single sign-on: issuer %s, %d at once; email login %s",
                 oidc_idp_config(oidc)->issuer, oidc_idp_config(oidc)->concurrency,
                 local_login ? "on" : "off");
    *state = st;
    return 0;
}

void users_fini(void *state)
{
    users_state *st = state;
    if (st == NULL)
        return;
    notify_stop(st->notify);
    mail_outbox_stop(st->outbox);
    hash_pool_destroy(st->hash);
    oidc_idp_destroy(st->oidc);
    free(st);
}

int users_signed_in(const rpc_request *req, rpc_reply *reply)
{
    if (req->caller->has_user_id && req->caller->user_id > 0)
        return 1;
    rpc_reply_error(reply, RC_PERMISSION_DENIED, "a signed-in user is required");
    return 0;
}

const char *users_client_addr(const rpc_request *req)
{
    const char *addr = req->caller->client_addr;
    return addr != NULL && addr[0] != '\0' ? addr : "-";
}

/* 1 when name is one of the comma-separated items of list. */
static int list_has(const char *list, const char *name)
{
    size_t len = strlen(name);
    for (const char *item = list;; item++) {
        size_t n = strcspn(item, ",");
        if (n == len && memcmp(item, name, len) == 0)
            return 1;
        item += n;
        if (*item == '\0')
            return 0;
    }
}

int users_reply_user(rpc_reply *reply, const PGresult *res)
{
    if (PQntuples(res) == 0) {
        rpc_reply_error(reply, RC_NOT_FOUND, "user not found");
        return 0;
    }
    user_row user;
    user_from_row(&user, res, 0);
    rpc_reply_ok(reply, &user.msg.base);
    return 1;
}

void user_from_row(user_row *user, const PGresult *res, int row)
{
    const char *roles = PQgetvalue(res, row, 4);

    *user = (user_row){.msg = RCYCLE__USERS__USER__INIT};
    user->msg.id = strtoll(PQgetvalue(res, row, 0), NULL, 10);
    user->msg.email = PQgetvalue(res, row, 1);
    user->msg.name = PQgetvalue(res, row, 2);
    user->msg.department = PQgetvalue(res, row, 3);
    /* Listing the known roles in a fixed order also drops duplicates, which
     * the schema's check would let through. */
    for (int i = 0; i < USER_NROLES; i++)
        if (list_has(roles, user_role_names[i]))
            /* protobuf-c's fields are not const; packing only reads them. */
            user->roles[user->msg.n_roles++] = (char *)user_role_names[i];
    user->msg.roles = user->roles;
    user->msg.has_active = 1;
    user->msg.active = PQgetvalue(res, row, 5)[0] == 't';
    user->msg.auth_source = PQgetvalue(res, row, 6);
    user->msg.has_email_notifications = 1;
    user->msg.email_notifications = PQgetvalue(res, row, 7)[0] == 't';
}

rc_status users_audit(const rpc_request *req, const audit_actor *actor, const char *action,
                      int64_t user_id, const char *note)
{
    char id[DB_INT64_LEN];
    audit_event ev = {
        .entity = "user",
        .entity_id = user_id > 0 ? db_param_int64(id, user_id) : NULL,
        .action = action,
        .note = note,
    };
    return audit_append(req->db, AUDIT_USERS, actor, &ev, req->request_id);
}

void users_actor_params(const rpc_request *req, char id[DB_INT64_LEN], const char *params[3])
{
    audit_actor actor = audit_actor_of(req->caller);
    params[0] = actor.id > 0 ? db_param_int64(id, actor.id) : NULL;
    params[1] = actor.email;
    params[2] = actor.department;
}
