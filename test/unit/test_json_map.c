/* test_json_map.c - the JSON shapes of docs/API.md and the body field readers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "json_map.h"

static void listing_has_every_field_with_nulls(void **state)
{
    (void)state;
    Rcycle__Listings__Listing l = RCYCLE__LISTINGS__LISTING__INIT;
    l.id = 7;
    l.serial_number = "SRV001-DELL-R730";
    l.title = "Dell";
    l.category = "Server";
    l.department = "IT Infrastructure";
    l.status = "available";
    l.expiration_date = "2026-12-26";
    l.created_by = "john.doe@company.com";
    l.created_at = "2026-11-26T19:03:13Z";
    l.updated_at = "2026-11-26T19:03:13Z";
    l.cpu = "2x Xeon";
    json_t *o = json_from_listing(&l);
    static const char *const keys[] = {
        "id",        "serialNumber", "title",      "category", "description",
        "location",  "condition",    "department", "cpu",      "ram",
        "storage",   "ports",        "otherSpecs", "status",   "expirationDate",
        "createdBy", "createdAt",    "updatedAt"};
    assert_int_equal(json_object_size(o), sizeof keys / sizeof keys[0]);
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        assert_non_null(json_object_get(o, keys[i]));
    assert_int_equal(json_integer_value(json_object_get(o, "id")), 7);
    assert_true(json_is_null(json_object_get(o, "description")));
    assert_string_equal(json_string_value(json_object_get(o, "cpu")), "2x Xeon");
    assert_null(json_object_get(o, "claimId"));
    json_decref(o);
}

static void hardware_nests_specs(void **state)
{
    (void)state;
    char *storage[] = {"2x 1TB SSD"};
    Rcycle__Listings__Hardware h = RCYCLE__LISTINGS__HARDWARE__INIT;
    h.serial_number = "SRV002-HP-DL380";
    h.manufacturer = "HP";
    h.model = "ProLiant DL380 Gen9";
    h.category = "Server";
    h.n_storage = 1;
    h.storage = storage;
    h.has_storage_media = 1;
    json_t *o = json_from_hardware(&h);
    json_t *specs = json_object_get(o, "specs");
    assert_true(json_is_object(specs));
    assert_string_equal(json_string_value(json_array_get(json_object_get(specs, "storage"), 0)),
                        "2x 1TB SSD");
    assert_true(json_is_null(json_object_get(specs, "cpu")));
    assert_true(json_is_true(json_object_get(o, "hasStorageMedia")));
    assert_true(json_is_true(json_object_get(o, "found")));
    json_decref(o);
}

static void leaderboard_rounds_trees_and_pandas(void **state)
{
    (void)state;
    Rcycle__Listings__LeaderboardEntry e = RCYCLE__LISTINGS__LEADERBOARD_ENTRY__INIT;
    e.department = "IT";
    e.total_co2_saved_kg = 1300;
    e.potential_co2_kg = 2400;
    e.rank = 1;
    json_t *o = json_from_leaderboard_entry(&e);
    assert_float_equal(json_real_value(json_object_get(o, "totalTreesEquivalent")), 59.1, 1e-9);
    assert_float_equal(json_real_value(json_object_get(o, "totalPandasProtected")), 0.0325, 1e-9);
    json_decref(o);
}

static void user_roles_are_an_array(void **state)
{
    (void)state;
    char *roles[] = {"member", "admin"};
    Rcycle__Users__User u = RCYCLE__USERS__USER__INIT;
    u.id = 1;
    u.email = "john.doe@company.com";
    u.name = "John Doe";
    u.department = "IT Infrastructure";
    u.n_roles = 2;
    u.roles = roles;
    json_t *o = json_from_user(&u);
    assert_int_equal(json_array_size(json_object_get(o, "roles")), 2);
    assert_string_equal(json_string_value(json_array_get(json_object_get(o, "roles"), 1)), "admin");
    json_decref(o);
}

static void field_readers_check_types(void **state)
{
    (void)state;
    char err[JSON_ERR_LEN];
    json_t *o = json_pack("{s:s, s:i, s:n, s:s, s:i, s:[s,i]}", "email", "a@b", "n", 5, "nul",
                          "empty", "", "id", 3, "list", "x", 1);
    const char *s;
    assert_int_equal(json_field_string(o, "email", 1, &s, err), 0);
    assert_string_equal(s, "a@b");
    assert_int_equal(json_field_string(o, "n", 0, &s, err), -1);
    assert_string_equal(err, "n must be a string");
    assert_int_equal(json_field_string(o, "nul", 0, &s, err), 0);
    assert_null(s);
    assert_int_equal(json_field_string(o, "nul", 1, &s, err), -1);
    assert_int_equal(json_field_string(o, "missing", 1, &s, err), -1);
    assert_string_equal(err, "missing is required");
    assert_int_equal(json_field_string(o, "empty", 1, &s, err), -1);
    int64_t id;
    int present;
    assert_int_equal(json_field_id(o, "id", 1, &id, &present, err), 0);
    assert_int_equal(id, 3);
    assert_true(present);
    assert_int_equal(json_field_id(o, "email", 1, &id, &present, err), -1);
    const char **items;
    size_t n;
    assert_int_equal(json_field_string_list(o, "list", &items, &n, err), -1);
    json_decref(o);

    json_t *b = json_pack("{s:b, s:b, s:n, s:i}", "yes", 1, "no", 0, "nul", "num", 1);
    int v = -1;
    assert_int_equal(json_field_bool(b, "yes", &v, &present, err), 0);
    assert_true(present && v == 1);
    assert_int_equal(json_field_bool(b, "no", &v, &present, err), 0);
    assert_true(present && v == 0);
    assert_int_equal(json_field_bool(b, "nul", &v, &present, err), 0);
    assert_false(present);
    assert_int_equal(json_field_bool(b, "missing", &v, &present, err), 0);
    assert_false(present);
    assert_int_equal(json_field_bool(b, "num", &v, &present, err), -1);
    assert_string_equal(err, "num must be true or false");
    json_decref(b);
}

static void body_must_be_an_object_of_valid_json(void **state)
{
    (void)state;
    char err[JSON_ERR_LEN];
    const char *bad[] = {
        "", "{", "[1]", "\"s\"", "{\"a\":1,\"a\":2}", "{\"a\":\"\\u0000\"}", "{\"a\":\"\xff\"}"};
    size_t cost;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_null(json_parse_object(bad[i], strlen(bad[i]), JSON_PARSE_MAX, &cost, err));
        assert_true(cost <= JSON_PARSE_MAX);
    }
    json_t *ok = json_parse_object("{\"a\":\"\xc3\xa9\"}", 10, JSON_PARSE_MAX, &cost, err);
    assert_non_null(ok);
    json_decref(ok);
}

/* A body of n bytes: {"k":[P,P,...]} with a filler element P, or with one
 * string of n - 10 letters. */
static char *padded_body(size_t n, const char *element)
{
    char *s = malloc(n + 1);
    assert_non_null(s);
    size_t at = (size_t)sprintf(s, "{\"k\":");
    if (element == NULL) {
        s[at++] = '"';
        while (at < n - 2)
            s[at++] = 'x';
        s[at++] = '"';
    } else {
        s[at++] = '[';
        size_t len = strlen(element);
        while (at + len + 3 < n) {
            memcpy(s + at, element, len);
            at += len;
            s[at++] = ',';
        }
        s[at - 1] = ']';
    }
    s[at++] = '}';
    s[at] = '\0';
    return s;
}

/* The issue 12 attack: a megabyte of empty objects would cost jansson some
 * 80 MB; it is refused unparsed. A megabyte of text, or thousands of
 * numbers, far more than any route's fields, are not. */
static void body_parse_has_a_memory_budget(void **state)
{
    (void)state;
    char err[JSON_ERR_LEN];
    size_t cost;
    char *bomb = padded_body(1024 * 1024, "{}");
    assert_null(json_parse_object(bomb, strlen(bomb), JSON_PARSE_MAX, &cost, err));
    assert_true(cost > JSON_PARSE_MAX);
    free(bomb);
    char *text = padded_body(1024 * 1024, NULL);
    json_t *ok = json_parse_object(text, strlen(text), JSON_PARSE_MAX, &cost, err);
    assert_non_null(ok);
    assert_int_equal(json_string_length(json_object_get(ok, "k")), strlen(text) - 8);
    json_decref(ok);
    free(text);
    char *numbers = padded_body(16 * 1024, "12345");
    ok = json_parse_object(numbers, strlen(numbers), JSON_PARSE_MAX, &cost, err);
    assert_non_null(ok);
    json_decref(ok);
    free(numbers);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(body_parse_has_a_memory_budget),
        cmocka_unit_test(listing_has_every_field_with_nulls),
        cmocka_unit_test(hardware_nests_specs),
        cmocka_unit_test(leaderboard_rounds_trees_and_pandas),
        cmocka_unit_test(user_roles_are_an_array),
        cmocka_unit_test(field_readers_check_types),
        cmocka_unit_test(body_must_be_an_object_of_valid_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
