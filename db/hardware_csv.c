/* hardware_csv.c - CSV registry export -> checked device rows (libcsv does
 * the CSV syntax; this file the meaning). */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <csv.h>
#include <jansson.h>

#include "hardware_csv.h"
#include "text.h"

#define MAX_SERIAL_CHARS 100
#define MAX_TEXT_CHARS   2000

static const char *const column_names[HW_NCOLUMNS] = {
    "serial", "manufacturer", "model", "category", "cpu",
    "ram",    "storage",      "ports", "other",    "has_storage_media",
};

static const char *const categories[] = {"Server", "Networking", "Storage"};

/* The record libcsv is assembling, and what is known of the file so far. */
typedef struct reader {
    hw_import *out;
    int line; /* the line the record being read ends on */
    int header_done;
    int position[HW_NCOLUMNS]; /* field index of each column */
    size_t header_fields;
    char **fields;
    size_t nfields;
    size_t cap;
} reader;

static void add_error(hw_import *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void add_error(hw_import *out, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    out->errors = realloc(out->errors, (out->nerrors + 1) * sizeof *out->errors);
    if (out->errors == NULL || (out->errors[out->nerrors] = strdup(buf)) == NULL)
        abort();
    out->nerrors++;
}

static char *trimmed_copy(const char *s, size_t len)
{
    while (len > 0 && isspace((unsigned char)*s))
        s++, len--;
    while (len > 0 && isspace((unsigned char)s[len - 1]))
        len--;
    char *copy = malloc(len + 1);
    if (copy == NULL)
        abort();
    memcpy(copy, s, len);
    copy[len] = '\0';
    return copy;
}

static void on_field(void *data, size_t len, void *arg)
{
    reader *r = arg;
    if (r->nfields == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 16;
        r->fields = realloc(r->fields, r->cap * sizeof *r->fields);
        if (r->fields == NULL)
            abort();
    }
    r->fields[r->nfields++] = trimmed_copy(data ? data : "", data ? len : 0);
}

static void clear_fields(reader *r)
{
    for (size_t i = 0; i < r->nfields; i++)
        free(r->fields[i]);
    r->nfields = 0;
}

static int read_header(reader *r)
{
    r->header_fields = r->nfields;
    for (int c = 0; c < HW_NCOLUMNS; c++) {
        r->position[c] = -1;
        for (size_t i = 0; i < r->nfields; i++)
            if (strcasecmp(r->fields[i], column_names[c]) == 0)
                r->position[c] = (int)i;
        if (r->position[c] < 0) {
            add_error(r->out, "line 1: the header has no column \"%s\"", column_names[c]);
            r->out->fatal = 1;
        }
    }
    return r->out->fatal ? -1 : 0;
}

static const char *canonical_category(const char *s)
{
    for (size_t i = 0; i < sizeof categories / sizeof categories[0]; i++)
        if (strcasecmp(s, categories[i]) == 0)
            return categories[i];
    return NULL;
}

/* 1 true, 0 false, -1 neither. */
static int parse_flag(const char *s)
{
    static const char *const yes[] = {"true", "yes", "y", "1", "t"};
    static const char *const no[] = {"false", "no", "n", "0", "f"};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        if (strcasecmp(s, yes[i]) == 0)
            return 1;
        if (strcasecmp(s, no[i]) == 0)
            return 0;
    }
    return -1;
}

/* "a; b;;c" -> ["a","b","c"] as JSON text. */
static char *storage_json(const char *s)
{
    json_t *items = json_array();
    const char *p = s;
    while (*p) {
        size_t n = strcspn(p, ";");
        char *item = trimmed_copy(p, n);
        if (item[0] != '\0')
            json_array_append_new(items, json_string(item));
        free(item);
        p += n;
        if (*p == ';')
            p++;
    }
    char *text = json_dumps(items, JSON_COMPACT);
    json_decref(items);
    if (text == NULL)
        abort();
    return text;
}

/* Checks the record's values; returns the reason it is bad, or NULL. */
static const char *check_values(char *const values[HW_NCOLUMNS], char *why, size_t why_len)
{
    for (int c = 0; c < HW_NCOLUMNS; c++) {
        long chars = text_utf8_chars(values[c]);
        if (chars < 0) {
            snprintf(why, why_len, "%s is not valid UTF-8", column_names[c]);
            return why;
        }
        if (chars > (c == HW_SERIAL ? MAX_SERIAL_CHARS : MAX_TEXT_CHARS)) {
            snprintf(why, why_len, "%s is too long", column_names[c]);
            return why;
        }
    }
    if (values[HW_SERIAL][0] == '\0')
        return "serial is empty";
    if (values[HW_MANUFACTURER][0] == '\0')
        return "manufacturer is empty";
    if (values[HW_MODEL][0] == '\0')
        return "model is empty";
    if (canonical_category(values[HW_CATEGORY]) == NULL) {
        snprintf(why, why_len, "category \"%s\" is not Server, Networking or Storage",
                 values[HW_CATEGORY]);
        return why;
    }
    if (parse_flag(values[HW_HAS_STORAGE_MEDIA]) < 0) {
        snprintf(why, why_len, "has_storage_media \"%s\" is not true or false",
                 values[HW_HAS_STORAGE_MEDIA]);
        return why;
    }
    return NULL;
}

static const hw_row *find_serial(const hw_import *out, const char *serial)
{
    for (size_t i = 0; i < out->nrows; i++)
        if (strcmp(out->rows[i].values[HW_SERIAL], serial) == 0)
            return &out->rows[i];
    return NULL;
}

/* Moves the record's values into a new row, normalised. */
static void keep_row(reader *r, char *values[HW_NCOLUMNS])
{
    hw_import *out = r->out;
    out->rows = realloc(out->rows, (out->nrows + 1) * sizeof *out->rows);
    if (out->rows == NULL)
        abort();
    hw_row *row = &out->rows[out->nrows++];
    row->line = r->line;
    row->has_storage_media = parse_flag(values[HW_HAS_STORAGE_MEDIA]);
    for (int c = 0; c < HW_NCOLUMNS; c++) {
        char *v = values[c];
        if (c == HW_CATEGORY)
            v = strdup(canonical_category(v));
        else if (c == HW_STORAGE)
            v = storage_json(v);
        else if (v[0] == '\0' && (c == HW_CPU || c == HW_RAM || c == HW_PORTS || c == HW_OTHER))
            v = NULL;
        else
            v = strdup(v);
        row->values[c] = v;
    }
}

static void read_device(reader *r)
{
    if (r->nfields != r->header_fields) {
        add_error(r->out, "line %d: %zu fields where the header has %zu", r->line, r->nfields,
                  r->header_fields);
        return;
    }
    char *values[HW_NCOLUMNS];
    for (int c = 0; c < HW_NCOLUMNS; c++)
        values[c] = r->fields[r->position[c]];
    char why[256];
    const char *bad = check_values(values, why, sizeof why);
    const hw_row *twin = bad ? NULL : find_serial(r->out, values[HW_SERIAL]);
    if (bad != NULL)
        add_error(r->out, "line %d: %s", r->line, bad);
    else if (twin != NULL)
        add_error(r->out, "line %d: serial %s is already on line %d", r->line, values[HW_SERIAL],
                  twin->line);
    else
        keep_row(r, values);
}

static void on_record(int terminator, void *arg)
{
    (void)terminator;
    reader *r = arg;
    int blank = r->nfields == 1 && r->fields[0][0] == '\0';
    if (!r->header_done) {
        r->header_done = 1;
        read_header(r);
    } else if (!blank && !r->out->fatal) {
        read_device(r);
    }
    clear_fields(r);
}

void hw_csv_read(const char *data, size_t len, hw_import *out)
{
    memset(out, 0, sizeof *out);
    reader r = {.out = out};
    struct csv_parser parser;
    if (csv_init(&parser, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0)
        abort();
    /* Fed one line at a time, so that a record's callback knows the line it
     * ends on (libcsv itself keeps no positions, and skips blank lines). */
    int ok = 1;
    for (size_t at = 0; ok && at < len;) {
        const char *nl = memchr(data + at, '\n', len - at);
        size_t n = nl ? (size_t)(nl - (data + at)) + 1 : len - at;
        r.line++;
        ok = csv_parse(&parser, data + at, n, on_field, on_record, &r) == n;
        at += n;
    }
    if (!ok || csv_fini(&parser, on_field, on_record, &r) != 0) {
        add_error(out, "line %d: %s", r.line, csv_strerror(csv_error(&parser)));
        out->fatal = 1;
    }
    if (!r.header_done && !out->fatal) {
        add_error(out, "line 1: the file is empty; a header row is required");
        out->fatal = 1;
    }
    csv_free(&parser);
    clear_fields(&r);
    free(r.fields);
}

void hw_import_free(hw_import *imp)
{
    for (size_t i = 0; i < imp->nrows; i++)
        for (int c = 0; c < HW_NCOLUMNS; c++)
            free(imp->rows[i].values[c]);
    for (size_t i = 0; i < imp->nerrors; i++)
        free(imp->errors[i]);
    free(imp->rows);
    free(imp->errors);
    memset(imp, 0, sizeof *imp);
}
