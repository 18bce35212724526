/* migrate.h - the parts of rcycle-migrate (see migrate.c): the bootstrap,
 * the numbered migrations and the seed, each run on one connection that
 * main opens and closes. */
#ifndef RCYCLE_DB_MIGRATE_H
#define RCYCLE_DB_MIGRATE_H

#include "pgtool.h"

#define MIGRATE_PROG "rcycle-migrate"

/* bootstrap.c: quiet notices, wait for any other run (the lock lasts as long
 * as the connection), then run MIGRATIONS_DIR/../bootstrap.sql. */
pgt_status migrate_bootstrap(PGconn *conn, const char *migrations_dir, pgt_error *err);

/* migrations.c: every migration of every service schema not yet recorded,
 * then each service role's grants on its schema. */
pgt_status migrate_schemas(PGconn *conn, const char *migrations_dir, pgt_error *err);

/* bootstrap.c: MIGRATIONS_DIR/../audit_seal.sql, after the migrations: the
 * events tables and their chain heads belong to rcycle_audit, the service
 * roles may only insert and read them. */
pgt_status migrate_seal(PGconn *conn, const char *migrations_dir, pgt_error *err);

/* seed.c: the .sql files of seed_dir, in name order, in one transaction. */
pgt_status migrate_seed(PGconn *conn, const char *seed_dir, pgt_error *err);

#endif
