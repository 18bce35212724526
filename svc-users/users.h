/* users.h - what the RPC groups of svc-users share: the handlers main.c
 * lists, the one mapping of an account row to a User message, and the checks
 * and replies every group uses. */
#ifndef RCYCLE_SVC_USERS_H
#define RCYCLE_SVC_USERS_H

#include <curl/curl.h>
#include <libpq-fe.h>
#include <sodium.h>
#include <stddef.h>
#include <stdint.h>

#include "audit.h"
#include "rpc_server.h"
#include "service.h"
#include "token.h"
#include "users.pb-c.h"

/* The columns user_from_row reads, in its order, from users.accounts
 * aliased as "a". Every query that answers with a user selects these. */
#define USER_COLUMNS                                                                               \
    "a.id, a.email, a.name, a.department, array_to_string(a.roles, ','), a.active, a.auth_source," \
    " a.email_notifications"
#define USER_NCOLUMNS 8

/* A timestamptz column as docs/API.md's RFC 3339 UTC text. */
#define USERS_RFC3339(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

/* Limits of the fields a client sends. Email and names count characters, as
 * the schema's checks do; a password counts bytes, as the hash sees it. */
#define EMAIL_MAX_CHARS    254
#define PASSWORD_MAX_BYTES 1024
#define NAME_MAX_CHARS     200

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

/* Answers the one user of res (USER_COLUMNS), or NOT_FOUND when it has no
 * row; 1 when it answered a user. */
int users_reply_user(rpc_reply *reply, const PGresult *res);
/* Appends a user event (entity "user", entity_id the user's id, 0 = none) to
 * the users chain in the request's transaction; note may be NULL. */
rc_status users_audit(const rpc_request *req, const audit_actor *actor, const char *action,
                      int64_t user_id, const char *note);

/* The head of an INSERT into the users chain, for the statements that record
 * their change in the same statement (admin.c, passwords.c, tokens.c): one
 * statement is one transaction, so the event commits exactly with the change
 * and holds the chain's head only for that statement. The actor comes first,
 * as three parameters users_actor_params fills. */
#define USERS_EVENT_INSERT                                                                         \
    "INSERT INTO users.events (actor_id, actor_email, actor_department, entity, entity_id,"        \
    " action, from_status, to_status, note)"

/* Writes the caller as the actor (id, email, department; NULLs for none) into
 * params[0..2]; id is their storage. */
void users_actor_params(const rpc_request *req, char id[DB_INT64_LEN], const char *params[3]);

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

/* ---- mail: email notifications through the site's relay ----
 *
 * mail_send.c sends one message with libcurl's SMTP; mail_outbox.c is the
 * worker that sends what users.mail_outbox holds, and the producers' way in;
 * mail_admin.c the admin's view. docs/MAIL.md says how it fits. */

/* The RCYCLE_SMTP_* settings; strings point into the environment. */
typedef struct mail_config {
    const char *smtp_url;   /* smtp://host:port or smtps://host:port */
    const char *from;       /* RCYCLE_MAIL_FROM, a bare address */
    const char *public_url; /* RCYCLE_PUBLIC_URL, without a trailing '/' */
    const char *ca_file;    /* RCYCLE_SMTP_CA_FILE or NULL: the system's CAs */
    const char *user;       /* RCYCLE_SMTP_USER or NULL: no AUTH */
    const char *password;   /* RCYCLE_SMTP_PASSWORD, never logged */
    int require_tls;        /* RCYCLE_SMTP_REQUIRE_TLS: STARTTLS or no send */
    int retry_base_ms;      /* RCYCLE_SMTP_RETRY_BASE_MS */
    int max_attempts;       /* RCYCLE_SMTP_MAX_ATTEMPTS */
    int timeout_ms;         /* RCYCLE_SMTP_TIMEOUT_MS, one message's whole send */
} mail_config;

/* Reads the settings into c; 0 with *on = 0 when RCYCLE_SMTP_URL is unset
 * (mail off), 0 with *on = 1 when they are good, -1 after printing one line
 * naming the bad variable. */
int mail_config_read(mail_config *c, int *on);

/* One outbox row as the sender sees it. */
typedef struct mail_message {
    int64_t id;
    const char *message_id; /* without <>, stable per row */
    const char *to;
    const char *subject;
    const char *body_text;
    const char *link; /* a UI path, or NULL */
} mail_message;

typedef enum mail_result {
    MAIL_SENT,
    MAIL_RETRY,   /* the relay is unreachable, or refused for now (4xx) */
    MAIL_REFUSED, /* refused for good (5xx): retrying cannot help */
} mail_result;

#define MAIL_ERR_LEN 256

/* Sends m through the relay on curl, an easy handle the caller owns: the
 * relay's connection stays open in it for the next message (libcurl reuses
 * it, one TLS handshake for many messages), and goes with the handle. err
 * holds why not (the relay's reply or libcurl's reason, never a credential). */
mail_result mail_send(CURL *curl, const mail_config *c, const mail_message *m,
                      char err[MAIL_ERR_LEN]);

typedef struct mail_outbox mail_outbox;

/* Starts the sender; NULL after logging why. It copies c. */
mail_outbox *mail_outbox_start(db_pool *pool, const mail_config *c);
void mail_outbox_stop(mail_outbox *outbox);

/* ---- the producers' contract (db/migrations/users/009_mail.sql) ----
 *
 * Whatever writes notifications also queues their emails, in the same
 * transaction, and only when mail_outbox_enabled(): then a notification is
 * mailed exactly when it is written, and a producer that runs twice for one
 * notification queues one email (ON CONFLICT).
 *
 * MAIL_OUTBOX_INSERT_FROM(rel) queues one email per row of rel, a relation
 * with the columns id, user_id, title, body, link of users.notifications
 * (the table itself, a subquery, or a data-modifying CTE's RETURNING), for
 * the recipients who are active and want email. A set-based writer appends
 * it to its own statement:
 *   WITH n AS (INSERT INTO users.notifications ... RETURNING id, user_id,
 *   title, body, link) MAIL_OUTBOX_INSERT_FROM("n")
 * and leaves it out when mail_outbox_enabled() is 0. */
#define MAIL_OUTBOX_INSERT_FROM(rel)                                                               \
    "INSERT INTO users.mail_outbox (notification_id, user_id, subject, body_text, link)"           \
    " SELECT n.id, n.user_id, n.title, coalesce(n.body, ''), n.link FROM " rel " n"                \
    " JOIN users.accounts a ON a.id = n.user_id WHERE a.email_notifications AND a.active"          \
    " ON CONFLICT (notification_id) DO NOTHING"

/* 1 once the sender runs (RCYCLE_SMTP_URL and RCYCLE_MAIL_FROM are set). */
int mail_outbox_enabled(void);

/* mail_admin.c: ListMail and RetryMail (admins only). */
void users_list_mail(const rpc_request *req, rpc_reply *reply);
void users_retry_mail(const rpc_request *req, rpc_reply *reply);

/* The state of svc-users (rpc_request.service). */
typedef struct oidc_idp oidc_idp;

/* notify.c: the notification follower, started with the service; it reads
 * svc-claims' and svc-listings' feed listeners (RCYCLE_CLAIMS_FEED_ADDR,
 * RCYCLE_LISTINGS_FEED_ADDR) and writes users.notifications. */
typedef struct notifier notifier;
/* NULL after logging why. */
notifier *notify_start(db_pool *pool);
void notify_stop(notifier *n);

/* notifications.c: the caller's inbox. */
void users_list_notifications(const rpc_request *req, rpc_reply *reply);
void users_mark_notifications_read(const rpc_request *req, rpc_reply *reply);

/* 1 when the request is a signed-in user's; otherwise answers
 * PERMISSION_DENIED. */
int users_signed_in(const rpc_request *req, rpc_reply *reply);

typedef struct users_state {
    hash_pool *hash;
    notifier *notify;
    oidc_idp *oidc;      /* NULL when single sign-on is off */
    int local_login;     /* RCYCLE_LOCAL_LOGIN */
    mail_outbox *outbox; /* NULL when mail is off */
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
/* Starts a session for the account in row 0 of account (USER_COLUMNS) and
 * fills out with it: the new token (in token), its expiry and the user (in
 * user, which points into account), and records the sign-in in the users
 * chain in the same transaction. */
rc_status session_open(const rpc_request *req, const PGresult *account,
                       char token[TOKEN_TEXT_LEN + 1], user_row *user,
                       Rcycle__Users__LoginReply *out);
void users_login(const rpc_request *req, rpc_reply *reply);
void users_logout(const rpc_request *req, rpc_reply *reply);
void users_authenticate(const rpc_request *req, rpc_reply *reply);

/* accounts.c */
/* 1 when s looks like an email address (accounts.c says what that means). */
int email_shape_ok(const char *s);
void users_get_user(const rpc_request *req, rpc_reply *reply);
void users_list_users(const rpc_request *req, rpc_reply *reply);
void users_create_user(const rpc_request *req, rpc_reply *reply);
/* The caller's own settings (PATCH /api/me). */
void users_update_me(const rpc_request *req, rpc_reply *reply);

/* 1 when the caller holds the admin role; otherwise answers
 * PERMISSION_DENIED, logged as a security event. */
int users_caller_is_admin(const rpc_request *req, const char *action, rpc_reply *reply);

/* The longest roles list users_roles_text writes: every role once. */
#define ROLES_TEXT_LEN sizeof "member,security,admin"

/* Writes roles to out as a comma-separated list that string_to_array reads
 * back: each known, each once, member always; 0 after answering
 * INVALID_ARGUMENT for an unknown role. */
int users_roles_text(char *const *roles, size_t n_roles, char out[ROLES_TEXT_LEN],
                     rpc_reply *reply);

/* passwords.c: the rule for every new password (docs/API.md: 12 to 256
 * characters, not the email), hashing one through the pool, SetPassword and
 * ChangePassword. */
int users_new_password_ok(const char *password, const char *email, rpc_reply *reply);
/* Hashes a new password into out; 0, or -1 after answering why not. */
int users_hash_new_password(const rpc_request *req, const char *password,
                            char out[crypto_pwhash_STRBYTES], rpc_reply *reply);
void users_set_password(const rpc_request *req, rpc_reply *reply);
void users_change_password(const rpc_request *req, rpc_reply *reply);

/* admin.c: UpdateUser and ListDepartments. */
void users_update_user(const rpc_request *req, rpc_reply *reply);
void users_list_departments(const rpc_request *req, rpc_reply *reply);

/* tokens.c: CreateToken, ListTokens, RevokeToken, and Authenticate for a
 * credential that is an API token (sessions.c hands it over). */
void users_create_token(const rpc_request *req, rpc_reply *reply);
void users_list_tokens(const rpc_request *req, rpc_reply *reply);
void users_revoke_token(const rpc_request *req, rpc_reply *reply);
void tokens_authenticate(const rpc_request *req, const char *token, rpc_reply *reply);
/* oidc_login.c */
void users_oidc_begin(const rpc_request *req, rpc_reply *reply);
void users_oidc_finish(const rpc_request *req, rpc_reply *reply);

#endif
