/* hardware.h - the hardware registry: the LookupHardware RPC, and the
 * registry read that creating a listing shares with it. */
#ifndef SVC_LISTINGS_HARDWARE_H
#define SVC_LISTINGS_HARDWARE_H

#include <jansson.h>
#include <libpq-fe.h>

#include "listings.pb-c.h"
#include "rpc.h"

/* A registry entry. msg's strings point into res and storage_json, which
 * hardware_entry_clear releases; clear it once msg is no longer needed. */
typedef struct hardware_entry {
    Rcycle__Listings__Hardware msg;
    PGresult *res;
    json_t *storage_json;
} hardware_entry;

/* Reads the entry whose serial number is exactly serial. RC_OK fills *out;
 * RC_NOT_FOUND when the registry has no such serial; otherwise a database
 * failure for reply_db_error. *out needs hardware_entry_clear on every
 * return. */
rc_status hardware_find(db_conn *db, const char *serial, const char *request_id,
                        hardware_entry *out);
void hardware_entry_clear(hardware_entry *entry);

void handle_lookup_hardware(const rpc_request *req, rpc_reply *reply);

#endif
