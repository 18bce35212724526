/* claims.h - what the files of svc-claims share: the service state, the
 * claim row, the audit event writer, and the calls to svc-listings.
 *
 * A claim spans two services: the claim row lives here, the listing's state
 * in svc-listings. How the two are kept consistent through crashes is
 * described in settle.c, where the invariant is restored. */
#ifndef SVC_CLAIMS_CLAIMS_H
#define SVC_CLAIMS_CLAIMS_H

#include <stdatomic.h>

#include "claims.pb-c.h"
#include "listings.pb-c.h"
#include "rpc_server.h"
#include "service.h"
#include "worker.h"

/* How long a call to svc-listings may take at most; a call made for a
 * request gets less when the request has less left. */
#define LISTINGS_CALL_MS 3000

/* How often the settler runs (settle.c). */
#define SETTLE_PERIOD_MS 1000
#define SETTLE_JITTER_MS 200

typedef struct claims_service {
    rpc_client *listings;
    db_pool *pool;
    worker *settler;
    /* The settler's backlog as its last run measured it, for /metrics:
     * claims that owe svc-listings a step, and the age of the oldest. */
    atomic_llong owed;
    atomic_llong oldest_owed_ms;
} claims_service;

/* A claim as read from the database: the API's Claim (its strings point into
 * the result it was read from) and the columns the API does not show. */
typedef struct claim_row {
    Rcycle__Claims__Claim claim;
    /* What claim.handover points to once the claim is approved. */
    Rcycle__Claims__Handover handover;
    const char *owner_department;
    const char *listing_sync;
} claim_row;

/* The select list every query that returns a claim uses; claim_from_row
 * reads it. */
#define CLAIM_COLUMNS                                                                              \
    "id, listing_id, listing_title, serial_number, category, requesting_department, "              \
    "justification, status, requested_by, claims.rfc3339(requested_at), "                          \
    "claims.rfc3339(owner_approved_at), owner_approved_by, "                                       \
    "claims.rfc3339(security_approved_at), security_approved_by, claims.rfc3339(denied_at), "      \
    "denied_by, denial_reason, owner_department, listing_sync, "                                   \
    "claims.rfc3339(handed_over_at), handed_over_by, claims.rfc3339(received_at), received_by"
#define CLAIM_NCOLUMNS 23

void claim_from_row(const PGresult *res, int row, claim_row *out);

/* Loads the claim with this id as the API knows it (internal states hidden).
 * RC_NOT_FOUND when there is none; *res holds the row on RC_OK. */
rc_status claim_load(const rpc_request *req, int64_t id, PGresult **res, claim_row *out);

/* The claim may be seen by its two departments, security reviewers and
 * admins. */
int claim_visible_to(const claim_row *c, const Rcycle__Caller *caller);

int claim_is_open(const char *status);

/* 1 when the caller belongs to department. */
int claim_caller_in(const Rcycle__Caller *caller, const char *department);

/* ---- listings_client.c ---- */

/* Calls method on svc-listings with request; fills reply (clear it after).
 * req is the request being served, whose id and deadline the call carries,
 * or NULL for the settler's own work; caller may be NULL. */
void listings_call(claims_service *svc, const rpc_request *req,
                   const ProtobufCMethodDescriptor *method, const ProtobufCMessage *request,
                   const Rcycle__Caller *caller, rpc_reply *reply);

/* The three listing steps of a claim; each is idempotent for a claim id. */
void listings_reserve(claims_service *svc, const rpc_request *req, int64_t listing_id,
                      int64_t claim_id, const char *department, const Rcycle__Caller *caller,
                      rpc_reply *reply);
void listings_release(claims_service *svc, const rpc_request *req, int64_t listing_id,
                      int64_t claim_id, rpc_reply *reply);
void listings_transfer(claims_service *svc, const rpc_request *req, int64_t listing_id,
                       int64_t claim_id, rpc_reply *reply);
/* Tells svc-listings that the claim's item was received; idempotent. */
void listings_receive(claims_service *svc, const rpc_request *req, int64_t listing_id,
                      int64_t claim_id, rpc_reply *reply);

/* The ends of a reservation (create.c), shared with the settler. */
rc_status claim_confirm_reserved(db_conn *db, const char *request_id, int64_t claim_id,
                                 const char *note, PGresult **res);
rc_status claim_abandon(db_conn *db, const char *request_id, int64_t claim_id, const char *note);

/* The ends of a transfer and of a release (transitions.c), shared with the
 * settler. claim_cancel closes an open claim whose listing is gone. */
rc_status claim_finish_transfer(db_conn *db, const char *request_id, int64_t claim_id,
                                const char *note, PGresult **res);
rc_status claim_cancel(db_conn *db, const char *request_id, int64_t claim_id, const char *note,
                       PGresult **res);
rc_status claim_release_confirmed(db_conn *db, const char *request_id, int64_t claim_id);

/* Clears the owed receipt step once svc-listings confirmed it (handover.c). */
rc_status claim_receipt_confirmed(db_conn *db, const char *request_id, int64_t claim_id);

/* RPC handlers. */
void claims_create(const rpc_request *req, rpc_reply *reply);
void claims_list(const rpc_request *req, rpc_reply *reply);
void claims_get(const rpc_request *req, rpc_reply *reply);
void claims_list_events(const rpc_request *req, rpc_reply *reply);
void claims_approve(const rpc_request *req, rpc_reply *reply);
void claims_deny(const rpc_request *req, rpc_reply *reply);
void claims_withdraw(const rpc_request *req, rpc_reply *reply);
void claims_hand_over(const rpc_request *req, rpc_reply *reply);
void claims_receive(const rpc_request *req, rpc_reply *reply);
void claims_list_claim_feed(const rpc_request *req, rpc_reply *reply);
void claims_list_handovers_due(const rpc_request *req, rpc_reply *reply);

/* Per method, the listeners that serve it (listeners.c). */
extern const unsigned claims_listeners[RPCI_CLAIMS_COUNT];

/* One round of the settler (settle.c); main.c runs it on a worker every
 * SETTLE_PERIOD_MS. arg is the claims_service. */
void claims_settle(void *arg);

#endif
