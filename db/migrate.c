/* migrate.c - rcycle-migrate: brings the R-Cycle database up to date and, on
 * request, loads the development seed.
 *
 *   rcycle-migrate [--dir DIR] [--seed SEEDDIR]
 *
 * It runs DIR/../bootstrap.sql (bootstrap.c), then the migrations of DIR not
 * yet recorded (migrations.c), and with --seed the .sql files of SEEDDIR in
 * one transaction (seed.c). A session-level advisory lock serialises
 * concurrent runs, so running it twice, or twice at once, is safe.
 *
 * It depends on libpq, libpg_query and libsodium only, so it builds without
 * the rest of the tree; being a command-line tool, it prints plain lines
 * (progress on stdout, errors on stderr). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migrate.h"

#define DEFAULT_MIGRATIONS_DIR "db/migrations"

typedef struct options {
    const char *migrations_dir;
    const char *seed_dir; /* NULL: no seed */
} options;

static void usage(FILE *out)
{
    fprintf(out,
            "usage: " MIGRATE_PROG " [--dir DIR] [--seed SEEDDIR]\n"
            "  --dir DIR       migrations directory (default: $RCYCLE_MIGRATIONS_DIR,\n"
            "                  else " DEFAULT_MIGRATIONS_DIR "); DIR/../bootstrap.sql runs first\n"
            "  --seed SEEDDIR  after migrating, run SEEDDIR's .sql files in one transaction\n"
            "environment: DATABASE_URL (default " PGT_DEFAULT_DATABASE_URL "),\n"
            "             RCYCLE_SEED_PASSWORD (default rcycle-dev)\n");
}

/* Returns 0 to run, 1 after printing help, 2 on a usage error. */
static int parse_args(int argc, char **argv, options *opt)
{
    const char *dir = getenv("RCYCLE_MIGRATIONS_DIR");
    opt->migrations_dir = dir && *dir ? dir : DEFAULT_MIGRATIONS_DIR;
    opt->seed_dir = NULL;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char **target = NULL;
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            usage(stdout);
            return 1;
        }
        if (strcmp(arg, "--dir") == 0 || strncmp(arg, "--dir=", 6) == 0)
            target = &opt->migrations_dir;
        else if (strcmp(arg, "--seed") == 0 || strncmp(arg, "--seed=", 7) == 0)
            target = &opt->seed_dir;
        if (!target) {
            fprintf(stderr, MIGRATE_PROG ": unknown argument: %s\n", arg);
            usage(stderr);
            return 2;
        }
        const char *eq = strchr(arg, '=');
        const char *value = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
        if (!value || !*value) {
            fprintf(stderr, MIGRATE_PROG ": %.*s needs a directory\n",
                    (int)(eq ? eq - arg : (long)strlen(arg)), arg);
            return 2;
        }
        *target = value;
    }
    return 0;
}

int main(int argc, char **argv)
{
    options opt;
    int args = parse_args(argc, argv, &opt);
    if (args != 0)
        return args == 1 ? 0 : 2;
    pgt_error err = {0};
    PGconn *conn;
    pgt_status status =
        pgt_connect(pgt_database_url(), MIGRATE_PROG, PGT_CONNECT_TIMEOUT_S, &conn, &err);
    if (status == PGT_OK)
        status = migrate_bootstrap(conn, opt.migrations_dir, &err);
    if (status == PGT_OK)
        status = migrate_schemas(conn, opt.migrations_dir, &err);
    if (status == PGT_OK)
        status = migrate_seal(conn, opt.migrations_dir, &err);
    if (status == PGT_OK && opt.seed_dir)
        status = migrate_seed(conn, opt.seed_dir, &err);
    if (status != PGT_OK)
        pgt_report(MIGRATE_PROG, &err);
    pgt_error_clear(&err);
    /* Closing the session also releases the advisory lock. */
    PQfinish(conn);
    return status == PGT_OK ? 0 : 1;
}
