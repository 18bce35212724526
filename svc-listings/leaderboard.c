/* leaderboard.c - Leaderboard: per department that has listings, the items
 * it posted (not withdrawn), the items reused (approved), those of them
 * received (svc-claims tells, holds.c), the CO2 their reuse saved and the CO2 all its posted items
 * could save, ranked by saved CO2, then potential CO2, then department name, so that ties still get
 * distinct, stable ranks. */
#include <stdlib.h>

#include "listings.h"
#include "listings.pb-c.h"

/* The CO2 per item by category is docs/API.md's. */
static const db_stmt leaderboard = {
    "listings_leaderboard",
    "WITH items AS ("
    " SELECT department, status, received_at IS NOT NULL AS received, CASE category WHEN 'Server' "
    "THEN 1300"
    " WHEN 'Networking' THEN 300 WHEN 'Storage' THEN 800 END AS co2_kg"
    " FROM listings.listings), "
    "departments AS ("
    " SELECT department,"
    " count(*) FILTER (WHERE status <> 'withdrawn') AS posted,"
    " count(*) FILTER (WHERE status = 'approved') AS claimed,"
    " count(*) FILTER (WHERE status = 'approved' AND received) AS received,"
    " coalesce(sum(co2_kg) FILTER (WHERE status = 'approved' AND received), 0) AS received_kg,"
    " coalesce(sum(co2_kg) FILTER (WHERE status = 'approved'), 0) AS saved_kg,"
    " coalesce(sum(co2_kg) FILTER (WHERE status <> 'withdrawn'), 0) AS potential_kg"
    " FROM items GROUP BY department) "
    "SELECT department, posted, claimed, saved_kg, potential_kg, received, received_kg,"
    " row_number() OVER (ORDER BY saved_kg DESC, potential_kg DESC, department) AS rank"
    " FROM departments ORDER BY rank",
    0,
};

enum leaderboard_column {
    COL_DEPARTMENT,
    COL_POSTED,
    COL_CLAIMED,
    COL_SAVED_KG,
    COL_POTENTIAL_KG,
    COL_RECEIVED,
    COL_RECEIVED_KG,
    COL_RANK,
};

/* A db_row_fill. */
static void entry_from_row(const PGresult *res, int row, void *item)
{
    Rcycle__Listings__LeaderboardEntry *out = item;
    rcycle__listings__leaderboard_entry__init(out);
    out->department = db_text(res, row, COL_DEPARTMENT);
    out->items_posted = db_int64(res, row, COL_POSTED);
    out->items_claimed = db_int64(res, row, COL_CLAIMED);
    out->total_co2_saved_kg = strtod(PQgetvalue(res, row, COL_SAVED_KG), NULL);
    out->potential_co2_kg = strtod(PQgetvalue(res, row, COL_POTENTIAL_KG), NULL);
    out->has_items_received = out->has_received_co2_kg = 1;
    out->items_received = db_int64(res, row, COL_RECEIVED);
    out->received_co2_kg = strtod(PQgetvalue(res, row, COL_RECEIVED_KG), NULL);
    out->rank = (int32_t)db_int64(res, row, COL_RANK);
}

static void reply_leaderboard(const PGresult *res, rpc_reply *reply)
{
    Rcycle__Listings__LeaderboardReply out = RCYCLE__LISTINGS__LEADERBOARD_REPLY__INIT;
    rpc_reply_rows(reply, &out.base, res, sizeof(Rcycle__Listings__LeaderboardEntry),
                   entry_from_row);
}

void listings_leaderboard(const rpc_request *req, rpc_reply *reply)
{
    PGresult *res;
    rc_status status = db_exec(req->db, &leaderboard, NULL, req->request_id, &res);
    if (status != RC_OK) {
        rpc_reply_db_error(reply, status);
        return;
    }
    reply_leaderboard(res, reply);
    PQclear(res);
}
