/* test_router.c - route matching and id parsing of the gateway. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "router.h"

static const gw_route table[] = {
    {"GET", "/api/listings", 0, GW_MIB, NULL},
    {"POST", "/api/listings", ROUTE_BODY, GW_MIB, NULL},
    {"GET", "/api/listings/{id}", 0, GW_MIB, NULL},
    {"POST", "/api/claims/{id}/approve", ROUTE_BODY, GW_MIB, NULL},
};
static const size_t table_len = sizeof table / sizeof table[0];

static router_result match(const char *method, const char *path, const gw_route **route,
                           int64_t *id)
{
    return router_match(table, table_len, method, strlen(method), path, strlen(path), route, id);
}

static void matches_literal_and_method(void **state)
{
    (void)state;
    const gw_route *r = NULL;
    int64_t id = -1;
    assert_int_equal(match("GET", "/api/listings", &r, &id), ROUTER_MATCH);
    assert_ptr_equal(r, &table[0]);
    assert_int_equal(match("POST", "/api/listings", &r, &id), ROUTER_MATCH);
    assert_ptr_equal(r, &table[1]);
}

static void extracts_id(void **state)
{
    (void)state;
    const gw_route *r = NULL;
    int64_t id = 0;
    assert_int_equal(match("GET", "/api/listings/42", &r, &id), ROUTER_MATCH);
    assert_ptr_equal(r, &table[2]);
    assert_int_equal(id, 42);
    assert_int_equal(match("POST", "/api/claims/7/approve", &r, &id), ROUTER_MATCH);
    assert_ptr_equal(r, &table[3]);
    assert_int_equal(id, 7);
}

static void bad_ids_are_400(void **state)
{
    (void)state;
    const gw_route *r = NULL;
    int64_t id = 0;
    static const struct {
        const char *method, *path;
    } bad[] = {
        {"GET", "/api/listings/abc"},      {"GET", "/api/listings/-1"},
        {"GET", "/api/listings/0"},        {"GET", "/api/listings/1.5"},
        {"GET", "/api/listings/01"},       {"GET", "/api/listings/99999999999999999999"},
        {"POST", "/api/claims/x/approve"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(match(bad[i].method, bad[i].path, &r, &id), ROUTER_BAD_ID);
}

static void unknown_path_and_method(void **state)
{
    (void)state;
    const gw_route *r = NULL;
    int64_t id = 0;
    assert_int_equal(match("GET", "/api/nothing", &r, &id), ROUTER_NO_PATH);
    assert_int_equal(match("GET", "/api/listings/", &r, &id), ROUTER_NO_PATH);
    assert_int_equal(match("GET", "/api/listings/1/extra", &r, &id), ROUTER_NO_PATH);
    assert_int_equal(match("GET", "/api", &r, &id), ROUTER_NO_PATH);
    assert_int_equal(match("GET", "", &r, &id), ROUTER_NO_PATH);
    assert_int_equal(match("DELETE", "/api/listings", &r, &id), ROUTER_NO_METHOD);
    assert_int_equal(match("GET", "/api/claims/3/approve", &r, &id), ROUTER_NO_METHOD);
}

/* HEAD works wherever GET does (RFC 9110 9.3.2), and nowhere else. */
static void head_follows_get(void **state)
{
    (void)state;
    const gw_route *r = NULL;
    int64_t id = 0;
    assert_int_equal(match("HEAD", "/api/listings/7", &r, &id), ROUTER_MATCH);
    assert_string_equal(r->method, "GET");
    assert_int_equal(id, 7);
    assert_int_equal(match("HEAD", "/api/claims/3/approve", &r, &id), ROUTER_NO_METHOD);
}

static void lists_allowed_methods(void **state)
{
    (void)state;
    char allow[64];
    router_allowed_methods(table, table_len, "/api/listings", 13, allow, sizeof allow);
    assert_string_equal(allow, "GET, HEAD, POST");
    router_allowed_methods(table, table_len, "/api/claims/9/approve", 21, allow, sizeof allow);
    assert_string_equal(allow, "POST");
    router_allowed_methods(table, table_len, "/nowhere", 8, allow, sizeof allow);
    assert_string_equal(allow, "");
}

static void parse_id_limits(void **state)
{
    (void)state;
    int64_t v = 0;
    assert_int_equal(router_parse_id("1", 1, &v), 0);
    assert_int_equal(v, 1);
    assert_int_equal(router_parse_id("999999999999999999", 18, &v), 0);
    assert_int_equal(v, 999999999999999999LL);
    assert_int_equal(router_parse_id("", 0, &v), -1);
    assert_int_equal(router_parse_id("1234567890123456789", 19, &v), -1);
    assert_int_equal(router_parse_id("+1", 2, &v), -1);
    assert_int_equal(router_parse_id("1 ", 2, &v), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(matches_literal_and_method),
        cmocka_unit_test(extracts_id),
        cmocka_unit_test(bad_ids_are_400),
        cmocka_unit_test(unknown_path_and_method),
        cmocka_unit_test(head_follows_get),
        cmocka_unit_test(lists_allowed_methods),
        cmocka_unit_test(parse_id_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
