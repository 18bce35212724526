/* test_trace.c - W3C traceparent parsing and trace ids (common/trace.c): a
 * well-formed header continues its trace, anything else starts a new one,
 * never an error. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include <sodium.h>

#include "trace.h"

#define GOOD "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

static trace_ctx parse(const char *value)
{
    trace_ctx t;
    trace_from_traceparent(&t, value, strlen(value));
    return t;
}

static void a_valid_header_continues_its_trace(void **state)
{
    (void)state;
    trace_ctx t = parse(GOOD);
    assert_string_equal(t.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
    assert_string_equal(t.parent_id, "00f067aa0ba902b7");
    assert_true(trace_id_valid(t.span_id, SPAN_ID_LEN - 1));
    assert_string_not_equal(t.span_id, t.parent_id);
    char out[TRACEPARENT_LEN];
    trace_traceparent(&t, out);
    assert_int_equal(strlen(out), TRACEPARENT_LEN - 1);
    assert_memory_equal(out, "00-4bf92f3577b34da6a3ce929d0e0e4736-", 36);
    assert_string_equal(out + 36 + 16, "-01");
    /* A later version may carry more fields after a '-'. */
    t = parse("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00-extra");
    assert_string_equal(t.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
}

static void a_malformed_header_starts_a_new_trace(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "garbage",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-", /* v00 with more */
        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",  /* version ff */
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",  /* zero trace */
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",  /* zero parent */
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",  /* upper case */
        "00-4bf92f3577b34da6a3ce929d0e0e473-600f067aa0ba902b7-01",  /* dashes moved */
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0g",  /* flags */
        "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x", /* no '-' after */
        "00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        trace_ctx t = parse(bad[i]);
        if (strcmp(t.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736") == 0)
            fail_msg("continued the trace of \"%s\"", bad[i]);
        assert_true(trace_id_valid(t.trace_id, TRACE_ID_LEN - 1));
        assert_true(trace_id_valid(t.span_id, SPAN_ID_LEN - 1));
        assert_string_equal(t.parent_id, "");
    }
    /* Cut short: only len bytes are read, whatever follows. */
    trace_ctx t;
    trace_from_traceparent(&t, GOOD, 20);
    assert_string_not_equal(t.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
}

static void new_ids_are_random(void **state)
{
    (void)state;
    trace_ctx a, b;
    trace_begin(&a, NULL, NULL);
    trace_begin(&b, "not hex", "x");
    assert_string_not_equal(a.trace_id, b.trace_id);
    assert_string_not_equal(a.span_id, b.span_id);
    assert_int_equal(strlen(a.trace_id), TRACE_ID_LEN - 1);
    assert_int_equal(strlen(a.span_id), SPAN_ID_LEN - 1);
}

static void the_current_trace_is_per_thread_and_copied(void **state)
{
    (void)state;
    assert_null(trace_current());
    trace_ctx t;
    trace_begin(&t, NULL, NULL);
    trace_set(&t);
    memset(&t, 0, sizeof t);
    assert_non_null(trace_current());
    assert_true(trace_id_valid(trace_current()->trace_id, TRACE_ID_LEN - 1));
    trace_set(NULL);
    assert_null(trace_current());
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_valid_header_continues_its_trace),
        cmocka_unit_test(a_malformed_header_starts_a_new_trace),
        cmocka_unit_test(new_ids_are_random),
        cmocka_unit_test(the_current_trace_is_per_thread_and_copied),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
