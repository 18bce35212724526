/* fuzz_hardware_csv.c - libFuzzer target: a registry export as
 * rcycle-admin import-hardware reads it. */
#include <stddef.h>
#include <stdint.h>

#include "hardware_csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    hw_import imp;
    hw_csv_read((const char *)data, size, &imp);
    /* A file is either refused whole or split into rows and errors. */
    if (imp.fatal && imp.nerrors == 0)
        __builtin_trap();
    hw_import_free(&imp);
    return 0;
}
