/* listing_fields.h - the checks of the fields a listing is created or edited
 * with, shared by CreateListing and UpdateListing, so that a bad value is
 * answered as INVALID_ARGUMENT naming the field (as API.md names it) before
 * any query runs, and never reaches a CHECK constraint as an INTERNAL error. */
#ifndef SVC_LISTINGS_LISTING_FIELDS_H
#define SVC_LISTINGS_LISTING_FIELDS_H

#include "rpc.h"

#define LISTING_TITLE_MAX_CHARS 200
#define LISTING_TEXT_MAX_CHARS  2000
/* How far ahead an expiration date may be (API.md). */
#define LISTING_MAX_DAYS_AHEAD 365

/* Trims surrounding white space in place (the request is ours to change).
 * Returns NULL for NULL, or when nothing is left: API.md shows unset text as
 * null, so an empty string is never stored. */
char *listing_text_normalize(char *s);

/* 1 when s (already normalized; NULL is fine unless required) is valid
 * UTF-8 of at most max_chars characters; otherwise replies
 * INVALID_ARGUMENT and returns 0. */
int listing_text_ok(const char *field, const char *s, int required, long max_chars,
                    rpc_reply *reply);

/* 1 when condition is NULL or one of Excellent, Good, Fair. */
int listing_condition_ok(const char *condition, rpc_reply *reply);

/* 1 when category is one of Server, Networking, Storage. */
int listing_category_ok(const char *category, rpc_reply *reply);

/* 1 when date is a real calendar date written YYYY-MM-DD, after today and at
 * most LISTING_MAX_DAYS_AHEAD days ahead. Days are UTC days, as the expiry
 * sweeper's UTC_TODAY counts them. */
int listing_expiration_ok(const char *date, rpc_reply *reply);

#endif
