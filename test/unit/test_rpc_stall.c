/* test_rpc_stall.c - a caller that sends requests and never reads the
 * replies cannot make a server deaf: once its connection's buffers are full,
 * the workers whose replies queue behind it give up after RPC_REPLY_WAIT_MS,
 * close that connection, and serve everyone else. Without that every worker
 * waits on the one connection for good (seen in the soak after svc-listings
 * was stopped and resumed). Runs a real rpc_server on loopback TCP; the
 * stalling caller is a raw socket with a small receive buffer that speaks
 * the SP framing by hand. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>
#include <nng/supplemental/util/platform.h>

#include "log.h"
#include "rpc_server.h"

/* Frames of a request whose body is no envelope: each is answered at once
 * (INVALID_ARGUMENT, no database needed), so the replies pile up as fast as
 * the server can write them. */
#define FRAMES_PER_WRITE 256
#define FRAME_BYTES      13 /* 8 length + 4 request id + 1 body */
/* Far beyond what loopback buffers hold of the replies. */
#define MAX_BYTES_SENT (16 * 1024 * 1024)

static void serve(const rpc_request *req, rpc_reply *reply)
{
    (void)req;
    rpc_reply_ok(reply, NULL);
}

/* A loopback port nothing listens on just now. */
static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    close(fd);
    return ntohs(a.sin_port);
}

static void read_exactly(int fd, uint8_t *buf, size_t len)
{
    size_t got = 0;
    while (got < len) {
        ssize_t n = read(fd, buf + got, len - got);
        assert_true(n > 0);
        got += (size_t)n;
    }
}

/* A connected REQ peer that reads nothing after the SP header exchange. */
static int stalling_caller(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int small = 4096;
    assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small), 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    static const uint8_t req_header[8] = {0x00, 'S', 'P', 0x00, 0x00, 0x30, 0x00, 0x00};
    assert_int_equal(write(fd, req_header, sizeof req_header), (ssize_t)sizeof req_header);
    uint8_t rep_header[8];
    read_exactly(fd, rep_header, sizeof rep_header);
    assert_int_equal(rep_header[5], 0x31); /* REP */
    return fd;
}

/* Writes requests on fd until the server stops taking them for 2 s, or
 * closes the connection. Returns the bytes written. */
static size_t flood(int fd)
{
    uint8_t frames[FRAMES_PER_WRITE * FRAME_BYTES];
    size_t sent = 0;
    uint32_t id = 1;
    while (sent < MAX_BYTES_SENT) {
        for (size_t i = 0; i < FRAMES_PER_WRITE; i++, id++) {
            uint8_t *f = frames + i * FRAME_BYTES;
            memset(f, 0, 8);
            f[7] = 5;
            uint32_t rid = htonl(id | 0x80000000u);
            memcpy(f + 8, &rid, 4);
            f[12] = 0xff; /* a truncated varint: no envelope */
        }
        size_t off = 0;
        while (off < sizeof frames) {
            struct pollfd p = {.fd = fd, .events = POLLOUT};
            if (poll(&p, 1, 2000) <= 0 || (p.revents & (POLLERR | POLLHUP)))
                return sent + off;
            ssize_t n = send(fd, frames + off, sizeof frames - off, MSG_DONTWAIT | MSG_NOSIGNAL);
            if (n < 0 && errno != EAGAIN)
                return sent + off;
            if (n > 0)
                off += (size_t)n;
        }
        sent += off;
    }
    return sent;
}

/* Whether the server closes fd within ms: reads (and drops) the
 * replies that reached it until end of file or a reset. */
static int closed_by_server_within(int fd, int ms)
{
    uint8_t buf[65536];
    nng_time until = nng_clock() + (nng_time)ms;
    while (nng_clock() < until) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 200) <= 0)
            continue;
        ssize_t n = read(fd, buf, sizeof buf);
        if (n == 0 || (n < 0 && errno == ECONNRESET))
            return 1;
    }
    return 0;
}

static void a_caller_that_never_reads_does_not_hold_the_workers(void **state)
{
    (void)state;
    log_init("test_rpc_stall", LOG_ERROR);
    /* Plain TCP, so that the stalling caller needs no TLS of its own: the
     * stall is above the transport. */
    setenv("RCYCLE_RPC_INSECURE", "1", 1);
    rpc_handler_fn table[RPCI_USERS_COUNT];
    for (size_t i = 0; i < RPCI_USERS_COUNT; i++)
        table[i] = serve;
    const rpc_service svc = RPC_SERVICE(&rcycle__users__users__descriptor, table);
    int port = free_port();
    char url[64];
    snprintf(url, sizeof url, "tcp://127.0.0.1:%d", port);
    const rpc_listen listen = {url, NULL, RPC_LISTENER_PUBLIC};
    rpc_server *server = NULL;
    assert_int_equal(rpc_server_start(&listen, 1, &svc, 2, 0, NULL, NULL, &server), RC_OK);

    int staller = stalling_caller(port);
    size_t sent = flood(staller);
    /* The server stopped reading (its workers stuck, or it closed the
     * connection) long before the cap: else nothing stalled. */
    assert_true(sent < MAX_BYTES_SENT);

    nng_socket req;
    assert_int_equal(nng_req0_open(&req), 0);
    assert_int_equal(nng_socket_set_ms(req, NNG_OPT_RECVTIMEO, 10000), 0);
    assert_int_equal(nng_socket_set_ms(req, NNG_OPT_REQ_RESENDTIME, 60000), 0);
    assert_int_equal(nng_dial(req, url, NULL, 0), 0);
    uint8_t garbage = 0xff;
    assert_int_equal(nng_send(req, &garbage, 1, 0), 0);
    void *answer = NULL;
    size_t answer_len = 0;
    int rv = nng_recv(req, &answer, &answer_len, NNG_FLAG_ALLOC);
    assert_int_equal(rv, 0);
    Rcycle__Reply *reply = rcycle__reply__unpack(NULL, answer_len, answer);
    assert_non_null(reply);
    assert_int_equal(reply->code, RC_INVALID_ARGUMENT);
    rcycle__reply__free_unpacked(reply, NULL);
    nng_free(answer, answer_len);
    nng_close(req);

    assert_true(closed_by_server_within(staller, 10000));
    close(staller);
    rpc_server_stop(server);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_caller_that_never_reads_does_not_hold_the_workers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
