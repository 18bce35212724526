/* pgutil.c - reading values out of a libpq result row, and answering a
 * failed query without telling the caller anything about the database. */
#include <stdlib.h>

#include "pgutil.h"

char *row_text(const PGresult *res, int row, int col)
{
    if (PQgetisnull(res, row, col))
        return NULL;
    return PQgetvalue(res, row, col);
}

int64_t row_int64(const PGresult *res, int row, int col)
{
    return strtoll(PQgetvalue(res, row, col), NULL, 10);
}

int row_bool(const PGresult *res, int row, int col)
{
    return PQgetvalue(res, row, col)[0] == 't';
}

void reply_db_error(rpc_reply *reply, rc_status status)
{
    switch (status) {
    case RC_UNAVAILABLE:
        rpc_reply_error(reply, RC_UNAVAILABLE, "the database is unavailable; try again");
        break;
    case RC_DEADLINE_EXCEEDED:
        rpc_reply_error(reply, RC_DEADLINE_EXCEEDED, "the database took too long; try again");
        break;
    case RC_ABORTED:
        rpc_reply_error(reply, RC_ABORTED, "a concurrent change got in the way; try again");
        break;
    default:
        rpc_reply_error(reply, RC_INTERNAL, "internal error");
        break;
    }
}
