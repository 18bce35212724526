/* leaderboard.h - Leaderboard: each department's listings, reuse and the
 * CO2 that reuse saved, ranked. */
#ifndef SVC_LISTINGS_LEADERBOARD_H
#define SVC_LISTINGS_LEADERBOARD_H

#include "rpc.h"

void handle_leaderboard(const rpc_request *req, rpc_reply *reply);

#endif
