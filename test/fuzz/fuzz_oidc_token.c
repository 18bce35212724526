/* fuzz_oidc_token.c - libFuzzer target: svc-users' ID token checks
 * (svc-users/oidc_verify.c), fed a key set and a compact token as the IdP's
 * key set endpoint and token endpoint would send them: "JWKS\n~~~\nTOKEN".
 * The seeds (test/fuzz/corpus/fuzz_oidc_token, made by
 * test/integration/oidc/fuzz-seeds.mjs) are real RSA and EC key sets with
 * tokens that pass and tokens that each fail one check, for the expectations
 * below. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "oidc.h"

#define SEPARATOR "\n~~~\n"

/* What svc-users reads of verified claims: the department at a dotted path
 * and the roles the groups map to. */
static void map_claims(json_t *claims)
{
    static oidc_role_map map;
    static int ready;
    char err[128], roles[64];
    if (!ready && oidc_role_map_parse("rcycle-security=security,rcycle-admin=admin,ops=admin", &map,
                                      err, sizeof err) != 0)
        __builtin_trap();
    ready = 1;
    (void)oidc_claim_at(claims, "realm_access.roles");
    (void)oidc_claim_at(claims, "department");
    oidc_map_roles(&map, oidc_claim_at(claims, "groups"), roles, sizeof roles);
    if (strncmp(roles, "member", 6) != 0)
        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    const char *sep = memmem(s, size, SEPARATOR, sizeof SEPARATOR - 1);
    if (sep == NULL)
        return 0;
    size_t jwks_len = (size_t)(sep - s);
    const char *token = sep + sizeof SEPARATOR - 1;
    size_t token_len = size - jwks_len - (sizeof SEPARATOR - 1);

    oidc_keys *keys = oidc_keys_parse(s, jwks_len);
    oidc_token *t;
    if (oidc_token_open(token, token_len, &t) == OIDC_OK) {
        const oidc_expect ex = {.issuer = "https://idp.example",
                                .client_id = "rcycle",
                                .nonce = "fuzz-nonce",
                                .now_s = 1700000000};
        json_t *claims = NULL;
        oidc_verdict v = oidc_token_verify(t, keys, &ex, &claims);
        if (claims != NULL)
            map_claims(claims);
        /* A verdict is OK exactly when claims came back, and only for a key
         * the set holds. */
        if ((v == OIDC_OK) != (claims != NULL) || (v == OIDC_OK && !oidc_keys_have(keys, t)))
            __builtin_trap();
        if (oidc_reason(v) == NULL)
            __builtin_trap();
        json_decref(claims);
        oidc_token_free(t);
    }
    oidc_keys_free(keys);
    return 0;
}
