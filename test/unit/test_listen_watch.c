/* test_listen_watch.c - the listener probe and watch (listen_watch.h) over
 * real sockets on loopback: an nng REP listener answers (also on its
 * wildcard address, and still after many probes, so a probe never leaves it
 * deaf); a socket that listens and never accepts, and a closed port, are
 * misses; the watch replaces a deaf listener after its strikes and never a
 * live one. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>

#include "listen_watch.h"

#define PROBE_TIMEOUT_MS 300

/* A TCP socket bound to a free loopback port, listening when listening is
 * set, never accepting. Returns the descriptor; *port is its port. */
static int raw_socket(int listening, int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    socklen_t len = sizeof sa;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    *port = ntohs(sa.sin_port);
    if (listening)
        assert_int_equal(listen(fd, 16), 0);
    return fd;
}

/* An nng REP socket listening on a free loopback port; *port is it. */
static nng_socket rep_listener(int *port)
{
    int fd = raw_socket(0, port);
    close(fd);
    nng_socket rep;
    assert_int_equal(nng_rep0_open(&rep), 0);
    char url[64];
    snprintf(url, sizeof url, "tcp://127.0.0.1:%d", *port);
    assert_int_equal(nng_listen(rep, url, NULL, 0), 0);
    return rep;
}

static void a_live_listener_answers(void **state)
{
    (void)state;
    int port;
    nng_socket rep = rep_listener(&port);
    char url[64];
    snprintf(url, sizeof url, "tcp://127.0.0.1:%d", port);
    assert_int_equal(listen_probe(url, NULL, PROBE_TIMEOUT_MS), LISTEN_PROBE_ANSWERED);
    snprintf(url, sizeof url, "tcp://0.0.0.0:%d", port);
    assert_int_equal(listen_probe(url, NULL, PROBE_TIMEOUT_MS), LISTEN_PROBE_ANSWERED);
    nng_close(rep);
}

static void probes_leave_a_listener_accepting(void **state)
{
    (void)state;
    int port;
    nng_socket rep = rep_listener(&port);
    char url[64];
    snprintf(url, sizeof url, "tcp://127.0.0.1:%d", port);
    for (int i = 0; i < 30; i++)
        assert_int_equal(listen_probe(url, NULL, PROBE_TIMEOUT_MS), LISTEN_PROBE_ANSWERED);
    nng_close(rep);
}

static void a_socket_that_never_accepts_is_a_miss(void **state)
{
    (void)state;
    int port;
    int fd = raw_socket(1, &port);
    char url[64];
    snprintf(url, sizeof url, "tcp://127.0.0.1:%d", port);
    assert_int_equal(listen_probe(url, NULL, PROBE_TIMEOUT_MS), LISTEN_PROBE_MISSED);
    close(fd);
}

static void a_closed_port_is_a_miss(void **state)
{
    (void)state;
    int port;
    close(raw_socket(0, &port));
    char url[64];
    snprintf(url, sizeof url, "tcp://127.0.0.1:%d", port);
    assert_int_equal(listen_probe(url, NULL, PROBE_TIMEOUT_MS), LISTEN_PROBE_MISSED);
}

typedef struct replaced {
    int calls[2];
} replaced;

static void count_replace(void *arg, size_t i)
{
    ((replaced *)arg)->calls[i]++;
}

static void the_watch_replaces_the_deaf_listener_only(void **state)
{
    (void)state;
    int live_port, deaf_port;
    nng_socket rep = rep_listener(&live_port);
    int deaf = raw_socket(1, &deaf_port);
    char live_url[64], deaf_url[64];
    snprintf(live_url, sizeof live_url, "tcp://127.0.0.1:%d", live_port);
    snprintf(deaf_url, sizeof deaf_url, "tcp://127.0.0.1:%d", deaf_port);
    listen_target targets[] = {{live_url, NULL}, {deaf_url, NULL}};
    replaced r = {{0, 0}};
    listen_watch *w =
        listen_watch_start(targets, 2, (listen_watch_timing){50, 200, 3}, count_replace, &r);
    assert_non_null(w);
    /* Rounds of at most 50 ms + 200 ms: three misses take well under 3 s. */
    for (int i = 0; i < 60 && r.calls[1] == 0; i++)
        usleep(100 * 1000);
    listen_watch_stop(w);
    assert_true(r.calls[1] >= 1);
    assert_int_equal(r.calls[0], 0);
    close(deaf);
    nng_close(rep);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_live_listener_answers),
        cmocka_unit_test(probes_leave_a_listener_accepting),
        cmocka_unit_test(a_socket_that_never_accepts_is_a_miss),
        cmocka_unit_test(a_closed_port_is_a_miss),
        cmocka_unit_test(the_watch_replaces_the_deaf_listener_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
