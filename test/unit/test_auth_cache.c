/* test_auth_cache.c - the 5-second memory of authenticated sessions. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "auth_cache.h"
#include "token.h"

static Rcycle__Users__User sample_user(void)
{
    Rcycle__Users__User u = RCYCLE__USERS__USER__INIT;
    u.id = 42;
    u.email = "jane.smith@company.com";
    u.name = "Jane Smith";
    u.department = "Data Center Operations";
    return u;
}

static void hit_within_ttl_miss_after(void **state)
{
    (void)state;
    assert_int_equal(token_init(), 0);
    auth_cache *c = auth_cache_create(16);
    char token[TOKEN_TEXT_LEN + 1];
    token_generate(token);
    Rcycle__Users__User u = sample_user();
    auth_cache_put(c, token, &u, 1000);
    Rcycle__Users__User *got = auth_cache_get(c, token, 1000 + AUTH_CACHE_TTL_MS - 1);
    assert_non_null(got);
    assert_int_equal(got->id, 42);
    assert_string_equal(got->department, "Data Center Operations");
    rcycle__users__user__free_unpacked(got, NULL);
    assert_null(auth_cache_get(c, token, 1000 + AUTH_CACHE_TTL_MS));
    auth_cache_destroy(c);
}

static void forget_is_immediate(void **state)
{
    (void)state;
    auth_cache *c = auth_cache_create(16);
    char token[TOKEN_TEXT_LEN + 1];
    token_generate(token);
    Rcycle__Users__User u = sample_user();
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
    Rcycle__Users__User u = sample_user();
    auth_cache_forget(c, token, 1000);
    auth_cache_put(c, token, &u, 1000 + AUTH_CACHE_TTL_MS - 1);
    assert_null(auth_cache_get(c, token, 1000 + AUTH_CACHE_TTL_MS - 1));
    auth_cache_put(c, token, &u, 1000 + AUTH_CACHE_TTL_MS);
    Rcycle__Users__User *got = auth_cache_get(c, token, 1000 + AUTH_CACHE_TTL_MS + 1);
    assert_non_null(got);
    rcycle__users__user__free_unpacked(got, NULL);
    auth_cache_destroy(c);
}

static void stays_bounded(void **state)
{
    (void)state;
    auth_cache *c = auth_cache_create(8);
    Rcycle__Users__User u = sample_user();
    char last[TOKEN_TEXT_LEN + 1];
    for (int i = 0; i < 100; i++) {
        token_generate(last);
        auth_cache_put(c, last, &u, 0);
        assert_true(auth_cache_count(c) <= 8);
    }
    Rcycle__Users__User *got = auth_cache_get(c, last, 1);
    assert_non_null(got);
    rcycle__users__user__free_unpacked(got, NULL);
    auth_cache_destroy(c);
}

/* A full cache makes room by dropping cached users, never a logout's
 * tombstone: the late Authenticate of a logged-out token stays refused. */
static void full_cache_keeps_tombstones(void **state)
{
    (void)state;
    auth_cache *c = auth_cache_create(8);
    Rcycle__Users__User u = sample_user();
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hit_within_ttl_miss_after),
        cmocka_unit_test(forget_is_immediate),
        cmocka_unit_test(late_authentication_cannot_revive_a_forgotten_token),
        cmocka_unit_test(stays_bounded),
        cmocka_unit_test(full_cache_keeps_tombstones),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
