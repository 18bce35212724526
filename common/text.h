/* text.h - checks of user-supplied text that every service makes: valid
 * UTF-8 and a length counted in characters, as the schema's CHECKs count. */
#ifndef RCYCLE_TEXT_H
#define RCYCLE_TEXT_H

#include "rpc.h"

#include <stddef.h>

/* The length of the well-formed UTF-8 sequence at s, which has left bytes,
 * or 0 when none starts there. */
size_t text_utf8_seq_len(const char *s, size_t left);

/* 1 when s[0..len) is well-formed UTF-8 without NUL bytes. */
int text_utf8_valid(const char *s, size_t len);

/* The number of characters in s, or -1 when s is not valid UTF-8. */
long text_utf8_chars(const char *s);

/* 1 when s is valid UTF-8 of min..max characters; otherwise sets
 * INVALID_ARGUMENT naming field and returns 0. */
int text_field_ok(rpc_reply *reply, const char *field, const char *s, long min, long max);

/* 1 when s holds nothing but spaces, tabs and line breaks. */
int text_blank(const char *s);

/* 1 when s has the shape of an RFC 3339 date-time (2026-12-02T01:02:03Z,
 * fractions and offsets allowed); the database checks the values. */
int text_is_rfc3339(const char *s);

#endif
