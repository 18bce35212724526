/* admin.c - rcycle-admin, the operator's tool.
 *
 *   rcycle-admin import-hardware [--skip-bad] FILE.csv
 *
 * Loads or updates hardware registry entries from a CSV export of the site's
 * asset system (see hardware_csv.h for the columns). Every bad line is
 * reported with its number and reason; when any line is bad nothing is
 * changed, unless --skip-bad asks to load the good lines anyway. The whole
 * load is one transaction. DATABASE_URL names the database (svc-listings'
 * role or an administrator). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "hardware_csv.h"

#define MAX_FILE_BYTES (64 * 1024 * 1024)

static const char upsert_sql[] =
    "INSERT INTO listings.hardware (serial_number, manufacturer, model, category, cpu, ram, "
    "storage, ports, other, has_storage_media) "
    "VALUES ($1, $2, $3, $4, $5, $6, ARRAY(SELECT json_array_elements_text($7::json)), $8, $9, "
    "$10::boolean) "
    "ON CONFLICT (serial_number) DO UPDATE SET manufacturer = EXCLUDED.manufacturer, "
    "model = EXCLUDED.model, category = EXCLUDED.category, cpu = EXCLUDED.cpu, "
    "ram = EXCLUDED.ram, storage = EXCLUDED.storage, ports = EXCLUDED.ports, "
    "other = EXCLUDED.other, has_storage_media = EXCLUDED.has_storage_media, updated_at = now() "
    "RETURNING (xmax = 0)";

static int usage(void)
{
    fprintf(stderr, "usage: rcycle-admin import-hardware [--skip-bad] FILE.csv\n"
                    "  (DATABASE_URL names the database)\n");
    return 2;
}

/* Reads the whole file; NULL with a message when it cannot. */
static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        perror(path);
        return NULL;
    }
    char *buf = malloc(MAX_FILE_BYTES + 1);
    if (buf == NULL)
        abort();
    *len = fread(buf, 1, MAX_FILE_BYTES + 1, f);
    int failed = ferror(f);
    fclose(f);
    if (failed || *len > MAX_FILE_BYTES) {
        fprintf(stderr, "%s: %s\n", path, failed ? "cannot be read" : "is larger than 64 MiB");
        free(buf);
        return NULL;
    }
    return buf;
}

static int exec_ok(PGconn *pg, const char *sql)
{
    PGresult *res = PQexec(pg, sql);
    int ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    if (!ok)
        fprintf(stderr, "database: %s", PQerrorMessage(pg));
    PQclear(res);
    return ok;
}

/* Upserts every row in one transaction; counts inserted and updated. */
static int load_rows(PGconn *pg, const hw_import *imp, int *inserted, int *updated)
{
    if (!exec_ok(pg, "BEGIN"))
        return -1;
    for (size_t i = 0; i < imp->nrows; i++) {
        const hw_row *row = &imp->rows[i];
        const char *params[HW_NCOLUMNS];
        for (int c = 0; c < HW_NCOLUMNS; c++)
            params[c] = row->values[c];
        params[HW_HAS_STORAGE_MEDIA] = row->has_storage_media ? "true" : "false";
        PGresult *res = PQexecParams(pg, upsert_sql, HW_NCOLUMNS, NULL, params, NULL, NULL, 0);
        if (PQresultStatus(res) != PGRES_TUPLES_OK) {
            fprintf(stderr, "line %d: the database refused it: %s", row->line,
                    PQresultErrorMessage(res));
            PQclear(res);
            exec_ok(pg, "ROLLBACK");
            return -1;
        }
        if (PQgetvalue(res, 0, 0)[0] == 't')
            (*inserted)++;
        else
            (*updated)++;
        PQclear(res);
    }
    return exec_ok(pg, "COMMIT") ? 0 : -1;
}

static int import_hardware(const char *path, int skip_bad)
{
    size_t len;
    char *data = read_file(path, &len);
    if (data == NULL)
        return 1;
    hw_import imp;
    hw_csv_read(data, len, &imp);
    free(data);
    for (size_t i = 0; i < imp.nerrors; i++)
        fprintf(stderr, "%s: %s\n", path, imp.errors[i]);
    int status = 1;
    if (imp.fatal || (imp.nerrors > 0 && !skip_bad)) {
        fprintf(stderr, "%s: %zu bad line(s); nothing was changed%s\n", path, imp.nerrors,
                imp.fatal ? "" : " (--skip-bad loads the good lines)");
        goto out;
    }
    const char *url = getenv("DATABASE_URL");
    PGconn *pg = PQconnectdb(url && url[0] ? url : "postgresql:///rcycle");
    if (PQstatus(pg) != CONNECTION_OK) {
        /* libpq's message may repeat the URL, which may hold a password. */
        fprintf(stderr, "DATABASE_URL: cannot connect to the database\n");
    } else {
        int inserted = 0, updated = 0;
        if (load_rows(pg, &imp, &inserted, &updated) == 0) {
            printf("%s: %d added, %d updated, %zu skipped\n", path, inserted, updated, imp.nerrors);
            status = 0;
        }
    }
    PQfinish(pg);
out:
    hw_import_free(&imp);
    return status;
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "import-hardware") != 0)
        return usage();
    int skip_bad = 0;
    const char *path = NULL;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--skip-bad") == 0)
            skip_bad = 1;
        else if (path == NULL && argv[i][0] != '-')
            path = argv[i];
        else
            return usage();
    }
    return path ? import_hardware(path, skip_bad) : usage();
}
