/* hardware.c - the hardware registry (listings.hardware): LookupHardware,
 * and hardware_find, which creating a listing uses to fill in specs and to
 * refuse hardware that still holds storage media. */
#include <stdlib.h>
#include <string.h>

#include "listings.h"
#include "log.h"

/* storage is a text[]; as JSON it arrives in one query, in order, and
 * jansson undoes the quoting. */
static const db_stmt find_hardware = {
    "listings_hardware_find",
    "SELECT serial_number, manufacturer, model, category, cpu, ram,"
    " array_to_json(storage)::text, ports, other, has_storage_media"
    " FROM listings.hardware WHERE serial_number = $1",
    1,
};

enum hardware_column {
    COL_SERIAL_NUMBER,
    COL_MANUFACTURER,
    COL_MODEL,
    COL_CATEGORY,
    COL_CPU,
    COL_RAM,
    COL_STORAGE_JSON,
    COL_PORTS,
    COL_OTHER,
    COL_HAS_STORAGE_MEDIA,
};

/* Points msg->storage at the strings of the JSON array. Returns 0, or -1
 * when the text is not an array or memory runs out. */
static int storage_from_json(hardware_entry *entry, const char *text, const char *request_id)
{
    json_error_t error;
    entry->storage_json = json_loads(text, 0, &error);
    if (!json_is_array(entry->storage_json)) {
        log_error(request_id, "hardware storage is not a JSON array: %s", error.text);
        return -1;
    }
    size_t n = json_array_size(entry->storage_json);
    if (n == 0)
        return 0;
    entry->msg.storage = calloc(n, sizeof *entry->msg.storage);
    if (entry->msg.storage == NULL)
        return -1;
    for (size_t i = 0; i < n; i++) {
        const char *s = json_string_value(json_array_get(entry->storage_json, i));
        /* A NULL element of the array means no medium; the message cannot
         * carry it. protobuf-c's fields are not const, but packing only
         * reads them. */
        if (s != NULL)
            entry->msg.storage[entry->msg.n_storage++] = (char *)s;
    }
    return 0;
}

rc_status hardware_find(db_conn *db, const char *serial, const char *request_id,
                        hardware_entry *out)
{
    memset(out, 0, sizeof *out);
    rcycle__listings__hardware__init(&out->msg);
    const char *params[] = {serial};
    rc_status status = db_exec(db, &find_hardware, params, request_id, &out->res);
    if (status != RC_OK)
        return status;
    if (PQntuples(out->res) == 0)
        return RC_NOT_FOUND;

    const PGresult *res = out->res;
    Rcycle__Listings__Hardware *msg = &out->msg;
    msg->serial_number = db_text(res, 0, COL_SERIAL_NUMBER);
    msg->manufacturer = db_text(res, 0, COL_MANUFACTURER);
    msg->model = db_text(res, 0, COL_MODEL);
    msg->category = db_text(res, 0, COL_CATEGORY);
    msg->cpu = db_text(res, 0, COL_CPU);
    msg->ram = db_text(res, 0, COL_RAM);
    msg->ports = db_text(res, 0, COL_PORTS);
    msg->other = db_text(res, 0, COL_OTHER);
    msg->has_storage_media = db_bool(res, 0, COL_HAS_STORAGE_MEDIA);
    if (storage_from_json(out, PQgetvalue(res, 0, COL_STORAGE_JSON), request_id) != 0)
        return RC_INTERNAL;
    return RC_OK;
}

void hardware_entry_clear(hardware_entry *entry)
{
    free(entry->msg.storage);
    json_decref(entry->storage_json);
    PQclear(entry->res);
    memset(entry, 0, sizeof *entry);
}

static void lookup_and_reply(const rpc_request *req, const char *serial, rpc_reply *reply)
{
    hardware_entry entry;
    rc_status status = hardware_find(req->db, serial, req->request_id, &entry);
    if (status == RC_OK)
        rpc_reply_ok(reply, &entry.msg.base);
    else if (status == RC_NOT_FOUND)
        rpc_reply_error(reply, RC_NOT_FOUND, "hardware not found in the registry");
    else
        rpc_reply_db_error(reply, status);
    hardware_entry_clear(&entry);
}

void listings_lookup_hardware(const rpc_request *req, rpc_reply *reply)
{
    Rcycle__Listings__LookupHardwareRequest *in =
        (Rcycle__Listings__LookupHardwareRequest *)req->input;
    /* A serial pasted from a spreadsheet often carries white space. */
    const char *serial = listing_text_normalize(in->serial_number);
    if (serial == NULL)
        rpc_reply_error(reply, RC_INVALID_ARGUMENT, "serial is required");
    else
        lookup_and_reply(req, serial, reply);
}
