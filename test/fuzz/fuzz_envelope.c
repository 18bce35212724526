/* fuzz_envelope.c - see fuzz_envelope.h. */
#include <stdlib.h>

#include "fuzz_envelope.h"

uint8_t *fuzz_envelope(const char *method, const Rcycle__Caller *caller, const uint8_t *data,
                       size_t len, size_t *out_len)
{
    Rcycle__Envelope env = RCYCLE__ENVELOPE__INIT;
    env.method = (char *)method;
    env.request_id = "fuzz";
    env.caller = (Rcycle__Caller *)caller;
    env.has_payload = 1;
    env.payload.data = (uint8_t *)data;
    env.payload.len = len;
    *out_len = protobuf_c_message_get_packed_size(&env.base);
    uint8_t *buf = malloc(*out_len ? *out_len : 1);
    if (buf != NULL)
        protobuf_c_message_pack(&env.base, buf);
    return buf;
}
