/* idem.c - the recorded answers of write RPCs (idem.h). */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "idem.h"

static int64_t caller_id(const rpc_request *req)
{
    return req->caller->has_user_id ? req->caller->user_id : 0;
}

/* bytes as a bytea parameter in text format ("\x" and the hex digits), or
 * NULL when out of memory. */
static char *bytea_param(const uint8_t *bytes, size_t len)
{
    char *out = malloc(2 * len + 3);
    if (out == NULL)
        return NULL;
    out[0] = '\\';
    out[1] = 'x';
    sodium_bin2hex(out + 2, 2 * len + 1, bytes, len);
    return out;
}

/* Answers OK with the packed reply a record holds (a bytea in text form). */
static void reply_recorded(const char *bytea_text, rpc_reply *reply)
{
    size_t len = 0;
    unsigned char *bytes = PQunescapeBytea((const unsigned char *)bytea_text, &len);
    if (bytes == NULL) {
        rpc_reply_error(reply, RC_INTERNAL, "internal error");
        return;
    }
    rpc_reply_clear(reply);
    reply->payload = malloc(len ? len : 1);
    if (reply->payload == NULL) {
        PQfreemem(bytes);
        rpc_reply_error(reply, RC_INTERNAL, "internal error");
        return;
    }
    reply->code = RC_OK;
    memcpy(reply->payload, bytes, len);
    reply->payload_len = len;
    PQfreemem(bytes);
}

int idem_lookup(const db_stmt *find, const rpc_request *req, PGresult **res, rpc_reply *reply)
{
    *res = NULL;
    if (req->request_id[0] == '\0')
        return 0;
    char caller[DB_INT64_LEN];
    const char *params[] = {req->method->name, req->request_id,
                            db_param_int64(caller, caller_id(req))};
    rc_status st = db_exec(req->db, find, params, req->request_id, res);
    if (st != RC_OK) {
        rpc_reply_db_error(reply, st);
        return -1;
    }
    if (PQntuples(*res) == 1)
        return 1;
    PQclear(*res);
    *res = NULL;
    return 0;
}

int idem_replay(const idem_table *t, const rpc_request *req, rpc_reply *reply)
{
    PGresult *res;
    int found = idem_lookup(&t->find, req, &res, reply);
    if (found == 1)
        reply_recorded(PQgetvalue(res, 0, 0), reply);
    PQclear(res);
    return found;
}

static rc_status save(const idem_table *t, const rpc_request *req, const rpc_reply *reply)
{
    char caller[DB_INT64_LEN];
    char *bytes = bytea_param(reply->payload, reply->payload_len);
    if (bytes == NULL)
        return RC_INTERNAL;
    const char *params[] = {req->method->name, req->request_id,
                            db_param_int64(caller, caller_id(req)), bytes};
    PGresult *res = NULL;
    rc_status st = db_exec(req->db, &t->save, params, req->request_id, &res);
    PQclear(res);
    free(bytes);
    return st;
}

/* After a collision: the answer of the copy that won, when there is one;
 * otherwise reply stays as it is. */
static void replay_winner(const idem_table *t, const rpc_request *req, rpc_reply *reply)
{
    rpc_reply recorded = {0};
    if (idem_replay(t, req, &recorded) == 1) {
        rpc_reply_clear(reply);
        *reply = recorded;
    } else {
        rpc_reply_clear(&recorded);
    }
}

void idem_write(const idem_table *t, const rpc_request *req, idem_write_fn write, const void *arg,
                rpc_reply *reply)
{
    if (req->request_id[0] == '\0') {
        write(req, arg, reply);
        return;
    }
    rc_status st = db_command(req->db, "BEGIN", req->request_id);
    if (st != RC_OK) {
        rpc_reply_db_error(reply, st);
        return;
    }
    write(req, arg, reply);
    if (reply->code != RC_OK) {
        db_command(req->db, "ROLLBACK", req->request_id);
        /* A unique index may have refused this copy because another copy of
         * the same request committed first. */
        if (reply->code == RC_ALREADY_EXISTS)
            replay_winner(t, req, reply);
        return;
    }
    st = save(t, req, reply);
    if (st == RC_OK)
        st = db_command(req->db, "COMMIT", req->request_id);
    else
        db_command(req->db, "ROLLBACK", req->request_id);
    if (st == RC_ALREADY_EXISTS) {
        rpc_reply_error(reply, RC_ABORTED, "a concurrent copy of this request got in the way");
        replay_winner(t, req, reply);
    } else if (st != RC_OK) {
        rpc_reply_db_error(reply, st);
    }
}
