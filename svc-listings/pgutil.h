/* pgutil.h - reading values out of a libpq result row, and answering a
 * failed query without telling the caller anything about the database. */
#ifndef SVC_LISTINGS_PGUTIL_H
#define SVC_LISTINGS_PGUTIL_H

#include <stdint.h>

#include <libpq-fe.h>

#include "rpc.h"

/* The column's text, or NULL for SQL NULL (where libpq would give ""). The
 * string belongs to res. */
char *row_text(const PGresult *res, int row, int col);

int64_t row_int64(const PGresult *res, int row, int col);

/* A boolean column, which libpq gives as "t" or "f". */
int row_bool(const PGresult *res, int row, int col);

/* Answers a db_exec/db_command failure. db_exec has already logged the
 * server's message under the request id; the caller only learns whether
 * trying again may help. */
void reply_db_error(rpc_reply *reply, rc_status status);

#endif
