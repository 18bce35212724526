/* test_hash_pool.c - the gate of svc-users' password hashing
 * (svc-users/hash_pool.c): admission stops at concurrency + queue, a hash
 * waits for a turn only until its deadline, and hashes it runs are real
 * argon2id strings that verify. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <string.h>
#include <time.h>

#include "metrics.h"
#include "token.h"
#include "users.h"

static int setup(void **state)
{
    (void)state;
    metrics_init("test", "0");
    return token_init();
}

static void admission_stops_at_concurrency_plus_queue(void **state)
{
    (void)state;
    hash_pool *p = hash_pool_create(1, 2);
    assert_non_null(p);
    for (int i = 0; i < 3; i++)
        assert_true(hash_pool_enter(p));
    assert_false(hash_pool_enter(p));
    hash_pool_leave(p);
    assert_true(hash_pool_enter(p));
    assert_false(hash_pool_enter(p));
    for (int i = 0; i < 3; i++)
        hash_pool_leave(p);
    hash_pool_destroy(p);
}

typedef struct holder {
    hash_pool *pool;
    const char *hash;
    int matches;
    rc_status status;
} holder;

static void *verify_in_thread(void *arg)
{
    holder *h = arg;
    h->status = hash_pool_verify(h->pool, 0, h->hash, "right password", &h->matches);
    return NULL;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = 0, .tv_nsec = ms * 1000000L};
    nanosleep(&ts, NULL);
}

static void a_turn_is_waited_for_until_the_deadline_only(void **state)
{
    (void)state;
    hash_pool *p = hash_pool_create(1, 1);
    char hash[crypto_pwhash_STRBYTES];
    assert_int_equal(hash_pool_hash(p, 0, hash, "right password"), RC_OK);

    holder h = {.pool = p, .hash = hash};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, verify_in_thread, &h), 0);
    while (hash_pool_hashing(p) == 0)
        sleep_ms(1);
    /* One argon2id takes far longer than 20 ms, and the one turn is taken. */
    int matches = -1;
    assert_int_equal(hash_pool_verify(p, rpc_now_ms() + 20, hash, "right password", &matches),
                     RC_DEADLINE_EXCEEDED);
    assert_int_equal(matches, -1);
    pthread_join(t, NULL);
    assert_int_equal(h.status, RC_OK);
    assert_true(h.matches);
    assert_int_equal(hash_pool_hashing(p), 0);

    /* Once the turn is free, a hash runs and tells right from wrong. */
    assert_int_equal(hash_pool_verify(p, rpc_now_ms() + 5000, hash, "wrong password", &matches),
                     RC_OK);
    assert_false(matches);
    hash_pool_destroy(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(admission_stops_at_concurrency_plus_queue),
        cmocka_unit_test(a_turn_is_waited_for_until_the_deadline_only),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
