/* listings_client.c - the calls svc-claims makes to svc-listings.
 *
 * A call made while serving a request works within that request's deadline
 * (capped at LISTINGS_CALL_MS), so svc-claims never keeps working after the
 * gateway has given up on the request; the settler's own calls get the cap. */
#include "claims.h"

void listings_call(claims_service *svc, const rpc_request *req,
                   const ProtobufCMethodDescriptor *method, const ProtobufCMessage *request,
                   const Rcycle__Caller *caller, rpc_reply *reply)
{
    rpc_call_opts opts = {
        .request_id = req ? req->request_id : NULL,
        .caller = caller,
        .deadline_ms = rpc_callee_deadline(req ? req->deadline_ms : 0, LISTINGS_CALL_MS),
    };
    rpc_call(svc->listings, method, request, &opts, reply);
}

void listings_reserve(claims_service *svc, const rpc_request *req, int64_t listing_id,
                      int64_t claim_id, const char *department, const Rcycle__Caller *caller,
                      rpc_reply *reply)
{
    Rcycle__Listings__ReserveRequest r = RCYCLE__LISTINGS__RESERVE_REQUEST__INIT;
    r.listing_id = listing_id;
    r.claim_id = claim_id;
    r.department = (char *)department;
    listings_call(svc, req, RPC_LISTINGS_RESERVE, &r.base, caller, reply);
}

void listings_release(claims_service *svc, const rpc_request *req, int64_t listing_id,
                      int64_t claim_id, rpc_reply *reply)
{
    Rcycle__Listings__ReleaseRequest r = RCYCLE__LISTINGS__RELEASE_REQUEST__INIT;
    r.listing_id = listing_id;
    r.claim_id = claim_id;
    listings_call(svc, req, RPC_LISTINGS_RELEASE, &r.base, NULL, reply);
}

/* Transfer and Receive name the listing and the claim that holds it. */
static void held_listing_call(claims_service *svc, const rpc_request *req,
                              const ProtobufCMethodDescriptor *method, int64_t listing_id,
                              int64_t claim_id, rpc_reply *reply)
{
    Rcycle__Listings__TransferRequest r = RCYCLE__LISTINGS__TRANSFER_REQUEST__INIT;
    r.listing_id = listing_id;
    r.claim_id = claim_id;
    listings_call(svc, req, method, &r.base, NULL, reply);
}

void listings_transfer(claims_service *svc, const rpc_request *req, int64_t listing_id,
                       int64_t claim_id, rpc_reply *reply)
{
    held_listing_call(svc, req, RPC_LISTINGS_TRANSFER, listing_id, claim_id, reply);
}

void listings_receive(claims_service *svc, const rpc_request *req, int64_t listing_id,
                      int64_t claim_id, rpc_reply *reply)
{
    held_listing_call(svc, req, RPC_LISTINGS_RECEIVE, listing_id, claim_id, reply);
}
