/* oidc_verify.c - the checks of an ID token (oidc.h). cjose imports the keys
 * and verifies signatures; libsodium decodes base64url and jansson parses the
 * JSON. What is ours is the order of the checks and what each refuses:
 * the header's alg is checked against the allow-list before any key is
 * looked at, and a key is used only for the algorithm family of its type,
 * so neither "none" nor an HMAC keyed with a public key can get through. */
#include <cjose/cjose.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "oidc.h"

/* An ID token is a few KiB; a header or payload past this is not one. */
#define PART_MAX     16384
#define RSA_MIN_BITS 2048

static const char *const reasons[OIDC_VERDICT_COUNT] = {
    [OIDC_OK] = "ok",
    [OIDC_MALFORMED] = "invalid_token",
    [OIDC_BAD_ALG] = "token_alg",
    [OIDC_UNKNOWN_KEY] = "unknown_key",
    [OIDC_BAD_SIGNATURE] = "bad_signature",
    [OIDC_BAD_ISSUER] = "wrong_issuer",
    [OIDC_BAD_AUDIENCE] = "wrong_audience",
    [OIDC_EXPIRED] = "token_expired",
    [OIDC_BAD_IAT] = "token_iat",
    [OIDC_BAD_NONCE] = "wrong_nonce",
};

const char *oidc_reason(oidc_verdict v)
{
    return v >= 0 && v < OIDC_VERDICT_COUNT ? reasons[v] : "failed";
}

typedef struct oidc_key {
    cjose_jwk_t *jwk;
    char *kid; /* NULL when the key names none */
    cjose_jwk_kty_t kty;
    size_t bits;
} oidc_key;

struct oidc_keys {
    size_t n;
    oidc_key *items;
};

struct oidc_token {
    char *compact;
    size_t len;
    char alg[8];
    char *kid; /* NULL when the header names none */
};

/* 1 when part is strict unpadded base64url. cjose's own decoder asserts
 * (aborts the process) on some malformed lengths, so nothing reaches it
 * that libsodium has not accepted first (found by fuzz_oidc_token). */
static int base64url_ok(const char *part, size_t len)
{
    unsigned char *bin = malloc(len + 1);
    size_t bin_len;
    int ok = bin != NULL && sodium_base642bin(bin, len + 1, part, len, NULL, &bin_len, NULL,
                                              sodium_base64_VARIANT_URLSAFE_NO_PADDING) == 0;
    free(bin);
    return ok;
}

/* 1 when a key set entry is one we may verify signatures with: a signing
 * key (use absent or "sig") of type RSA or EC. */
static int usable_entry(json_t *entry)
{
    const char *use = json_string_value(json_object_get(entry, "use"));
    const char *kty = json_string_value(json_object_get(entry, "kty"));
    static const char *const numbers[] = {"n", "e", "x", "y"};
    if (kty == NULL || (use != NULL && strcmp(use, "sig") != 0))
        return 0;
    /* A private part has no business in a published key set. */
    if (json_object_get(entry, "d") != NULL)
        return 0;
    for (size_t i = 0; i < sizeof numbers / sizeof numbers[0]; i++) {
        json_t *v = json_object_get(entry, numbers[i]);
        if (v != NULL &&
            (!json_is_string(v) || !base64url_ok(json_string_value(v), json_string_length(v))))
            return 0;
    }
    return strcmp(kty, "RSA") == 0 || strcmp(kty, "EC") == 0;
}

static int add_key(oidc_keys *keys, json_t *entry)
{
    cjose_err err;
    cjose_jwk_t *jwk = cjose_jwk_import_json((cjose_header_t *)entry, &err);
    if (jwk == NULL)
        return 0;
    oidc_key *k = &keys->items[keys->n];
    *k = (oidc_key){
        .jwk = jwk, .kty = cjose_jwk_get_kty(jwk, &err), .bits = cjose_jwk_get_keysize(jwk, &err)};
    const char *kid = json_string_value(json_object_get(entry, "kid"));
    if (kid != NULL && (k->kid = strdup(kid)) == NULL) {
        cjose_jwk_release(jwk);
        return -1;
    }
    keys->n++;
    return 0;
}

oidc_keys *oidc_keys_parse(const char *json, size_t len)
{
    json_t *doc = json_loadb(json, len, 0, NULL);
    json_t *list = json_object_get(doc, "keys");
    oidc_keys *keys = NULL;
    if (json_is_array(list) && (keys = calloc(1, sizeof *keys)) != NULL &&
        (keys->items = calloc(json_array_size(list) + 1, sizeof *keys->items)) != NULL) {
        size_t i;
        json_t *entry;
        json_array_foreach(list, i, entry)
        {
            if (usable_entry(entry) && add_key(keys, entry) != 0) {
                oidc_keys_free(keys);
                keys = NULL;
                break;
            }
        }
    } else if (keys != NULL) {
        free(keys);
        keys = NULL;
    }
    json_decref(doc);
    return keys;
}

void oidc_keys_free(oidc_keys *keys)
{
    if (keys == NULL)
        return;
    for (size_t i = 0; i < keys->n; i++) {
        cjose_jwk_release(keys->items[i].jwk);
        free(keys->items[i].kid);
    }
    free(keys->items);
    free(keys);
}

size_t oidc_keys_count(const oidc_keys *keys)
{
    return keys != NULL ? keys->n : 0;
}

/* The JSON object of a base64url part, or NULL. */
static json_t *decode_part(const char *part, size_t len)
{
    unsigned char *bin = malloc(len + 1);
    size_t bin_len = 0;
    json_t *obj = NULL;
    if (bin != NULL && sodium_base642bin(bin, len + 1, part, len, NULL, &bin_len, NULL,
                                         sodium_base64_VARIANT_URLSAFE_NO_PADDING) == 0)
        obj = json_loadb((const char *)bin, bin_len, JSON_REJECT_DUPLICATES, NULL);
    free(bin);
    if (obj != NULL && !json_is_object(obj)) {
        json_decref(obj);
        obj = NULL;
    }
    return obj;
}

static int alg_allowed(const char *alg)
{
    return strcmp(alg, "RS256") == 0 || strcmp(alg, "PS256") == 0 || strcmp(alg, "ES256") == 0;
}

/* The header's verdict; fills alg and kid of t. */
static oidc_verdict read_header(oidc_token *t, json_t *header)
{
    const char *alg = json_string_value(json_object_get(header, "alg"));
    json_t *kid = json_object_get(header, "kid");
    if (alg == NULL || (kid != NULL && !json_is_string(kid)))
        return OIDC_MALFORMED;
    /* A critical extension we do not know must not be ignored (RFC 7515). */
    if (json_object_get(header, "crit") != NULL)
        return OIDC_MALFORMED;
    if (!alg_allowed(alg))
        return OIDC_BAD_ALG;
    strcpy(t->alg, alg);
    if (kid != NULL && (t->kid = strdup(json_string_value(kid))) == NULL)
        return OIDC_MALFORMED;
    return OIDC_OK;
}

oidc_verdict oidc_token_open(const char *compact, size_t len, oidc_token **out)
{
    const char *dot1 = memchr(compact, '.', len);
    const char *dot2 = dot1 ? memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - compact)) : NULL;
    *out = NULL;
    if (dot1 == NULL || dot2 == NULL || memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - compact)) ||
        (size_t)(dot1 - compact) > PART_MAX || (size_t)(dot2 - dot1) > PART_MAX * 2)
        return OIDC_MALFORMED;
    const char *payload = dot1 + 1, *signature = dot2 + 1;
    if (!base64url_ok(payload, (size_t)(dot2 - payload)) ||
        !base64url_ok(signature, len - (size_t)(signature - compact)))
        return OIDC_MALFORMED;
    json_t *header = decode_part(compact, (size_t)(dot1 - compact));
    if (header == NULL)
        return OIDC_MALFORMED;
    oidc_token *t = calloc(1, sizeof *t);
    oidc_verdict v = t != NULL ? read_header(t, header) : OIDC_MALFORMED;
    json_decref(header);
    if (v == OIDC_OK && (t->compact = strndup(compact, len)) == NULL)
        v = OIDC_MALFORMED;
    if (v != OIDC_OK) {
        oidc_token_free(t);
        return v;
    }
    t->len = len;
    *out = t;
    return OIDC_OK;
}

void oidc_token_free(oidc_token *t)
{
    if (t == NULL)
        return;
    free(t->compact);
    free(t->kid);
    free(t);
}

/* 1 when k's type and size fit the token's algorithm. */
static int key_fits(const oidc_key *k, const char *alg)
{
    if (alg[0] == 'E')
        return k->kty == CJOSE_JWK_KTY_EC && k->bits == 256;
    return k->kty == CJOSE_JWK_KTY_RSA && k->bits >= RSA_MIN_BITS;
}

static const oidc_key *find_key(const oidc_keys *keys, const oidc_token *t)
{
    const oidc_key *only = NULL;
    size_t fitting = 0;
    for (size_t i = 0; keys != NULL && i < keys->n; i++) {
        const oidc_key *k = &keys->items[i];
        if (!key_fits(k, t->alg))
            continue;
        if (t->kid != NULL && k->kid != NULL && strcmp(t->kid, k->kid) == 0)
            return k;
        fitting++;
        only = k;
    }
    /* Without a kid the key must be unambiguous. */
    return t->kid == NULL && fitting == 1 ? only : NULL;
}

int oidc_keys_have(const oidc_keys *keys, const oidc_token *t)
{
    return find_key(keys, t) != NULL;
}

static int audience_ok(json_t *claims, const char *client_id)
{
    json_t *aud = json_object_get(claims, "aud");
    const char *azp = json_string_value(json_object_get(claims, "azp"));
    int found = 0;
    if (json_is_string(aud)) {
        found = strcmp(json_string_value(aud), client_id) == 0;
    } else if (json_is_array(aud)) {
        size_t i;
        json_t *v;
        json_array_foreach(aud, i, v) found |=
            json_is_string(v) && strcmp(json_string_value(v), client_id) == 0;
        /* With other audiences beside us, azp must name us (OIDC Core 3.1.3.7). */
        if (json_array_size(aud) > 1 && azp == NULL)
            return 0;
    }
    if (json_object_get(claims, "azp") != NULL && (azp == NULL || strcmp(azp, client_id) != 0))
        return 0;
    return found;
}

static oidc_verdict check_claims(json_t *claims, const oidc_expect *ex)
{
    const char *iss = json_string_value(json_object_get(claims, "iss"));
    json_t *exp = json_object_get(claims, "exp");
    json_t *iat = json_object_get(claims, "iat");
    const char *nonce = json_string_value(json_object_get(claims, "nonce"));
    if (iss == NULL || strcmp(iss, ex->issuer) != 0)
        return OIDC_BAD_ISSUER;
    if (!audience_ok(claims, ex->client_id))
        return OIDC_BAD_AUDIENCE;
    if (!json_is_number(exp) || json_number_value(exp) + OIDC_CLOCK_SKEW_S <= (double)ex->now_s)
        return OIDC_EXPIRED;
    if (!json_is_number(iat) || json_number_value(iat) > (double)(ex->now_s + OIDC_CLOCK_SKEW_S))
        return OIDC_BAD_IAT;
    if (json_number_value(iat) + OIDC_MAX_TOKEN_AGE_S < (double)ex->now_s)
        return OIDC_EXPIRED;
    if (nonce == NULL || strlen(nonce) != strlen(ex->nonce) ||
        sodium_memcmp(nonce, ex->nonce, strlen(nonce)) != 0)
        return OIDC_BAD_NONCE;
    return OIDC_OK;
}

/* The verified payload as a JSON object, or NULL. */
static json_t *verified_payload(const oidc_token *t, const oidc_key *key, oidc_verdict *v)
{
    cjose_err err;
    uint8_t *plain = NULL;
    size_t plain_len = 0;
    json_t *claims = NULL;
    cjose_jws_t *jws = cjose_jws_import(t->compact, t->len, &err);
    *v = OIDC_MALFORMED;
    if (jws == NULL)
        return NULL;
    if (!cjose_jws_verify(jws, key->jwk, &err))
        *v = OIDC_BAD_SIGNATURE;
    else if (cjose_jws_get_plaintext(jws, &plain, &plain_len, &err))
        claims = json_loadb((const char *)plain, plain_len, JSON_REJECT_DUPLICATES, NULL);
    cjose_jws_release(jws);
    if (claims != NULL && !json_is_object(claims)) {
        json_decref(claims);
        claims = NULL;
    }
    if (claims != NULL)
        *v = OIDC_OK;
    return claims;
}

oidc_verdict oidc_token_verify(const oidc_token *t, const oidc_keys *keys, const oidc_expect *ex,
                               json_t **claims)
{
    const oidc_key *key = find_key(keys, t);
    oidc_verdict v;
    *claims = NULL;
    if (key == NULL)
        return OIDC_UNKNOWN_KEY;
    json_t *payload = verified_payload(t, key, &v);
    if (payload == NULL)
        return v;
    v = check_claims(payload, ex);
    if (v == OIDC_OK)
        *claims = payload;
    else
        json_decref(payload);
    return v;
}
