/* test_metrics.c - the metrics registry and its Prometheus text. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

#define HTTP "rcycle_http_request_duration_seconds"
#define RPC  "rcycle_rpc_duration_seconds"

/* Every test starts from an empty registry. */
static int reset_registry(void **state)
{
    (void)state;
    metrics_shutdown();
    return 0;
}

static char *render(void)
{
    char *text = metrics_render();
    assert_non_null(text);
    return text;
}

static size_t count(const char *text, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(text, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

static void assert_contains(const char *text, const char *needle)
{
    if (!strstr(text, needle))
        fail_msg("missing: %s\n--- in ---\n%s", needle, text);
}

/* The number on the line that starts with prefix, or -1. */
static double sample(const char *text, const char *prefix)
{
    for (const char *line = text; line && *line;
         line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        if (strncmp(line, prefix, strlen(prefix)) == 0)
            return strtod(line + strlen(prefix), NULL);
    }
    return -1;
}

static void http_histogram_has_buckets_sum_and_count(void **state)
{
    (void)state;
    metrics_observe_http("/api/listings", "GET", 200, 0.003);
    metrics_observe_http("/api/listings", "GET", 200, 0.2);
    char *text = render();
    assert_contains(text, "# HELP " HTTP " ");
    assert_contains(text, "# TYPE " HTTP " histogram\n");
    const char *labels = "{route=\"/api/listings\",method=\"GET\",status=\"200\"";
    char prefix[256];
    snprintf(prefix, sizeof prefix, HTTP "_bucket%s,le=\"0.001\"} ", labels);
    assert_true(sample(text, prefix) == 0);
    snprintf(prefix, sizeof prefix, HTTP "_bucket%s,le=\"0.005\"} ", labels);
    assert_true(sample(text, prefix) == 1);
    snprintf(prefix, sizeof prefix, HTTP "_bucket%s,le=\"0.1\"} ", labels);
    assert_true(sample(text, prefix) == 1);
    snprintf(prefix, sizeof prefix, HTTP "_bucket%s,le=\"0.25\"} ", labels);
    assert_true(sample(text, prefix) == 2); /* cumulative */
    snprintf(prefix, sizeof prefix, HTTP "_bucket%s,le=\"+Inf\"} ", labels);
    assert_true(sample(text, prefix) == 2);
    snprintf(prefix, sizeof prefix, HTTP "_count%s} ", labels);
    assert_true(sample(text, prefix) == 2);
    snprintf(prefix, sizeof prefix, HTTP "_sum%s} ", labels);
    assert_true(fabs(sample(text, prefix) - 0.203) < 1e-9);
    free(text);
}

static void label_sets_are_separate_series(void **state)
{
    (void)state;
    metrics_observe_http("/api/listings", "GET", 200, 0.01);
    metrics_observe_http("/api/listings", "POST", 201, 0.01);
    metrics_observe_http("/api/listings", "GET", 200, 0.01);
    metrics_observe_http("/api/listings", "GET", 500, 0.01);
    char *text = render();
    assert_true(count(text, HTTP "_count{") == 3);
    assert_true(
        sample(text, HTTP "_count{route=\"/api/listings\",method=\"GET\",status=\"200\"} ") == 2);
    assert_true(
        sample(text, HTTP "_count{route=\"/api/listings\",method=\"POST\",status=\"201\"} ") == 1);
    assert_true(
        sample(text, HTTP "_count{route=\"/api/listings\",method=\"GET\",status=\"500\"} ") == 1);
    assert_int_equal(count(text, "# TYPE " HTTP " "), 1);
    free(text);
}

static void slow_calls_land_in_inf_only(void **state)
{
    (void)state;
    metrics_observe_rpc("client", "GetListing", "DEADLINE_EXCEEDED", 30.0);
    char *text = render();
    const char *labels = "{side=\"client\",method=\"GetListing\",code=\"DEADLINE_EXCEEDED\"";
    char prefix[256];
    assert_contains(text, "# TYPE " RPC " histogram\n");
    snprintf(prefix, sizeof prefix, RPC "_bucket%s,le=\"10\"} ", labels);
    assert_true(sample(text, prefix) == 0);
    snprintf(prefix, sizeof prefix, RPC "_bucket%s,le=\"+Inf\"} ", labels);
    assert_true(sample(text, prefix) == 1);
    snprintf(prefix, sizeof prefix, RPC "_sum%s} ", labels);
    assert_true(sample(text, prefix) == 30);
    free(text);
}

/* A duration from a clock that stepped back counts as zero, not negative. */
static void negative_or_nan_durations_count_as_zero(void **state)
{
    (void)state;
    metrics_observe_rpc("server", "Login", "OK", -1.5);
    metrics_observe_rpc("server", "Login", "OK", NAN);
    char *text = render();
    const char *labels = "{side=\"server\",method=\"Login\",code=\"OK\"";
    char prefix[256];
    snprintf(prefix, sizeof prefix, RPC "_bucket%s,le=\"0.001\"} ", labels);
    assert_true(sample(text, prefix) == 2);
    snprintf(prefix, sizeof prefix, RPC "_sum%s} ", labels);
    assert_true(sample(text, prefix) == 0);
    free(text);
}

static void label_values_are_escaped(void **state)
{
    (void)state;
    metrics_observe_http("/a\"b\\c", "GET", 200, 0.01);
    metrics_observe_http("/line\nbreak", "GET", 200, 0.01);
    metrics_observe_http("/bytes\x01\xff", "GET", 200, 0.01);
    char *text = render();
    assert_contains(text, HTTP "_count{route=\"/a\\\"b\\\\c\",method=\"GET\",status=\"200\"} 1\n");
    assert_contains(text, HTTP "_count{route=\"/line\\nbreak\",method=\"GET\",status=\"200\"} 1\n");
    assert_contains(text, HTTP "_count{route=\"/bytes??\",method=\"GET\",status=\"200\"} 1\n");
    free(text);
}

static void long_label_values_are_cut(void **state)
{
    (void)state;
    char route[4096];
    memset(route, 'r', sizeof route - 1);
    route[sizeof route - 1] = '\0';
    metrics_observe_http(route, "GET", 200, 0.01);
    route[2000] = 'x'; /* differs only past the cut: the same series */
    metrics_observe_http(route, "GET", 200, 0.01);
    char *text = render();
    assert_int_equal(count(text, HTTP "_count{"), 1);
    const char *value = strstr(text, "route=\"");
    assert_non_null(value);
    value += strlen("route=\"");
    assert_int_equal(strchr(value, '"') - value, 128);
    free(text);
}

/* Hostile label values cannot grow the registry without bound: past the cap
 * new label sets share one "other" series, and no observation is lost. */
static void series_are_capped(void **state)
{
    (void)state;
    enum { OBSERVATIONS = 5000 };
    for (int i = 0; i < OBSERVATIONS; i++) {
        char route[32];
        snprintf(route, sizeof route, "/junk/%d", i);
        metrics_observe_http(route, "GET", 404, 0.01);
    }
    char *text = render();
    size_t series = count(text, HTTP "_count{");
    assert_true(series < OBSERVATIONS / 2);
    double other = sample(text, HTTP "_count{route=\"other\",method=\"other\",status=\"other\"} ");
    assert_true(other > 0);
    /* every series but "other" holds one observation */
    assert_true((double)(series - 1) + other == OBSERVATIONS);
    /* a label set seen before the cap keeps its own series */
    assert_true(sample(text, HTTP "_count{route=\"/junk/0\",method=\"GET\",status=\"404\"} ") == 1);
    free(text);
}

static double constant_gauge(void *arg)
{
    return *(const double *)arg;
}

static void gauges_share_one_header_per_name(void **state)
{
    (void)state;
    static const double in_use = 3, idle = 5;
    metrics_gauge("rcycle_db_pool_connections", "Database connections by state.", "state", "in_use",
                  constant_gauge, (void *)&in_use);
    metrics_gauge("rcycle_db_pool_connections", "Database connections by state.", "state", "idle",
                  constant_gauge, (void *)&idle);
    char *text = render();
    assert_int_equal(
        count(text, "# HELP rcycle_db_pool_connections Database connections by state.\n"), 1);
    assert_int_equal(count(text, "# TYPE rcycle_db_pool_connections gauge\n"), 1);
    assert_contains(text, "# TYPE rcycle_db_pool_connections gauge\n"
                          "rcycle_db_pool_connections{state=\"in_use\"} 3\n"
                          "rcycle_db_pool_connections{state=\"idle\"} 5\n");
    free(text);
}

static void gauges_are_read_at_render_time(void **state)
{
    (void)state;
    static double value = 1;
    metrics_gauge("rcycle_test_gauge", "A test gauge.", NULL, NULL, constant_gauge, &value);
    char *text = render();
    assert_contains(text, "\nrcycle_test_gauge 1\n");
    free(text);
    value = 0.25;
    text = render();
    assert_contains(text, "\nrcycle_test_gauge 0.25\n");
    free(text);
    value = NAN;
    text = render();
    assert_contains(text, "\nrcycle_test_gauge NaN\n");
    free(text);
}

/* The same sample registered twice must not appear twice in a scrape. */
static void registering_a_gauge_again_replaces_it(void **state)
{
    (void)state;
    static const double first = 1, second = 2;
    metrics_gauge("rcycle_test_gauge", "A test gauge.", "kind", "x", constant_gauge,
                  (void *)&first);
    metrics_gauge("rcycle_test_gauge", "A test gauge.", "kind", "x", constant_gauge,
                  (void *)&second);
    char *text = render();
    assert_int_equal(count(text, "rcycle_test_gauge{kind=\"x\"}"), 1);
    assert_contains(text, "rcycle_test_gauge{kind=\"x\"} 2\n");
    free(text);
}

static void build_info_names_process_and_version(void **state)
{
    (void)state;
    char *text = render();
    assert_null(strstr(text, "rcycle_build_info")); /* not before metrics_init */
    free(text);
    metrics_init("svc-users", "0.1.0\n\"x\"");
    text = render();
    assert_contains(text, "# TYPE rcycle_build_info gauge\n");
    assert_contains(text,
                    "rcycle_build_info{process=\"svc-users\",version=\"0.1.0\\n\\\"x\\\"\"} 1\n");
    free(text);
}

static void help_text_is_escaped(void **state)
{
    (void)state;
    static const double v = 1;
    metrics_gauge("rcycle_test_gauge", "two\nlines \\ here", NULL, NULL, constant_gauge,
                  (void *)&v);
    char *text = render();
    assert_contains(text, "# HELP rcycle_test_gauge two\\nlines \\\\ here\n");
    free(text);
}

/* Every line is a comment or "name{labels} value": nothing breaks the format. */
static void every_line_is_well_formed(void **state)
{
    (void)state;
    static const double v = 7;
    metrics_init("gateway", "1.0");
    metrics_observe_http("/api/claims/{id}", "POST", 409, 0.02);
    metrics_observe_rpc("client", "CreateClaim", "ABORTED", 0.02);
    metrics_gauge("rcycle_test_gauge", "A test gauge.", "a", "b", constant_gauge, (void *)&v);
    char *text = render();
    assert_true(text[strlen(text) - 1] == '\n');
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == '#')
            continue;
        const char *space = strrchr(line, ' ');
        assert_non_null(space);
        assert_true(strncmp(line, "rcycle_", 7) == 0);
        char *end = NULL;
        strtod(space + 1, &end);
        if (*end != '\0')
            fail_msg("bad value on line: %s", line);
    }
    free(text);
}

enum { THREADS = 4, PER_THREAD = 20000 };

static void *observe_many(void *arg)
{
    (void)arg;
    for (int i = 0; i < PER_THREAD; i++)
        metrics_observe_rpc("server", "Health", "OK", 0.0001);
    return NULL;
}

static void concurrent_observations_are_all_counted(void **state)
{
    (void)state;
    pthread_t threads[THREADS];
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&threads[i], NULL, observe_many, NULL), 0);
    for (int i = 0; i < THREADS; i++)
        pthread_join(threads[i], NULL);
    char *text = render();
    assert_true(sample(text, RPC "_count{side=\"server\",method=\"Health\",code=\"OK\"} ") ==
                THREADS * PER_THREAD);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(http_histogram_has_buckets_sum_and_count, reset_registry),
        cmocka_unit_test_teardown(label_sets_are_separate_series, reset_registry),
        cmocka_unit_test_teardown(slow_calls_land_in_inf_only, reset_registry),
        cmocka_unit_test_teardown(negative_or_nan_durations_count_as_zero, reset_registry),
        cmocka_unit_test_teardown(label_values_are_escaped, reset_registry),
        cmocka_unit_test_teardown(long_label_values_are_cut, reset_registry),
        cmocka_unit_test_teardown(series_are_capped, reset_registry),
        cmocka_unit_test_teardown(gauges_share_one_header_per_name, reset_registry),
        cmocka_unit_test_teardown(gauges_are_read_at_render_time, reset_registry),
        cmocka_unit_test_teardown(registering_a_gauge_again_replaces_it, reset_registry),
        cmocka_unit_test_teardown(build_info_names_process_and_version, reset_registry),
        cmocka_unit_test_teardown(help_text_is_escaped, reset_registry),
        cmocka_unit_test_teardown(every_line_is_well_formed, reset_registry),
        cmocka_unit_test_teardown(concurrent_observations_are_all_counted, reset_registry),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
