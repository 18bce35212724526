/* feed.h - ListListingEvents: the listing change feed (listings.events in id
 * order) that svc-claims follows to cancel the claims of listings that were
 * withdrawn or expired. */
#ifndef SVC_LISTINGS_FEED_H
#define SVC_LISTINGS_FEED_H

#include "rpc.h"

void handle_list_listing_events(const rpc_request *req, rpc_reply *reply);

#endif
