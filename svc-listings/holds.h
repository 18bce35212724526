/* holds.h - the RPCs svc-claims uses to hold a listing for a claim:
 * Reserve (available -> claimed), Release (claimed -> available, or expired
 * once its date has passed) and Transfer (claimed -> approved). Each names
 * the claim it acts for and is idempotent: a retry is answered as the first
 * call was, so svc-claims may repeat any of them until it hears back. */
#ifndef SVC_LISTINGS_HOLDS_H
#define SVC_LISTINGS_HOLDS_H

#include "rpc.h"

void handle_reserve(const rpc_request *req, rpc_reply *reply);
void handle_release(const rpc_request *req, rpc_reply *reply);
void handle_transfer(const rpc_request *req, rpc_reply *reply);

#endif
