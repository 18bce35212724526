/* users.c - the pieces every RPC group of svc-users shares: start-up, the
 * mapping of an account row to a User message, text checks and the answer to
 * a database error. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "token.h"
#include "users.h"

const char *const user_role_names[USER_NROLES] = {"member", "security", "admin"};

/* Reads the hashing limits; 0, or -1 after printing why. Past
 * RCYCLE_WORKERS - HASH_FREE_WORKERS admitted hashing requests could hold
 * every worker, and Authenticate would wait behind them (hash_pool.c). */
static int read_hash_limits(const service_env *env, int *concurrency, int *queue)
{
    char err[CONFIG_ERR_LEN];
    int room = env->workers - HASH_FREE_WORKERS;
    if (room < 1) {
        fprintf(stderr, "RCYCLE_WORKERS: svc-users needs at least %d\n", HASH_FREE_WORKERS + 1);
        return -1;
    }
    if (config_int("RCYCLE_HASH_CONCURRENCY", HASH_CONCURRENCY_DEFAULT, 1, room, concurrency,
                   err) != 0 ||
        config_int("RCYCLE_HASH_QUEUE", HASH_QUEUE_DEFAULT, 0, 1024, queue, err) != 0) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    if (*concurrency + *queue > room) {
        fprintf(stderr,
                "RCYCLE_HASH_QUEUE: RCYCLE_HASH_CONCURRENCY + RCYCLE_HASH_QUEUE must leave %d of "
                "the %d RCYCLE_WORKERS free (at most %d)\n",
                HASH_FREE_WORKERS, env->workers, room - *concurrency);
        return -1;
    }
    return 0;
}

int users_init(service_env *env, void **state)
{
    int concurrency, queue;
    if (read_hash_limits(env, &concurrency, &queue) != 0)
        return -1;
    users_state *st = calloc(1, sizeof *st);
    if (st != NULL)
        st->hash = hash_pool_create(concurrency, queue);
    if (st == NULL || st->hash == NULL) {
        log_error(NULL, "svc-users: out of memory at start");
        users_fini(st);
        return -1;
    }
    /* sessions_init logs its own failure. */
    if (sessions_init() != 0) {
        users_fini(st);
        return -1;
    }
    log_info(NULL, "password hashing: %d at once, %d more admitted", concurrency, queue);
    *state = st;
    return 0;
}

void users_fini(void *state)
{
    users_state *st = state;
    if (st == NULL)
        return;
    hash_pool_destroy(st->hash);
    free(st);
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
}
