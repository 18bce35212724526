/* hardware_csv.h - reading a hardware registry export (CSV) into checked
 * rows, for `rcycle-admin import-hardware`. Pure: no database here, so it is
 * unit-tested on its own.
 *
 * The file has a header row naming the columns (any order, any case):
 * serial, manufacturer, model, category, cpu, ram, storage, ports, other,
 * has_storage_media. storage lists the drives separated by ';'. Every other
 * line is one device; a line that breaks a rule is reported with its number
 * and reason and kept out of the rows. */
#ifndef RCYCLE_DB_HARDWARE_CSV_H
#define RCYCLE_DB_HARDWARE_CSV_H

#include <stddef.h>

enum hw_column {
    HW_SERIAL,
    HW_MANUFACTURER,
    HW_MODEL,
    HW_CATEGORY,
    HW_CPU,
    HW_RAM,
    HW_STORAGE,
    HW_PORTS,
    HW_OTHER,
    HW_HAS_STORAGE_MEDIA,
    HW_NCOLUMNS,
};

/* One valid device. Strings are trimmed; optional empty ones are NULL;
 * category is the canonical spelling; storage is a JSON array text. */
typedef struct hw_row {
    int line;
    char *values[HW_NCOLUMNS];
    int has_storage_media;
} hw_row;

typedef struct hw_import {
    hw_row *rows;
    size_t nrows;
    char **errors; /* "line N: reason" */
    size_t nerrors;
    int fatal; /* the file as a whole is unusable (no header, not CSV) */
} hw_import;

/* Parses data[0..len). Always fills out (free it with hw_import_free);
 * out->nerrors > 0 when any line was bad. */
void hw_csv_read(const char *data, size_t len, hw_import *out);
void hw_import_free(hw_import *imp);

#endif
