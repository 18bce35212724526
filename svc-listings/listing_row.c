/* listing_row.c - mapping a LISTING_COLUMNS row to an rcycle.listings.Listing,
 * and the values of a listing's enumerated columns. */
#include <string.h>

#include "listings.h"
#include "db.h"

/* The positions of LISTING_COLUMNS; keep the two in the same order. */
enum listing_column {
    COL_ID,
    COL_SERIAL_NUMBER,
    COL_TITLE,
    COL_CATEGORY,
    COL_DESCRIPTION,
    COL_LOCATION,
    COL_CONDITION,
    COL_DEPARTMENT,
    COL_CPU,
    COL_RAM,
    COL_STORAGE,
    COL_PORTS,
    COL_OTHER_SPECS,
    COL_STATUS,
    COL_EXPIRATION_DATE,
    COL_CREATED_BY,
    COL_CREATED_AT,
    COL_UPDATED_AT,
    COL_CLAIM_ID,
};
_Static_assert(COL_CLAIM_ID + 1 == LISTING_NCOLUMNS, "LISTING_NCOLUMNS counts LISTING_COLUMNS");

void listing_from_row(const PGresult *res, int row, Rcycle__Listings__Listing *out)
{
    rcycle__listings__listing__init(out);
    out->id = db_int64(res, row, COL_ID);
    out->serial_number = db_text(res, row, COL_SERIAL_NUMBER);
    out->title = db_text(res, row, COL_TITLE);
    out->category = db_text(res, row, COL_CATEGORY);
    out->description = db_text(res, row, COL_DESCRIPTION);
    out->location = db_text(res, row, COL_LOCATION);
    out->condition = db_text(res, row, COL_CONDITION);
    out->department = db_text(res, row, COL_DEPARTMENT);
    out->cpu = db_text(res, row, COL_CPU);
    out->ram = db_text(res, row, COL_RAM);
    out->storage = db_text(res, row, COL_STORAGE);
    out->ports = db_text(res, row, COL_PORTS);
    out->other_specs = db_text(res, row, COL_OTHER_SPECS);
    out->status = db_text(res, row, COL_STATUS);
    out->expiration_date = db_text(res, row, COL_EXPIRATION_DATE);
    out->created_by = db_text(res, row, COL_CREATED_BY);
    out->created_at = db_text(res, row, COL_CREATED_AT);
    out->updated_at = db_text(res, row, COL_UPDATED_AT);
    if (!PQgetisnull(res, row, COL_CLAIM_ID)) {
        out->has_claim_id = 1;
        out->claim_id = db_int64(res, row, COL_CLAIM_ID);
    }
}

static int one_of(const char *s, const char *const *values)
{
    for (; *values != NULL; values++)
        if (strcmp(s, *values) == 0)
            return 1;
    return 0;
}

int listing_category_valid(const char *category)
{
    static const char *const categories[] = {"Server", "Networking", "Storage", NULL};
    return one_of(category, categories);
}

int listing_status_valid(const char *status)
{
    static const char *const statuses[] = {"available", "claimed",   "approved",
                                           "expired",   "withdrawn", NULL};
    return one_of(status, statuses);
}
