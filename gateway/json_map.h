/* json_map.h - the JSON shapes of docs/API.md, to and from the protobuf messages.
 *
 * The to-JSON functions return a new reference the caller owns. The field
 * readers check one field of a request body: absent or null gives NULL (or
 * 0 for "not present"), a value of the wrong type is an error whose message
 * names the field. Pure functions, unit-tested without a server. */
#ifndef RCYCLE_GATEWAY_JSON_MAP_H
#define RCYCLE_GATEWAY_JSON_MAP_H

#include <stdint.h>

#include <jansson.h>

#include "claims.pb-c.h"
#include "listings.pb-c.h"
#include "users.pb-c.h"

#define JSON_ERR_LEN 160

json_t *json_from_user(const Rcycle__Users__User *u);
/* An outbox row for the admin's view (GET /api/admin/mail). */
json_t *json_from_mail(const Rcycle__Users__MailMessage *m);
json_t *json_from_listing(const Rcycle__Listings__Listing *l);
json_t *json_from_hardware(const Rcycle__Listings__Hardware *h);
json_t *json_from_leaderboard_entry(const Rcycle__Listings__LeaderboardEntry *e);
json_t *json_from_claim(const Rcycle__Claims__Claim *c);
json_t *json_from_event(const Rcycle__Claims__Event *e);
/* An audit event as GET /api/audit and the export give it; every field is
 * present, null when the event has no value (docs/AUDIT.md). */
json_t *json_from_audit_event(const Rcycle__AuditEvent *e);

/* A string field: *out is the value (owned by obj) or NULL when absent or
 * null. Returns 0, or -1 with err set (wrong type, or absent when required,
 * or empty when required). */
int json_field_string(json_t *obj, const char *key, int required, const char **out,
                      char err[JSON_ERR_LEN]);

/* A string field of a PATCH body: absent gives *present 0; JSON null gives
 * *present 1 and *out NULL (clear the value); a string gives *present 1 and
 * *out (owned by obj). Returns 0, or -1 with err set for any other type. */
int json_field_patch_string(json_t *obj, const char *key, int *present, const char **out,
                            char err[JSON_ERR_LEN]);

/* A positive integer id field. Returns 0 with *present set, or -1 with err. */
int json_field_id(json_t *obj, const char *key, int required, int64_t *out, int *present,
                  char err[JSON_ERR_LEN]);

/* A boolean field. Returns 0 with *present set (0 when absent or null), or
 * -1 with err for any other type. */
int json_field_bool(json_t *obj, const char *key, int *out, int *present, char err[JSON_ERR_LEN]);

/* A list of strings. *out is a new array of pointers into obj (free() the
 * array only) and *n its length; NULL/0 when absent. */
int json_field_string_list(json_t *obj, const char *key, const char ***out, size_t *n,
                           char err[JSON_ERR_LEN]);

/* The most memory a body's JSON tree may take, some ten times what the
 * largest body a route can use needs (its text fields are at most 2000
 * characters), and what one value costs at most in jansson 2.14 (measured:
 * some 330 bytes for an empty object with its hash table, key and slot in
 * the parent; 240 in an array, 140 for a number). */
#define JSON_PARSE_MAX  ((size_t)2 * 1024 * 1024)
#define JSON_VALUE_COST 384

/* An upper bound of the memory jansson's tree of body would hold. */
size_t json_parse_cost(const char *body, size_t len);

/* Parses a request body that must be a JSON object, when *cost (set to
 * json_parse_cost) is at most budget. NULL with err set when it is over, or
 * not valid JSON (invalid UTF-8 and NUL escapes included) or not an object. */
json_t *json_parse_object(const char *body, size_t len, size_t budget, size_t *cost,
                          char err[JSON_ERR_LEN]);

#endif
