/* pgtool.h - what the database tools (rcycle-migrate, rcycle-admin) share:
 * reading files, connecting to PostgreSQL and running SQL, each failure
 * returned as a status with a message that the tool prints as it sees fit.
 *
 * A message never holds the database password, and one about a SQL file
 * names the file and the line of the statement that failed. */
#ifndef RCYCLE_DB_PGTOOL_H
#define RCYCLE_DB_PGTOOL_H

#include <stddef.h>

#include <libpq-fe.h>

#define PGT_DEFAULT_DATABASE_URL "postgresql:///rcycle"
/* Seconds a connection attempt may take unless the URL says otherwise. */
#define PGT_CONNECT_TIMEOUT_S 10

typedef enum pgt_status {
    PGT_OK = 0,
    PGT_NOMEM,   /* memory ran out */
    PGT_IO,      /* a file or directory could not be read */
    PGT_INVALID, /* input the tool refuses (a NUL in SQL, a bad URL, a misnamed file) */
    PGT_CONNECT, /* no connection to the database */
    PGT_SQL,     /* the server refused a statement, or the connection broke */
} pgt_status;

/* A failure: its status and a message of one or more lines, without a
 * trailing newline. Zero-initialise; pgt_error_clear frees it. */
typedef struct pgt_error {
    pgt_status status;
    char *message;
} pgt_error;

/* Records a failure in err (replacing any before) and returns status. When
 * the message cannot be allocated, err holds PGT_NOMEM and no message. */
pgt_status pgt_fail(pgt_error *err, pgt_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* pgt_fail(err, PGT_NOMEM, "out of memory") */
pgt_status pgt_nomem(pgt_error *err);
/* Adds text to the message of the failure err holds, keeping its status: a
 * caller's account of what the failure left behind. */
pgt_status pgt_append(pgt_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void pgt_error_clear(pgt_error *err);
/* Prints "prog: message" on stderr. */
void pgt_report(const char *prog, const pgt_error *err);

/* "dir/name", or NULL when memory ran out. */
char *pgt_path_join(const char *dir, const char *name);

/* The whole file, however large, NUL-terminated; *len (may be NULL) gets
 * its length without the terminator. */
pgt_status pgt_read_file(const char *path, char **text, size_t *len, pgt_error *err);
/* The same for SQL, which PQexec takes as a C string: a NUL byte in the file
 * is refused rather than cutting it short. */
pgt_status pgt_read_sql_file(const char *path, char **sql, pgt_error *err);

typedef struct pgt_names {
    char **items;
    size_t count;
    size_t cap;
} pgt_names;

/* The visible .sql files of dir (names only), sorted. */
pgt_status pgt_list_sql_files(const char *dir, pgt_names *out, pgt_error *err);
void pgt_names_free(pgt_names *names);

/* DATABASE_URL, or PGT_DEFAULT_DATABASE_URL when it is unset or empty. */
const char *pgt_database_url(void);

/* Connects to url (DATABASE_URL's value, as the messages call it) as
 * application app, giving up after timeout_s seconds unless url sets
 * connect_timeout itself. No message quotes the password. */
pgt_status pgt_connect(const char *url, const char *app, int timeout_s, PGconn **out,
                       pgt_error *err);

/* Runs sql, one command of the tool's own (it may hold several statements);
 * a failure is reported under label. */
pgt_status pgt_exec(PGconn *conn, const char *sql, const char *label, pgt_error *err);
/* Runs the SQL file at path. A failure is reported under label (path when
 * NULL) with the line of the statement that failed, or of the error within
 * it when the server gives a position: "label:LINE: message (SQLSTATE x)". */
pgt_status pgt_run_file(PGconn *conn, const char *path, const char *label, pgt_error *err);
/* Runs one parameterised statement; *res (PQclear it) is its result. */
pgt_status pgt_exec_params(PGconn *conn, const char *sql, int nparams, const char *const *params,
                           const char *label, PGresult **res, pgt_error *err);
/* Fails unless conn is still inside the transaction a file ran in: a file
 * that ended it (COMMIT, ROLLBACK) broke the atomicity the caller counts on. */
pgt_status pgt_still_in_transaction(PGconn *conn, const char *label, pgt_error *err);
/* Ends the open transaction, if any, after a failure; a failure of the
 * ROLLBACK itself changes nothing a caller could act on. */
void pgt_rollback(PGconn *conn);

#endif
