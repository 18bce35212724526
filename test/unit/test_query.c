/* test_query.c - query string decoding and UTF-8 validation. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "query.h"
#include "text.h"

static int parse(const char *s, gw_query *q)
{
    return query_parse(s, strlen(s), q);
}

static void decodes_pairs(void **state)
{
    (void)state;
    gw_query q;
    assert_int_equal(parse("category=Server&search=dell+r730&x=%25_%5C&empty=&flag", &q), 0);
    assert_int_equal(q.n, 5);
    assert_string_equal(query_get(&q, "category"), "Server");
    assert_string_equal(query_get(&q, "search"), "dell r730");
    assert_string_equal(query_get(&q, "x"), "%_\\");
    assert_string_equal(query_get(&q, "empty"), "");
    assert_string_equal(query_get(&q, "flag"), "");
    assert_null(query_get(&q, "missing"));
    query_free(&q);
}

static void first_value_wins_and_empty_parts_skipped(void **state)
{
    (void)state;
    gw_query q;
    assert_int_equal(parse("&&a=1&a=2&", &q), 0);
    assert_int_equal(q.n, 2);
    assert_string_equal(query_get(&q, "a"), "1");
    query_free(&q);
}

static void decodes_utf8(void **state)
{
    (void)state;
    gw_query q;
    assert_int_equal(parse("s=%C3%A9t%C3%A9", &q), 0);
    assert_string_equal(query_get(&q, "s"), "\xC3\xA9t\xC3\xA9");
    query_free(&q);
}

static void rejects_bad_input(void **state)
{
    (void)state;
    gw_query q;
    const char *bad[] = {"a=%",   "a=%4",     "a=%zz",       "a=%ff",
                         "a=%00", "a=%C0%80", "a=%ED%A0%80", "%ff=1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(parse(bad[i], &q), -1);
        assert_int_equal(q.n, 0);
    }
}

static void rejects_too_many_params(void **state)
{
    (void)state;
    char buf[QUERY_MAX_PARAMS * 4 + 8] = "";
    for (int i = 0; i <= QUERY_MAX_PARAMS; i++)
        strcat(buf, "a=1&");
    gw_query q;
    assert_int_equal(parse(buf, &q), -1);
}

static void utf8_validation(void **state)
{
    (void)state;
    assert_true(text_utf8_valid("plain", 5));
    assert_true(text_utf8_valid("\xF0\x9F\x92\xBB", 4));
    assert_false(text_utf8_valid("\xF0\x9F\x92", 3));
    assert_false(text_utf8_valid("\xF4\x90\x80\x80", 4));
    assert_false(text_utf8_valid("\xE0\x80\xAF", 3));
    assert_false(text_utf8_valid("a\0b", 3));
    assert_false(text_utf8_valid("\x80", 1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(decodes_pairs),
        cmocka_unit_test(first_value_wins_and_empty_parts_skipped),
        cmocka_unit_test(decodes_utf8),
        cmocka_unit_test(rejects_bad_input),
        cmocka_unit_test(rejects_too_many_params),
        cmocka_unit_test(utf8_validation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
