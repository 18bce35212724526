/* json_map.c - protobuf <-> JSON for the REST API, with jansson. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_map.h"

/* A string or JSON null: docs/API.md's optional text fields. */
static json_t *string_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

static json_t *string_array(char **items, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(items[i]));
    return a;
}

json_t *json_from_user(const Rcycle__Users__User *u)
{
    return json_pack("{s:I, s:s, s:s, s:s, s:o, s:b, s:s, s:b}", "id", (json_int_t)u->id, "email",
                     u->email, "name", u->name, "department", u->department, "roles",
                     string_array(u->roles, u->n_roles), "active", u->active, "authSource",
                     u->auth_source, "emailNotifications", u->email_notifications);
}

json_t *json_from_listing(const Rcycle__Listings__Listing *l)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(l->id));
    json_object_set_new(o, "serialNumber", json_string(l->serial_number));
    json_object_set_new(o, "title", json_string(l->title));
    json_object_set_new(o, "category", json_string(l->category));
    json_object_set_new(o, "description", string_or_null(l->description));
    json_object_set_new(o, "location", string_or_null(l->location));
    json_object_set_new(o, "condition", string_or_null(l->condition));
    json_object_set_new(o, "department", json_string(l->department));
    json_object_set_new(o, "cpu", string_or_null(l->cpu));
    json_object_set_new(o, "ram", string_or_null(l->ram));
    json_object_set_new(o, "storage", string_or_null(l->storage));
    json_object_set_new(o, "ports", string_or_null(l->ports));
    json_object_set_new(o, "otherSpecs", string_or_null(l->other_specs));
    json_object_set_new(o, "status", json_string(l->status));
    json_object_set_new(o, "expirationDate", json_string(l->expiration_date));
    json_object_set_new(o, "createdBy", json_string(l->created_by));
    json_object_set_new(o, "createdAt", json_string(l->created_at));
    json_object_set_new(o, "updatedAt", json_string(l->updated_at));
    return o;
}

json_t *json_from_hardware(const Rcycle__Listings__Hardware *h)
{
    json_t *specs = json_object();
    json_object_set_new(specs, "cpu", string_or_null(h->cpu));
    json_object_set_new(specs, "ram", string_or_null(h->ram));
    json_object_set_new(specs, "storage", string_array(h->storage, h->n_storage));
    json_object_set_new(specs, "ports", string_or_null(h->ports));
    json_object_set_new(specs, "other", string_or_null(h->other));
    json_t *o = json_object();
    json_object_set_new(o, "serialNumber", json_string(h->serial_number));
    json_object_set_new(o, "manufacturer", json_string(h->manufacturer));
    json_object_set_new(o, "model", json_string(h->model));
    json_object_set_new(o, "category", json_string(h->category));
    json_object_set_new(o, "specs", specs);
    json_object_set_new(o, "hasStorageMedia", json_boolean(h->has_storage_media));
    json_object_set_new(o, "found", json_true());
    return o;
}

/* Rounds to the given number of decimals, as docs/API.md asks for trees and
 * pandas. */
static json_t *rounded(double v, int decimals)
{
    double scale = pow(10.0, decimals);
    return json_real(round(v * scale) / scale);
}

json_t *json_from_leaderboard_entry(const Rcycle__Listings__LeaderboardEntry *e)
{
    json_t *o = json_object();
    json_object_set_new(o, "department", json_string(e->department));
    json_object_set_new(o, "itemsPosted", json_integer(e->items_posted));
    json_object_set_new(o, "itemsClaimed", json_integer(e->items_claimed));
    json_object_set_new(o, "totalCO2SavedKg", json_real(e->total_co2_saved_kg));
    json_object_set_new(o, "totalTreesEquivalent", rounded(e->total_co2_saved_kg / 22.0, 1));
    json_object_set_new(o, "totalPandasProtected", rounded(e->total_co2_saved_kg / 40000.0, 4));
    json_object_set_new(o, "potentialCO2Kg", json_real(e->potential_co2_kg));
    json_object_set_new(o, "itemsReceived", json_integer(e->items_received));
    json_object_set_new(o, "receivedCO2Kg", json_real(e->received_co2_kg));
    json_object_set_new(o, "rank", json_integer(e->rank));
    return o;
}

static json_t *json_from_handover(const Rcycle__Claims__Handover *h)
{
    if (h == NULL)
        return json_null();
    json_t *o = json_object();
    json_object_set_new(o, "state", json_string(h->state));
    json_object_set_new(o, "handedOverAt", string_or_null(h->handed_over_at));
    json_object_set_new(o, "handedOverBy", string_or_null(h->handed_over_by));
    json_object_set_new(o, "receivedAt", string_or_null(h->received_at));
    json_object_set_new(o, "receivedBy", string_or_null(h->received_by));
    return o;
}

json_t *json_from_claim(const Rcycle__Claims__Claim *c)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(c->id));
    json_object_set_new(o, "listingId", json_integer(c->listing_id));
    json_object_set_new(o, "listingTitle", json_string(c->listing_title));
    json_object_set_new(o, "serialNumber", json_string(c->serial_number));
    json_object_set_new(o, "category", json_string(c->category));
    json_object_set_new(o, "requestingDepartment", json_string(c->requesting_department));
    json_object_set_new(o, "justification", json_string(c->justification));
    json_object_set_new(o, "status", json_string(c->status));
    json_object_set_new(o, "requestedBy", json_string(c->requested_by));
    json_object_set_new(o, "requestedAt", json_string(c->requested_at));
    json_object_set_new(o, "ownerApprovedAt", string_or_null(c->owner_approved_at));
    json_object_set_new(o, "ownerApprovedBy", string_or_null(c->owner_approved_by));
    json_object_set_new(o, "securityApprovedAt", string_or_null(c->security_approved_at));
    json_object_set_new(o, "securityApprovedBy", string_or_null(c->security_approved_by));
    json_object_set_new(o, "deniedAt", string_or_null(c->denied_at));
    json_object_set_new(o, "deniedBy", string_or_null(c->denied_by));
    json_object_set_new(o, "denialReason", string_or_null(c->denial_reason));
    json_object_set_new(o, "handover", json_from_handover(c->handover));
    return o;
}

json_t *json_from_event(const Rcycle__Claims__Event *e)
{
    json_t *o = json_object();
    json_object_set_new(o, "at", json_string(e->at));
    json_object_set_new(o, "actorId", e->has_actor_id ? json_integer(e->actor_id) : json_null());
    json_object_set_new(o, "actorDepartment", string_or_null(e->actor_department));
    json_object_set_new(o, "actorEmail", string_or_null(e->actor_email));
    json_object_set_new(o, "actorName", string_or_null(e->actor_name));
    json_object_set_new(o, "action", json_string(e->action));
    json_object_set_new(o, "fromStatus", string_or_null(e->from_status));
    json_object_set_new(o, "toStatus", string_or_null(e->to_status));
    json_object_set_new(o, "note", string_or_null(e->note));
    return o;
}

json_t *json_from_audit_event(const Rcycle__AuditEvent *e)
{
    json_t *o = json_object();
    json_object_set_new(o, "chain", json_string(e->chain));
    json_object_set_new(o, "seq", json_integer(e->seq));
    json_object_set_new(o, "at", json_string(e->at));
    json_object_set_new(o, "actorId", e->has_actor_id ? json_integer(e->actor_id) : json_null());
    json_object_set_new(o, "actorEmail", string_or_null(e->actor_email));
    json_object_set_new(o, "actorDepartment", string_or_null(e->actor_department));
    json_object_set_new(o, "entity", json_string(e->entity));
    json_object_set_new(o, "entityId", string_or_null(e->entity_id));
    json_object_set_new(o, "action", json_string(e->action));
    json_object_set_new(o, "fromStatus", string_or_null(e->from_status));
    json_object_set_new(o, "toStatus", string_or_null(e->to_status));
    json_object_set_new(o, "note", string_or_null(e->note));
    json_object_set_new(o, "hash", json_string(e->hash));
    json_object_set_new(o, "prevHash", json_string(e->prev_hash));
    return o;
}

int json_field_string(json_t *obj, const char *key, int required, const char **out,
                      char err[JSON_ERR_LEN])
{
    json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (v == NULL || json_is_null(v)) {
        if (required) {
            snprintf(err, JSON_ERR_LEN, "%s is required", key);
            return -1;
        }
        return 0;
    }
    if (!json_is_string(v)) {
        snprintf(err, JSON_ERR_LEN, "%s must be a string", key);
        return -1;
    }
    if (required && json_string_length(v) == 0) {
        snprintf(err, JSON_ERR_LEN, "%s is required", key);
        return -1;
    }
    *out = json_string_value(v);
    return 0;
}

int json_field_patch_string(json_t *obj, const char *key, int *present, const char **out,
                            char err[JSON_ERR_LEN])
{
    json_t *v = json_object_get(obj, key);
    *present = v != NULL;
    *out = NULL;
    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_string(v)) {
        snprintf(err, JSON_ERR_LEN, "%s must be a string or null", key);
        return -1;
    }
    *out = json_string_value(v);
    return 0;
}

int json_field_id(json_t *obj, const char *key, int required, int64_t *out, int *present,
                  char err[JSON_ERR_LEN])
{
    json_t *v = json_object_get(obj, key);
    *present = 0;
    if (v == NULL || json_is_null(v)) {
        if (required) {
            snprintf(err, JSON_ERR_LEN, "%s is required", key);
            return -1;
        }
        return 0;
    }
    if (!json_is_integer(v) || json_integer_value(v) <= 0) {
        snprintf(err, JSON_ERR_LEN, "%s must be a positive integer", key);
        return -1;
    }
    *out = json_integer_value(v);
    *present = 1;
    return 0;
}

int json_field_bool(json_t *obj, const char *key, int *out, int *present, char err[JSON_ERR_LEN])
{
    json_t *v = json_object_get(obj, key);
    *present = 0;
    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_boolean(v)) {
        snprintf(err, JSON_ERR_LEN, "%s must be true or false", key);
        return -1;
    }
    *out = json_is_true(v);
    *present = 1;
    return 0;
}

int json_field_string_list(json_t *obj, const char *key, const char ***out, size_t *n,
                           char err[JSON_ERR_LEN])
{
    json_t *v = json_object_get(obj, key);
    *out = NULL;
    *n = 0;
    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_array(v)) {
        snprintf(err, JSON_ERR_LEN, "%s must be an array of strings", key);
        return -1;
    }
    size_t count = json_array_size(v);
    const char **items = calloc(count ? count : 1, sizeof *items);
    if (items == NULL)
        abort();
    for (size_t i = 0; i < count; i++) {
        json_t *item = json_array_get(v, i);
        if (!json_is_string(item)) {
            free(items);
            snprintf(err, JSON_ERR_LEN, "%s must be an array of strings", key);
            return -1;
        }
        items[i] = json_string_value(item);
    }
    *out = items;
    *n = count;
    return 0;
}

/* Found without parsing: every JSON value but the first follows a '[', ','
 * or ':', so their count bounds the number of values (bytes inside strings
 * only add to it), and the text bounds the strings. (While it parses,
 * jansson's lexer also needs up to twice the longest string; parses run one
 * at a time on the loop thread.) jansson cannot be stopped halfway instead:
 * it mishandles an allocation that fails inside a long string. */
size_t json_parse_cost(const char *body, size_t len)
{
    size_t values = 1;
    for (size_t i = 0; i < len; i++)
        if (body[i] == '[' || body[i] == ',' || body[i] == ':')
            values++;
    return values * JSON_VALUE_COST + len;
}

json_t *json_parse_object(const char *body, size_t len, size_t budget, size_t *cost,
                          char err[JSON_ERR_LEN])
{
    json_error_t jerr;
    *cost = json_parse_cost(body, len);
    if (*cost > budget) {
        snprintf(err, JSON_ERR_LEN, "request body takes too much memory to decode");
        return NULL;
    }
    /* Duplicate keys are refused: which one a later reader sees would be a
     * guess. NUL escapes are refused by default (JSON_ALLOW_NUL unset). */
    json_t *v = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
    if (v == NULL) {
        snprintf(err, JSON_ERR_LEN, "request body is not valid JSON");
        return NULL;
    }
    if (!json_is_object(v)) {
        json_decref(v);
        snprintf(err, JSON_ERR_LEN, "request body must be a JSON object");
        return NULL;
    }
    return v;
}

json_t *json_from_mail(const Rcycle__Users__MailMessage *m)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(m->id));
    json_object_set_new(o, "notificationId",
                        m->has_notification_id ? json_integer(m->notification_id) : json_null());
    json_object_set_new(o, "userId", json_integer(m->user_id));
    json_object_set_new(o, "email", json_string(m->email));
    json_object_set_new(o, "subject", json_string(m->subject));
    json_object_set_new(o, "state", json_string(m->state));
    json_object_set_new(o, "attempts", json_integer(m->attempts));
    json_object_set_new(o, "createdAt", json_string(m->created_at));
    json_object_set_new(o, "nextAttemptAt", string_or_null(m->next_attempt_at));
    json_object_set_new(o, "sentAt", string_or_null(m->sent_at));
    json_object_set_new(o, "lastError", string_or_null(m->last_error));
    return o;
}
