/* bootstrap.c - what rcycle-migrate does before any migration: it takes the
 * lock that serialises concurrent runs (the db-init Job and `make run` use
 * the same tool) and runs bootstrap.sql (schemas, service roles,
 * schema_migrations, the audit role and chain functions); and after them,
 * audit_seal.sql (the events tables handed to the audit role). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migrate.h"

/* Any fixed key works as long as every run uses the same one: "rcycle" in ASCII. */
#define MIGRATE_LOCK_KEY "125771563887717"

/* Waits for any other run to finish. The lock is held by the session and
 * released when the connection closes, even if this process dies. */
static pgt_status lock_migrations(PGconn *conn, pgt_error *err)
{
    PGresult *res;
    pgt_status status = pgt_exec_params(conn, "SELECT pg_try_advisory_lock(" MIGRATE_LOCK_KEY ")",
                                        0, NULL, "advisory lock", &res, err);
    if (status != PGT_OK)
        return status;
    int got = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
    PQclear(res);
    if (got)
        return PGT_OK;
    printf("waiting for another " MIGRATE_PROG " run to finish\n");
    fflush(stdout);
    return pgt_exec(conn, "SELECT pg_advisory_lock(" MIGRATE_LOCK_KEY ")", "advisory lock", err);
}

/* Runs MIGRATIONS_DIR/../name. */
static pgt_status run_beside(PGconn *conn, const char *migrations_dir, const char *name,
                             pgt_error *err)
{
    size_t n = strlen("../") + strlen(name) + 1;
    char *rel = malloc(n);
    if (!rel)
        return pgt_nomem(err);
    snprintf(rel, n, "../%s", name);
    char *path = pgt_path_join(migrations_dir, rel);
    free(rel);
    if (!path)
        return pgt_nomem(err);
    pgt_status status = pgt_run_file(conn, path, NULL, err);
    free(path);
    return status;
}

pgt_status migrate_seal(PGconn *conn, const char *migrations_dir, pgt_error *err)
{
    return run_beside(conn, migrations_dir, "audit_seal.sql", err);
}

pgt_status migrate_bootstrap(PGconn *conn, const char *migrations_dir, pgt_error *err)
{
    /* Keeps "already exists, skipping" notices of the idempotent bootstrap
     * out of the output; warnings still show. */
    pgt_status status = pgt_exec(conn, "SET client_min_messages = warning", "session setup", err);
    if (status == PGT_OK)
        status = lock_migrations(conn, err);
    if (status != PGT_OK)
        return status;
    return run_beside(conn, migrations_dir, "bootstrap.sql", err);
}
