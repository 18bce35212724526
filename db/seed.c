/* seed.c - the development seed of rcycle-migrate --seed: the .sql files of
 * SEEDDIR, in name order, in one transaction, so the seed lands whole or not
 * at all. The files guard their own inserts, so a second run adds nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "migrate.h"

#define DEFAULT_SEED_PASSWORD "rcycle-dev"

/* An argon2id string for RCYCLE_SEED_PASSWORD, as svc-users stores them. */
static pgt_status hash_seed_password(char hash[crypto_pwhash_STRBYTES], pgt_error *err)
{
    if (sodium_init() < 0)
        return pgt_fail(err, PGT_NOMEM, "libsodium failed to initialise");
    const char *password = getenv("RCYCLE_SEED_PASSWORD");
    if (!password || !*password)
        password = DEFAULT_SEED_PASSWORD;
    if (crypto_pwhash_str(hash, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
        return pgt_fail(err, PGT_NOMEM, "cannot hash RCYCLE_SEED_PASSWORD: out of memory");
    return PGT_OK;
}

/* Hands the hash to the seed SQL as a setting local to the transaction, so
 * it is passed as a parameter and never spliced into SQL text. */
static pgt_status pass_password_hash(PGconn *conn, const char *hash, pgt_error *err)
{
    const char *const params[] = {hash};
    PGresult *res;
    pgt_status status =
        pgt_exec_params(conn, "SELECT set_config('rcycle.seed_password_hash', $1, true)", 1, params,
                        "seed password", &res, err);
    PQclear(res);
    return status;
}

static pgt_status run_seed_file(PGconn *conn, const char *seed_dir, const char *name,
                                pgt_error *err)
{
    char *path = pgt_path_join(seed_dir, name);
    if (!path)
        return pgt_nomem(err);
    pgt_status status = pgt_run_file(conn, path, NULL, err);
    if (status == PGT_OK)
        status = pgt_still_in_transaction(conn, path, err);
    free(path);
    return status;
}

/* The files of the seed, after BEGIN. */
static pgt_status run_seed_files(PGconn *conn, const char *seed_dir, const pgt_names *files,
                                 const char *hash, pgt_error *err)
{
    pgt_status status = pass_password_hash(conn, hash, err);
    for (size_t i = 0; status == PGT_OK && i < files->count; i++)
        status = run_seed_file(conn, seed_dir, files->items[i], err);
    if (status == PGT_OK)
        status = pgt_exec(conn, "COMMIT", "seed", err);
    return status;
}

pgt_status migrate_seed(PGconn *conn, const char *seed_dir, pgt_error *err)
{
    pgt_names files = {0};
    char hash[crypto_pwhash_STRBYTES];
    pgt_status status = pgt_list_sql_files(seed_dir, &files, err);
    if (status == PGT_OK && files.count == 0)
        status = pgt_fail(err, PGT_INVALID, "%s holds no .sql files", seed_dir);
    if (status == PGT_OK)
        status = hash_seed_password(hash, err);
    if (status == PGT_OK)
        status = pgt_exec(conn, "BEGIN", "seed", err);
    if (status == PGT_OK) {
        status = run_seed_files(conn, seed_dir, &files, hash, err);
        if (status == PGT_OK) {
            printf("seeded from %s (%zu file(s))\n", seed_dir, files.count);
        } else {
            pgt_rollback(conn);
            pgt_append(err, "\n" MIGRATE_PROG ": seed rolled back: nothing from %s was kept",
                       seed_dir);
        }
    }
    pgt_names_free(&files);
    return status;
}
