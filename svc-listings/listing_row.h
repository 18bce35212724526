/* listing_row.h - a listing as the database returns it.
 *
 * Every query that returns listings (reads now; INSERT/UPDATE ... RETURNING
 * for the writes) selects LISTING_COLUMNS first and in this order, so one
 * function maps any of their rows to an rcycle.listings.Listing and the
 * output formats are decided in one place. */
#ifndef SVC_LISTINGS_LISTING_ROW_H
#define SVC_LISTINGS_LISTING_ROW_H

#include <libpq-fe.h>

#include "listings.pb-c.h"

/* Bare column names, so the list also works in RETURNING. Times are
 * formatted in SQL, in UTC, so the session's time zone never shows; the
 * formatted columns keep no alias so that ORDER BY created_at still means
 * the timestamp column (and its index), not the text. */
#define LISTING_COLUMNS                                                                            \
    "id, serial_number, title, category, description, location, condition, department, "           \
    "cpu, ram, storage, ports, other_specs, status, "                                              \
    "to_char(expiration_date, 'YYYY-MM-DD'), created_by, "                                         \
    "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "                   \
    "to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "                   \
    "claim_id"

/* The number of LISTING_COLUMNS; a query's own columns follow them. */
#define LISTING_NCOLUMNS 19

/* Today's date in UTC, whatever the session's time zone: every expiry rule
 * counts UTC days, as listing_expiration_ok does. */
#define UTC_TODAY "(now() AT TIME ZONE 'UTC')::date"

/* Fills *out from one row of a LISTING_COLUMNS result. The strings point
 * into res: keep res until the message has been packed. */
void listing_from_row(const PGresult *res, int row, Rcycle__Listings__Listing *out);

/* The values the schema's CHECK constraints accept, so a bad value is
 * answered as INVALID_ARGUMENT before any query runs. */
int listing_category_valid(const char *category);
int listing_status_valid(const char *status);

#endif
