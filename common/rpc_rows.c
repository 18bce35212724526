/* rpc_rows.c - replies made of query rows (rpc_reply_rows, rpc_reply_query
 * in rpc_server.h): the one place a handler's result set becomes a reply. */
#include <stdlib.h>

#include "pb_reflect.h"
#include "rpc_server.h"

void rpc_reply_rows(rpc_reply *reply, ProtobufCMessage *msg, const PGresult *res, size_t item_size,
                    db_row_fill fill)
{
    const ProtobufCFieldDescriptor *field = pb_list_field(msg->descriptor);
    /* A reply type without a list is a programmer error, not bad input. */
    if (field == NULL)
        abort();
    db_rows rows;
    if (db_map_rows(res, item_size, fill, &rows) != RC_OK) {
        rpc_reply_db_error(reply, RC_INTERNAL);
        return;
    }
    pb_set_messages(msg, field, rows.n, rows.ptrs);
    rpc_reply_ok(reply, msg);
    pb_set_messages(msg, field, 0, NULL);
    db_rows_free(&rows);
}

void rpc_reply_query(const rpc_request *req, const db_stmt *stmt, const char *const *params,
                     ProtobufCMessage *msg, size_t item_size, db_row_fill fill, rpc_reply *reply)
{
    PGresult *res = NULL;
    rc_status st = db_exec(req->db, stmt, params, req->request_id, &res);
    if (st == RC_OK)
        rpc_reply_rows(reply, msg, res, item_size, fill);
    else
        rpc_reply_db_error(reply, st);
    PQclear(res);
}
