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
 *   rpc-probe URL METHOD many-roles   sends only the million-roles envelope.
 *   rpc-probe URL METHOD call   sends one envelope for METHOD with an empty
 *                          payload and prints "call CODE".
 *
 * A tls+tcp:// URL is dialled with the certificate in RCYCLE_TLS_CERT and
 * RCYCLE_TLS_KEY (the suite gives it the gateway's), trusting the issuers
 * in RCYCLE_TLS_PEER_CA; with RCYCLE_TLS_CERT unset it presents no
 * certificate at all. A connection the service refuses prints
 * "connect refused: REASON" and exits 3. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>

#include "config.h"
#include "envelope.pb-c.h"
#include "rpc_tls.h"
#include "status.h"

static void probe(nng_socket sock, const char *name, const uint8_t *bytes, size_t len)
{
    nng_msg *msg;
    if (nng_msg_alloc(&msg, len) != 0)
        exit(2);
    memcpy(nng_msg_body(msg), bytes, len);
    const char *result = "none";
    int rv = nng_sendmsg(sock, msg, 0);
    if (rv != 0) {
        result = nng_strerror(rv);
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

/* The TLS configuration of the probe's one connection: that of a process
 * (rpc_tls_config), or with no certificate of its own when none is set. */
static nng_tls_config *probe_tls(const char *url)
{
    nng_tls_config *cfg = NULL;
    if (strncmp(url, "tls+tcp://", 10) != 0)
        return NULL;
    if (config_string(RPC_TLS_CERT_VAR, NULL) != NULL) {
        if (rpc_tls_config(url, NNG_TLS_MODE_CLIENT, "RCYCLE_TLS_PEER_CA", &cfg) != RC_OK)
            exit(2);
        return cfg;
    }
    const char *ca = config_string("RCYCLE_TLS_PEER_CA", NULL);
    if (ca == NULL || nng_tls_config_alloc(&cfg, NNG_TLS_MODE_CLIENT) != 0 ||
        nng_tls_config_ca_file(cfg, ca) != 0 ||
        nng_tls_config_auth_mode(cfg, NNG_TLS_AUTH_MODE_REQUIRED) != 0) {
        fprintf(stderr, "rpc-probe: RCYCLE_TLS_PEER_CA must name the service's issuer\n");
        exit(2);
    }
    return cfg;
}

static int connect_to(nng_socket sock, const char *url)
{
    nng_tls_config *tls = probe_tls(url);
    nng_dialer d;
    int rv = nng_dialer_create(&d, sock, url);
    if (rv == 0 && tls != NULL)
        rv = nng_dialer_set_ptr(d, NNG_OPT_TLS_CONFIG, tls);
    if (tls != NULL)
        nng_tls_config_free(tls);
    if (rv != 0) {
        fprintf(stderr, "rpc-probe: cannot dial %s: %s\n", url, nng_strerror(rv));
        exit(2);
    }
    /* Synchronous: the SP handshake runs inside TLS, so this returns only
     * once the service accepted the certificate, or with why not. */
    rv = nng_dialer_start(d, 0);
    if (rv != 0)
        printf("connect refused: %s\n", nng_strerror(rv));
    return rv;
}

int main(int argc, char **argv)
{
    int mode_ok =
        argc == 3 ||
        (argc == 4 && (strcmp(argv[3], "many-roles") == 0 || strcmp(argv[3], "call") == 0));
    if (!mode_ok) {
        fprintf(stderr, "usage: rpc-probe URL METHOD [many-roles|call]\n");
        return 2;
    }
    nng_socket sock;
    if (nng_req0_open(&sock) != 0) {
        fprintf(stderr, "rpc-probe: cannot open a socket\n");
        return 1;
    }
    if (connect_to(sock, argv[1]) != 0) {
        nng_close(sock);
        return 3;
    }
    nng_socket_set_ms(sock, NNG_OPT_RECVTIMEO, 3000);
    nng_socket_set_ms(sock, NNG_OPT_SENDTIMEO, 3000);
    if (argc == 4 && strcmp(argv[3], "many-roles") == 0) {
        probe_many_roles(sock, argv[2]);
        nng_close(sock);
        return 0;
    }
    uint8_t buf[1024];
    if (argc == 4) {
        size_t n = envelope(argv[2], NULL, 0, buf, sizeof buf);
        probe(sock, "call", buf, n);
        nng_close(sock);
        return 0;
    }
    uint8_t random_bytes[256];
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
