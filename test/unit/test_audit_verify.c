/* test_audit_verify.c - the canonical encoding of an audit event
 * (docs/AUDIT.md) and the offline chain check of an export. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <sodium.h>

#include "audit_verify.h"

/* The example of docs/AUDIT.md: a real event whose hash the database made. */
static const char *const EXAMPLE[AV_NFIELDS] = {
    "users",
    "1",
    "2026-12-02T01:29:12.607932Z",
    "4",
    "alice.williams@company.com",
    "Security Team",
    "user",
    "4",
    "signed_in",
    NULL,
    NULL,
    "127.0.0.1",
};
#define EXAMPLE_HASH "1f9f4bf29d4cc6a505870c445cde88337727197f8c5dc595ad061a1b9e56a190"
#define ZEROS        "0000000000000000000000000000000000000000000000000000000000000000"
#define EXAMPLE_LINE                                                                               \
    "{\"chain\":\"users\",\"seq\":1,\"at\":\"2026-12-02T01:29:12.607932Z\",\"actorId\":4,"         \
    "\"actorEmail\":\"alice.williams@company.com\",\"actorDepartment\":\"Security Team\","         \
    "\"entity\":\"user\",\"entityId\":\"4\",\"action\":\"signed_in\",\"fromStatus\":null,"         \
    "\"toStatus\":null,\"note\":\"127.0.0.1\",\"hash\":\"" EXAMPLE_HASH "\",\"prevHash\":\"" ZEROS \
    "\"}"

static void encodes_the_documented_bytes(void **state)
{
    (void)state;
    unsigned char *out;
    size_t len;
    assert_int_equal(av_canonical(EXAMPLE, &out, &len), 0);
    static const char want[] = "rcycle-audit-v1\n5:users,1:1,27:2026-12-02T01:29:12.607932Z,1:4,"
                               "26:alice.williams@company.com,13:Security Team,4:user,1:4,"
                               "9:signed_in,~,~,9:127.0.0.1,";
    assert_int_equal(len, strlen(want));
    assert_memory_equal(out, want, len);
    free(out);
}

static void null_and_empty_differ_and_lengths_count_bytes(void **state)
{
    (void)state;
    const char *fields[AV_NFIELDS] = {"claims", "2", "t", NULL, "",   "Müller",
                                      "claim",  "9", "x", "",   NULL, "a,b:c"};
    unsigned char *out;
    size_t len;
    assert_int_equal(av_canonical(fields, &out, &len), 0);
    static const char want[] = "rcycle-audit-v1\n6:claims,1:2,1:t,~,0:,7:Müller,5:claim,1:9,1:x,"
                               "0:,~,5:a,b:c,";
    assert_int_equal(len, strlen(want));
    assert_memory_equal(out, want, len);
    free(out);
}

static void hashes_as_the_database_does(void **state)
{
    (void)state;
    unsigned char prev[AV_HASH_BYTES] = {0}, hash[AV_HASH_BYTES];
    char hex[AV_HEX_LEN + 1];
    assert_int_equal(av_event_hash(prev, EXAMPLE, hash), 0);
    sodium_bin2hex(hex, sizeof hex, hash, sizeof hash);
    assert_string_equal(hex, EXAMPLE_HASH);
}

static int feed(av_state *st, const char *line)
{
    return av_feed_line(st, line, strlen(line));
}

static void accepts_the_example_and_names_an_edit(void **state)
{
    (void)state;
    av_state st;
    av_init(&st);
    assert_int_equal(feed(&st, EXAMPLE_LINE), 0);
    assert_int_equal(av_finish(&st), 0);
    assert_int_equal(st.chains[0].count, 1);

    char edited[sizeof EXAMPLE_LINE];
    snprintf(edited, sizeof edited, "%s", EXAMPLE_LINE);
    memcpy(strstr(edited, "Security"), "Secureti", 8);
    av_init(&st);
    assert_int_equal(feed(&st, edited), -1);
    assert_non_null(strstr(st.error, "line 1: chain users seq 1: hash does not match"));
}

static void refuses_malformed_lines(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "not json",
        "[1,2]",
        "{\"chain\":\"users\"}",
        "{\"chain\":\"users\",\"seq\":\"1\",\"hash\":\"" ZEROS "\",\"prevHash\":\"" ZEROS "\"}",
        "{\"chain\":\"users\",\"seq\":1,\"hash\":\"abc\",\"prevHash\":\"" ZEROS "\"}",
        "{\"chain\":\"users\",\"seq\":1,\"note\":\"a\\u0000b\",\"hash\":\"" ZEROS
        "\",\"prevHash\":\"" ZEROS "\"}",
        "{\"chain\":\"users\",\"seq\":1,\"seq\":2,\"hash\":\"" ZEROS "\",\"prevHash\":\"" ZEROS
        "\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        av_state st;
        av_init(&st);
        assert_int_equal(feed(&st, bad[i]), -1);
        assert_true(st.bad);
        assert_non_null(strstr(st.error, "line 1:"));
    }
}

static void heads_find_a_missing_tail(void **state)
{
    (void)state;
    av_state st;
    av_init(&st);
    static const char heads[] =
        "noise\n{\"msg\":\"audit chain head chain=users seq=1 hash=" EXAMPLE_HASH
        "\"}\nchain=claims seq=3 hash=" EXAMPLE_HASH "\n";
    assert_int_equal(av_read_heads(&st, heads, strlen(heads)), 0);
    assert_int_equal(st.nheads, 2);
    assert_int_equal(feed(&st, EXAMPLE_LINE), 0);
    assert_int_equal(av_finish(&st), -1);
    assert_non_null(strstr(st.error, "chain claims ends at seq 0 before the recorded head seq 3"));
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(encodes_the_documented_bytes),
        cmocka_unit_test(null_and_empty_differ_and_lengths_count_bytes),
        cmocka_unit_test(hashes_as_the_database_does),
        cmocka_unit_test(accepts_the_example_and_names_an_edit),
        cmocka_unit_test(refuses_malformed_lines),
        cmocka_unit_test(heads_find_a_missing_tail),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
