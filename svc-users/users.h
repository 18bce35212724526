/* users.h - what the RPC groups of svc-users share: the handlers main.c
 * lists, the one mapping of an account row to a User message, and the checks
 * and replies every group uses. */
#ifndef RCYCLE_SVC_USERS_H
#define RCYCLE_SVC_USERS_H

#include <libpq-fe.h>
#include <sodium.h>
#include <stddef.h>
#include <stdint.h>

#include "rpc_server.h"
#include "service.h"
#include "users.pb-c.h"

/* The columns user_from_row reads, in its order, from users.accounts
 * aliased as "a". Every query that answers with a user selects these. */
#define USER_COLUMNS  "a.id, a.email, a.name, a.department, array_to_string(a.roles, ',')"
#define USER_NCOLUMNS 5

/* Limits of the fields a client sends. Email and names count characters, as
 * the schema's checks do; a password counts bytes, as the hash sees it. */
#define EMAIL_MAX_CHARS    254
#define PASSWORD_MAX_BYTES 1024

#define USER_NROLES 3
/* Every role an account may hold, in the order replies list them. */
extern const char *const user_role_names[USER_NROLES];

/* A User message and the storage its role list points into. */
typedef struct user_row {
    Rcycle__Users__User msg;
    char *roles[USER_NROLES];
} user_row;

/* Fills user from the USER_COLUMNS of row in res. Its strings point into res,
 * so it must not outlive res, and it must not be copied once filled. */
void user_from_row(user_row *user, const PGresult *res, int row);

/* Hashes password into out as an argon2id string; 0 on success. Login's
 * stand-in hash for unknown emails is made here too, so that checking it costs
 * what checking a real one does. While serving, only hash_pool calls it
 * (hash_pool.c, which owns argon2id's parameters). */
int password_hash(char out[crypto_pwhash_STRBYTES], const char *password, size_t len);

/* ---- hash_pool.c: the gate of every argon2id computation while serving ----
 *
 * A request that hashes (Login, CreateUser) is admitted first
 * (hash_pool_enter: 0 when concurrency + queue requests are already in,
 * answer RESOURCE_EXHAUSTED then) and leaves when it is done; in between it
 * may run hashes, each waiting for one of the `concurrency` turns until the
 * request's deadline (DEADLINE_EXCEEDED after). The invariant and why it
 * keeps Authenticate from waiting are in hash_pool.c. */
typedef struct hash_pool hash_pool;

/* RCYCLE_HASH_CONCURRENCY, RCYCLE_HASH_QUEUE and their defaults. */
#define HASH_CONCURRENCY_DEFAULT 2
#define HASH_QUEUE_DEFAULT       4
/* RPC workers never admitted to the pool: concurrency + queue may be at most
 * RCYCLE_WORKERS minus these. */
#define HASH_FREE_WORKERS 2

hash_pool *hash_pool_create(int concurrency, int queue);
void hash_pool_destroy(hash_pool *pool);
int hash_pool_enter(hash_pool *pool);
void hash_pool_leave(hash_pool *pool);
/* *matches is 1 when password is the one of hash (an argon2id string). */
rc_status hash_pool_verify(hash_pool *pool, int64_t deadline_ms, const char *hash,
                           const char *password, int *matches);
rc_status hash_pool_hash(hash_pool *pool, int64_t deadline_ms, char out[crypto_pwhash_STRBYTES],
                         const char *password);
/* The computations running now (the metrics gauge, tests). */
int hash_pool_hashing(hash_pool *pool);

/* The state of svc-users (rpc_request.service). */
typedef struct users_state {
    hash_pool *hash;
} users_state;

/* service_def.init and .fini: read the hashing limits, ready the hash pool
 * and what Login needs. */
int users_init(service_env *env, void **state);
void users_fini(void *state);

/* The client address the gateway saw for req, or "-" when it named none: for
 * the security events, which log it beside the user. */
const char *users_client_addr(const rpc_request *req);

/* Called by users_init; 0 on success. */
int sessions_init(void);

/* sessions.c */
void users_login(const rpc_request *req, rpc_reply *reply);
void users_logout(const rpc_request *req, rpc_reply *reply);
void users_authenticate(const rpc_request *req, rpc_reply *reply);

/* accounts.c */
void users_get_user(const rpc_request *req, rpc_reply *reply);
void users_list_users(const rpc_request *req, rpc_reply *reply);
void users_create_user(const rpc_request *req, rpc_reply *reply);

#endif
