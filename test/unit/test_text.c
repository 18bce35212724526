/* test_text.c - the one UTF-8 validator (common/text.c): well-formed text as
 * Unicode's table 3-7 and PostgreSQL define it, and character counts. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "text.h"

static void valid_text(void **state)
{
    (void)state;
    assert_true(text_utf8_valid("plain", 5));
    assert_true(text_utf8_valid("\xc3\xa9t\xc3\xa9", 5));
    assert_true(text_utf8_valid("\xf0\x9f\x92\xbb", 4));
    assert_true(text_utf8_valid("\xf4\x8f\xbf\xbf", 4)); /* U+10FFFF */
    assert_true(text_utf8_valid("", 0));
}

static void invalid_text(void **state)
{
    (void)state;
    assert_false(text_utf8_valid("\xf0\x9f\x92", 3));     /* cut short */
    assert_false(text_utf8_valid("\xf4\x90\x80\x80", 4)); /* past U+10FFFF */
    assert_false(text_utf8_valid("\xe0\x80\xaf", 3));     /* overlong */
    assert_false(text_utf8_valid("\xc0\xaf", 2));         /* overlong */
    assert_false(text_utf8_valid("\xed\xa0\x80", 3));     /* surrogate */
    assert_false(text_utf8_valid("a\0b", 3));             /* NUL */
    assert_false(text_utf8_valid("\x80", 1));
    assert_false(text_utf8_valid("\xff", 1));
}

static void sequence_lengths(void **state)
{
    (void)state;
    assert_int_equal(text_utf8_seq_len("a", 1), 1);
    assert_int_equal(text_utf8_seq_len("\xc3\xa9", 2), 2);
    assert_int_equal(text_utf8_seq_len("\xc3\xa9", 1), 0); /* never reads past left */
    assert_int_equal(text_utf8_seq_len("\xf0\x9f\x92\xbb", 4), 4);
    assert_int_equal(text_utf8_seq_len("\xbb", 1), 0);
}

static void character_counts(void **state)
{
    (void)state;
    assert_int_equal(text_utf8_chars(""), 0);
    assert_int_equal(text_utf8_chars("R&D"), 3);
    assert_int_equal(text_utf8_chars("\xc3\xa9t\xc3\xa9"), 3);
    assert_int_equal(text_utf8_chars("\xf0\x9f\x92\xbb!"), 2);
    assert_int_equal(text_utf8_chars("bad \xc0\xaf"), -1);
}

static void rfc3339_times(void **state)
{
    (void)state;
    static const char *const good[] = {"2026-12-02T01:02:03Z", "2026-12-02T01:02:03.123456Z",
                                       "2026-12-02t01:02:03+01:00", "2026-12-02T01:02:03.5-07:30"};
    static const char *const bad[] = {"yesterday",
                                      "now",
                                      "2026-12-02",
                                      "2026-12-02 01:02:03Z",
                                      "2026-12-02T01:02:03",
                                      "2026-12-02T01:02:03.Z",
                                      "2026-12-02T01:02:03Z ",
                                      "2026-12-02T01:02:03+0100",
                                      ""};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        assert_true(text_is_rfc3339(good[i]));
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(text_is_rfc3339(bad[i]));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(valid_text),       cmocka_unit_test(invalid_text),
        cmocka_unit_test(sequence_lengths), cmocka_unit_test(character_counts),
        cmocka_unit_test(rfc3339_times),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
