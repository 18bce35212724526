/* test_router.c - route matching and id parsing of the gateway. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "admit.h"
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

static admit_result admit(const char *method, const char *path, const char *type, size_t body_len)
{
    admit_head head = {method, strlen(method),          path,    strlen(path),
                       type,   type ? strlen(type) : 0, body_len};
    const gw_route *r = NULL;
    int64_t id;
    return admit_request(table, table_len, &head, &r, &id);
}

static void admits_by_path_size_and_type(void **state)
{
    (void)state;
    assert_int_equal(admit("POST", "/api/listings", "application/json", 10), ADMIT_OK);
    assert_int_equal(admit("POST", "/api/listings", "Application/JSON; charset=utf-8", 10),
                     ADMIT_OK);
    assert_int_equal(admit("POST", "/api/listings", "application/json ;charset=utf-8", 10),
                     ADMIT_OK);
    assert_int_equal(admit("POST", "/api/listings", NULL, 0), ADMIT_OK);
    assert_int_equal(admit("POST", "/api/listings", "text/plain", 1), ADMIT_NOT_JSON);
    assert_int_equal(admit("POST", "/api/listings", NULL, 1), ADMIT_NOT_JSON);
    assert_int_equal(admit("POST", "/api/listings", "application/jsonx", 1), ADMIT_NOT_JSON);
    assert_int_equal(admit("POST", "/api/listings", "application/json", GW_MIB), ADMIT_OK);
    assert_int_equal(admit("POST", "/api/listings", "application/json", GW_MIB + 1),
                     ADMIT_TOO_LARGE);
    /* The size is checked before the type: a refused body is never looked at. */
    assert_int_equal(admit("POST", "/api/listings", "text/plain", GW_MIB + 1), ADMIT_TOO_LARGE);
    assert_int_equal(admit("POST", "/api/nowhere", "text/plain", GW_MIB + 1), ADMIT_NO_PATH);
    assert_int_equal(admit("GET", "/api/listings%00", NULL, 0), ADMIT_NUL_PATH);
    assert_int_equal(admit("GET", "/api/listings/1%00", NULL, 0), ADMIT_NUL_PATH);
    assert_int_equal(admit("GET", "/api/listings/%2500", NULL, 0), ADMIT_BAD_ID);
    assert_int_equal(router_max_body(table, table_len), GW_MIB);
}

static void nul_in_path(void **state)
{
    (void)state;
    assert_true(admit_path_has_nul("/logo.svg%00.html", 17));
    assert_true(admit_path_has_nul("/a\0b", 4));
    assert_false(admit_path_has_nul("/a%0", 4));
    assert_false(admit_path_has_nul("/a%01", 5));
}

/* Where a sign-in may send the browser next: only a path of this origin. */
static void next_path_same_origin_only(void **state)
{
    (void)state;
    assert_true(admit_next_path("/"));
    assert_true(admit_next_path("/#/market"));
    assert_true(admit_next_path("/#/claims/12?x=1"));
    assert_false(admit_next_path(NULL));
    assert_false(admit_next_path(""));
    assert_false(admit_next_path("https://evil.example"));
    assert_false(admit_next_path("//evil.example"));
    assert_false(admit_next_path("/\\evil.example"));
    assert_false(admit_next_path("/a\\b"));
    assert_false(admit_next_path("/\t/evil.example"));
    assert_false(admit_next_path("/a\r\nSet-Cookie: x"));
    assert_false(admit_next_path("javascript:alert(1)"));
    char long_path[1100];
    memset(long_path, 'a', sizeof long_path - 1);
    long_path[0] = '/';
    long_path[sizeof long_path - 1] = '\0';
    assert_false(admit_next_path(long_path));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(admits_by_path_size_and_type),
        cmocka_unit_test(next_path_same_origin_only),
        cmocka_unit_test(nul_in_path),
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
