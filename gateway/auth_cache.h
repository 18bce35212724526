/* auth_cache.h - the gateway's short-lived memory of authenticated tokens.
 *
 * docs/API.md allows a gateway to trust a session for at most 5 seconds after
 * svc-users last confirmed it; that bound is kept here (AUTH_CACHE_TTL_MS).
 * The same bound holds for API tokens, and for every credential of a user an
 * admin changed or deactivated: the gateway that served the change forgets
 * them at once (auth_cache_forget_user), the others within the TTL.
 * Keys are token hashes, never tokens. Every event loop uses the one cache:
 * each function is safe to call from any thread (auth_cache.c, the lock rule). */
#ifndef RCYCLE_GATEWAY_AUTH_CACHE_H
#define RCYCLE_GATEWAY_AUTH_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "users.pb-c.h"

#define AUTH_CACHE_TTL_MS 5000

typedef struct auth_cache auth_cache;

auth_cache *auth_cache_create(size_t max_entries);
void auth_cache_destroy(auth_cache *c);

/* A copy of what svc-users answered for token (its user, and its scope when
 * it is an API token; free with rcycle__users__authenticate_reply__free_unpacked),
 * or NULL when absent or stale. */
Rcycle__Users__AuthenticateReply *auth_cache_get(auth_cache *c, const char *token, int64_t now_ms);

/* Remembers who for token until now_ms + AUTH_CACHE_TTL_MS, unless the
 * token or its user was forgotten within that time. */
void auth_cache_put(auth_cache *c, const char *token, const Rcycle__Users__AuthenticateReply *who,
                    int64_t now_ms);

/* Forgets token (a logout) and refuses to remember it again for
 * AUTH_CACHE_TTL_MS: an Authenticate answered before the logout may still be
 * on its way back, and must not bring the session back to life. */
void auth_cache_forget(auth_cache *c, const char *token, int64_t now_ms);

/* auth_cache_forget for the token whose SHA-256 (lower-case hex) is
 * token_hash: a revoked API token, whose secret the gateway never saw. */
void auth_cache_forget_hash(auth_cache *c, const char *token_hash, int64_t now_ms);

/* Forgets every token of user_id (deactivated, changed, password reset) and
 * caches none of its tokens for AUTH_CACHE_TTL_MS, for the same reason as
 * auth_cache_forget: they are checked with svc-users on every request then. */
void auth_cache_forget_user(auth_cache *c, int64_t user_id, int64_t now_ms);

/* The number of entries held, tombstones included (for tests and metrics). */
size_t auth_cache_count(auth_cache *c);

#endif
