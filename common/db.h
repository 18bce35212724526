/* db.h - a small PostgreSQL connection pool with lazily prepared statements.
 *
 * A service declares each query once, as a static db_stmt beside the code
 * that runs it; db_exec prepares it on a connection the first time that
 * connection runs it, so statements survive a reconnect. Parameters are
 * always passed separately from the SQL text (text format). */
#ifndef RCYCLE_DB_H
#define RCYCLE_DB_H

#include <stdint.h>

#include <libpq-fe.h>

#include "config.h"
#include "status.h"

typedef struct db_pool db_pool;
typedef struct db_conn db_conn;

/* A query. Its address identifies it, so it must live as long as the pool
 * (declare it static). */
typedef struct db_stmt {
    const char *name; /* unique across the process */
    const char *sql;
    int nparams;
} db_stmt;

/* Reads a PostgreSQL URL (postgres:// or postgresql://) or key=value string
 * from var, as config.h's readers do. The value may hold a password, so err
 * names the variable only. */
int db_config_url(const char *var, const char *def, const char **out, char err[CONFIG_ERR_LEN]);

/* Creates a pool of at most size connections to url, opened on demand; it
 * never fails because the database is down (NULL only when out of memory).
 * The pool copies url. */
db_pool *db_pool_create(const char *url, const char *application_name, int size);
void db_pool_destroy(db_pool *pool);

/* Borrows a working connection, (re)connecting as needed. NULL when none is
 * free within timeout_ms or the database cannot be reached: answer
 * UNAVAILABLE. A borrowed connection is returned with db_release. */
db_conn *db_acquire(db_pool *pool, int timeout_ms);
void db_release(db_pool *pool, db_conn *conn);

/* Runs stmt with params (stmt->nparams strings, NULL = SQL NULL; params may
 * be NULL when nparams is 0). On success returns RC_OK and *out, which the
 * caller PQclear()s. On failure returns the mapped status (ALREADY_EXISTS for
 * unique violations, ABORTED for serialization failures and deadlocks,
 * DEADLINE_EXCEEDED for a cancelled statement, UNAVAILABLE for a lost
 * connection, INTERNAL otherwise), logs the server's message under
 * request_id, and *out is NULL. */
rc_status db_exec(db_conn *conn, const db_stmt *stmt, const char *const *params,
                  const char *request_id, PGresult **out);

/* As db_exec, but stmt is planned for the values given on every call: for
 * statements whose generic plan would be slow ("$n IS NULL OR ..." filters
 * cannot use the index that serves the filter given). db_exec prepares a
 * statement once per connection and leaves it to PostgreSQL's plan cache,
 * which settles on one generic plan after a few calls when that plan costs
 * no more. A statement is always run by the same one of the two. */
rc_status db_exec_custom(db_conn *conn, const db_stmt *stmt, const char *const *params,
                         const char *request_id, PGresult **out);

/* Runs a fixed command without parameters (BEGIN, COMMIT, ROLLBACK ...). */
rc_status db_command(db_conn *conn, const char *sql, const char *request_id);

/* Values of a result row. db_text gives NULL for SQL NULL (where libpq
 * gives ""); the string belongs to res. */
char *db_text(const PGresult *res, int row, int col);
int64_t db_int64(const PGresult *res, int row, int col);
int db_bool(const PGresult *res, int row, int col);

/* ---- parameters and rows ---- */

/* Room for an int64 as decimal text, sign and NUL included. */
#define DB_INT64_LEN 21

/* Writes v into buf as a statement parameter (text format) and returns buf. */
const char *db_param_int64(char buf[DB_INT64_LEN], int64_t v);

/* Fills item from row of res. Strings it stores point into res. */
typedef void (*db_row_fill)(const PGresult *res, int row, void *item);

/* The rows of a result as messages: items holds n items of one size, and
 * ptrs points at each, the shape of a protobuf-c repeated message field
 * (which is why each item must begin with its message). Owns both arrays;
 * the strings in the items still belong to the result, so the rows must not
 * outlive it. */
typedef struct db_rows {
    void *items;
    void **ptrs;
    size_t n;
} db_rows;

/* Maps every row of res through fill into out. Out of memory is the one
 * failure: RC_INTERNAL, with nothing allocated. */
rc_status db_map_rows(const PGresult *res, size_t item_size, db_row_fill fill, db_rows *out);
void db_rows_free(db_rows *rows);

/* The SQLSTATE of the last failed db_exec on conn ("" if none). */
const char *db_last_sqlstate(const db_conn *conn);

/* SELECT 1 on a borrowed connection; RC_OK when the database answers. */
rc_status db_ping(db_pool *pool, int timeout_ms);

void db_pool_counts(db_pool *pool, int *in_use, int *idle);
/* The most connections the pool holds (fixed at create). */
int db_pool_size(const db_pool *pool);

#endif
