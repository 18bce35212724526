/* routes_claims.c - claims, their approval and their audit trail
 * (svc-claims). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_map.h"
#include "router.h"
#include "routes.h"

static void on_claim(gw_exchange *ex, rpc_reply *reply, int status)
{
    if (reply->code != RC_OK) {
        gw_respond_reply_error(ex, reply);
        return;
    }
    Rcycle__Claims__Claim *c =
        (Rcycle__Claims__Claim *)gw_unpack_reply(ex, reply, &rcycle__claims__claim__descriptor);
    if (c == NULL)
        return;
    json_t *body = json_from_claim(c);
    rcycle__claims__claim__free_unpacked(c, NULL);
    gw_respond_json(ex, status, body);
}

static void on_claim_created(gw_exchange *ex, rpc_reply *reply)
{
    on_claim(ex, reply, 201);
}

static void on_claim_ok(gw_exchange *ex, rpc_reply *reply)
{
    on_claim(ex, reply, 200);
}

void route_create_claim(gw_exchange *ex)
{
    char err[JSON_ERR_LEN];
    Rcycle__Claims__CreateClaimRequest req = RCYCLE__CLAIMS__CREATE_CLAIM_REQUEST__INIT;
    int present;
    const char *justification;
    if (json_field_id(ex->body, "listingId", 1, &req.listing_id, &present, err) != 0 ||
        json_field_string(ex->body, "justification", 1, &justification, err) != 0) {
        gw_respond_error(ex, RC_INVALID_ARGUMENT, err);
        return;
    }
    req.justification = (char *)justification;
    gw_call(ex, ex->gw->claims, "CreateClaim", &req.base, on_claim_created);
}

static void on_claims(gw_exchange *ex, rpc_reply *reply)
{
    if (reply->code != RC_OK) {
        gw_respond_reply_error(ex, reply);
        return;
    }
    Rcycle__Claims__ListClaimsReply *r = (Rcycle__Claims__ListClaimsReply *)gw_unpack_reply(
        ex, reply, &rcycle__claims__list_claims_reply__descriptor);
    if (r == NULL)
        return;
    json_t *list = json_array();
    for (size_t i = 0; i < r->n_claims; i++)
        json_array_append_new(list, json_from_claim(r->claims[i]));
    char total[24];
    snprintf(total, sizeof total, "%" PRId64, r->total);
    rcycle__claims__list_claims_reply__free_unpacked(r, NULL);
    gw_add_header(ex, "x-total-count", total);
    gw_respond_json(ex, 200, list);
}

void route_list_claims(gw_exchange *ex)
{
    Rcycle__Claims__ListClaimsRequest req = RCYCLE__CLAIMS__LIST_CLAIMS_REQUEST__INIT;
    req.scope = (char *)query_get(&ex->query, "scope");
    req.status = (char *)query_get(&ex->query, "status");
    const char *listing = query_get(&ex->query, "listingId");
    if (listing != NULL && listing[0] != '\0') {
        if (router_parse_id(listing, strlen(listing), &req.listing_id) != 0) {
            gw_respond_error(ex, RC_INVALID_ARGUMENT, "listingId must be a positive integer");
            return;
        }
        req.has_listing_id = 1;
    }
    if (gw_query_int(ex, "limit", &req.limit, &req.has_limit) != 0 ||
        gw_query_int(ex, "offset", &req.offset, &req.has_offset) != 0)
        return;
    gw_call(ex, ex->gw->claims, "ListClaims", &req.base, on_claims);
}

static void call_with_claim_id(gw_exchange *ex, const char *method, gw_reply_fn fn)
{
    Rcycle__Claims__ClaimIdRequest req = RCYCLE__CLAIMS__CLAIM_ID_REQUEST__INIT;
    req.id = ex->id;
    gw_call(ex, ex->gw->claims, method, &req.base, fn);
}

void route_get_claim(gw_exchange *ex)
{
    call_with_claim_id(ex, "GetClaim", on_claim_ok);
}

void route_approve_claim(gw_exchange *ex)
{
    call_with_claim_id(ex, "ApproveClaim", on_claim_ok);
}

void route_withdraw_claim(gw_exchange *ex)
{
    call_with_claim_id(ex, "WithdrawClaim", on_claim_ok);
}

void route_deny_claim(gw_exchange *ex)
{
    char err[JSON_ERR_LEN];
    const char *reason;
    if (json_field_string(ex->body, "reason", 1, &reason, err) != 0) {
        gw_respond_error(ex, RC_INVALID_ARGUMENT, err);
        return;
    }
    Rcycle__Claims__DenyClaimRequest req = RCYCLE__CLAIMS__DENY_CLAIM_REQUEST__INIT;
    req.id = ex->id;
    req.reason = (char *)reason;
    gw_call(ex, ex->gw->claims, "DenyClaim", &req.base, on_claim_ok);
}

static void on_events(gw_exchange *ex, rpc_reply *reply)
{
    if (reply->code != RC_OK) {
        gw_respond_reply_error(ex, reply);
        return;
    }
    Rcycle__Claims__ListEventsReply *r = (Rcycle__Claims__ListEventsReply *)gw_unpack_reply(
        ex, reply, &rcycle__claims__list_events_reply__descriptor);
    if (r == NULL)
        return;
    json_t *list = json_array();
    for (size_t i = 0; i < r->n_events; i++)
        json_array_append_new(list, json_from_event(r->events[i]));
    rcycle__claims__list_events_reply__free_unpacked(r, NULL);
    gw_respond_json(ex, 200, list);
}

void route_claim_events(gw_exchange *ex)
{
    call_with_claim_id(ex, "ListEvents", on_events);
}
