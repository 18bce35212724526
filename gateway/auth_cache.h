/* auth_cache.h - the gateway's short-lived memory of authenticated tokens.
 *
 * docs/API.md allows a gateway to trust a session for at most 5 seconds after
 * svc-users last confirmed it; that bound is kept here (AUTH_CACHE_TTL_MS).
 * Keys are token hashes, never tokens. Used from the loop thread only. */
#ifndef RCYCLE_GATEWAY_AUTH_CACHE_H
#define RCYCLE_GATEWAY_AUTH_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "users.pb-c.h"

#define AUTH_CACHE_TTL_MS 5000

typedef struct auth_cache auth_cache;

auth_cache *auth_cache_create(size_t max_entries);
void auth_cache_destroy(auth_cache *c);

/* A copy of the cached user for token (free with
 * rcycle__users__user__free_unpacked), or NULL when absent or stale. */
Rcycle__Users__User *auth_cache_get(auth_cache *c, const char *token, int64_t now_ms);

/* Remembers user for token until now_ms + AUTH_CACHE_TTL_MS, unless the
 * token was forgotten within that time. */
void auth_cache_put(auth_cache *c, const char *token, const Rcycle__Users__User *user,
                    int64_t now_ms);

/* Forgets token (a logout) and refuses to remember it again for
 * AUTH_CACHE_TTL_MS: an Authenticate answered before the logout may still be
 * on its way back, and must not bring the session back to life. */
void auth_cache_forget(auth_cache *c, const char *token, int64_t now_ms);

/* The number of entries held, tombstones included (for tests and metrics). */
size_t auth_cache_count(const auth_cache *c);

#endif
