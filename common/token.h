/* token.h - session tokens, their stored hashes and the CSRF token bound to
 * each session. Randomness and hashing come from libsodium. */
#ifndef RCYCLE_TOKEN_H
#define RCYCLE_TOKEN_H

#include <stddef.h>

/* 256 random bits as unpadded base64url. */
#define TOKEN_TEXT_LEN 43
/* SHA-256 as lower-case hex. */
#define TOKEN_HASH_LEN 64

/* An API token (docs/API.md): a prefix that says what it is (so that a
 * leaked one is easy to spot and the gateway knows where to look it up),
 * then a token's 256 random bits. */
#define API_TOKEN_PREFIX     "rcy_"
#define API_TOKEN_PREFIX_LEN 4
#define API_TOKEN_TEXT_LEN   (API_TOKEN_PREFIX_LEN + TOKEN_TEXT_LEN)

/* Must be called once before any other token function; 0 on success. */
int token_init(void);

void token_generate(char out[TOKEN_TEXT_LEN + 1]);

/* What the database stores instead of the token. */
void token_hash_hex(const char *token, char out[TOKEN_HASH_LEN + 1]);

/* The CSRF token of a session: derived from the session token, so it needs no
 * storage, and unguessable without the token, which the cookie keeps from
 * page scripts (HttpOnly). */
void token_csrf(const char *token, char out[TOKEN_TEXT_LEN + 1]);

/* Constant-time comparison of two NUL-terminated strings; 1 when equal. */
int token_equal(const char *a, const char *b);

/* 1 when s is a well-formed token (length and alphabet). */
int token_well_formed(const char *s, size_t len);

void api_token_generate(char out[API_TOKEN_TEXT_LEN + 1]);

/* 1 when s is a well-formed API token: the prefix, then a token. */
int api_token_well_formed(const char *s, size_t len);

#endif
