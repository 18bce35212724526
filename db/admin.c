/* admin.c - rcycle-admin, the operator's tool.
 *
 *   rcycle-admin import-hardware [--skip-bad] FILE.csv
 *   rcycle-admin verify-audit [--heads FILE] FILE|-   (admin_verify.c)
 *
 * Loads or updates hardware registry entries from a CSV export of the site's
 * asset system (see hardware_csv.h for the columns). Every bad line is
 * reported with its number and reason; when any line is bad nothing is
 * changed, unless --skip-bad asks to load the good lines anyway. The whole
 * load is one transaction. DATABASE_URL names the database (svc-listings'
 * role or an administrator); the connection and the file reading are
 * pgtool's, as rcycle-migrate's are. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "hardware_csv.h"
#include "pgtool.h"

#define PROG ADMIN_PROG

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

/* One event on the listings chain for the whole import, in its transaction.
 * No user signed in: the database role that ran it is named instead. */
static const char audit_sql[] =
    "INSERT INTO listings.events (entity, action, note) "
    "VALUES ('registry', 'imported', $1 || ' (database role ' || session_user || ')')";

int admin_usage(void)
{
    fprintf(stderr, "usage: " PROG " import-hardware [--skip-bad] FILE.csv\n"
                    "  (DATABASE_URL names the database)\n"
                    "       " PROG " verify-audit [--heads FILE] FILE|-\n"
                    "  (an audit export; no database)\n");
    return 2;
}

/* Upserts one row, counting it as inserted or updated. */
static pgt_status upsert_row(PGconn *pg, const hw_row *row, int *inserted, int *updated,
                             pgt_error *err)
{
    const char *params[HW_NCOLUMNS];
    for (int c = 0; c < HW_NCOLUMNS; c++)
        params[c] = row->values[c];
    params[HW_HAS_STORAGE_MEDIA] = row->has_storage_media ? "true" : "false";
    char label[48];
    snprintf(label, sizeof label, "line %d: the database refused it", row->line);
    PGresult *res;
    pgt_status status = pgt_exec_params(pg, upsert_sql, HW_NCOLUMNS, params, label, &res, err);
    if (status != PGT_OK)
        return status;
    if (PQgetvalue(res, 0, 0)[0] == 't')
        (*inserted)++;
    else
        (*updated)++;
    PQclear(res);
    return PGT_OK;
}

static pgt_status record_import(PGconn *pg, const char *path, const hw_import *imp, int inserted,
                                int updated, pgt_error *err)
{
    const char *base = strrchr(path, '/');
    char note[320];
    snprintf(note, sizeof note, "%.200s: %d added, %d updated, %zu skipped", base ? base + 1 : path,
             inserted, updated, imp->nerrors);
    const char *params[] = {note};
    PGresult *res;
    pgt_status status = pgt_exec_params(pg, audit_sql, 1, params, "audit event", &res, err);
    if (status == PGT_OK)
        PQclear(res);
    return status;
}

/* Upserts every row and records the import in one transaction; counts
 * inserted and updated. */
static pgt_status load_rows(PGconn *pg, const char *path, const hw_import *imp, int *inserted,
                            int *updated, pgt_error *err)
{
    pgt_status status = pgt_exec(pg, "BEGIN", "database", err);
    for (size_t i = 0; status == PGT_OK && i < imp->nrows; i++)
        status = upsert_row(pg, &imp->rows[i], inserted, updated, err);
    if (status == PGT_OK)
        status = record_import(pg, path, imp, *inserted, *updated, err);
    if (status == PGT_OK)
        status = pgt_exec(pg, "COMMIT", "database", err);
    else
        pgt_rollback(pg);
    return status;
}

/* Loads the good rows of imp into the database DATABASE_URL names. */
static pgt_status load(const char *path, const hw_import *imp, pgt_error *err)
{
    PGconn *pg;
    pgt_status status = pgt_connect(pgt_database_url(), PROG, PGT_CONNECT_TIMEOUT_S, &pg, err);
    int inserted = 0, updated = 0;
    if (status == PGT_OK)
        status = load_rows(pg, path, imp, &inserted, &updated, err);
    if (status == PGT_OK)
        printf("%s: %d added, %d updated, %zu skipped\n", path, inserted, updated, imp->nerrors);
    PQfinish(pg);
    return status;
}

static int import_hardware(const char *path, int skip_bad)
{
    pgt_error err = {0};
    char *data;
    size_t len;
    if (pgt_read_file(path, &data, &len, &err) != PGT_OK) {
        pgt_report(PROG, &err);
        pgt_error_clear(&err);
        return 1;
    }
    hw_import imp;
    hw_csv_read(data, len, &imp);
    free(data);
    for (size_t i = 0; i < imp.nerrors; i++)
        fprintf(stderr, "%s: %s\n", path, imp.errors[i]);
    int status = 1;
    if (imp.fatal || (imp.nerrors > 0 && !skip_bad))
        fprintf(stderr, "%s: %zu bad line(s); nothing was changed%s\n", path, imp.nerrors,
                imp.fatal ? "" : " (--skip-bad loads the good lines)");
    else if (load(path, &imp, &err) == PGT_OK)
        status = 0;
    else
        pgt_report(PROG, &err);
    pgt_error_clear(&err);
    hw_import_free(&imp);
    return status;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "verify-audit") == 0)
        return admin_verify_audit(argc - 2, argv + 2);
    if (argc < 2 || strcmp(argv[1], "import-hardware") != 0)
        return admin_usage();
    int skip_bad = 0;
    const char *path = NULL;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--skip-bad") == 0)
            skip_bad = 1;
        else if (path == NULL && argv[i][0] != '-')
            path = argv[i];
        else
            return admin_usage();
    }
    return path ? import_hardware(path, skip_bad) : admin_usage();
}
