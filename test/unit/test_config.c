/* test_config.c - configuration readers and the strict parsers behind them. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "db.h"

/* The one variable every test sets; the teardown clears it. */
#define VAR "RCYCLE_TEST_VALUE"

static int clear_var(void **state)
{
    (void)state;
    unsetenv(VAR);
    return 0;
}

static void set_var(const char *value)
{
    assert_int_equal(setenv(VAR, value, 1), 0);
}

/* ---- config_parse_int ---- */

static void parse_int_accepts_plain_decimals(void **state)
{
    (void)state;
    long v = -1;
    assert_int_equal(config_parse_int("0", 0, 10, &v), 0);
    assert_int_equal(v, 0);
    assert_int_equal(config_parse_int("42", 0, 100, &v), 0);
    assert_int_equal(v, 42);
    assert_int_equal(config_parse_int("-5", -10, 10, &v), 0);
    assert_int_equal(v, -5);
    assert_int_equal(config_parse_int("65535", 1, 65535, &v), 0);
    assert_int_equal(v, 65535);
}

static void parse_int_refuses_anything_else(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        " 1",
        "1 ",
        "+1",
        "1a",
        "a1",
        "0x10",
        "1.5",
        "-",
        "--1",
        "- 1",
        "1\n",
        "99999999999999999999999",
        "-99999999999999999999999",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        long v = 1234;
        if (config_parse_int(bad[i], -1000, 1000, &v) == 0)
            fail_msg("accepted \"%s\"", bad[i]);
        assert_int_equal(v, 1234); /* untouched on failure */
    }
    long v;
    assert_int_equal(config_parse_int(NULL, 0, 10, &v), -1);
}

static void parse_int_checks_the_range(void **state)
{
    (void)state;
    long v;
    assert_int_equal(config_parse_int("0", 1, 65535, &v), -1);
    assert_int_equal(config_parse_int("65536", 1, 65535, &v), -1);
    assert_int_equal(config_parse_int("-11", -10, 10, &v), -1);
    assert_int_equal(config_parse_int("1", 1, 1, &v), 0);
}

/* Overflow is refused even when the range is all of long, where the value
 * strtol clamps to would otherwise pass the range check. */
static void parse_int_refuses_overflow(void **state)
{
    (void)state;
    long v = 0;
    assert_int_equal(config_parse_int("99999999999999999999999", LONG_MIN, LONG_MAX, &v), -1);
    assert_int_equal(config_parse_int("-99999999999999999999999", LONG_MIN, LONG_MAX, &v), -1);
    assert_int_equal(v, 0);
    char max[32];
    snprintf(max, sizeof max, "%ld", LONG_MAX);
    assert_int_equal(config_parse_int(max, LONG_MIN, LONG_MAX, &v), 0);
    assert_true(v == LONG_MAX);
}

/* ---- config_check_nng_url ---- */

static void nng_urls_we_use_are_accepted(void **state)
{
    (void)state;
    static const char *const good[] = {
        "tcp://127.0.0.1:7101",
        "tcp://svc-users:7101",
        "tcp://svc-users.r-cycle.svc:7101",
        "tcp://[::1]:7101",
        "tcp://*:7101",
        "tcp://:7101",
        "tcp://0.0.0.0:65535",
        "tls+tcp://svc-users:7101",
        "tls+tcp://0.0.0.0:7101",
        "ipc:///tmp/rcycle-users.sock",
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        if (config_check_nng_url(good[i]) != 0)
            fail_msg("refused %s", good[i]);
    }
}

static void malformed_nng_urls_are_refused(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "127.0.0.1:7101",
        "http://127.0.0.1:7101",
        "tcp://",
        "tcp://host",
        "tcp://host:",
        "tcp://host:0",
        "tcp://host:65536",
        "tcp://host:+7101",
        "tcp://host:7101/",
        "tcp://host:7101 ",
        "tcp://ho st:7101",
        "tcp://[::1:7101",
        "tcp://[]:7101",
        "tcp://**:7101",
        "ipc://",
        "ipc://bad\npath",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (config_check_nng_url(bad[i]) == 0)
            fail_msg("accepted \"%s\"", bad[i]);
    }
    assert_int_equal(config_check_nng_url(NULL), -1);
}

/* sun_path holds 108 bytes with the NUL: a 107-byte path fits, 108 not. */
static void ipc_path_must_fit_a_socket_address(void **state)
{
    (void)state;
    char url[6 + 108 + 1] = "ipc://";
    memset(url + 6, 'p', 107);
    url[6 + 107] = '\0';
    assert_int_equal(config_check_nng_url(url), 0);
    url[6 + 107] = 'p';
    url[6 + 108] = '\0';
    assert_int_equal(config_check_nng_url(url), -1);
}

/* ---- readers ---- */

static void string_falls_back_when_unset_or_empty(void **state)
{
    (void)state;
    assert_string_equal(config_string(VAR, "fallback"), "fallback");
    set_var("");
    assert_string_equal(config_string(VAR, "fallback"), "fallback");
    set_var("value");
    assert_string_equal(config_string(VAR, "fallback"), "value");
    assert_null(config_string("RCYCLE_TEST_SURELY_UNSET", NULL));
}

static void port_reads_default_and_value(void **state)
{
    (void)state;
    char err[CONFIG_ERR_LEN];
    int port = 0;
    assert_int_equal(config_port(VAR, 3000, &port, err), 0);
    assert_int_equal(port, 3000);
    set_var("");
    assert_int_equal(config_port(VAR, 3000, &port, err), 0);
    assert_int_equal(port, 3000);
    set_var("8080");
    assert_int_equal(config_port(VAR, 3000, &port, err), 0);
    assert_int_equal(port, 8080);
}

static void bad_port_names_variable_and_value(void **state)
{
    (void)state;
    char err[CONFIG_ERR_LEN] = "";
    int port = 7;
    set_var("abc");
    assert_int_equal(config_port(VAR, 3000, &port, err), -1);
    assert_string_equal(err, VAR ": \"abc\" is not a port number (1-65535)");
    assert_int_equal(port, 7);
    set_var("0");
    assert_int_equal(config_port(VAR, 3000, &port, err), -1);
    set_var("65536");
    assert_int_equal(config_port(VAR, 3000, &port, err), -1);
    set_var(" 80");
    assert_int_equal(config_port(VAR, 3000, &port, err), -1);
}

/* A value with a newline or a huge length still gives one short line. */
static void error_message_stays_one_line(void **state)
{
    (void)state;
    char err[CONFIG_ERR_LEN];
    int port;
    set_var("80\nPORT=1");
    assert_int_equal(config_port(VAR, 3000, &port, err), -1);
    assert_null(strchr(err, '\n'));
    assert_non_null(strstr(err, "\"80?PORT=1\""));

    char long_value[1000];
    memset(long_value, 'x', sizeof long_value - 1);
    long_value[sizeof long_value - 1] = '\0';
    set_var(long_value);
    assert_int_equal(config_port(VAR, 3000, &port, err), -1);
    assert_true(strlen(err) < CONFIG_ERR_LEN - 1);
    assert_non_null(strstr(err, "...")); /* shortened, and says so */
    assert_non_null(strstr(err, "is not a port number"));
}

static void int_reads_within_range(void **state)
{
    (void)state;
    char err[CONFIG_ERR_LEN];
    int v = 0;
    assert_int_equal(config_int(VAR, 8, 1, 64, &v, err), 0);
    assert_int_equal(v, 8);
    set_var("64");
    assert_int_equal(config_int(VAR, 8, 1, 64, &v, err), 0);
    assert_int_equal(v, 64);
    set_var("65");
    assert_int_equal(config_int(VAR, 8, 1, 64, &v, err), -1);
    assert_string_equal(err, VAR ": \"65\" is not an integer in 1..64");
    set_var("4096");
    assert_int_equal(config_int(VAR, 8, 1, 64, &v, err), -1);
    set_var("2147483648"); /* would not fit an int */
    assert_int_equal(config_int(VAR, 8, 0, 2147483647, &v, err), -1);
    assert_int_equal(v, 64);
}

static void bool_reads_every_spelling(void **state)
{
    (void)state;
    char err[CONFIG_ERR_LEN];
    int v = -1;
    assert_int_equal(config_bool(VAR, 1, &v, err), 0);
    assert_int_equal(v, 1);
    static const char *const truthy[] = {"1", "true", "yes", "on", "TRUE", "On"};
    for (size_t i = 0; i < sizeof truthy / sizeof truthy[0]; i++) {
        set_var(truthy[i]);
        v = -1;
        assert_int_equal(config_bool(VAR, 0, &v, err), 0);
        assert_int_equal(v, 1);
    }
    static const char *const falsy[] = {"0", "false", "no", "off", "False", "NO"};
    for (size_t i = 0; i < sizeof falsy / sizeof falsy[0]; i++) {
        set_var(falsy[i]);
        v = -1;
        assert_int_equal(config_bool(VAR, 1, &v, err), 0);
        assert_int_equal(v, 0);
    }
}

static void bool_refuses_other_words(void **state)
{
    (void)state;
    char err[CONFIG_ERR_LEN];
    int v = -1;
    static const char *const bad[] = {"maybe", "2", "y", "truee", " true", "true "};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        set_var(bad[i]);
        if (config_bool(VAR, 0, &v, err) == 0)
            fail_msg("accepted \"%s\"", bad[i]);
    }
    set_var("maybe");
    config_bool(VAR, 0, &v, err);
    assert_string_equal(err, VAR ": \"maybe\" is not a boolean (1/true/yes/on or 0/false/no/off)");
    assert_int_equal(v, -1);
}

static void nng_url_reader(void **state)
{
    (void)state;
    char err[CONFIG_ERR_LEN];
    const char *url = NULL;
    assert_int_equal(config_nng_url(VAR, "tcp://127.0.0.1:7101", &url, err), 0);
    assert_string_equal(url, "tcp://127.0.0.1:7101");
    set_var("tcp://svc-users:7101");
    assert_int_equal(config_nng_url(VAR, "tcp://127.0.0.1:7101", &url, err), 0);
    assert_string_equal(url, "tcp://svc-users:7101");
    set_var("svc-users:7101");
    assert_int_equal(config_nng_url(VAR, "tcp://127.0.0.1:7101", &url, err), -1);
    assert_string_equal(err, VAR ": \"svc-users:7101\" is not an nng URL (tls+tcp://host:port, "
                                 "tcp://host:port or ipc:///path)");
}

static void database_url_accepts_urls_and_key_values(void **state)
{
    (void)state;
    static const char *const good[] = {
        "postgres://rcycle:secret@db:5432/rcycle",
        "postgresql:///rcycle?host=/run/postgresql",
        "postgresql://",
        "host=localhost port=5432 dbname=rcycle user=svc_users password='s e c'",
        "postgres://db/rcycle?connect_timeout=5",
    };
    char err[CONFIG_ERR_LEN];
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        const char *url = NULL;
        set_var(good[i]);
        if (db_config_url(VAR, "dbname=rcycle", &url, err) != 0)
            fail_msg("refused %s", good[i]);
        assert_string_equal(url, good[i]);
    }
    const char *url = NULL;
    unsetenv(VAR);
    assert_int_equal(db_config_url(VAR, "dbname=rcycle", &url, err), 0);
    assert_string_equal(url, "dbname=rcycle");
}

/* A bad DATABASE_URL is reported without any part of its value. */
static void database_url_error_never_echoes_the_value(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "mysql://admin:hunter2@db/rcycle",
        "hunter2",
        "postgresql://admin:hunter2@[::1/rcycle",
        "dbname=rcycle hunter2=x",
        "postgresql://admin:hunter2@db/rcycle?hunter2=1",
        "password='hunter2",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char err[CONFIG_ERR_LEN] = "";
        const char *url = NULL;
        set_var(bad[i]);
        if (db_config_url(VAR, "dbname=rcycle", &url, err) == 0)
            fail_msg("accepted %s", bad[i]);
        assert_null(url);
        assert_null(strstr(err, "hunter2"));
        assert_string_equal(
            err, VAR ": not a PostgreSQL URL (postgres://... or postgresql://... or key=value)");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parse_int_accepts_plain_decimals),
        cmocka_unit_test(parse_int_refuses_anything_else),
        cmocka_unit_test(parse_int_checks_the_range),
        cmocka_unit_test(parse_int_refuses_overflow),
        cmocka_unit_test(nng_urls_we_use_are_accepted),
        cmocka_unit_test(malformed_nng_urls_are_refused),
        cmocka_unit_test(ipc_path_must_fit_a_socket_address),
        cmocka_unit_test_teardown(string_falls_back_when_unset_or_empty, clear_var),
        cmocka_unit_test_teardown(port_reads_default_and_value, clear_var),
        cmocka_unit_test_teardown(bad_port_names_variable_and_value, clear_var),
        cmocka_unit_test_teardown(error_message_stays_one_line, clear_var),
        cmocka_unit_test_teardown(int_reads_within_range, clear_var),
        cmocka_unit_test_teardown(bool_reads_every_spelling, clear_var),
        cmocka_unit_test_teardown(bool_refuses_other_words, clear_var),
        cmocka_unit_test_teardown(nng_url_reader, clear_var),
        cmocka_unit_test_teardown(database_url_accepts_urls_and_key_values, clear_var),
        cmocka_unit_test_teardown(database_url_error_never_echoes_the_value, clear_var),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
