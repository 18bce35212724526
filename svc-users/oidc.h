/* oidc.h - single sign-on with OpenID Connect in svc-users (docs/API.md,
 * docs/ARCHITECTURE.md "Single sign-on").
 *
 * Three parts: oidc_verify.c checks an ID token against a key set and what
 * the sign-in expects (pure, no I/O: the fuzz target drives it); oidc_idp.c
 * talks to the IdP over HTTPS (libcurl) and caches its discovery document
 * and key set; oidc_login.c serves the OidcBegin and OidcFinish RPCs. */
#ifndef RCYCLE_SVC_USERS_OIDC_H
#define RCYCLE_SVC_USERS_OIDC_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "status.h"

/* Allowed difference between our clock and the IdP's for exp and iat. */
#define OIDC_CLOCK_SKEW_S 60
/* An ID token issued longer ago than this is refused even if exp allows it. */
#define OIDC_MAX_TOKEN_AGE_S 600

/* Why a sign-in was refused: the short reason the browser is sent back with
 * (/#/login?error=REASON). The order is oidc_reason's. */
typedef enum oidc_verdict {
    OIDC_OK = 0,
    OIDC_MALFORMED,     /* not a compact JWS, or its parts are not JSON */
    OIDC_BAD_ALG,       /* alg outside RS256, PS256, ES256 (none, HS256, ...) */
    OIDC_UNKNOWN_KEY,   /* no key of the IdP's key set has the token's kid */
    OIDC_BAD_SIGNATURE, /* the signature does not verify with that key */
    OIDC_BAD_ISSUER,
    OIDC_BAD_AUDIENCE, /* aud or azp is not our client */
    OIDC_EXPIRED,      /* exp passed, or iat too old */
    OIDC_BAD_IAT,      /* iat missing or in the future */
    OIDC_BAD_NONCE,
    OIDC_VERDICT_COUNT
} oidc_verdict;

const char *oidc_reason(oidc_verdict v);

/* The IdP's key set (JWKS), parsed. */
typedef struct oidc_keys oidc_keys;

/* Parses a JWKS document; NULL when it is not one (keys cjose cannot import
 * are skipped, as a key set may hold keys of kinds we do not use). */
oidc_keys *oidc_keys_parse(const char *json, size_t len);
void oidc_keys_free(oidc_keys *keys);
size_t oidc_keys_count(const oidc_keys *keys);

/* An ID token whose header has been read. */
typedef struct oidc_token oidc_token;

/* Reads the header of a compact JWS: OIDC_MALFORMED or OIDC_BAD_ALG before
 * anything else is looked at. On OIDC_OK *out is the token (free it with
 * oidc_token_free). */
oidc_verdict oidc_token_open(const char *compact, size_t len, oidc_token **out);
void oidc_token_free(oidc_token *t);

/* 1 when keys holds a key that could have signed t (its kid, or the one key
 * of a fitting type when the token names no kid). */
int oidc_keys_have(const oidc_keys *keys, const oidc_token *t);

/* What a sign-in expects of its ID token. */
typedef struct oidc_expect {
    const char *issuer;
    const char *client_id;
    const char *nonce;
    int64_t now_s; /* epoch seconds */
} oidc_expect;

/* Verifies t's signature with its key in keys and its claims against ex.
 * On OIDC_OK *claims is the payload (json_decref it). */
oidc_verdict oidc_token_verify(const oidc_token *t, const oidc_keys *keys, const oidc_expect *ex,
                               json_t **claims);

/* ---- mapping claims to an account ---- */

/* RCYCLE_OIDC_ROLE_MAP parsed: IdP value -> role. */
#define OIDC_ROLE_MAP_MAX 32
typedef struct oidc_role_map {
    size_t n;
    char *from[OIDC_ROLE_MAP_MAX];
    const char *to[OIDC_ROLE_MAP_MAX]; /* one of user_role_names */
} oidc_role_map;

/* Parses "idp-value=role,..." (roles: security, admin); 0, or -1 with a
 * sentence in err. Free with oidc_role_map_free. */
int oidc_role_map_parse(const char *s, oidc_role_map *map, char *err, size_t err_len);
void oidc_role_map_free(oidc_role_map *map);

/* The claim at a dotted path ("realm_access.roles"), or NULL. */
json_t *oidc_claim_at(json_t *claims, const char *path);

/* The roles the values of the roles claim (an array of strings, or one
 * string) map to, as "member,security" for the SQL; out holds at least 64
 * bytes. */
void oidc_map_roles(const oidc_role_map *map, json_t *values, char *out, size_t out_len);

#endif
