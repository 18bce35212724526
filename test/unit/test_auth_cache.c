/* test_auth_cache.c - the 5-second memory of authenticated sessions. */
#include <stdarg.h>
#include <stddef.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "auth_cache.h"
#include "token.h"

static Rcycle__Users__User jane = {
    .base = PROTOBUF_C_MESSAGE_INIT(&rcycle__users__user__descriptor),
    .id = 42,
    .email = "jane.smith@company.com",
    .name = "Jane Smith",
    .department = "Data Center Operations",
};

static Rcycle__Users__AuthenticateReply sample_user(void)
{
    Rcycle__Users__AuthenticateReply u = RCYCLE__USERS__AUTHENTICATE_REPLY__INIT;
    u.user = &jane;
    return u;
}

static void hit_within_ttl_miss_after(void **state)
{
    (void)state;
    assert_int_equal(token_init(), 0);
    auth_cache *c = auth_cache_create(16);
    char token[TOKEN_TEXT_LEN + 1];
    token_generate(token);
    Rcycle__Users__AuthenticateReply u = sample_user();
    auth_cache_put(c, token, &u, 1000);
    Rcycle__Users__AuthenticateReply *got = auth_cache_get(c, token, 1000 + AUTH_CACHE_TTL_MS - 1);
    assert_non_null(got);
    assert_int_equal(got->user->id, 42);
    assert_string_equal(got->user->department, "Data Center Operations");
    rcycle__users__authenticate_reply__free_unpacked(got, NULL);
    assert_null(auth_cache_get(c, token, 1000 + AUTH_CACHE_TTL_MS));
    auth_cache_destroy(c);
}

static void forget_is_immediate(void **state)
{
    (void)state;
    auth_cache *c = auth_cache_create(16);
    char token[TOKEN_TEXT_LEN + 1];
    token_generate(token);
    Rcycle__Users__AuthenticateReply u = sample_user();
    auth_cache_put(c, token, &u, 0);
    auth_cache_forget(c, token, 0);
    assert_null(auth_cache_get(c, token, 1));
    auth_cache_destroy(c);
}

static void late_authentication_cannot_revive_a_forgotten_token(void **state)
{
    (void)state;
    auth_cache *c = auth_cache_create(16);
    char token[TOKEN_TEXT_LEN + 1];
    token_generate(token);
    Rcycle__Users__AuthenticateReply u = sample_user();
    auth_cache_forget(c, token, 1000);
    auth_cache_put(c, token, &u, 1000 + AUTH_CACHE_TTL_MS - 1);
    assert_null(auth_cache_get(c, token, 1000 + AUTH_CACHE_TTL_MS - 1));
    auth_cache_put(c, token, &u, 1000 + AUTH_CACHE_TTL_MS);
    Rcycle__Users__AuthenticateReply *got = auth_cache_get(c, token, 1000 + AUTH_CACHE_TTL_MS + 1);
    assert_non_null(got);
    rcycle__users__authenticate_reply__free_unpacked(got, NULL);
    auth_cache_destroy(c);
}

static void stays_bounded(void **state)
{
    (void)state;
    auth_cache *c = auth_cache_create(8);
    Rcycle__Users__AuthenticateReply u = sample_user();
    char last[TOKEN_TEXT_LEN + 1];
    for (int i = 0; i < 100; i++) {
        token_generate(last);
        auth_cache_put(c, last, &u, 0);
        assert_true(auth_cache_count(c) <= 8);
    }
    Rcycle__Users__AuthenticateReply *got = auth_cache_get(c, last, 1);
    assert_non_null(got);
    rcycle__users__authenticate_reply__free_unpacked(got, NULL);
    auth_cache_destroy(c);
}

/* A full cache makes room by dropping cached users, never a logout's
 * tombstone: the late Authenticate of a logged-out token stays refused. */
static void full_cache_keeps_tombstones(void **state)
{
    (void)state;
    auth_cache *c = auth_cache_create(8);
    Rcycle__Users__AuthenticateReply u = sample_user();
    char gone[TOKEN_TEXT_LEN + 1], other[TOKEN_TEXT_LEN + 1];
    token_generate(gone);
    auth_cache_forget(c, gone, 0);
    for (int i = 0; i < 100; i++) {
        token_generate(other);
        auth_cache_put(c, other, &u, 0);
        assert_true(auth_cache_count(c) <= 8);
    }
    auth_cache_put(c, gone, &u, 1);
    assert_null(auth_cache_get(c, gone, 2));
    auth_cache_destroy(c);
}

/* A change to a user forgets every cached token of theirs at once, and a
 * late Authenticate cannot cache one again within the TTL; other users
 * stay cached. */
static void forget_user_drops_and_fences(void **state)
{
    (void)state;
    auth_cache *c = auth_cache_create(16);
    Rcycle__Users__User bob = jane;
    bob.id = 7;
    Rcycle__Users__AuthenticateReply u = sample_user(), b = sample_user();
    b.user = &bob;
    char a[TOKEN_TEXT_LEN + 1], other[TOKEN_TEXT_LEN + 1];
    token_generate(a);
    token_generate(other);
    auth_cache_put(c, a, &u, 0);
    auth_cache_put(c, other, &b, 0);
    auth_cache_forget_user(c, 42, 10);
    assert_null(auth_cache_get(c, a, 11));
    auth_cache_put(c, a, &u, 12);
    assert_null(auth_cache_get(c, a, 13));
    Rcycle__Users__AuthenticateReply *got = auth_cache_get(c, other, 13);
    assert_non_null(got);
    rcycle__users__authenticate_reply__free_unpacked(got, NULL);
    auth_cache_put(c, a, &u, 10 + AUTH_CACHE_TTL_MS);
    got = auth_cache_get(c, a, 11 + AUTH_CACHE_TTL_MS);
    assert_non_null(got);
    rcycle__users__authenticate_reply__free_unpacked(got, NULL);
    auth_cache_destroy(c);
}

/* A revoked API token is forgotten by the hash svc-users answers with. */
static void forget_hash_is_immediate(void **state)
{
    (void)state;
    auth_cache *c = auth_cache_create(16);
    char token[API_TOKEN_TEXT_LEN + 1], hash[TOKEN_HASH_LEN + 1];
    api_token_generate(token);
    assert_true(api_token_well_formed(token, strlen(token)));
    token_hash_hex(token, hash);
    Rcycle__Users__AuthenticateReply u = sample_user();
    auth_cache_put(c, token, &u, 0);
    auth_cache_forget_hash(c, hash, 1);
    assert_null(auth_cache_get(c, token, 2));
    auth_cache_put(c, token, &u, 3);
    assert_null(auth_cache_get(c, token, 4));
    auth_cache_destroy(c);
}

/* Every event loop uses the one cache. Each thread caches and reads its
 * own tokens while the others write theirs (never filling the cache, so
 * every read must hit), then signs one out: it stays forgotten. Without the
 * lock the buckets' lists get torn (a crash, or an ASan report). */
#define LOOPS  4
#define ROUNDS 2000

typedef struct loop_work {
    auth_cache *cache;
    char token[TOKEN_TEXT_LEN + 1];
    int hits;
} loop_work;

static void *one_loop(void *arg)
{
    loop_work *w = arg;
    Rcycle__Users__AuthenticateReply u = sample_user();
    for (int i = 0; i < ROUNDS; i++) {
        char other[TOKEN_TEXT_LEN + 1];
        token_generate(other);
        auth_cache_put(w->cache, other, &u, i);
        auth_cache_put(w->cache, w->token, &u, i);
        Rcycle__Users__AuthenticateReply *got = auth_cache_get(w->cache, w->token, i);
        w->hits += got != NULL;
        rcycle__users__authenticate_reply__free_unpacked(got, NULL);
    }
    auth_cache_forget(w->cache, w->token, ROUNDS);
    auth_cache_put(w->cache, w->token, &u, ROUNDS + 1);
    return NULL;
}

static void shared_by_threads(void **state)
{
    (void)state;
    auth_cache *c = auth_cache_create(4 * LOOPS * ROUNDS);
    loop_work work[LOOPS];
    pthread_t threads[LOOPS];
    for (int i = 0; i < LOOPS; i++) {
        work[i] = (loop_work){.cache = c};
        token_generate(work[i].token);
        assert_int_equal(pthread_create(&threads[i], NULL, one_loop, &work[i]), 0);
    }
    for (int i = 0; i < LOOPS; i++)
        assert_int_equal(pthread_join(threads[i], NULL), 0);
    for (int i = 0; i < LOOPS; i++) {
        assert_int_equal(work[i].hits, ROUNDS);
        assert_null(auth_cache_get(c, work[i].token, ROUNDS + 2));
    }
    auth_cache_destroy(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hit_within_ttl_miss_after),
        cmocka_unit_test(forget_is_immediate),
        cmocka_unit_test(late_authentication_cannot_revive_a_forgotten_token),
        cmocka_unit_test(stays_bounded),
        cmocka_unit_test(full_cache_keeps_tombstones),
        cmocka_unit_test(forget_user_drops_and_fences),
        cmocka_unit_test(forget_hash_is_immediate),
        cmocka_unit_test(shared_by_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
