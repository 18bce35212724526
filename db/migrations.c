/* migrations.c - the numbered migrations of rcycle-migrate.
 *
 * For the schemas users, listings and claims in that order, every migration
 * DIR/<schema>/NNN_name.sql not yet recorded in public.schema_migrations runs
 * in its own transaction, as the schema's service role when the connecting
 * user may take it; then each service role is granted its schema. */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migrate.h"

/* The service schemas, in the order their migrations run: later schemas may
 * only depend on earlier ones. */
static const char *const SCHEMAS[] = {"users", "listings", "claims"};
#define NSCHEMAS (sizeof SCHEMAS / sizeof SCHEMAS[0])

typedef struct migration {
    int version;
    char *file; /* "001_accounts_sessions.sql" */
} migration;

typedef struct migration_list {
    migration *items;
    size_t count;
    size_t cap;
} migration_list;

/* How the connecting user stands towards a service role. */
typedef enum role_access {
    ROLE_ABSENT,
    ROLE_NOT_MEMBER,
    ROLE_MEMBER,
} role_access;

typedef struct counts {
    int applied;
    int skipped;
} counts;

/* 1 when name is NNN_name.sql (NNN > 0), storing NNN in *version. */
static int parse_migration_name(const char *name, int *version)
{
    const char *p = name;
    long v = 0;
    if (!isdigit((unsigned char)*p))
        return 0;
    while (isdigit((unsigned char)*p)) {
        v = v * 10 + (*p - '0');
        if (v > INT_MAX)
            return 0;
        p++;
    }
    size_t len = strlen(name);
    if (*p != '_' || v == 0 || len < 4 || strcmp(name + len - 4, ".sql") != 0)
        return 0;
    const char *stem_end = name + len - 4;
    if (p + 1 >= stem_end)
        return 0;
    for (const char *c = p + 1; c < stem_end; c++)
        if (!isalnum((unsigned char)*c) && *c != '_' && *c != '-')
            return 0;
    *version = (int)v;
    return 1;
}

static void migration_list_free(migration_list *list)
{
    for (size_t i = 0; i < list->count; i++)
        free(list->items[i].file);
    free(list->items);
    *list = (migration_list){0};
}

static int migration_list_add(migration_list *list, int version, char *file)
{
    if (list->count == list->cap) {
        size_t new_cap = list->cap ? list->cap * 2 : 8;
        migration *grown = realloc(list->items, new_cap * sizeof *grown);
        if (!grown)
            return -1;
        list->items = grown;
        list->cap = new_cap;
    }
    list->items[list->count++] = (migration){.version = version, .file = file};
    return 0;
}

static int compare_versions(const void *a, const void *b)
{
    const migration *x = a, *y = b;
    return (x->version > y->version) - (x->version < y->version);
}

/* Turns the .sql files of one schema folder into migrations in version order.
 * A .sql file that is not named NNN_name.sql, or two files with one number,
 * is an error rather than something to skip: a migration silently left out
 * would be worse. */
static pgt_status collect_migrations(const char *schema_dir, const pgt_names *files,
                                     migration_list *out, pgt_error *err)
{
    for (size_t i = 0; i < files->count; i++) {
        int version;
        if (!parse_migration_name(files->items[i], &version))
            return pgt_fail(err, PGT_INVALID, "%s/%s: a migration must be named NNN_name.sql",
                            schema_dir, files->items[i]);
        char *file = strdup(files->items[i]);
        if (!file || migration_list_add(out, version, file) != 0) {
            free(file);
            return pgt_nomem(err);
        }
    }
    if (out->count > 0)
        qsort(out->items, out->count, sizeof out->items[0], compare_versions);
    for (size_t i = 1; i < out->count; i++)
        if (out->items[i].version == out->items[i - 1].version)
            return pgt_fail(err, PGT_INVALID, "%s: %s and %s have the same number", schema_dir,
                            out->items[i - 1].file, out->items[i].file);
    return PGT_OK;
}

static pgt_status list_migrations(const char *schema_dir, migration_list *out, pgt_error *err)
{
    pgt_names files = {0};
    pgt_status status = pgt_list_sql_files(schema_dir, &files, err);
    if (status == PGT_OK)
        status = collect_migrations(schema_dir, &files, out, err);
    pgt_names_free(&files);
    if (status != PGT_OK)
        migration_list_free(out);
    return status;
}

/* Sets *recorded when schema/version is recorded as applied. */
static pgt_status migration_recorded(PGconn *conn, const char *schema, const migration *m,
                                     int *recorded, pgt_error *err)
{
    char version[16];
    snprintf(version, sizeof version, "%d", m->version);
    const char *const params[] = {schema, version};
    PGresult *res;
    pgt_status status = pgt_exec_params(conn,
                                        "SELECT name FROM public.schema_migrations"
                                        " WHERE schema_name = $1 AND version = $2",
                                        2, params, "schema_migrations", &res, err);
    if (status != PGT_OK)
        return status;
    *recorded = PQntuples(res) > 0;
    /* A renamed file keeps its number, so it is still applied; say so, since
     * it more often means two branches picked the same number. */
    if (*recorded && strcmp(PQgetvalue(res, 0, 0), m->file) != 0)
        fprintf(stderr, MIGRATE_PROG ": warning: %s/%s: version %d was applied as %s\n", schema,
                m->file, m->version, PQgetvalue(res, 0, 0));
    PQclear(res);
    return PGT_OK;
}

static pgt_status service_role_access(PGconn *conn, const char *role, role_access *access,
                                      pgt_error *err)
{
    const char *const params[] = {role};
    PGresult *res;
    /* pg_has_role by oid: a name that does not exist would be an error. */
    pgt_status status = pgt_exec_params(conn,
                                        "SELECT pg_has_role(current_user, oid, 'MEMBER')"
                                        " FROM pg_roles WHERE rolname = $1",
                                        1, params, "role lookup", &res, err);
    if (status != PGT_OK)
        return status;
    *access = ROLE_ABSENT;
    if (PQntuples(res) == 1)
        *access = strcmp(PQgetvalue(res, 0, 0), "t") == 0 ? ROLE_MEMBER : ROLE_NOT_MEMBER;
    PQclear(res);
    return PGT_OK;
}

/* "SET LOCAL ROLE <role>" with the role quoted, or NULL when out of memory. */
static char *set_role_sql(PGconn *conn, const char *role)
{
    char *quoted = PQescapeIdentifier(conn, role, strlen(role));
    if (!quoted)
        return NULL;
    size_t n = strlen("SET LOCAL ROLE ") + strlen(quoted) + 1;
    char *sql = malloc(n);
    if (sql)
        snprintf(sql, n, "SET LOCAL ROLE %s", quoted);
    PQfreemem(quoted);
    return sql;
}

static pgt_status record_migration(PGconn *conn, const char *schema, const migration *m,
                                   const char *label, pgt_error *err)
{
    char version[16];
    snprintf(version, sizeof version, "%d", m->version);
    const char *const params[] = {schema, version, m->file};
    PGresult *res;
    pgt_status status =
        pgt_exec_params(conn,
                        "INSERT INTO public.schema_migrations (schema_name, version, name)"
                        " VALUES ($1, $2, $3)",
                        3, params, label, &res, err);
    PQclear(res);
    return status;
}

/* The steps of one migration inside its transaction. */
static pgt_status run_migration(PGconn *conn, const char *path, const char *label,
                                const char *schema, const char *set_role, const migration *m,
                                pgt_error *err)
{
    pgt_status status = set_role ? pgt_exec(conn, set_role, label, err) : PGT_OK;
    if (status == PGT_OK)
        status = pgt_run_file(conn, path, label, err);
    if (status == PGT_OK)
        status = pgt_still_in_transaction(conn, label, err);
    if (status == PGT_OK && set_role)
        status = pgt_exec(conn, "RESET ROLE", label, err);
    if (status == PGT_OK)
        status = record_migration(conn, schema, m, label, err);
    if (status == PGT_OK)
        status = pgt_exec(conn, "COMMIT", label, err);
    return status;
}

/* Applies one migration in its own transaction. set_role (may be NULL) makes
 * the schema's service role the owner of what the file creates; the record
 * is written as the connecting user, who owns schema_migrations. */
static pgt_status apply_migration(PGconn *conn, const char *schema_dir, const char *schema,
                                  const char *set_role, const migration *m, pgt_error *err)
{
    size_t label_len = strlen(schema) + 1 + strlen(m->file) + 1;
    char *label = malloc(label_len);
    char *path = pgt_path_join(schema_dir, m->file);
    pgt_status status = PGT_OK;
    if (!label || !path) {
        status = pgt_nomem(err);
        goto out;
    }
    snprintf(label, label_len, "%s/%s", schema, m->file);
    status = pgt_exec(conn, "BEGIN", label, err);
    if (status != PGT_OK)
        goto out;
    status = run_migration(conn, path, label, schema, set_role, m, err);
    if (status != PGT_OK) {
        pgt_rollback(conn);
        goto out;
    }
    printf("applied %s\n", label);
out:
    free(path);
    free(label);
    return status;
}

/* Applies the pending migrations of one schema. */
static pgt_status migrate_schema(PGconn *conn, const char *migrations_dir, const char *schema,
                                 counts *n, pgt_error *err)
{
    char role[64];
    snprintf(role, sizeof role, "rcycle_%s", schema);
    char *schema_dir = pgt_path_join(migrations_dir, schema);
    migration_list list = {0};
    char *set_role = NULL;
    role_access access;
    pgt_status status = schema_dir ? list_migrations(schema_dir, &list, err) : pgt_nomem(err);
    if (status == PGT_OK)
        status = service_role_access(conn, role, &access, err);
    if (status == PGT_OK && access == ROLE_MEMBER && !(set_role = set_role_sql(conn, role)))
        status = pgt_nomem(err);
    for (size_t i = 0; status == PGT_OK && i < list.count; i++) {
        int recorded = 0;
        status = migration_recorded(conn, schema, &list.items[i], &recorded, err);
        if (status != PGT_OK)
            break;
        if (recorded) {
            n->skipped++;
            continue;
        }
        status = apply_migration(conn, schema_dir, schema, set_role, &list.items[i], err);
        if (status == PGT_OK)
            n->applied++;
    }
    free(set_role);
    migration_list_free(&list);
    free(schema_dir);
    return status;
}

/* Gives role what it needs on its schema even where something there was
 * created by another user; GRANT is idempotent, so this runs every time. */
static pgt_status grant_schema(PGconn *conn, const char *schema, const char *role, pgt_error *err)
{
    char *s = PQescapeIdentifier(conn, schema, strlen(schema));
    char *r = PQescapeIdentifier(conn, role, strlen(role));
    char *sql = NULL;
    pgt_status status = PGT_NOMEM;
    if (s && r) {
        const char *fmt = "GRANT USAGE ON SCHEMA %s TO %s;"
                          " GRANT ALL ON ALL TABLES IN SCHEMA %s TO %s;"
                          " GRANT ALL ON ALL SEQUENCES IN SCHEMA %s TO %s";
        int n = snprintf(NULL, 0, fmt, s, r, s, r, s, r);
        sql = n > 0 ? malloc((size_t)n + 1) : NULL;
        if (sql) {
            snprintf(sql, (size_t)n + 1, fmt, s, r, s, r, s, r);
            status = pgt_exec(conn, sql, "grants", err);
        }
    }
    if (!sql)
        status = pgt_nomem(err);
    free(sql);
    PQfreemem(r);
    PQfreemem(s);
    return status;
}

static pgt_status grant_service_roles(PGconn *conn, pgt_error *err)
{
    for (size_t i = 0; i < NSCHEMAS; i++) {
        char role[64];
        snprintf(role, sizeof role, "rcycle_%s", SCHEMAS[i]);
        role_access access;
        pgt_status status = service_role_access(conn, role, &access, err);
        if (status == PGT_OK && access != ROLE_ABSENT)
            status = grant_schema(conn, SCHEMAS[i], role, err);
        if (status != PGT_OK)
            return status;
    }
    return PGT_OK;
}

pgt_status migrate_schemas(PGconn *conn, const char *migrations_dir, pgt_error *err)
{
    counts n = {0};
    for (size_t i = 0; i < NSCHEMAS; i++)
        if (migrate_schema(conn, migrations_dir, SCHEMAS[i], &n, err) != PGT_OK)
            return pgt_append(
                err, "\n" MIGRATE_PROG ": stopped: %d migration(s) applied before the failure",
                n.applied);
    pgt_status status = grant_service_roles(conn, err);
    if (status != PGT_OK)
        return status;
    if (n.applied == 0)
        printf("database is up to date (%d migration(s) already applied)\n", n.skipped);
    else
        printf("applied %d migration(s); %d were already applied\n", n.applied, n.skipped);
    return PGT_OK;
}
