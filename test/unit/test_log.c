/* test_log.c - JSON log lines: fields, level filter, escaping, bad UTF-8.
 *
 * stderr is pointed at a temporary file while a test logs, and every line
 * written is parsed back with jansson. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "log.h"
#include "trace.h"

typedef struct capture {
    FILE *file;
    int saved_stderr;
} capture;

static void capture_start(capture *c)
{
    fflush(stderr);
    c->file = tmpfile();
    assert_non_null(c->file);
    c->saved_stderr = dup(STDERR_FILENO);
    assert_true(c->saved_stderr >= 0);
    assert_true(dup2(fileno(c->file), STDERR_FILENO) >= 0);
}

/* Restores stderr and returns what was written, NUL-terminated. */
static char *capture_end(capture *c)
{
    fflush(stderr);
    assert_true(dup2(c->saved_stderr, STDERR_FILENO) >= 0);
    close(c->saved_stderr);
    assert_int_equal(fseek(c->file, 0, SEEK_END), 0);
    long size = ftell(c->file);
    rewind(c->file);
    char *text = calloc(1, (size_t)size + 1);
    assert_non_null(text);
    assert_int_equal(fread(text, 1, (size_t)size, c->file), (size_t)size);
    fclose(c->file);
    return text;
}

/* Every line of text as a JSON object, in an array; fails on any line that
 * is not one, or on text that does not end with a newline. */
static json_t *parse_lines(const char *text)
{
    json_t *lines = json_array();
    const char *line = text;
    while (*line) {
        const char *end = strchr(line, '\n');
        if (!end)
            fail_msg("unterminated line: %s", line);
        json_error_t error;
        json_t *obj = json_loadb(line, (size_t)(end - line), 0, &error);
        if (!obj || !json_is_object(obj))
            fail_msg("not a JSON object (%s): %.*s", error.text, (int)(end - line), line);
        json_array_append_new(lines, obj);
        line = end + 1;
    }
    return lines;
}

static const char *field(const json_t *obj, const char *key)
{
    const json_t *value = json_object_get(obj, key);
    return json_is_string(value) ? json_string_value(value) : NULL;
}

/* Logs msg once (through "%s") and returns the one line's object. */
static json_t *log_one(log_level level, const char *request_id, const char *msg)
{
    capture c;
    capture_start(&c);
    log_msg(level, request_id, "%s", msg);
    char *text = capture_end(&c);
    json_t *lines = parse_lines(text);
    assert_int_equal(json_array_size(lines), 1);
    json_t *obj = json_incref(json_array_get(lines, 0));
    json_decref(lines);
    free(text);
    return obj;
}

static void line_carries_every_field(void **state)
{
    (void)state;
    log_init("svc-test", LOG_DEBUG);
    capture c;
    capture_start(&c);
    log_info("req-1", "hello %d", 42);
    char *text = capture_end(&c);
    /* fields in the documented order */
    assert_true(strncmp(text, "{\"ts\":\"", 7) == 0);
    assert_non_null(strstr(text, "\",\"level\":\"info\",\"process\":\"svc-test\",\"request_id\":"
                                 "\"req-1\",\"msg\":\"hello 42\"}\n"));
    json_t *lines = parse_lines(text);
    json_t *obj = json_array_get(lines, 0);
    assert_int_equal(json_object_size(obj), 5);
    assert_string_equal(field(obj, "level"), "info");
    assert_string_equal(field(obj, "process"), "svc-test");
    assert_string_equal(field(obj, "request_id"), "req-1");
    assert_string_equal(field(obj, "msg"), "hello 42");
    json_decref(lines);
    free(text);
}

/* RFC 3339 UTC with milliseconds, and the current time. */
static void timestamp_is_rfc3339_utc_with_millis(void **state)
{
    (void)state;
    log_init("svc-test", LOG_DEBUG);
    json_t *obj = log_one(LOG_INFO, NULL, "tick");
    const char *ts = field(obj, "ts");
    assert_non_null(ts);
    assert_int_equal(strlen(ts), 24);
    struct tm tm = {0};
    int millis = -1;
    char zone = 0;
    assert_int_equal(sscanf(ts, "%4d-%2d-%2dT%2d:%2d:%2d.%3d%c", &tm.tm_year, &tm.tm_mon,
                            &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &millis, &zone),
                     8);
    assert_int_equal(zone, 'Z');
    assert_in_range(millis, 0, 999);
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    long skew = (long)(timegm(&tm) - time(NULL));
    assert_in_range(skew + 5, 0, 10);
    json_decref(obj);
}

static void request_id_only_when_given(void **state)
{
    (void)state;
    log_init("svc-test", LOG_DEBUG);
    json_t *obj = log_one(LOG_INFO, NULL, "no id");
    assert_null(json_object_get(obj, "request_id"));
    assert_int_equal(json_object_size(obj), 4);
    json_decref(obj);
    obj = log_one(LOG_INFO, "", "empty id");
    assert_null(json_object_get(obj, "request_id"));
    json_decref(obj);
}

static void levels_below_the_minimum_are_dropped(void **state)
{
    (void)state;
    log_init("svc-test", LOG_WARN);
    capture c;
    capture_start(&c);
    log_debug(NULL, "debug");
    log_info(NULL, "info");
    log_warn(NULL, "warn");
    log_error(NULL, "error");
    char *text = capture_end(&c);
    json_t *lines = parse_lines(text);
    assert_int_equal(json_array_size(lines), 2);
    assert_string_equal(field(json_array_get(lines, 0), "level"), "warn");
    assert_string_equal(field(json_array_get(lines, 0), "msg"), "warn");
    assert_string_equal(field(json_array_get(lines, 1), "level"), "error");
    json_decref(lines);
    free(text);

    log_init("svc-test", LOG_DEBUG);
    json_t *obj = log_one(LOG_DEBUG, NULL, "now shown");
    assert_string_equal(field(obj, "level"), "debug");
    json_decref(obj);
}

/* Quotes, backslashes and control characters neither split the line nor
 * forge fields; the message reads back exactly. */
static void special_characters_round_trip(void **state)
{
    (void)state;
    log_init("svc-test", LOG_DEBUG);
    const char *msg = "q\" b\\ n\n t\t c\x01 \",\"level\":\"error";
    json_t *obj = log_one(LOG_INFO, "id\"\n", msg);
    assert_string_equal(field(obj, "msg"), msg);
    assert_string_equal(field(obj, "level"), "info");
    assert_string_equal(field(obj, "request_id"), "id\"\n");
    json_decref(obj);
}

static void invalid_utf8_is_replaced_not_dropped(void **state)
{
    (void)state;
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"bad \xff\xfe byte", "bad ?? byte"},
        {"cut at end \xe2\x82", "cut at end ??"},
        {"lone continuation \x80!", "lone continuation ?!"},
        {"overlong \xc0\xaf \xe0\x80\xaf", "overlong ?? ???"},
        {"surrogate \xed\xa0\x80", "surrogate ???"},
        {"above U+10FFFF \xf4\x90\x80\x80", "above U+10FFFF ????"},
        {"valid \xe2\x82\xac \xc3\xbc \xf0\x9f\x98\x80 \xed\x9f\xbf",
         "valid \xe2\x82\xac \xc3\xbc \xf0\x9f\x98\x80 \xed\x9f\xbf"},
    };
    log_init("svc-test", LOG_DEBUG);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *obj = log_one(LOG_WARN, NULL, cases[i].in);
        assert_string_equal(field(obj, "msg"), cases[i].out);
        json_decref(obj);
    }
    json_t *obj = log_one(LOG_WARN, "rid-\xff", "fine");
    assert_string_equal(field(obj, "request_id"), "rid-?");
    json_decref(obj);
}

static void process_name_is_sanitised_too(void **state)
{
    (void)state;
    log_init("proc\xc3", LOG_DEBUG);
    json_t *obj = log_one(LOG_INFO, NULL, "x");
    assert_string_equal(field(obj, "process"), "proc?");
    json_decref(obj);
}

static void long_messages_are_kept_whole(void **state)
{
    (void)state;
    enum { LEN = 100000 };
    char *msg = malloc(LEN + 1);
    assert_non_null(msg);
    for (size_t i = 0; i < LEN; i++)
        msg[i] = (char)('a' + i % 26);
    msg[LEN] = '\0';
    log_init("svc-test", LOG_DEBUG);
    json_t *obj = log_one(LOG_INFO, NULL, msg);
    assert_string_equal(field(obj, "msg"), msg);
    json_decref(obj);
    free(msg);
}

static void parse_level_accepts_the_four_names(void **state)
{
    (void)state;
    log_level level = LOG_ERROR;
    assert_int_equal(log_parse_level("debug", &level), 0);
    assert_int_equal(level, LOG_DEBUG);
    assert_int_equal(log_parse_level("INFO", &level), 0);
    assert_int_equal(level, LOG_INFO);
    assert_int_equal(log_parse_level("Warn", &level), 0);
    assert_int_equal(level, LOG_WARN);
    assert_int_equal(log_parse_level("error", &level), 0);
    assert_int_equal(level, LOG_ERROR);
    static const char *const bad[] = {"", "warning", "inf", "info ", "trace", "0"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        level = LOG_WARN;
        if (log_parse_level(bad[i], &level) == 0)
            fail_msg("accepted \"%s\"", bad[i]);
        assert_int_equal(level, LOG_WARN);
    }
    assert_int_equal(log_parse_level(NULL, &level), -1);
}

enum { THREADS = 4, LINES_PER_THREAD = 300, PAYLOAD = 2000 };

static void *log_many(void *arg)
{
    char payload[PAYLOAD + 1];
    memset(payload, *(const char *)arg, PAYLOAD);
    payload[PAYLOAD] = '\0';
    for (int i = 0; i < LINES_PER_THREAD; i++)
        log_info(arg, "%s", payload);
    return NULL;
}

/* Lines from concurrent threads never interleave. */
static void concurrent_lines_stay_whole(void **state)
{
    (void)state;
    static const char ids[THREADS][2] = {"a", "b", "c", "d"};
    log_init("svc-test", LOG_DEBUG);
    capture c;
    capture_start(&c);
    pthread_t threads[THREADS];
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&threads[i], NULL, log_many, (void *)ids[i]), 0);
    for (int i = 0; i < THREADS; i++)
        pthread_join(threads[i], NULL);
    char *text = capture_end(&c);
    json_t *lines = parse_lines(text);
    assert_int_equal(json_array_size(lines), THREADS * LINES_PER_THREAD);
    for (size_t i = 0; i < json_array_size(lines); i++) {
        const json_t *obj = json_array_get(lines, i);
        const char *id = field(obj, "request_id");
        const char *msg = field(obj, "msg");
        assert_non_null(id);
        assert_non_null(msg);
        assert_int_equal(strlen(msg), PAYLOAD);
        assert_int_equal(strspn(msg, id), PAYLOAD);
    }
    json_decref(lines);
    free(text);
}

/* The thread's current trace goes into every line, and only while set. */
static void lines_carry_the_current_trace(void **state)
{
    (void)state;
    log_init("svc-test", LOG_DEBUG);
    trace_ctx trace;
    trace_begin(&trace, "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7");
    trace_set(&trace);
    json_t *obj = log_one(LOG_INFO, "r", "in a request");
    trace_set(NULL);
    assert_string_equal(field(obj, "trace_id"), "4bf92f3577b34da6a3ce929d0e0e4736");
    assert_string_equal(field(obj, "span_id"), trace.span_id);
    json_decref(obj);
    obj = log_one(LOG_INFO, "r", "outside");
    assert_null(json_object_get(obj, "trace_id"));
    assert_null(json_object_get(obj, "span_id"));
    json_decref(obj);
}

/* An RPC served: one line with method, status and duration as fields. */
static void rpc_line_has_method_status_duration(void **state)
{
    (void)state;
    log_init("svc-test", LOG_INFO);
    capture c;
    capture_start(&c);
    log_rpc_served(LOG_INFO, "r", "GetListing", "NOT_FOUND", 1.25, NULL);
    log_rpc_served(LOG_DEBUG, "r", "Health", "OK", 0.5, NULL);
    char *text = capture_end(&c);
    json_t *lines = parse_lines(text);
    assert_int_equal(json_array_size(lines), 1);
    json_t *obj = json_array_get(lines, 0);
    assert_string_equal(field(obj, "rpc_method"), "GetListing");
    assert_string_equal(field(obj, "rpc_status"), "NOT_FOUND");
    assert_true(json_real_value(json_object_get(obj, "duration_ms")) == 1.25);
    assert_string_equal(field(obj, "msg"), "rpc GetListing -> NOT_FOUND in 1.2 ms");
    json_decref(lines);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(line_carries_every_field),
        cmocka_unit_test(timestamp_is_rfc3339_utc_with_millis),
        cmocka_unit_test(request_id_only_when_given),
        cmocka_unit_test(levels_below_the_minimum_are_dropped),
        cmocka_unit_test(special_characters_round_trip),
        cmocka_unit_test(invalid_utf8_is_replaced_not_dropped),
        cmocka_unit_test(process_name_is_sanitised_too),
        cmocka_unit_test(long_messages_are_kept_whole),
        cmocka_unit_test(parse_level_accepts_the_four_names),
        cmocka_unit_test(concurrent_lines_stay_whole),
        cmocka_unit_test(lines_carry_the_current_trace),
        cmocka_unit_test(rpc_line_has_method_status_duration),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
