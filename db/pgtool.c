/* pgtool.c - the shared layer of the database tools; see pgtool.h. */
#include "pgtool.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>

/* ---- errors ---- */

pgt_status pgt_fail(pgt_error *err, pgt_status status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    free(err->message);
    err->message = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (!err->message) {
        err->status = PGT_NOMEM;
        return PGT_NOMEM;
    }
    va_start(ap, fmt);
    vsnprintf(err->message, (size_t)n + 1, fmt, ap);
    va_end(ap);
    err->status = status;
    return status;
}

pgt_status pgt_append(pgt_error *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (!err->message)
        return err->status;
    size_t have = strlen(err->message);
    char *grown = n >= 0 ? realloc(err->message, have + (size_t)n + 1) : NULL;
    if (!grown)
        return err->status;
    va_start(ap, fmt);
    vsnprintf(grown + have, (size_t)n + 1, fmt, ap);
    va_end(ap);
    err->message = grown;
    return err->status;
}

void pgt_error_clear(pgt_error *err)
{
    free(err->message);
    *err = (pgt_error){0};
}

void pgt_report(const char *prog, const pgt_error *err)
{
    fprintf(stderr, "%s: %s\n", prog, err->message ? err->message : "out of memory");
}

pgt_status pgt_nomem(pgt_error *err)
{
    return pgt_fail(err, PGT_NOMEM, "out of memory");
}

/* ---- files ---- */

char *pgt_path_join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + 1 + strlen(name) + 1;
    char *path = malloc(n);
    if (path)
        snprintf(path, n, "%s/%s", dir, name);
    return path;
}

pgt_status pgt_read_file(const char *path, char **text, size_t *len, pgt_error *err)
{
    *text = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return pgt_fail(err, PGT_IO, "cannot open %s: %s", path, strerror(errno));
    char *buf = NULL;
    size_t n = 0, cap = 0;
    pgt_status status = PGT_OK;
    for (;;) {
        /* Doubling keeps the copies linear in the size of the file. */
        if (cap - n < 4096 + 1) {
            size_t new_cap = cap ? cap * 2 : 8192;
            char *grown = new_cap > cap ? realloc(buf, new_cap) : NULL;
            if (!grown) {
                status = pgt_fail(err, PGT_NOMEM, "%s: out of memory reading it", path);
                break;
            }
            buf = grown;
            cap = new_cap;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0)
            break;
    }
    if (status == PGT_OK && ferror(f))
        status = pgt_fail(err, PGT_IO, "cannot read %s", path);
    fclose(f);
    if (status != PGT_OK) {
        free(buf);
        return status;
    }
    buf[n] = '\0';
    *text = buf;
    if (len)
        *len = n;
    return PGT_OK;
}

pgt_status pgt_read_sql_file(const char *path, char **sql, pgt_error *err)
{
    size_t len;
    pgt_status status = pgt_read_file(path, sql, &len, err);
    if (status == PGT_OK && strlen(*sql) != len) {
        free(*sql);
        *sql = NULL;
        return pgt_fail(err, PGT_INVALID, "%s contains a NUL byte", path);
    }
    return status;
}

static int names_add(pgt_names *names, const char *name)
{
    if (names->count == names->cap) {
        size_t new_cap = names->cap ? names->cap * 2 : 8;
        char **grown = realloc(names->items, new_cap * sizeof *grown);
        if (!grown)
            return -1;
        names->items = grown;
        names->cap = new_cap;
    }
    char *copy = strdup(name);
    if (!copy)
        return -1;
    names->items[names->count++] = copy;
    return 0;
}

void pgt_names_free(pgt_names *names)
{
    for (size_t i = 0; i < names->count; i++)
        free(names->items[i]);
    free(names->items);
    *names = (pgt_names){0};
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int is_sql_name(const char *name)
{
    size_t n = strlen(name);
    return name[0] != '.' && n >= 4 && strcmp(name + n - 4, ".sql") == 0;
}

pgt_status pgt_list_sql_files(const char *dir, pgt_names *out, pgt_error *err)
{
    DIR *d = opendir(dir);
    if (!d)
        return pgt_fail(err, PGT_IO, "cannot open directory %s: %s", dir, strerror(errno));
    pgt_status status = PGT_OK;
    const struct dirent *entry;
    while (status == PGT_OK && (entry = readdir(d)) != NULL)
        if (is_sql_name(entry->d_name) && names_add(out, entry->d_name) != 0)
            status = pgt_nomem(err);
    closedir(d);
    if (status != PGT_OK) {
        pgt_names_free(out);
        return status;
    }
    if (out->count > 0)
        qsort(out->items, out->count, sizeof out->items[0], compare_names);
    return PGT_OK;
}

/* ---- connecting ---- */

const char *pgt_database_url(void)
{
    const char *url = getenv("DATABASE_URL");
    return url && *url ? url : PGT_DEFAULT_DATABASE_URL;
}

/* msg on one line (libpq's may span several), with every occurrence of
 * secret masked: the password must not reach a log even if a message ever
 * quotes it. */
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

static const char *password_of(const PQconninfoOption *opts)
{
    for (const PQconninfoOption *o = opts; o->keyword; o++)
        if (strcmp(o->keyword, "password") == 0)
            return o->val;
    return NULL;
}

pgt_status pgt_connect(const char *url, const char *app, int timeout_s, PGconn **out,
                       pgt_error *err)
{
    *out = NULL;
    char *parse_error = NULL;
    PQconninfoOption *opts = PQconninfoParse(url, &parse_error);
    if (!opts) {
        /* libpq's parse message quotes the string, password included. */
        PQfreemem(parse_error);
        return pgt_fail(err, PGT_INVALID,
                        "DATABASE_URL is not a valid PostgreSQL URL or connection string");
    }
    char timeout[16];
    snprintf(timeout, sizeof timeout, "%d", timeout_s);
    /* Keywords are applied in order and dbname expands to the whole URL, so
     * these defaults come first and the URL's own settings win. */
    const char *const keys[] = {"connect_timeout", "application_name", "dbname", NULL};
    const char *const values[] = {timeout, app, url, NULL};
    PGconn *conn = PQconnectdbParams(keys, values, 1);
    pgt_status status = PGT_OK;
    if (PQstatus(conn) == CONNECTION_OK) {
        *out = conn;
    } else {
        char *why = one_line_without_secret(conn ? PQerrorMessage(conn) : "out of memory",
                                            password_of(opts));
        status =
            pgt_fail(err, PGT_CONNECT, "cannot connect to the database named by DATABASE_URL: %s",
                     why ? why : "out of memory");
        free(why);
        PQfinish(conn);
    }
    PQconninfoFree(opts);
    return status;
}

/* ---- running SQL ---- */

/* The 1-based line of sql holding byte offset. */
static int line_of_offset(const char *sql, size_t offset)
{
    int line = 1;
    for (size_t i = 0; i < offset && sql[i]; i++)
        if (sql[i] == '\n')
            line++;
    return line;
}

/* The byte offset of the 1-based character position the server reports (it
 * counts characters, so UTF-8 continuation bytes are not counted). */
static size_t offset_of_position(const char *sql, long position)
{
    long chars = 0;
    size_t i = 0;
    for (; sql[i]; i++) {
        if (((unsigned char)sql[i] & 0xC0) == 0x80)
            continue;
        if (++chars >= position)
            break;
    }
    return i;
}

/* The offset of the first token at or after from that is not a comment: a
 * statement as the parser splits it begins right after the previous ';'. */
static size_t first_token_from(const char *sql, int from)
{
    PgQueryScanResult scan = pg_query_scan(sql);
    size_t offset = (size_t)from;
    PgQuery__ScanResult *tokens =
        scan.error
            ? NULL
            : pg_query__scan_result__unpack(NULL, scan.pbuf.len, (const uint8_t *)scan.pbuf.data);
    for (size_t i = 0; tokens && i < tokens->n_tokens; i++) {
        const PgQuery__ScanToken *t = tokens->tokens[i];
        if (t->start >= from && t->token != PG_QUERY__TOKEN__SQL_COMMENT &&
            t->token != PG_QUERY__TOKEN__C_COMMENT) {
            offset = (size_t)t->start;
            break;
        }
    }
    if (tokens)
        pg_query__scan_result__free_unpacked(tokens, NULL);
    pg_query_free_scan_result(scan);
    return offset;
}

/* The line where the index-th (0-based) statement of sql begins, or 0 when
 * sql cannot be split that far. PostgreSQL's own parser does the splitting,
 * so quotes, dollar quotes and comments holding ';' are read as the server
 * reads them. */
static int statement_line(const char *sql, int index)
{
    PgQuerySplitResult split = pg_query_split_with_parser(sql);
    if (split.error) {
        pg_query_free_split_result(split);
        split = pg_query_split_with_scanner(sql);
    }
    int line = 0;
    if (!split.error && index < split.n_stmts)
        line = line_of_offset(sql, first_token_from(sql, split.stmts[index]->stmt_location));
    pg_query_free_split_result(split);
    /* The parser keeps a memory context per thread until told to let go. */
    pg_query_exit();
    return line;
}

/* The trimmed length of libpq's message, which ends with a newline. */
static int trimmed_length(const char *msg)
{
    size_t n = strlen(msg);
    while (n > 0 && isspace((unsigned char)msg[n - 1]))
        n--;
    return n > INT_MAX ? INT_MAX : (int)n;
}

/* Describes a failed command under label. sql, when not NULL, is the text
 * that ran and index the 0-based number of the statement of it that failed. */
static pgt_status sql_failure(const char *label, const char *sql, int index, PGconn *conn,
                              const PGresult *res, pgt_error *err)
{
    const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    if (!primary) {
        /* No server error: the connection itself failed. */
        const char *msg = PQerrorMessage(conn);
        return pgt_fail(err, PGT_SQL, "%s: %.*s", label, trimmed_length(msg), msg);
    }
    const char *sqlstate = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    const char *position = PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION);
    const char *detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
    const char *hint = PQresultErrorField(res, PG_DIAG_MESSAGE_HINT);
    const char *context = PQresultErrorField(res, PG_DIAG_CONTEXT);
    int line = 0;
    if (sql)
        line = position ? line_of_offset(sql, offset_of_position(sql, atol(position)))
                        : statement_line(sql, index);
    char where[16] = "";
    if (line > 0)
        snprintf(where, sizeof where, ":%d", line);
    return pgt_fail(err, PGT_SQL, "%s%s: %s (SQLSTATE %s)%s%s%s%s%s%s", label, where, primary,
                    sqlstate ? sqlstate : "?", detail ? "\n  detail: " : "", detail ? detail : "",
                    hint ? "\n  hint: " : "", hint ? hint : "", context ? "\n  context: " : "",
                    context ? context : "");
}

static int result_ok(const PGresult *res)
{
    ExecStatusType status = PQresultStatus(res);
    return status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_EMPTY_QUERY;
}

/* Runs sql; when lines is set, sql is the text of a file and a failure names
 * the line of the statement that failed. */
static pgt_status exec_text(PGconn *conn, const char *sql, const char *label, int lines,
                            pgt_error *err)
{
    if (!PQsendQuery(conn, sql))
        return sql_failure(label, NULL, 0, conn, NULL, err);
    /* The server answers each statement with a result of its own and stops
     * at the first failure, so counting the results names the statement. */
    pgt_status status = PGT_OK;
    int done = 0;
    PGresult *res;
    while ((res = PQgetResult(conn)) != NULL) {
        if (status == PGT_OK && !result_ok(res))
            status = sql_failure(label, lines ? sql : NULL, done, conn, res, err);
        done++;
        PQclear(res);
    }
    return status;
}

pgt_status pgt_exec(PGconn *conn, const char *sql, const char *label, pgt_error *err)
{
    return exec_text(conn, sql, label, 0, err);
}

pgt_status pgt_run_file(PGconn *conn, const char *path, const char *label, pgt_error *err)
{
    char *sql;
    pgt_status status = pgt_read_sql_file(path, &sql, err);
    if (status == PGT_OK)
        status = exec_text(conn, sql, label ? label : path, 1, err);
    free(sql);
    return status;
}

pgt_status pgt_exec_params(PGconn *conn, const char *sql, int nparams, const char *const *params,
                           const char *label, PGresult **res, pgt_error *err)
{
    *res = PQexecParams(conn, sql, nparams, NULL, params, NULL, NULL, 0);
    if (result_ok(*res))
        return PGT_OK;
    pgt_status status = sql_failure(label, NULL, 0, conn, *res, err);
    PQclear(*res);
    *res = NULL;
    return status;
}

pgt_status pgt_still_in_transaction(PGconn *conn, const char *label, pgt_error *err)
{
    if (PQtransactionStatus(conn) == PQTRANS_INTRANS)
        return PGT_OK;
    return pgt_fail(err, PGT_INVALID,
                    "%s: ended the transaction it runs in (COMMIT or ROLLBACK); what ran before "
                    "that may be committed, and the file is not recorded as applied",
                    label);
}

void pgt_rollback(PGconn *conn)
{
    if (PQtransactionStatus(conn) != PQTRANS_IDLE)
        PQclear(PQexec(conn, "ROLLBACK"));
}
