/* fuzz_rpc_dispatch.c - libFuzzer target: the whole RPC dispatch of every
 * service (common/rpc_server.c) on what arrives on a socket: envelope decode
 * under its budget, caller checks, method lookup in the real service
 * descriptors, input decode and repeated-field caps, up to the point where a
 * handler would borrow a database connection (answered UNAVAILABLE here).
 * None of it may crash, leak, or answer anything but a status.
 *
 * The first byte chooses the shape: odd, the rest is a raw envelope; even,
 * the next byte picks a method of one of the services and the rest becomes
 * its payload inside a well-formed envelope with a caller, so the fuzzer
 * reaches every method's input decoding without first having to discover
 * the envelope's wire format. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_envelope.h"
#include "log.h"
#include "rpc_server.h"

static void never_reached(const rpc_request *req, rpc_reply *reply)
{
    (void)req;
    /* Without a pool, dispatch answers before any handler runs. */
    rpc_reply_error(reply, RC_INTERNAL, "a handler ran without a database");
}

static const ProtobufCServiceDescriptor *const services[] = {
    &rcycle__users__users__descriptor,
    &rcycle__listings__listings__descriptor,
    &rcycle__claims__claims__descriptor,
};
#define NSERVICES   (sizeof services / sizeof services[0])
#define MAX_METHODS 32

static rpc_handler_fn handlers[MAX_METHODS];

static rpc_service service_of(size_t i)
{
    rpc_service s = {services[i], handlers, services[i]->n_methods, NULL, 0};
    return s;
}

/* Packs data as the payload of method's envelope with a plausible caller. */
static uint8_t *envelope_of(const ProtobufCMethodDescriptor *m, const uint8_t *data, size_t len,
                            size_t *out_len)
{
    static char *roles[] = {"member", "admin"};
    Rcycle__Caller caller = RCYCLE__CALLER__INIT;
    caller.has_user_id = 1;
    caller.user_id = 1;
    caller.department = "IT Infrastructure";
    caller.email = "john.doe@company.com";
    caller.n_roles = 2;
    caller.roles = roles;
    return fuzz_envelope(m->name, &caller, data, len, out_len);
}

static void answer(const rpc_service *svc, const uint8_t *data, size_t len)
{
    rpc_reply reply = {0};
    rpc_server_answer(svc, NULL, NULL, data, len, &reply);
    if (reply.code == RC_OK || reply.code == RC_INTERNAL)
        abort();
    rpc_reply_clear(&reply);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    /* Every refused input would log a line; the fuzzer wants speed. */
    log_init("fuzz_rpc_dispatch", LOG_ERROR);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    for (size_t i = 0; i < MAX_METHODS; i++)
        handlers[i] = never_reached;
    if (size < 2)
        return 0;
    if (data[0] & 1) {
        for (size_t i = 0; i < NSERVICES; i++) {
            rpc_service svc = service_of(i);
            answer(&svc, data + 1, size - 1);
        }
        return 0;
    }
    size_t total = 0;
    for (size_t i = 0; i < NSERVICES; i++)
        total += services[i]->n_methods;
    size_t pick = data[1] % total, i = 0;
    while (pick >= services[i]->n_methods)
        pick -= services[i]->n_methods, i++;
    size_t len;
    uint8_t *env = envelope_of(&services[i]->methods[pick], data + 2, size - 2, &len);
    if (env != NULL) {
        rpc_service svc = service_of(i);
        answer(&svc, env, len);
        free(env);
    }
    return 0;
}
