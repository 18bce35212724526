/* idem.h - write RPCs that are idempotent by request id.
 *
 * nng's REQ socket sends a request again on another connection when the one
 * it went out on drops, and a client that timed out retries its POST with
 * the same Idempotency-Key (the gateway's request id). So a create that
 * already committed must answer as it did, not run again: its answer is
 * recorded, keyed by method, request id and caller, in the same transaction
 * as its effect, and a request that finds a record gets the recorded answer.
 *
 * Each service keeps the records in its own schema, in a table
 * <schema>.rpc_answers (db/migrations/<schema>/): method, request_id,
 * caller_id, at, and the packed reply. A record is honoured for
 * IDEM_KEEP_SQL and deleted by the next write after that. A request without
 * a request id is never recorded. */
#ifndef RCYCLE_IDEM_H
#define RCYCLE_IDEM_H

#include "db.h"
#include "rpc_server.h"

/* How long a record is honoured and kept, as an SQL interval. */
#define IDEM_KEEP_SQL "interval '24 hours'"

/* The two statements over one schema's rpc_answers. */
typedef struct idem_table {
    db_stmt find;
    db_stmt save;
} idem_table;

/* The statements of schema's table; schema is a string literal. */
#define IDEM_TABLE(schema)                                                                         \
    {                                                                                              \
        {schema "_idem_find",                                                                      \
         "SELECT reply FROM " schema ".rpc_answers WHERE method = $1 AND request_id = $2"          \
         " AND caller_id = $3 AND at > now() - " IDEM_KEEP_SQL,                                    \
         3},                                                                                       \
        {                                                                                          \
            schema "_idem_save",                                                                   \
                "WITH swept AS (DELETE FROM " schema                                               \
                ".rpc_answers WHERE at <= now() - " IDEM_KEEP_SQL ") INSERT INTO " schema          \
                ".rpc_answers (method, request_id,"                                                \
                " caller_id, reply) VALUES ($1, $2, $3, $4::bytea)",                               \
                4                                                                                  \
        }                                                                                          \
    }

/* Runs find, a statement over a record table whose $1, $2 and $3 are the
 * method, the request id and the caller (its user id, 0 when anonymous),
 * for req. 1 when it returns a row: *res holds it (PQclear it). 0 when it
 * returns none or req has no request id; -1 when it failed, answered in
 * reply. *res is NULL unless 1. */
int idem_lookup(const db_stmt *find, const rpc_request *req, PGresult **res, rpc_reply *reply);

/* 1 when req's method already answered req's request id for this caller:
 * reply is that answer. 0 when not (or req has no request id); -1 when the
 * lookup failed, answered in reply. */
int idem_replay(const idem_table *t, const rpc_request *req, rpc_reply *reply);

/* The write a recorded RPC makes: runs its statements on req->db (inside
 * the transaction idem_write opened) and answers reply. */
typedef void (*idem_write_fn)(const rpc_request *req, const void *arg, rpc_reply *reply);

/* Runs write and, when it answers OK, records that answer in the same
 * transaction. When the write or the record collides with a concurrent copy
 * of the same request that committed first, answers that copy's answer.
 * Without a request id, runs write on its own. */
void idem_write(const idem_table *t, const rpc_request *req, idem_write_fn write, const void *arg,
                rpc_reply *reply);

#endif
