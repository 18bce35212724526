/* test_status.c - gRPC status names and their HTTP statuses (docs/API.md). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "status.h"

static void names_follow_grpc(void **state)
{
    (void)state;
    static const char *const expected[] = {
        "OK",
        "CANCELLED",
        "UNKNOWN",
        "INVALID_ARGUMENT",
        "DEADLINE_EXCEEDED",
        "NOT_FOUND",
        "ALREADY_EXISTS",
        "PERMISSION_DENIED",
        "RESOURCE_EXHAUSTED",
        "FAILED_PRECONDITION",
        "ABORTED",
        "OUT_OF_RANGE",
        "UNIMPLEMENTED",
        "INTERNAL",
        "UNAVAILABLE",
        "DATA_LOSS",
        "UNAUTHENTICATED",
    };
    for (int code = 0; code <= RC_UNAUTHENTICATED; code++)
        assert_string_equal(rc_status_name(code), expected[code]);
}

static void name_outside_enum_is_unknown(void **state)
{
    (void)state;
    assert_string_equal(rc_status_name(-1), "UNKNOWN");
    assert_string_equal(rc_status_name(RC_UNAUTHENTICATED + 1), "UNKNOWN");
    assert_string_equal(rc_status_name(1000), "UNKNOWN");
}

static void http_mapping_matches_api(void **state)
{
    (void)state;
    static const struct {
        rc_status code;
        int http;
    } table[] = {
        {RC_OK, 200},
        {RC_INVALID_ARGUMENT, 400},
        {RC_UNAUTHENTICATED, 401},
        {RC_PERMISSION_DENIED, 403},
        {RC_NOT_FOUND, 404},
        {RC_ALREADY_EXISTS, 409},
        {RC_FAILED_PRECONDITION, 409},
        {RC_ABORTED, 409},
        {RC_RESOURCE_EXHAUSTED, 429},
        {RC_INTERNAL, 500},
        {RC_UNAVAILABLE, 503},
        {RC_DEADLINE_EXCEEDED, 504},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        int got = rc_status_http(table[i].code);
        if (got != table[i].http)
            fail_msg("%s: got HTTP %d, want %d", rc_status_name(table[i].code), got, table[i].http);
    }
}

static void unexpected_codes_are_server_errors(void **state)
{
    (void)state;
    assert_int_equal(rc_status_http(RC_UNKNOWN), 500);
    assert_int_equal(rc_status_http(RC_DATA_LOSS), 500);
    assert_int_equal(rc_status_http(-1), 500);
    assert_int_equal(rc_status_http(99), 500);
}

static void reasons_of_used_statuses(void **state)
{
    (void)state;
    assert_string_equal(rc_http_reason(200), "OK");
    assert_string_equal(rc_http_reason(201), "Created");
    assert_string_equal(rc_http_reason(204), "No Content");
    assert_string_equal(rc_http_reason(400), "Bad Request");
    assert_string_equal(rc_http_reason(401), "Unauthorized");
    assert_string_equal(rc_http_reason(403), "Forbidden");
    assert_string_equal(rc_http_reason(404), "Not Found");
    assert_string_equal(rc_http_reason(409), "Conflict");
    assert_string_equal(rc_http_reason(413), "Payload Too Large");
    assert_string_equal(rc_http_reason(429), "Too Many Requests");
    assert_string_equal(rc_http_reason(500), "Internal Server Error");
    assert_string_equal(rc_http_reason(503), "Service Unavailable");
    assert_string_equal(rc_http_reason(504), "Gateway Timeout");
}

/* Every code the API can answer with has its own phrase, not the fallback. */
static void every_mapped_status_has_a_reason(void **state)
{
    (void)state;
    for (int code = 0; code <= RC_UNAUTHENTICATED; code++) {
        int http = rc_status_http(code);
        if (http != 500)
            assert_string_not_equal(rc_http_reason(http), "Internal Server Error");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(names_follow_grpc),
        cmocka_unit_test(name_outside_enum_is_unknown),
        cmocka_unit_test(http_mapping_matches_api),
        cmocka_unit_test(unexpected_codes_are_server_errors),
        cmocka_unit_test(reasons_of_used_statuses),
        cmocka_unit_test(every_mapped_status_has_a_reason),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
