/* test_token.c - session tokens, stored hashes and CSRF tokens. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "token.h"

/* A fixed well-formed token, so derived values can be pinned. */
static const char fixed_token[] = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

static int init_sodium(void **state)
{
    (void)state;
    return token_init();
}

static void generated_tokens_are_well_formed(void **state)
{
    (void)state;
    for (int i = 0; i < 100; i++) {
        char token[TOKEN_TEXT_LEN + 1];
        memset(token, '!', sizeof token);
        token_generate(token);
        assert_int_equal(strlen(token), TOKEN_TEXT_LEN);
        assert_true(token_well_formed(token, strlen(token)));
    }
}

static void generated_tokens_differ(void **state)
{
    (void)state;
    char a[TOKEN_TEXT_LEN + 1], b[TOKEN_TEXT_LEN + 1];
    token_generate(a);
    token_generate(b);
    assert_string_not_equal(a, b);
}

static void hash_is_sha256_hex(void **state)
{
    (void)state;
    char hash[TOKEN_HASH_LEN + 1];
    token_hash_hex("abc", hash);
    assert_string_equal(hash, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    token_hash_hex(fixed_token, hash);
    assert_string_equal(hash, "0f007385b6f9d4b7eeb2748605afe1a984a0a3bfa3f014d09e2a784ce9e5cd1a");
}

/* BLAKE2b-256("rcycle-csrf:" + token), base64url without padding; pinned so
 * a change of derivation is a deliberate one. */
static void csrf_is_the_documented_derivation(void **state)
{
    (void)state;
    char csrf[TOKEN_TEXT_LEN + 1];
    token_csrf(fixed_token, csrf);
    assert_string_equal(csrf, "8A7yUWS5Cb4mXgQd28_okjvZjIImp1vlQ6XobPvHNL4");
    assert_true(token_well_formed(csrf, strlen(csrf)));
}

static void csrf_depends_on_the_token(void **state)
{
    (void)state;
    char token[TOKEN_TEXT_LEN + 1], csrf1[TOKEN_TEXT_LEN + 1], csrf2[TOKEN_TEXT_LEN + 1];
    char other[TOKEN_TEXT_LEN + 1];
    token_generate(token);
    token_csrf(token, csrf1);
    token_csrf(token, csrf2);
    assert_string_equal(csrf1, csrf2); /* derived, so stable */
    assert_string_not_equal(csrf1, token);
    token_generate(other);
    token_csrf(other, csrf2);
    assert_string_not_equal(csrf1, csrf2);
}

static void equal_compares_content_and_length(void **state)
{
    (void)state;
    assert_true(token_equal(fixed_token, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
    assert_false(token_equal(fixed_token, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB"));
    assert_false(token_equal(fixed_token, "BAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
    assert_false(token_equal(fixed_token, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
    assert_false(token_equal("AAAA", fixed_token));
    assert_false(token_equal(fixed_token, ""));
    assert_false(token_equal(NULL, fixed_token));
    assert_false(token_equal(fixed_token, NULL));
}

static void well_formed_checks_length_and_alphabet(void **state)
{
    (void)state;
    assert_true(token_well_formed(fixed_token, TOKEN_TEXT_LEN));
    assert_true(token_well_formed("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN-_0", TOKEN_TEXT_LEN));
    assert_false(token_well_formed(fixed_token, TOKEN_TEXT_LEN - 1));
    assert_false(token_well_formed("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 44));
    assert_false(token_well_formed("", 0));
    assert_false(token_well_formed(NULL, TOKEN_TEXT_LEN));
    /* standard base64, padding, separators and a NUL are all out */
    static const char bad_chars[] = {'+', '/', '=', '.', ' ', '%', '\0', '\n'};
    for (size_t i = 0; i < sizeof bad_chars; i++) {
        char token[TOKEN_TEXT_LEN + 1];
        memcpy(token, fixed_token, sizeof token);
        token[20] = bad_chars[i];
        if (token_well_formed(token, TOKEN_TEXT_LEN))
            fail_msg("accepted a token with byte 0x%02x", (unsigned)bad_chars[i]);
    }
}

/* An API token is the prefix and a session-shaped token; neither kind
 * passes for the other. */
static void api_tokens_have_their_own_shape(void **state)
{
    (void)state;
    char api[API_TOKEN_TEXT_LEN + 1], session[TOKEN_TEXT_LEN + 1];
    api_token_generate(api);
    token_generate(session);
    assert_int_equal(strlen(api), API_TOKEN_TEXT_LEN);
    assert_memory_equal(api, "rcy_", 4);
    assert_true(api_token_well_formed(api, strlen(api)));
    assert_false(token_well_formed(api, strlen(api)));
    assert_false(api_token_well_formed(session, strlen(session)));
    api[0] = 'x';
    assert_false(api_token_well_formed(api, strlen(api)));
    api[0] = 'r';
    api[10] = '+';
    assert_false(api_token_well_formed(api, strlen(api)));
    assert_false(api_token_well_formed(api, API_TOKEN_TEXT_LEN - 1));
    assert_false(api_token_well_formed(NULL, 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(generated_tokens_are_well_formed),
        cmocka_unit_test(generated_tokens_differ),
        cmocka_unit_test(hash_is_sha256_hex),
        cmocka_unit_test(csrf_is_the_documented_derivation),
        cmocka_unit_test(csrf_depends_on_the_token),
        cmocka_unit_test(equal_compares_content_and_length),
        cmocka_unit_test(well_formed_checks_length_and_alphabet),
        cmocka_unit_test(api_tokens_have_their_own_shape),
    };
    return cmocka_run_group_tests(tests, init_sodium, NULL);
}
