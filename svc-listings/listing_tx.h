/* listing_tx.h - changing one existing listing.
 *
 * Every change of an existing listing (edit, withdraw, reserve, release,
 * transfer) runs the same way: one transaction locks the listing's row
 * (SELECT ... FOR UPDATE), decides in C with the row in hand, writes the
 * change and its audit event, and commits. Holding the lock makes each
 * decision race-free: of two concurrent changes, the second one decides on
 * the first one's result. */
#ifndef SVC_LISTINGS_LISTING_TX_H
#define SVC_LISTINGS_LISTING_TX_H

#include <libpq-fe.h>

#include "listings.pb-c.h"
#include "rpc.h"

/* A listing as its locked row holds it. */
typedef struct locked_listing {
    Rcycle__Listings__Listing listing; /* strings point into res */
    int past_expiration;               /* expiration_date is before UTC today */
    PGresult *res;
} locked_listing;

/* Decides and makes the change of one locked listing. Sets the reply (the
 * answer, or a refusal such as FAILED_PRECONDITION) and returns RC_OK, which
 * commits; or returns a database failure, which rolls back and is replied
 * as such. */
typedef rc_status (*listing_change_fn)(const rpc_request *req, const locked_listing *locked,
                                       const void *arg, rpc_reply *reply);

/* Runs change(req, locked, arg, reply) on listing id inside one transaction.
 * An unknown id is answered NOT_FOUND without calling change. */
void listing_tx_run(const rpc_request *req, int64_t id, listing_change_fn change, const void *arg,
                    rpc_reply *reply);

/* Moves the locked listing to status, held by claim_id (0: by none),
 * records the event action (from the old status to the new, naming the
 * claim that holds the listing now or, if none, the one that held it), and
 * replies the listing as it now is. */
rc_status listing_set_status(const rpc_request *req, const locked_listing *locked,
                             const char *action, const char *status, int64_t claim_id,
                             rpc_reply *reply);

/* Records one audit event of a listing, by the request's caller. from_status
 * may be NULL, claim_id 0 for none. */
rc_status listing_record_event(const rpc_request *req, int64_t listing_id, const char *action,
                               const char *from_status, const char *to_status, int64_t claim_id);

/* 1 when the caller may edit or withdraw the listing: a member of its
 * department, or an admin. */
int listing_caller_owns(const Rcycle__Caller *caller, const Rcycle__Listings__Listing *listing);

/* 1 when the listing is available or claimed, the only states in which it
 * may still change hands, be edited or be withdrawn. */
int listing_is_active(const Rcycle__Listings__Listing *listing);

#endif
