/* oidc_claims.c - from the claims of a verified ID token to an account's
 * department and roles (oidc.h, docs/API.md RCYCLE_OIDC_*). Pure. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oidc.h"
#include "users.h"

/* The roles an IdP value may map to: everyone is a member anyway. */
static const char *mappable_role(const char *s, size_t len)
{
    for (int i = 1; i < USER_NROLES; i++)
        if (strlen(user_role_names[i]) == len && memcmp(user_role_names[i], s, len) == 0)
            return user_role_names[i];
    return NULL;
}

int oidc_role_map_parse(const char *s, oidc_role_map *map, char *err, size_t err_len)
{
    *map = (oidc_role_map){0};
    while (*s != '\0') {
        size_t n = strcspn(s, ",");
        const char *eq = memchr(s, '=', n);
        const char *role = eq ? mappable_role(eq + 1, n - (size_t)(eq + 1 - s)) : NULL;
        if (n > 0) {
            if (eq == NULL || eq == s || role == NULL) {
                snprintf(err, err_len,
                         "RCYCLE_OIDC_ROLE_MAP: \"%.*s\" is not idp-value=role (security or admin)",
                         (int)n, s);
                oidc_role_map_free(map);
                return -1;
            }
            if (map->n == OIDC_ROLE_MAP_MAX) {
                snprintf(err, err_len, "RCYCLE_OIDC_ROLE_MAP: more than %d pairs",
                         OIDC_ROLE_MAP_MAX);
                oidc_role_map_free(map);
                return -1;
            }
            if ((map->from[map->n] = strndup(s, (size_t)(eq - s))) == NULL) {
                snprintf(err, err_len, "out of memory");
                oidc_role_map_free(map);
                return -1;
            }
            map->to[map->n++] = role;
        }
        s += n;
        if (*s == ',')
            s++;
    }
    return 0;
}

void oidc_role_map_free(oidc_role_map *map)
{
    for (size_t i = 0; i < map->n; i++)
        free(map->from[i]);
    map->n = 0;
}

json_t *oidc_claim_at(json_t *claims, const char *path)
{
    json_t *at = claims;
    while (at != NULL && *path != '\0') {
        size_t n = strcspn(path, ".");
        char key[128];
        if (n >= sizeof key || !json_is_object(at))
            return NULL;
        memcpy(key, path, n);
        key[n] = '\0';
        at = json_object_get(at, key);
        path += n;
        if (*path == '.')
            path++;
    }
    return at;
}

static void grant(const oidc_role_map *map, const char *value, int held[USER_NROLES])
{
    for (size_t i = 0; i < map->n; i++)
        if (strcmp(map->from[i], value) == 0)
            for (int r = 0; r < USER_NROLES; r++)
                held[r] |= map->to[i] == user_role_names[r];
}

void oidc_map_roles(const oidc_role_map *map, json_t *values, char *out, size_t out_len)
{
    int held[USER_NROLES] = {[0] = 1};
    if (json_is_string(values)) {
        grant(map, json_string_value(values), held);
    } else if (json_is_array(values)) {
        size_t i;
        json_t *v;
        json_array_foreach(values, i, v)
        {
            if (json_is_string(v))
                grant(map, json_string_value(v), held);
        }
    }
    size_t used = 0;
    out[0] = '\0';
    for (int r = 0; r < USER_NROLES; r++)
        if (held[r])
            used += (size_t)snprintf(out + used, out_len - used, "%s%s", used ? "," : "",
                                     user_role_names[r]);
}
