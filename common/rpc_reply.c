/* rpc_reply.c - building and freeing rpc_reply values, and the small helpers
 * both ends of an RPC share (clock and deadlines, caller roles). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rpc.h"

static uint8_t *pack_message(const ProtobufCMessage *msg, size_t *len)
{
    *len = protobuf_c_message_get_packed_size(msg);
    /* malloc(0) may return NULL; an empty message still needs a buffer. */
    uint8_t *buf = malloc(*len ? *len : 1);
    if (buf == NULL)
        abort();
    protobuf_c_message_pack(msg, buf);
    return buf;
}

void rpc_reply_ok(rpc_reply *reply, const ProtobufCMessage *msg)
{
    rpc_reply_clear(reply);
    reply->code = RC_OK;
    if (msg != NULL)
        reply->payload = pack_message(msg, &reply->payload_len);
}

void rpc_reply_error(rpc_reply *reply, rc_status code, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    rpc_reply_clear(reply);
    reply->code = code;
    reply->message = strdup(buf);
}

void rpc_reply_db_error(rpc_reply *reply, rc_status status)
{
    switch (status) {
    case RC_UNAVAILABLE:
        rpc_reply_error(reply, RC_UNAVAILABLE, "the database is unavailable; try again");
        break;
    case RC_DEADLINE_EXCEEDED:
        rpc_reply_error(reply, RC_DEADLINE_EXCEEDED, "the database took too long; try again");
        break;
    case RC_ABORTED:
        rpc_reply_error(reply, RC_ABORTED, "a concurrent change got in the way; try again");
        break;
    default:
        rpc_reply_error(reply, RC_INTERNAL, "internal error");
        break;
    }
}

void rpc_reply_detail(rpc_reply *reply, const ProtobufCMessage *detail)
{
    free(reply->payload);
    reply->payload = pack_message(detail, &reply->payload_len);
}

void rpc_reply_clear(rpc_reply *reply)
{
    free(reply->message);
    free(reply->payload);
    memset(reply, 0, sizeof *reply);
}

void rpc_reply_free(rpc_reply *reply)
{
    if (reply == NULL)
        return;
    rpc_reply_clear(reply);
    free(reply);
}

int rpc_caller_has_role(const Rcycle__Caller *caller, const char *role)
{
    if (caller == NULL)
        return 0;
    for (size_t i = 0; i < caller->n_roles; i++)
        if (strcmp(caller->roles[i], role) == 0)
            return 1;
    return 0;
}

int64_t rpc_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t rpc_deadline_in(int64_t ms)
{
    return rpc_now_ms() + ms;
}

int64_t rpc_callee_deadline(int64_t caller_deadline, int64_t cap_ms)
{
    int64_t capped = rpc_deadline_in(cap_ms);
    return caller_deadline > 0 && caller_deadline < capped ? caller_deadline : capped;
}
