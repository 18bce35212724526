/* token.c - session tokens, their stored hashes and their CSRF tokens.
 *
 * A token is 256 bits from the system CSPRNG, written as unpadded base64url
 * so it fits a cookie and a header unchanged. The database keeps only its
 * SHA-256, so a leaked table gives no working session; a plain hash is enough
 * there because the input has 256 bits of entropy (no dictionary to try).
 *
 * The CSRF token is BLAKE2b-256 of "rcycle-csrf:" followed by the session
 * token. That needs no key and no storage and is still sound: a forging site
 * would have to know the CSRF token, which it can only compute from the
 * session token, and the session token lives in an HttpOnly cookie that no
 * page script can read and is too long to guess. The hash being one-way, a
 * CSRF token seen by page scripts does not give the session token back, and
 * the prefix keeps it from matching any other hash of the token (such as the
 * stored SHA-256). */
#include "token.h"

#include <string.h>

#include <sodium.h>

#define TOKEN_BYTES 32

static const char csrf_prefix[] = "rcycle-csrf:";

_Static_assert(sodium_base64_ENCODED_LEN(TOKEN_BYTES, sodium_base64_VARIANT_URLSAFE_NO_PADDING) ==
                   TOKEN_TEXT_LEN + 1,
               "TOKEN_TEXT_LEN must be the base64url length of TOKEN_BYTES");
_Static_assert(crypto_hash_sha256_BYTES * 2 == TOKEN_HASH_LEN,
               "TOKEN_HASH_LEN must be the hex length of a SHA-256");

int token_init(void)
{
    return sodium_init() >= 0 ? 0 : -1;
}

static void encode_token(const unsigned char bytes[TOKEN_BYTES], char out[TOKEN_TEXT_LEN + 1])
{
    sodium_bin2base64(out, TOKEN_TEXT_LEN + 1, bytes, TOKEN_BYTES,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

void token_generate(char out[TOKEN_TEXT_LEN + 1])
{
    unsigned char bytes[TOKEN_BYTES];
    randombytes_buf(bytes, sizeof bytes);
    encode_token(bytes, out);
    sodium_memzero(bytes, sizeof bytes);
}

void token_hash_hex(const char *token, char out[TOKEN_HASH_LEN + 1])
{
    unsigned char hash[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(hash, (const unsigned char *)token, strlen(token));
    sodium_bin2hex(out, TOKEN_HASH_LEN + 1, hash, sizeof hash);
}

void token_csrf(const char *token, char out[TOKEN_TEXT_LEN + 1])
{
    unsigned char hash[TOKEN_BYTES];
    crypto_generichash_state state;
    crypto_generichash_init(&state, NULL, 0, sizeof hash);
    crypto_generichash_update(&state, (const unsigned char *)csrf_prefix, sizeof csrf_prefix - 1);
    crypto_generichash_update(&state, (const unsigned char *)token, strlen(token));
    crypto_generichash_final(&state, hash, sizeof hash);
    encode_token(hash, out);
    sodium_memzero(&state, sizeof state);
}

int token_equal(const char *a, const char *b)
{
    if (!a || !b)
        return 0;
    /* The lengths are public (every token has the same one); only the
     * content must not leak through timing. */
    size_t len = strlen(a);
    if (strlen(b) != len)
        return 0;
    return sodium_memcmp(a, b, len) == 0;
}

void api_token_generate(char out[API_TOKEN_TEXT_LEN + 1])
{
    memcpy(out, API_TOKEN_PREFIX, API_TOKEN_PREFIX_LEN);
    token_generate(out + API_TOKEN_PREFIX_LEN);
}

int api_token_well_formed(const char *s, size_t len)
{
    return s != NULL && len == API_TOKEN_TEXT_LEN &&
           memcmp(s, API_TOKEN_PREFIX, API_TOKEN_PREFIX_LEN) == 0 &&
           token_well_formed(s + API_TOKEN_PREFIX_LEN, TOKEN_TEXT_LEN);
}

int token_well_formed(const char *s, size_t len)
{
    if (!s || len != TOKEN_TEXT_LEN)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        int ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                 c == '-' || c == '_';
        if (!ok)
            return 0;
    }
    return 1;
}
