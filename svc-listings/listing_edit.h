/* listing_edit.h - the RPCs a department uses on its own listings:
 * CreateListing (listing_create.c), UpdateListing and WithdrawListing
 * (listing_edit.c). */
#ifndef SVC_LISTINGS_LISTING_EDIT_H
#define SVC_LISTINGS_LISTING_EDIT_H

#include "rpc.h"

void handle_create_listing(const rpc_request *req, rpc_reply *reply);
void handle_update_listing(const rpc_request *req, rpc_reply *reply);
void handle_withdraw_listing(const rpc_request *req, rpc_reply *reply);

#endif
