/* routes_claims.c - claims, their approval and their audit trail
 * (svc-claims). */
#include <string.h>

#include "json_map.h"
#include "router.h"
#include "routes.h"

static json_t *claim_body(gw_exchange *ex, const ProtobufCMessage *msg, void *arg)
{
    (void)ex, (void)arg;
    return json_from_claim((const Rcycle__Claims__Claim *)msg);
}

static json_t *event_body(gw_exchange *ex, const ProtobufCMessage *msg, void *arg)
{
    (void)ex, (void)arg;
    return json_from_event((const Rcycle__Claims__Event *)msg);
}

static const gw_view claim_view = {.status = 200, .to_json = claim_body};
static const gw_view created_view = {.status = 201, .to_json = claim_body};
static const gw_view claims_view = {.status = 200, .item = claim_body};
static const gw_view events_view = {.status = 200, .item = event_body};

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
    gw_call(ex, ex->gw->claims, RPC_CLAIMS_CREATE_CLAIM, &req.base, &created_view, NULL);
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
    gw_call(ex, ex->gw->claims, RPC_CLAIMS_LIST_CLAIMS, &req.base, &claims_view, NULL);
}

/* The claim routes whose only input is the path's id. */
static void call_with_claim_id(gw_exchange *ex, const ProtobufCMethodDescriptor *method,
                               const gw_view *view)
{
    Rcycle__Claims__ClaimIdRequest req = RCYCLE__CLAIMS__CLAIM_ID_REQUEST__INIT;
    req.id = ex->id;
    gw_call(ex, ex->gw->claims, method, &req.base, view, NULL);
}

void route_get_claim(gw_exchange *ex)
{
    call_with_claim_id(ex, RPC_CLAIMS_GET_CLAIM, &claim_view);
}

void route_approve_claim(gw_exchange *ex)
{
    call_with_claim_id(ex, RPC_CLAIMS_APPROVE_CLAIM, &claim_view);
}

void route_withdraw_claim(gw_exchange *ex)
{
    call_with_claim_id(ex, RPC_CLAIMS_WITHDRAW_CLAIM, &claim_view);
}

void route_hand_over_claim(gw_exchange *ex)
{
    call_with_claim_id(ex, RPC_CLAIMS_HAND_OVER_CLAIM, &claim_view);
}

void route_receive_claim(gw_exchange *ex)
{
    call_with_claim_id(ex, RPC_CLAIMS_RECEIVE_CLAIM, &claim_view);
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
    gw_call(ex, ex->gw->claims, RPC_CLAIMS_DENY_CLAIM, &req.base, &claim_view, NULL);
}

void route_claim_events(gw_exchange *ex)
{
    call_with_claim_id(ex, RPC_CLAIMS_LIST_EVENTS, &events_view);
}
