/* listings.h - the RPCs that read listings: ListListings and GetListing. */
#ifndef SVC_LISTINGS_LISTINGS_H
#define SVC_LISTINGS_LISTINGS_H

#include "rpc.h"

void handle_list_listings(const rpc_request *req, rpc_reply *reply);
void handle_get_listing(const rpc_request *req, rpc_reply *reply);

#endif
