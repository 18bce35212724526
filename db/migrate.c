/* migrate.c - rcycle-migrate: brings the R-Cycle database up to date and, on
 * request, loads the development seed.
 *
 *   rcycle-migrate [--dir DIR] [--seed SEEDDIR]
 *
 * It runs DIR/../bootstrap.sql (schemas, service roles, schema_migrations),
 * then, for the schemas users, listings and claims in that order, every
 * migration DIR/<schema>/NNN_name.sql not yet recorded in
 * public.schema_migrations, each in its own transaction and as the schema's
 * service role when it may, and then grants each service role its schema.
 * With --seed it then runs the .sql files of SEEDDIR, in name order, in one
 * transaction. A session-level advisory lock serialises concurrent runs (the
 * db-init Job and `make run` use the same tool), so running it twice, or twice
 * at once, is safe.
 *
 * It depends on libpq and libsodium only, so it builds without the rest of
 * the tree; being a command-line tool, it prints plain lines (progress on
 * stdout, errors on stderr). */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>
#include <sodium.h>

#define PROG                   "rcycle-migrate"
#define DEFAULT_DATABASE_URL   "postgresql:///rcycle"
#define DEFAULT_MIGRATIONS_DIR "db/migrations"
#define DEFAULT_SEED_PASSWORD  "rcycle-dev"
/* Any fixed key works as long as every run uses the same one: "rcycle" in ASCII. */
#define MIGRATE_LOCK_KEY "125771563887717"
/* A migration or seed file is ours and small; anything larger is a mistake. */
#define MAX_SQL_FILE_BYTES (16L * 1024 * 1024)
#define CONNECT_TIMEOUT_S  "10"

/* The service schemas, in the order their migrations run: later schemas may
 * only depend on earlier ones. */
static const char *const SCHEMAS[] = {"users", "listings", "claims"};
#define NSCHEMAS (sizeof SCHEMAS / sizeof SCHEMAS[0])

typedef struct options {
    const char *migrations_dir;
    const char *seed_dir; /* NULL: no seed */
} options;

typedef struct migration {
    int version;
    char *file; /* "001_accounts_sessions.sql" */
} migration;

typedef struct migration_list {
    migration *items;
    size_t count;
    size_t cap;
} migration_list;

typedef struct name_list {
    char **items;
    size_t count;
    size_t cap;
} name_list;

/* How the connecting user stands towards a service role. */
typedef enum role_access {
    ROLE_ERROR = -1,
    ROLE_ABSENT = 0,
    ROLE_NOT_MEMBER = 1,
    ROLE_MEMBER = 2,
} role_access;

/* ---- output ---- */

static void complain(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void complain(const char *fmt, ...)
{
    va_list ap;
    fputs(PROG ": ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: " PROG " [--dir DIR] [--seed SEEDDIR]\n"
            "  --dir DIR       migrations directory (default: $RCYCLE_MIGRATIONS_DIR,\n"
            "                  else " DEFAULT_MIGRATIONS_DIR "); DIR/../bootstrap.sql runs first\n"
            "  --seed SEEDDIR  after migrating, run SEEDDIR's .sql files in one transaction\n"
            "environment: DATABASE_URL (default " DEFAULT_DATABASE_URL "),\n"
            "             RCYCLE_SEED_PASSWORD (default " DEFAULT_SEED_PASSWORD ")\n");
}

/* The length of msg without its trailing newlines and spaces (libpq ends its
 * messages with one). */
static int trimmed_length(const char *msg)
{
    size_t n = strlen(msg);
    while (n > 0 && isspace((unsigned char)msg[n - 1]))
        n--;
    return n > INT_MAX ? INT_MAX : (int)n;
}

/* ---- small helpers ---- */

static const char *env_or(const char *var, const char *def)
{
    const char *value = getenv(var);
    return value && *value ? value : def;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t ls = strlen(s), lx = strlen(suffix);
    return ls >= lx && strcmp(s + ls - lx, suffix) == 0;
}

static char *path_join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + 1 + strlen(name) + 1;
    char *path = malloc(n);
    if (!path) {
        complain("out of memory");
        return NULL;
    }
    snprintf(path, n, "%s/%s", dir, name);
    return path;
}

/* The whole file as a NUL-terminated string, or NULL after saying why. */
static char *read_text_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        complain("cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    char *text = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (cap - len < 4096 + 1) {
            size_t new_cap = cap ? cap * 2 : 8192;
            char *grown = new_cap <= (size_t)MAX_SQL_FILE_BYTES + 1 ? realloc(text, new_cap) : NULL;
            if (!grown) {
                complain("%s is too large or memory ran out", path);
                goto fail;
            }
            text = grown;
            cap = new_cap;
        }
        size_t got = fread(text + len, 1, cap - len - 1, f);
        len += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        complain("cannot read %s", path);
        goto fail;
    }
    text[len] = '\0';
    /* PQexec takes a C string: a NUL would silently cut the file short. */
    if (strlen(text) != len) {
        complain("%s contains a NUL byte", path);
        goto fail;
    }
    fclose(f);
    return text;
fail:
    free(text);
    fclose(f);
    return NULL;
}

static int name_list_add(name_list *list, const char *name)
{
    if (list->count == list->cap) {
        size_t new_cap = list->cap ? list->cap * 2 : 8;
        char **grown = realloc(list->items, new_cap * sizeof *grown);
        if (!grown)
            return -1;
        list->items = grown;
        list->cap = new_cap;
    }
    char *copy = strdup(name);
    if (!copy)
        return -1;
    list->items[list->count++] = copy;
    return 0;
}

static void name_list_free(name_list *list)
{
    for (size_t i = 0; i < list->count; i++)
        free(list->items[i]);
    free(list->items);
    *list = (name_list){0};
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The visible .sql files of dir (names only), sorted; -1 after saying why. */
static int list_sql_files(const char *dir, name_list *out)
{
    DIR *d = opendir(dir);
    if (!d) {
        complain("cannot open directory %s: %s", dir, strerror(errno));
        return -1;
    }
    int rc = 0;
    const struct dirent *entry;
    while (rc == 0 && (entry = readdir(d)) != NULL) {
        if (entry->d_name[0] == '.' || !ends_with(entry->d_name, ".sql"))
            continue;
        if (name_list_add(out, entry->d_name) != 0) {
            complain("out of memory");
            rc = -1;
        }
    }
    closedir(d);
    if (rc != 0) {
        name_list_free(out);
        return -1;
    }
    if (out->count > 0)
        qsort(out->items, out->count, sizeof out->items[0], compare_names);
    return 0;
}

/* ---- talking to the server ---- */

/* The 1-based line of sql holding the 1-based character position the server
 * reported (it counts characters, not bytes, so UTF-8 continuation bytes are
 * skipped). */
static int line_of_position(const char *sql, long position)
{
    int line = 1;
    long chars = 0;
    for (const unsigned char *p = (const unsigned char *)sql; *p; p++) {
        if ((*p & 0xC0) == 0x80)
            continue;
        if (++chars >= position)
            break;
        if (*p == '\n')
            line++;
    }
    return line;
}

/* Reports a failed command under label ("users/001_x.sql"), with the line
 * within sql when the server gave a position and sql is the text it ran. */
static void report_sql_error(const char *label, const char *sql, PGconn *conn, const PGresult *res)
{
    const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    if (!primary) {
        /* No server error: the connection itself failed. */
        const char *msg = PQerrorMessage(conn);
        complain("%s: %.*s", label, trimmed_length(msg), msg);
        return;
    }
    const char *sqlstate = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    const char *position = PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION);
    if (position && sql)
        complain("%s:%d: %s (SQLSTATE %s)", label, line_of_position(sql, atol(position)), primary,
                 sqlstate ? sqlstate : "?");
    else
        complain("%s: %s (SQLSTATE %s)", label, primary, sqlstate ? sqlstate : "?");
    const char *detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
    const char *hint = PQresultErrorField(res, PG_DIAG_MESSAGE_HINT);
    const char *context = PQresultErrorField(res, PG_DIAG_CONTEXT);
    if (detail)
        fprintf(stderr, "  detail: %s\n", detail);
    if (hint)
        fprintf(stderr, "  hint: %s\n", hint);
    if (context)
        fprintf(stderr, "  context: %s\n", context);
}

static int result_ok(const PGresult *res)
{
    ExecStatusType status = PQresultStatus(res);
    return status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_EMPTY_QUERY;
}

/* Runs sql, which may hold several statements, and reports a failure under
 * label. Returns 0 on success. */
static int exec_sql(PGconn *conn, const char *sql, const char *label)
{
    PGresult *res = PQexec(conn, sql);
    int ok = result_ok(res);
    if (!ok)
        report_sql_error(label, sql, conn, res);
    PQclear(res);
    return ok ? 0 : -1;
}

/* Runs one parameterised statement. Returns its result (PQclear it), or NULL
 * after reporting the failure under label. */
static PGresult *exec_params(PGconn *conn, const char *sql, int nparams, const char *const *params,
                             const char *label)
{
    PGresult *res = PQexecParams(conn, sql, nparams, NULL, params, NULL, NULL, 0);
    if (result_ok(res))
        return res;
    report_sql_error(label, NULL, conn, res);
    PQclear(res);
    return NULL;
}

/* Ends a failed transaction, if one is still open; its own failure changes
 * nothing we could act on. */
static void rollback(PGconn *conn)
{
    if (PQtransactionStatus(conn) != PQTRANS_IDLE)
        PQclear(PQexec(conn, "ROLLBACK"));
}

/* msg on one line (libpq's may span several), with every occurrence of
 * secret masked, in case a message ever quotes the password. */
static char *one_line_without_secret(const char *msg, const char *secret)
{
    size_t secret_len = secret ? strlen(secret) : 0;
    char *out = malloc(strlen(msg) * 3 + 1); /* "***" may replace a 1-byte secret */
    if (!out)
        return NULL;
    size_t n = 0;
    int pending_space = 0;
    for (const char *p = msg; *p;) {
        if (secret_len > 0 && strncmp(p, secret, secret_len) == 0) {
            memcpy(out + n, "***", 3);
            n += 3;
            p += secret_len;
            continue;
        }
        if (isspace((unsigned char)*p)) {
            pending_space = n > 0;
            p++;
            continue;
        }
        if (pending_space)
            out[n++] = ' ';
        pending_space = 0;
        out[n++] = *p++;
    }
    out[n] = '\0';
    return out;
}

/* The password DATABASE_URL holds, if any (points into opts). */
static const char *password_of(const PQconninfoOption *opts)
{
    for (const PQconninfoOption *o = opts; o->keyword; o++)
        if (strcmp(o->keyword, "password") == 0)
            return o->val;
    return NULL;
}

static void report_connect_failure(PGconn *conn, const PQconninfoOption *opts)
{
    char *why = one_line_without_secret(PQerrorMessage(conn), password_of(opts));
    complain("cannot connect to the database named by DATABASE_URL: %s",
             why ? why : "out of memory");
    free(why);
}

/* Connects to DATABASE_URL. The URL may hold a password, so no message ever
 * echoes it. Returns NULL after saying why. */
static PGconn *connect_database(void)
{
    const char *url = env_or("DATABASE_URL", DEFAULT_DATABASE_URL);
    char *parse_error = NULL;
    PQconninfoOption *opts = PQconninfoParse(url, &parse_error);
    if (!opts) {
        /* libpq's parse message quotes the string, password included. */
        PQfreemem(parse_error);
        complain("DATABASE_URL is not a valid PostgreSQL URL or connection string");
        return NULL;
    }
    /* Keywords are applied in order and dbname expands to the whole URL, so
     * these defaults come first and the URL's own settings win. */
    const char *const keys[] = {"connect_timeout", "application_name", "dbname", NULL};
    const char *const values[] = {CONNECT_TIMEOUT_S, PROG, url, NULL};
    PGconn *conn = PQconnectdbParams(keys, values, 1);
    if (PQstatus(conn) != CONNECTION_OK) {
        report_connect_failure(conn, opts);
        PQfinish(conn);
        conn = NULL;
    }
    PQconninfoFree(opts);
    return conn;
}

/* Keeps "already exists, skipping" notices of the idempotent bootstrap out of
 * the output; warnings still show. */
static int prepare_session(PGconn *conn)
{
    return exec_sql(conn, "SET client_min_messages = warning", "session setup");
}

/* Waits for any other run to finish. The lock is held by the session and
 * released when the connection closes, even if this process dies. */
static int lock_migrations(PGconn *conn)
{
    PGresult *res = exec_params(conn, "SELECT pg_try_advisory_lock(" MIGRATE_LOCK_KEY ")", 0, NULL,
                                "advisory lock");
    if (!res)
        return -1;
    int got = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
    PQclear(res);
    if (got)
        return 0;
    printf("waiting for another " PROG " run to finish\n");
    fflush(stdout);
    return exec_sql(conn, "SELECT pg_advisory_lock(" MIGRATE_LOCK_KEY ")", "advisory lock");
}

/* ---- bootstrap and migrations ---- */

static int run_bootstrap(PGconn *conn, const char *migrations_dir)
{
    char *path = path_join(migrations_dir, "../bootstrap.sql");
    if (!path)
        return -1;
    char *sql = read_text_file(path);
    int rc = sql ? exec_sql(conn, sql, path) : -1;
    free(sql);
    free(path);
    return rc;
}

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
    if (*p != '_' || v == 0 || !ends_with(name, ".sql"))
        return 0;
    const char *stem_end = name + strlen(name) - strlen(".sql");
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
static int collect_migrations(const char *schema_dir, const name_list *files, migration_list *out)
{
    for (size_t i = 0; i < files->count; i++) {
        int version;
        if (!parse_migration_name(files->items[i], &version)) {
            complain("%s/%s: a migration must be named NNN_name.sql", schema_dir, files->items[i]);
            return -1;
        }
        char *file = strdup(files->items[i]);
        if (!file || migration_list_add(out, version, file) != 0) {
            free(file);
            complain("out of memory");
            return -1;
        }
    }
    if (out->count > 0)
        qsort(out->items, out->count, sizeof out->items[0], compare_versions);
    for (size_t i = 1; i < out->count; i++)
        if (out->items[i].version == out->items[i - 1].version) {
            complain("%s: %s and %s have the same number", schema_dir, out->items[i - 1].file,
                     out->items[i].file);
            return -1;
        }
    return 0;
}

static int list_migrations(const char *schema_dir, migration_list *out)
{
    name_list files = {0};
    if (list_sql_files(schema_dir, &files) != 0)
        return -1;
    int rc = collect_migrations(schema_dir, &files, out);
    name_list_free(&files);
    if (rc != 0)
        migration_list_free(out);
    return rc;
}

/* 1 when schema/version is recorded as applied, 0 when not, -1 on error. */
static int migration_recorded(PGconn *conn, const char *schema, const migration *m)
{
    char version[16];
    snprintf(version, sizeof version, "%d", m->version);
    const char *const params[] = {schema, version};
    PGresult *res = exec_params(conn,
                                "SELECT name FROM public.schema_migrations"
                                " WHERE schema_name = $1 AND version = $2",
                                2, params, "schema_migrations");
    if (!res)
        return -1;
    int recorded = PQntuples(res) > 0;
    /* A renamed file keeps its number, so it is still applied; say so, since
     * it more often means two branches picked the same number. */
    if (recorded && strcmp(PQgetvalue(res, 0, 0), m->file) != 0)
        fprintf(stderr, PROG ": warning: %s/%s: version %d was applied as %s\n", schema, m->file,
                m->version, PQgetvalue(res, 0, 0));
    PQclear(res);
    return recorded;
}

static role_access service_role_access(PGconn *conn, const char *role)
{
    const char *const params[] = {role};
    /* pg_has_role by oid: a name that does not exist would be an error. */
    PGresult *res = exec_params(conn,
                                "SELECT pg_has_role(current_user, oid, 'MEMBER')"
                                " FROM pg_roles WHERE rolname = $1",
                                1, params, "role lookup");
    if (!res)
        return ROLE_ERROR;
    role_access access = ROLE_ABSENT;
    if (PQntuples(res) == 1)
        access = strcmp(PQgetvalue(res, 0, 0), "t") == 0 ? ROLE_MEMBER : ROLE_NOT_MEMBER;
    PQclear(res);
    return access;
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

/* The file ran inside our transaction; if it ended it (COMMIT, ROLLBACK),
 * the record below would no longer be atomic with it, so stop and say what
 * state that left behind. */
static int still_in_transaction(PGconn *conn, const char *label)
{
    if (PQtransactionStatus(conn) == PQTRANS_INTRANS)
        return 1;
    complain("%s: ended the transaction it runs in (COMMIT or ROLLBACK); what ran before that "
             "may be committed, and the file is not recorded as applied",
             label);
    return 0;
}

static int record_migration(PGconn *conn, const char *schema, const migration *m, const char *label)
{
    char version[16];
    snprintf(version, sizeof version, "%d", m->version);
    const char *const params[] = {schema, version, m->file};
    PGresult *res = exec_params(conn,
                                "INSERT INTO public.schema_migrations (schema_name, version, name)"
                                " VALUES ($1, $2, $3)",
                                3, params, label);
    int rc = res ? 0 : -1;
    PQclear(res);
    return rc;
}

/* Applies one migration in its own transaction. set_role (may be NULL) makes
 * the schema's service role the owner of what the file creates; the record
 * is written as the connecting user, who owns schema_migrations. */
static int apply_migration(PGconn *conn, const char *schema_dir, const char *schema,
                           const char *set_role, const migration *m)
{
    int rc = -1;
    size_t label_len = strlen(schema) + 1 + strlen(m->file) + 1;
    char *label = malloc(label_len);
    char *path = path_join(schema_dir, m->file);
    char *sql = path ? read_text_file(path) : NULL;
    if (!label || !sql) {
        if (!label)
            complain("out of memory");
        goto out;
    }
    snprintf(label, label_len, "%s/%s", schema, m->file);
    if (exec_sql(conn, "BEGIN", label) != 0)
        goto out;
    if ((set_role && exec_sql(conn, set_role, label) != 0) || exec_sql(conn, sql, label) != 0 ||
        !still_in_transaction(conn, label) ||
        (set_role && exec_sql(conn, "RESET ROLE", label) != 0) ||
        record_migration(conn, schema, m, label) != 0 || exec_sql(conn, "COMMIT", label) != 0) {
        rollback(conn);
        goto out;
    }
    printf("applied %s\n", label);
    rc = 0;
out:
    free(sql);
    free(path);
    free(label);
    return rc;
}

/* Applies the pending migrations of one schema, counting applied and
 * already-applied ones. */
static int migrate_schema(PGconn *conn, const char *migrations_dir, const char *schema,
                          int *applied, int *skipped)
{
    char role[64];
    snprintf(role, sizeof role, "rcycle_%s", schema);
    char *schema_dir = path_join(migrations_dir, schema);
    migration_list list = {0};
    char *set_role = NULL;
    int rc = -1;
    if (!schema_dir || list_migrations(schema_dir, &list) != 0)
        goto out;
    role_access access = service_role_access(conn, role);
    if (access == ROLE_ERROR)
        goto out;
    if (access == ROLE_MEMBER && !(set_role = set_role_sql(conn, role))) {
        complain("out of memory");
        goto out;
    }
    for (size_t i = 0; i < list.count; i++) {
        int recorded = migration_recorded(conn, schema, &list.items[i]);
        if (recorded < 0)
            goto out;
        if (recorded) {
            (*skipped)++;
            continue;
        }
        if (apply_migration(conn, schema_dir, schema, set_role, &list.items[i]) != 0)
            goto out;
        (*applied)++;
    }
    rc = 0;
out:
    free(set_role);
    migration_list_free(&list);
    free(schema_dir);
    return rc;
}

/* Gives role what it needs on its schema even where something there was
 * created by another user; GRANT is idempotent, so this runs every time. */
static int grant_schema(PGconn *conn, const char *schema, const char *role)
{
    char *s = PQescapeIdentifier(conn, schema, strlen(schema));
    char *r = PQescapeIdentifier(conn, role, strlen(role));
    char *sql = NULL;
    int rc = -1;
    if (s && r) {
        const char *fmt = "GRANT USAGE ON SCHEMA %s TO %s;"
                          " GRANT ALL ON ALL TABLES IN SCHEMA %s TO %s;"
                          " GRANT ALL ON ALL SEQUENCES IN SCHEMA %s TO %s";
        int n = snprintf(NULL, 0, fmt, s, r, s, r, s, r);
        sql = n > 0 ? malloc((size_t)n + 1) : NULL;
        if (sql) {
            snprintf(sql, (size_t)n + 1, fmt, s, r, s, r, s, r);
            rc = exec_sql(conn, sql, "grants");
        }
    }
    if (!sql)
        complain("out of memory");
    free(sql);
    PQfreemem(r);
    PQfreemem(s);
    return rc;
}

static int grant_service_roles(PGconn *conn)
{
    for (size_t i = 0; i < NSCHEMAS; i++) {
        char role[64];
        snprintf(role, sizeof role, "rcycle_%s", SCHEMAS[i]);
        role_access access = service_role_access(conn, role);
        if (access == ROLE_ERROR)
            return -1;
        if (access != ROLE_ABSENT && grant_schema(conn, SCHEMAS[i], role) != 0)
            return -1;
    }
    return 0;
}

static int migrate_all(PGconn *conn, const char *migrations_dir)
{
    int applied = 0, skipped = 0;
    for (size_t i = 0; i < NSCHEMAS; i++)
        if (migrate_schema(conn, migrations_dir, SCHEMAS[i], &applied, &skipped) != 0) {
            complain("stopped: %d migration(s) applied before the failure", applied);
            return -1;
        }
    if (grant_service_roles(conn) != 0)
        return -1;
    if (applied == 0)
        printf("database is up to date (%d migration(s) already applied)\n", skipped);
    else
        printf("applied %d migration(s); %d were already applied\n", applied, skipped);
    return 0;
}

/* ---- seed ---- */

/* An argon2id string for RCYCLE_SEED_PASSWORD, as svc-users stores them. */
static int hash_seed_password(char hash[crypto_pwhash_STRBYTES])
{
    if (sodium_init() < 0) {
        complain("libsodium failed to initialise");
        return -1;
    }
    const char *password = env_or("RCYCLE_SEED_PASSWORD", DEFAULT_SEED_PASSWORD);
    if (crypto_pwhash_str(hash, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
        complain("cannot hash RCYCLE_SEED_PASSWORD: out of memory");
        return -1;
    }
    return 0;
}

/* Hands the hash to the seed SQL as a setting local to the transaction, so
 * it is passed as a parameter and never spliced into SQL text. */
static int pass_password_hash(PGconn *conn, const char *hash)
{
    const char *const params[] = {hash};
    PGresult *res = exec_params(conn, "SELECT set_config('rcycle.seed_password_hash', $1, true)", 1,
                                params, "seed password");
    int rc = res ? 0 : -1;
    PQclear(res);
    return rc;
}

static int run_seed_file(PGconn *conn, const char *seed_dir, const char *name)
{
    char *path = path_join(seed_dir, name);
    char *sql = path ? read_text_file(path) : NULL;
    int rc = -1;
    if (sql && exec_sql(conn, sql, path) == 0 && still_in_transaction(conn, path))
        rc = 0;
    free(sql);
    free(path);
    return rc;
}

/* Runs every .sql file of seed_dir, in name order, in one transaction: the
 * seed lands whole or not at all. The files guard their own inserts, so a
 * second run adds nothing. */
static int run_seed(PGconn *conn, const char *seed_dir)
{
    name_list files = {0};
    char hash[crypto_pwhash_STRBYTES];
    int rc = -1;
    if (list_sql_files(seed_dir, &files) != 0)
        return -1;
    if (files.count == 0) {
        complain("%s holds no .sql files", seed_dir);
        goto out;
    }
    if (hash_seed_password(hash) != 0 || exec_sql(conn, "BEGIN", "seed") != 0)
        goto out;
    if (pass_password_hash(conn, hash) != 0)
        goto failed;
    for (size_t i = 0; i < files.count; i++)
        if (run_seed_file(conn, seed_dir, files.items[i]) != 0)
            goto failed;
    if (exec_sql(conn, "COMMIT", "seed") != 0)
        goto failed;
    printf("seeded from %s (%zu file(s))\n", seed_dir, files.count);
    rc = 0;
    goto out;
failed:
    rollback(conn);
    complain("seed rolled back: nothing from %s was kept", seed_dir);
out:
    name_list_free(&files);
    return rc;
}

/* ---- main ---- */

/* Returns 0 to run, 1 after printing help, 2 on a usage error. */
static int parse_args(int argc, char **argv, options *opt)
{
    opt->migrations_dir = env_or("RCYCLE_MIGRATIONS_DIR", DEFAULT_MIGRATIONS_DIR);
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
            complain("unknown argument: %s", arg);
            usage(stderr);
            return 2;
        }
        const char *eq = strchr(arg, '=');
        const char *value = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
        if (!value || !*value) {
            complain("%.*s needs a directory", (int)(eq ? eq - arg : (long)strlen(arg)), arg);
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
    PGconn *conn = connect_database();
    if (!conn)
        return 1;
    int failed = prepare_session(conn) != 0 || lock_migrations(conn) != 0 ||
                 run_bootstrap(conn, opt.migrations_dir) != 0 ||
                 migrate_all(conn, opt.migrations_dir) != 0 ||
                 (opt.seed_dir && run_seed(conn, opt.seed_dir) != 0);
    /* Closing the session also releases the advisory lock. */
    PQfinish(conn);
    return failed ? 1 : 0;
}
