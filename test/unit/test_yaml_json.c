/* test_yaml_json.c - the YAML to JSON conversion that turns docs/openapi.yaml
 * into the document the gateway serves: the core-schema types of plain
 * scalars, and the refusal of what a JavaScript YAML reader would read
 * differently. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "yaml_json.h"

/* The compact JSON of the YAML text, or NULL when refused (err set). */
static char *convert(const char *yaml, char err[YAML_JSON_ERR_LEN])
{
    json_t *v = yaml_json_parse("t.yaml", yaml, strlen(yaml), err);
    if (v == NULL)
        return NULL;
    char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(v);
    return text;
}

static void expect_json(const char *yaml, const char *json)
{
    char err[YAML_JSON_ERR_LEN] = "";
    char *got = convert(yaml, err);
    if (got == NULL)
        fail_msg("refused %s: %s", yaml, err);
    assert_string_equal(got, json);
    free(got);
}

static void expect_refused(const char *yaml, const char *why)
{
    char err[YAML_JSON_ERR_LEN] = "";
    char *got = convert(yaml, err);
    if (got != NULL)
        fail_msg("accepted %s as %s", yaml, got);
    assert_non_null(strstr(err, why));
    assert_non_null(strstr(err, "t.yaml:"));
}

static void plain_scalars_take_core_schema_types(void **state)
{
    (void)state;
    expect_json("a: [1, -2, +3, 2.5, -3e2, .5, 1e3]", "{\"a\":[1,-2,3,2.5,-300.0,0.5,1000.0]}");
    expect_json("a: [null, Null, ~, true, False]", "{\"a\":[null,null,null,true,false]}");
    expect_json("a:\n", "{\"a\":null}");
    /* YAML 1.1 booleans and sexagesimals are strings in 1.2. */
    expect_json("a: [yes, no, on, 1:20]", "{\"a\":[\"yes\",\"no\",\"on\",\"1:20\"]}");
    expect_json("a: [1.2.3, 12abc, '-', 0.]", "{\"a\":[\"1.2.3\",\"12abc\",\"-\",0.0]}");
}

static void quoted_tagged_and_block_scalars_are_strings(void **state)
{
    (void)state;
    expect_json("a: ['1', \"true\", !!str 3, 'null']", "{\"a\":[\"1\",\"true\",\"3\",\"null\"]}");
    expect_json("a: |\n  one\n  two\nb: >\n  one\n  two\n",
                "{\"a\":\"one\\ntwo\\n\",\"b\":\"one two\\n\"}");
    expect_json("p: '^\\d{4}$'", "{\"p\":\"^\\\\d{4}$\"}");
}

static void keys_are_strings_and_order_is_kept(void **state)
{
    (void)state;
    expect_json("z: 1\n200: ok\na: {c: 3, b: 2}",
                "{\"z\":1,\"200\":\"ok\",\"a\":{\"c\":3,\"b\":2}}");
    expect_json("- a\n- [b, {c: []}]", "[\"a\",[\"b\",{\"c\":[]}]]");
}

static void what_readers_could_disagree_on_is_refused(void **state)
{
    (void)state;
    expect_refused("a: &x 1\nb: *x", "anchors");
    expect_refused("a: &x [1]", "anchors");
    expect_refused("&k a: 1", "anchors");
    expect_refused("a: *x", "aliases");
    expect_refused("a: 1\na: 2", "duplicate key");
    expect_refused("? [a]\n: 1", "keys must be scalars");
    expect_refused("a: 0x1F", "hexadecimal");
    expect_refused("a: 0o17", "octal");
    expect_refused("a: .inf", "infinite");
    expect_refused("a: .NaN", "NaN");
    expect_refused("a: !!int 3", "tags");
    expect_refused("a: 99999999999999999999", "out of range");
    expect_refused("a: 1\n---\nb: 2", "one document");
    expect_refused("a: [1, 2", "t.yaml:");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(plain_scalars_take_core_schema_types),
        cmocka_unit_test(quoted_tagged_and_block_scalars_are_strings),
        cmocka_unit_test(keys_are_strings_and_order_is_kept),
        cmocka_unit_test(what_readers_could_disagree_on_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
