/* rpc_probe.c - test tool: sends hostile bytes to a service's RPC socket and
 * prints, one line each, the status code of the Reply that came back, or
 * "none" when nothing came back in time. Used by the integration suite to
 * show that garbage on an RPC socket gets INVALID_ARGUMENT and crashes
 * nothing.
 *
 *   rpc-probe URL    sends: random bytes, a truncated envelope, an envelope
 *                    with a garbage payload, an unknown method, an empty
 *                    message. */
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

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: rpc-probe URL METHOD\n");
        return 2;
    }
    nng_socket sock;
    if (nng_req0_open(&sock) != 0 || nng_dial(sock, argv[1], NULL, 0) != 0) {
        fprintf(stderr, "rpc-probe: cannot reach %s\n", argv[1]);
        return 1;
    }
    nng_socket_set_ms(sock, NNG_OPT_RECVTIMEO, 3000);
    nng_socket_set_ms(sock, NNG_OPT_SENDTIMEO, 3000);
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
    len = envelope("Health", NULL, 0, buf, sizeof buf);
    probe(sock, "health", buf, len);
    nng_close(sock);
    return 0;
}
