/* test_oidc_claims.c - RCYCLE_OIDC_ROLE_MAP, claims at dotted paths and the
 * roles the groups of an ID token map to (svc-users/oidc_claims.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "oidc.h"

static void role_map_parses_and_refuses(void **state)
{
    (void)state;
    oidc_role_map map;
    char err[160];
    assert_int_equal(
        oidc_role_map_parse("rcycle-security=security,rcycle-admin=admin", &map, err, sizeof err),
        0);
    assert_int_equal(map.n, 2);
    assert_string_equal(map.from[1], "rcycle-admin");
    assert_string_equal(map.to[1], "admin");
    oidc_role_map_free(&map);
    assert_int_equal(oidc_role_map_parse("", &map, err, sizeof err), 0);
    assert_int_equal(map.n, 0);
    /* member is everyone's; unknown roles and missing parts are refused. */
    assert_int_equal(oidc_role_map_parse("x=member", &map, err, sizeof err), -1);
    assert_non_null(strstr(err, "\"x=member\""));
    assert_int_equal(oidc_role_map_parse("x=root", &map, err, sizeof err), -1);
    assert_int_equal(oidc_role_map_parse("=admin", &map, err, sizeof err), -1);
    assert_int_equal(oidc_role_map_parse("justaname", &map, err, sizeof err), -1);
}

static void roles_from_groups(void **state)
{
    (void)state;
    oidc_role_map map;
    char err[160], roles[64];
    assert_int_equal(oidc_role_map_parse("sec=security,ops=admin,both=security,both=admin", &map,
                                         err, sizeof err),
                     0);
    json_t *claims = json_loads("{\"groups\":[\"ops\",\"other\",7],\"realm_access\":{\"roles\":"
                                "[\"sec\"]},\"one\":\"both\",\"dept\":{\"name\":\"Lab\"}}",
                                0, NULL);
    oidc_map_roles(&map, oidc_claim_at(claims, "groups"), roles, sizeof roles);
    assert_string_equal(roles, "member,admin");
    oidc_map_roles(&map, oidc_claim_at(claims, "realm_access.roles"), roles, sizeof roles);
    assert_string_equal(roles, "member,security");
    oidc_map_roles(&map, oidc_claim_at(claims, "one"), roles, sizeof roles);
    assert_string_equal(roles, "member,security,admin");
    oidc_map_roles(&map, oidc_claim_at(claims, "missing.path"), roles, sizeof roles);
    assert_string_equal(roles, "member");
    assert_string_equal(json_string_value(oidc_claim_at(claims, "dept.name")), "Lab");
    assert_null(oidc_claim_at(claims, "groups.x"));
    json_decref(claims);
    oidc_role_map_free(&map);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(role_map_parses_and_refuses),
        cmocka_unit_test(roles_from_groups),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
