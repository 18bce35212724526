/* test_hardware_csv.c - the registry import's reading and checking of CSV. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "hardware_csv.h"

#define HEADER "serial,manufacturer,model,category,cpu,ram,storage,ports,other,has_storage_media\n"

static void read_text(const char *text, hw_import *imp)
{
    hw_csv_read(text, strlen(text), imp);
}

static void reads_good_rows(void **state)
{
    (void)state;
    hw_import imp;
    read_text(HEADER "SRV-1,Dell,R740,server,2x Xeon,,\"2x 1TB SSD; 1x 240GB M.2\",4x 10GbE,,yes\n"
                     "\n"
                     "NET-1,Cisco,C9300,Networking,,,,48x 1GbE,\"PoE, stack\",false\n",
              &imp);
    assert_int_equal(imp.nerrors, 0);
    assert_int_equal(imp.nrows, 2);
    assert_string_equal(imp.rows[0].values[HW_CATEGORY], "Server");
    assert_string_equal(imp.rows[0].values[HW_STORAGE], "[\"2x 1TB SSD\",\"1x 240GB M.2\"]");
    assert_null(imp.rows[0].values[HW_RAM]);
    assert_int_equal(imp.rows[0].has_storage_media, 1);
    assert_string_equal(imp.rows[1].values[HW_OTHER], "PoE, stack");
    assert_string_equal(imp.rows[1].values[HW_STORAGE], "[]");
    assert_int_equal(imp.rows[1].has_storage_media, 0);
    assert_int_equal(imp.rows[1].line, 4);
    hw_import_free(&imp);
}

static void header_columns_in_any_order(void **state)
{
    (void)state;
    hw_import imp;
    read_text("Has_Storage_Media,Serial,Model,Manufacturer,Category,CPU,RAM,Storage,Ports,Other\n"
              "no,STR-1,DS224C,NetApp,Storage,,,,,\n",
              &imp);
    assert_int_equal(imp.nerrors, 0);
    assert_int_equal(imp.nrows, 1);
    assert_string_equal(imp.rows[0].values[HW_SERIAL], "STR-1");
    assert_string_equal(imp.rows[0].values[HW_MANUFACTURER], "NetApp");
    hw_import_free(&imp);
}

static void reports_each_bad_line_with_its_number(void **state)
{
    (void)state;
    hw_import imp;
    read_text(HEADER "A,Dell,R1,Server,,,,,,true\n"
                     ",Dell,R2,Server,,,,,,true\n"
                     "B,Dell,R3,Laptop,,,,,,true\n"
                     "C,Dell,R4,Server,,,,,,maybe\n"
                     "A,Dell,R5,Server,,,,,,false\n"
                     "D,Dell\n"
                     "E,Dell,\xff,Server,,,,,,true\n",
              &imp);
    assert_false(imp.fatal);
    assert_int_equal(imp.nrows, 1);
    assert_int_equal(imp.nerrors, 6);
    assert_string_equal(imp.errors[0], "line 3: serial is empty");
    assert_non_null(strstr(imp.errors[1], "line 4: category \"Laptop\""));
    assert_non_null(strstr(imp.errors[2], "line 5: has_storage_media \"maybe\""));
    assert_string_equal(imp.errors[3], "line 6: serial A is already on line 2");
    assert_string_equal(imp.errors[4], "line 7: 2 fields where the header has 10");
    assert_string_equal(imp.errors[5], "line 8: model is not valid UTF-8");
    hw_import_free(&imp);
}

static void missing_header_or_broken_csv_is_fatal(void **state)
{
    (void)state;
    hw_import imp;
    read_text("serial,manufacturer\nX,Y\n", &imp);
    assert_true(imp.fatal);
    assert_int_equal(imp.nrows, 0);
    hw_import_free(&imp);
    read_text("", &imp);
    assert_true(imp.fatal);
    hw_import_free(&imp);
    read_text(HEADER "A,\"unterminated,Server,,,,,,true\n", &imp);
    assert_true(imp.fatal);
    hw_import_free(&imp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reads_good_rows),
        cmocka_unit_test(header_columns_in_any_order),
        cmocka_unit_test(reports_each_bad_line_with_its_number),
        cmocka_unit_test(missing_header_or_broken_csv_is_fatal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
