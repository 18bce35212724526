/* fuzz_json_body.c - libFuzzer target: a request body through the gateway's
 * JSON parsing and the field readers every route uses. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "json_map.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[JSON_ERR_LEN];
    size_t cost;
    json_t *body = json_parse_object((const char *)data, size, JSON_PARSE_MAX, &cost, err);
    if (body == NULL)
        return 0;
    const char *s;
    int64_t id;
    int present;
    const char **list;
    size_t n;
    json_field_string(body, "email", 1, &s, err);
    json_field_string(body, "title", 0, &s, err);
    json_field_id(body, "listingId", 1, &id, &present, err);
    if (json_field_string_list(body, "roles", &list, &n, err) == 0)
        free(list);
    json_decref(body);
    return 0;
}
