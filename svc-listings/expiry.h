/* expiry.h - the expiry sweeper: a thread that every few seconds turns each
 * available or claimed listing whose expiration date has passed into
 * expired, with an 'expired' event that names the claim that held it, from
 * which svc-claims cancels that claim. */
#ifndef SVC_LISTINGS_EXPIRY_H
#define SVC_LISTINGS_EXPIRY_H

#include "db.h"

typedef struct expiry_sweeper expiry_sweeper;

/* Starts sweeping with connections borrowed from pool. NULL, after logging
 * why, when the thread cannot start. */
expiry_sweeper *expiry_start(db_pool *pool);

/* Stops the thread (at once when idle; after the sweep when one runs) and
 * frees it. */
void expiry_stop(expiry_sweeper *s);

#endif
