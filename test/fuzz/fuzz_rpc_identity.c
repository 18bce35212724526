/* fuzz_rpc_identity.c - libFuzzer target: the per-listener identity check of
 * svc-listings (common/rpc_server.c served_on, with svc-listings' own table
 * from svc-listings/listeners.c) driven through the real dispatch, on the
 * listener the input chooses: the public one, the internal one, the feed
 * one, or a pipe that is none of them.
 *
 * Besides surviving every input, it checks the decision itself: a method
 * limited to a listener is answered PERMISSION_DENIED on any other (and one
 * without a limit on the feed listener), whatever the caller and payload say, and no method is ever
 * refused that way on a listener that serves it. The first byte picks the listener and the shape
 * (raw envelope, or a well-formed one around the rest), the second the method. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_envelope.h"
#include "listings.h"
#include "log.h"

static void never_reached(const rpc_request *req, rpc_reply *reply)
{
    (void)req;
    rpc_reply_error(reply, RC_INTERNAL, "a handler ran without a database");
}

static rpc_handler_fn handlers[RPCI_LISTINGS_COUNT];

static const unsigned listener_of_byte[] = {RPC_LISTENER_PUBLIC, RPC_LISTENER_INTERNAL, 0,
                                            RPC_LISTENER_FEED};

/* Packs data as method's payload in an envelope whose caller comes from the
 * input too, so that no caller (an admin, a forged one) changes the answer. */
static uint8_t *envelope_of(const char *method, uint8_t caller_bits, const uint8_t *data,
                            size_t len, size_t *out_len)
{
    static char *roles[] = {"admin", "member", "approver"};
    Rcycle__Caller caller = RCYCLE__CALLER__INIT;
    caller.has_user_id = caller_bits & 1;
    caller.user_id = caller_bits;
    caller.department = (caller_bits & 2) ? "IT Infrastructure" : NULL;
    caller.n_roles = (caller_bits >> 2) % 4;
    caller.roles = roles;
    return fuzz_envelope(method, (caller_bits & 0x80) ? NULL : &caller, data, len, out_len);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    log_init("fuzz_rpc_identity", LOG_ERROR);
    for (size_t i = 0; i < RPCI_LISTINGS_COUNT; i++)
        handlers[i] = never_reached;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3)
        return 0;
    const rpc_service svc =
        RPC_SERVICE_LIMITED(&rcycle__listings__listings__descriptor, handlers, listings_listeners);
    unsigned listener = listener_of_byte[data[0] & 3];
    rpc_reply reply = {0};
    if (data[0] & 4) {
        rpc_server_answer_on(&svc, NULL, NULL, listener, data + 1, size - 1, &reply);
        if (reply.code == RC_OK || reply.code == RC_INTERNAL)
            abort();
        rpc_reply_clear(&reply);
        return 0;
    }
    size_t pick = data[1] % RPCI_LISTINGS_COUNT;
    const ProtobufCMethodDescriptor *m = &svc.desc->methods[pick];
    size_t len;
    uint8_t *env = envelope_of(m->name, data[2], data + 3, size - 3, &len);
    if (env == NULL)
        return 0;
    rpc_server_answer_on(&svc, NULL, NULL, listener, env, len, &reply);
    free(env);
    unsigned allowed = listings_listeners[pick] ? listings_listeners[pick]
                                                : RPC_LISTENER_PUBLIC | RPC_LISTENER_INTERNAL;
    int served = (allowed & listener) != 0;
    int denied = reply.code == RC_PERMISSION_DENIED &&
                 strstr(reply.message ? reply.message : "", "not served") != NULL;
    if (served == denied || reply.code == RC_OK || reply.code == RC_INTERNAL)
        abort();
    rpc_reply_clear(&reply);
    return 0;
}
