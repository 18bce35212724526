/* auth_cache.c - a chained hash table of token hash -> packed
 * AuthenticateReply, with a fixed time to live, and the users whose tokens
 * may not be cached for now (fences). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "auth_cache.h"
#include "token.h"

#define AUTH_CACHE_BUCKETS 1024

typedef struct auth_entry {
    struct auth_entry *next;
    char token_hash[TOKEN_HASH_LEN + 1];
    int64_t expires_ms;
    int64_t user_id;
    uint8_t *user; /* packed AuthenticateReply; NULL for a forgotten token */
    size_t user_len;
} auth_entry;

/* A user whose tokens are not cached until expires_ms. There are as many as
 * admin changes to users in AUTH_CACHE_TTL_MS. */
typedef struct user_fence {
    struct user_fence *next;
    int64_t user_id;
    int64_t expires_ms;
} user_fence;

/* Lock rule: every event loop uses the one cache, so each public function
 * holds mu for all it reads or changes of the table and the fences, and
 * only the static functions below, called with mu held, touch them. Holding
 * it across a whole check-then-store (auth_cache_put) is what keeps a
 * logout on one loop from being undone by a late Authenticate on another.
 * Hashing a token needs no lock and is done before taking it. */
struct auth_cache {
    pthread_mutex_t mu;
    auth_entry *buckets[AUTH_CACHE_BUCKETS];
    size_t count;
    size_t max_entries;
    user_fence *fences;
};

auth_cache *auth_cache_create(size_t max_entries)
{
    auth_cache *c = calloc(1, sizeof *c);
    if (c == NULL)
        abort();
    c->max_entries = max_entries;
    pthread_mutex_init(&c->mu, NULL);
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
    SWEEP_ONE_USER, /* the cached tokens of one user */
};

static void sweep_user(auth_cache *c, int64_t now_ms, enum sweep_what what, int64_t user_id)
{
    for (size_t b = 0; b < AUTH_CACHE_BUCKETS; b++) {
        auth_entry **link = &c->buckets[b];
        while (*link != NULL) {
            auth_entry *e = *link;
            int drop = what == SWEEP_ALL || e->expires_ms <= now_ms ||
                       (what == SWEEP_USERS && e->user != NULL) ||
                       (what == SWEEP_ONE_USER && e->user != NULL && e->user_id == user_id);
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

static void sweep(auth_cache *c, int64_t now_ms, enum sweep_what what)
{
    sweep_user(c, now_ms, what, 0);
}

/* Drops the fences that expired; with now_ms INT64_MAX, all. */
static void drop_fences(auth_cache *c, int64_t now_ms)
{
    user_fence **link = &c->fences;
    while (*link != NULL) {
        user_fence *f = *link;
        if (f->expires_ms <= now_ms) {
            *link = f->next;
            free(f);
        } else {
            link = &f->next;
        }
    }
}

static int fenced(auth_cache *c, int64_t user_id, int64_t now_ms)
{
    drop_fences(c, now_ms);
    for (const user_fence *f = c->fences; f != NULL; f = f->next)
        if (f->user_id == user_id)
            return 1;
    return 0;
}

void auth_cache_destroy(auth_cache *c)
{
    if (c == NULL)
        return;
    sweep(c, 0, SWEEP_ALL);
    drop_fences(c, INT64_MAX);
    pthread_mutex_destroy(&c->mu);
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

Rcycle__Users__AuthenticateReply *auth_cache_get(auth_cache *c, const char *token, int64_t now_ms)
{
    char hash[TOKEN_HASH_LEN + 1];
    token_hash_hex(token, hash);
    pthread_mutex_lock(&c->mu);
    auth_entry **link = find_link(c, hash);
    auth_entry *e = *link;
    Rcycle__Users__AuthenticateReply *who = NULL;
    if (e != NULL && e->expires_ms <= now_ms) {
        *link = e->next;
        free_entry(e);
        c->count--;
    } else if (e != NULL && e->user != NULL) {
        /* Unpacked under the lock: another loop may replace the entry. */
        who = rcycle__users__authenticate_reply__unpack(NULL, e->user_len, e->user);
    }
    pthread_mutex_unlock(&c->mu);
    return who;
}

/* Adds an entry for hash, replacing any; user NULL makes a tombstone.
 *
 * Bound: at most max_entries entries, except that a tombstone is never
 * dropped before it expires, since dropping it would let a late Authenticate
 * bring a logged-out session back. When full, the cached users go first (they
 * are only a shortcut); a user that still finds no room is not cached.
 * Tombstones beyond the bound are as many as logouts in AUTH_CACHE_TTL_MS,
 * and each logout needed a sign-in, which svc-users rate-limits. */
static void store(auth_cache *c, const char *hash, const Rcycle__Users__AuthenticateReply *user,
                  int64_t now_ms)
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
        e->user_id = user->user->id;
        e->user_len = rcycle__users__authenticate_reply__get_packed_size(user);
        e->user = malloc(e->user_len ? e->user_len : 1);
        if (e->user == NULL)
            abort();
        rcycle__users__authenticate_reply__pack(user, e->user);
    }
    size_t b = bucket_of(e->token_hash);
    e->next = c->buckets[b];
    c->buckets[b] = e;
    c->count++;
}

void auth_cache_put(auth_cache *c, const char *token, const Rcycle__Users__AuthenticateReply *who,
                    int64_t now_ms)
{
    char hash[TOKEN_HASH_LEN + 1];
    token_hash_hex(token, hash);
    pthread_mutex_lock(&c->mu);
    auth_entry *e = *find_link(c, hash);
    int refused = (e != NULL && e->user == NULL && e->expires_ms > now_ms) ||
                  fenced(c, who->user->id, now_ms);
    if (!refused)
        store(c, hash, who, now_ms);
    pthread_mutex_unlock(&c->mu);
}

size_t auth_cache_count(auth_cache *c)
{
    pthread_mutex_lock(&c->mu);
    size_t n = c->count;
    pthread_mutex_unlock(&c->mu);
    return n;
}

static void store_tombstone(auth_cache *c, const char *hash, int64_t now_ms)
{
    pthread_mutex_lock(&c->mu);
    store(c, hash, NULL, now_ms);
    pthread_mutex_unlock(&c->mu);
}

void auth_cache_forget(auth_cache *c, const char *token, int64_t now_ms)
{
    char hash[TOKEN_HASH_LEN + 1];
    token_hash_hex(token, hash);
    store_tombstone(c, hash, now_ms);
}

void auth_cache_forget_hash(auth_cache *c, const char *token_hash, int64_t now_ms)
{
    if (strlen(token_hash) == TOKEN_HASH_LEN)
        store_tombstone(c, token_hash, now_ms);
}

void auth_cache_forget_user(auth_cache *c, int64_t user_id, int64_t now_ms)
{
    user_fence *f = malloc(sizeof *f);
    if (f == NULL)
        abort();
    pthread_mutex_lock(&c->mu);
    sweep_user(c, now_ms, SWEEP_ONE_USER, user_id);
    drop_fences(c, now_ms);
    *f = (user_fence){
        .next = c->fences, .user_id = user_id, .expires_ms = now_ms + AUTH_CACHE_TTL_MS};
    c->fences = f;
    pthread_mutex_unlock(&c->mu);
}
