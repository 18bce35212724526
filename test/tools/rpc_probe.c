/* rpc_probe.c - test tool: sends hostile bytes to a service's RPC socket and
 * prints, one line each, the status code of the Reply that came back, or
 * "none" when nothing came back in time. Used by the integration suite to
 * show that garbage on an RPC socket gets INVALID_ARGUMENT and crashes
 * nothing.
 *
 *   rpc-probe URL METHOD   sends: random bytes, a truncated envelope, an
 *                          envelope with a garbage payload, an unknown
 *                          method, an empty message, an envelope whose caller
 *                          has a million empty roles (2 MB that decode to far
 *                          more), then a Health check.
 *   rpc-probe URL METHOD many-roles   sends only the million-roles envelope. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>

#include "envelope.pb-c.h"
#include "status.h"

static void probe(nng_socket sock, const char *name, const uint8_t *bytes, size_t len)
{
    nng_msg *msg;
    if (nng_msg_alloc(&msg, len) != 0)
        exit(2);
    memcpy(nng_msg_body(msg), bytes, len);
    const char *result = "none";
    if (nng_sendmsg(sock, msg, 0) != 0) {
        nng_msg_free(msg);
    } else if (nng_recvmsg(sock, &msg, 0) == 0) {
        Rcycle__Reply *reply =
            rcycle__reply__unpack(NULL, nng_msg_len(msg), (const uint8_t *)nng_msg_body(msg));
        result = reply ? rc_status_name(reply->code) : "malformed-reply";
        if (reply)
            rcycle__reply__free_unpacked(reply, NULL);
        nng_msg_free(msg);
    }
    printf("%s %s\n", name, result);
}

/* Packs an envelope for method with payload into buf; returns its length. */
static size_t envelope(const char *method, const uint8_t *payload, size_t payload_len, uint8_t *buf,
                       size_t cap)
{
    Rcycle__Envelope env = RCYCLE__ENVELOPE__INIT;
    env.method = (char *)method;
    env.request_id = "rpc-probe";
    env.has_payload = payload != NULL;
    env.payload.data = (uint8_t *)payload;
    env.payload.len = payload_len;
    size_t len = rcycle__envelope__get_packed_size(&env);
    if (len > cap)
        exit(2);
    return rcycle__envelope__pack(&env, buf);
}

#define MANY_ROLES 1000000

/* An envelope for method whose caller holds MANY_ROLES empty roles: cheap
 * to send, costly to decode naively. */
static void probe_many_roles(nng_socket sock, const char *method)
{
    static char empty[] = "";
    char **roles = malloc(MANY_ROLES * sizeof *roles);
    if (roles == NULL)
        exit(2);
    for (size_t i = 0; i < MANY_ROLES; i++)
        roles[i] = empty;
    Rcycle__Caller caller = RCYCLE__CALLER__INIT;
    caller.n_roles = MANY_ROLES;
    caller.roles = roles;
    Rcycle__Envelope env = RCYCLE__ENVELOPE__INIT;
    env.method = (char *)method;
    env.request_id = "rpc-probe";
    env.caller = &caller;
    size_t len = rcycle__envelope__get_packed_size(&env);
    uint8_t *buf = malloc(len);
    if (buf == NULL)
        exit(2);
    rcycle__envelope__pack(&env, buf);
    probe(sock, "many-roles", buf, len);
    free(buf);
    free(roles);
}

int main(int argc, char **argv)
{
    if (argc != 3 && !(argc == 4 && strcmp(argv[3], "many-roles") == 0)) {
        fprintf(stderr, "usage: rpc-probe URL METHOD [many-roles]\n");
        return 2;
    }
    nng_socket sock;
    if (nng_req0_open(&sock) != 0 || nng_dial(sock, argv[1], NULL, 0) != 0) {
        fprintf(stderr, "rpc-probe: cannot reach %s\n", argv[1]);
        return 1;
    }
    nng_socket_set_ms(sock, NNG_OPT_RECVTIMEO, 3000);
    nng_socket_set_ms(sock, NNG_OPT_SENDTIMEO, 3000);
    if (argc == 4) {
        probe_many_roles(sock, argv[2]);
        nng_close(sock);
        return 0;
    }
    uint8_t random_bytes[256], buf[1024];
    srand(42);
    for (size_t i = 0; i < sizeof random_bytes; i++)
        random_bytes[i] = (uint8_t)rand();
    probe(sock, "garbage", random_bytes, sizeof random_bytes);
    size_t len = envelope(argv[2], random_bytes, 32, buf, sizeof buf);
    probe(sock, "truncated-envelope", buf, len / 2);
    probe(sock, "garbage-payload", buf, len);
    len = envelope("NoSuchMethod", NULL, 0, buf, sizeof buf);
    probe(sock, "unknown-method", buf, len);
    probe(sock, "empty", buf, 0);
    probe_many_roles(sock, argv[2]);
    len = envelope("Health", NULL, 0, buf, sizeof buf);
    probe(sock, "health", buf, len);
    nng_close(sock);
    return 0;
}
