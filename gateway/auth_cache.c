/* auth_cache.c - a chained hash table of token hash -> packed user, with a
 * fixed time to live. */
#include <stdlib.h>
#include <string.h>

#include "auth_cache.h"
#include "token.h"

#define AUTH_CACHE_BUCKETS 1024

typedef struct auth_entry {
    struct auth_entry *next;
    char token_hash[TOKEN_HASH_LEN + 1];
    int64_t expires_ms;
    uint8_t *user; /* packed Rcycle__Users__User; NULL for a forgotten token */
    size_t user_len;
} auth_entry;

struct auth_cache {
    auth_entry *buckets[AUTH_CACHE_BUCKETS];
    size_t count;
    size_t max_entries;
};

auth_cache *auth_cache_create(size_t max_entries)
{
    auth_cache *c = calloc(1, sizeof *c);
    if (c == NULL)
        abort();
    c->max_entries = max_entries;
    return c;
}

static void free_entry(auth_entry *e)
{
    free(e->user);
    free(e);
}

/* Which entries a sweep drops. */
enum sweep_what {
    SWEEP_EXPIRED, /* past their time */
    SWEEP_USERS,   /* every cached user; tombstones stay until they expire */
    SWEEP_ALL,
};

static void sweep(auth_cache *c, int64_t now_ms, enum sweep_what what)
{
    for (size_t b = 0; b < AUTH_CACHE_BUCKETS; b++) {
        auth_entry **link = &c->buckets[b];
        while (*link != NULL) {
            auth_entry *e = *link;
            int drop = what == SWEEP_ALL || e->expires_ms <= now_ms ||
                       (what == SWEEP_USERS && e->user != NULL);
            if (drop) {
                *link = e->next;
                free_entry(e);
                c->count--;
            } else {
                link = &e->next;
            }
        }
    }
}

void auth_cache_destroy(auth_cache *c)
{
    if (c == NULL)
        return;
    sweep(c, 0, SWEEP_ALL);
    free(c);
}

static size_t bucket_of(const char *token_hash)
{
    /* The key is already a uniform hash; its first hex digits will do. */
    size_t h = 0;
    for (int i = 0; i < 8; i++)
        h = h * 16 +
            (size_t)(token_hash[i] <= '9' ? token_hash[i] - '0' : token_hash[i] - 'a' + 10);
    return h % AUTH_CACHE_BUCKETS;
}

static auth_entry **find_link(auth_cache *c, const char *token_hash)
{
    auth_entry **link = &c->buckets[bucket_of(token_hash)];
    while (*link != NULL && strcmp((*link)->token_hash, token_hash) != 0)
        link = &(*link)->next;
    return link;
}

Rcycle__Users__User *auth_cache_get(auth_cache *c, const char *token, int64_t now_ms)
{
    char hash[TOKEN_HASH_LEN + 1];
    token_hash_hex(token, hash);
    auth_entry **link = find_link(c, hash);
    auth_entry *e = *link;
    if (e == NULL)
        return NULL;
    if (e->expires_ms <= now_ms) {
        *link = e->next;
        free_entry(e);
        c->count--;
        return NULL;
    }
    return e->user ? rcycle__users__user__unpack(NULL, e->user_len, e->user) : NULL;
}

/* Adds an entry for hash, replacing any; user NULL makes a tombstone.
 *
 * Bound: at most max_entries entries, except that a tombstone is never
 * dropped before it expires, since dropping it would let a late Authenticate
 * bring a logged-out session back. When full, the cached users go first (they
 * are only a shortcut); a user that still finds no room is not cached.
 * Tombstones beyond the bound are as many as logouts in AUTH_CACHE_TTL_MS,
 * and each logout needed a sign-in, which svc-users rate-limits. */
static void store(auth_cache *c, const char *hash, const Rcycle__Users__User *user, int64_t now_ms)
{
    auth_entry **link = find_link(c, hash);
    if (*link != NULL) {
        auth_entry *old = *link;
        *link = old->next;
        free_entry(old);
        c->count--;
    }
    if (c->count >= c->max_entries)
        sweep(c, now_ms, SWEEP_EXPIRED);
    if (c->count >= c->max_entries)
        sweep(c, now_ms, SWEEP_USERS);
    if (c->count >= c->max_entries && user != NULL)
        return;
    auth_entry *e = calloc(1, sizeof *e);
    if (e == NULL)
        abort();
    memcpy(e->token_hash, hash, sizeof e->token_hash);
    e->expires_ms = now_ms + AUTH_CACHE_TTL_MS;
    if (user != NULL) {
        e->user_len = rcycle__users__user__get_packed_size(user);
        e->user = malloc(e->user_len ? e->user_len : 1);
        if (e->user == NULL)
            abort();
        rcycle__users__user__pack(user, e->user);
    }
    size_t b = bucket_of(e->token_hash);
    e->next = c->buckets[b];
    c->buckets[b] = e;
    c->count++;
}

void auth_cache_put(auth_cache *c, const char *token, const Rcycle__Users__User *user,
                    int64_t now_ms)
{
    char hash[TOKEN_HASH_LEN + 1];
    token_hash_hex(token, hash);
    auth_entry *e = *find_link(c, hash);
    if (e != NULL && e->user == NULL && e->expires_ms > now_ms)
        return;
    store(c, hash, user, now_ms);
}

size_t auth_cache_count(const auth_cache *c)
{
    return c->count;
}

void auth_cache_forget(auth_cache *c, const char *token, int64_t now_ms)
{
    char hash[TOKEN_HASH_LEN + 1];
    token_hash_hex(token, hash);
    store(c, hash, NULL, now_ms);
}
