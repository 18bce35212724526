/* test_pipe_age.c - the connection ager over a real nng REQ/REP pair on an
 * IPC socket: an old idle connection is closed and the caller's next request
 * goes through on the connection its dialer opens again; a busy one is never
 * closed under its request; with no maximum age nothing is closed. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>

#include "pipe_age.h"

typedef struct pair {
    nng_socket rep, req;
    pipe_ager *ager;
    int hold_ms; /* how long the server takes to answer */
    pthread_t server;
    char url[96];
} pair;

/* Answers every request after hold_ms, marking its connection busy while
 * it does, as rpc_server.c does. */
static void *serve(void *arg)
{
    pair *p = arg;
    for (;;) {
        nng_msg *msg;
        if (nng_recvmsg(p->rep, &msg, 0) != 0)
            return NULL;
        nng_pipe pipe = nng_msg_get_pipe(msg);
        pipe_ager_busy(p->ager, pipe);
        usleep((useconds_t)p->hold_ms * 1000);
        if (nng_sendmsg(p->rep, msg, 0) != 0)
            nng_msg_free(msg);
        pipe_ager_idle(p->ager, pipe);
    }
}

static void open_pair(pair *p, int max_age_ms, int hold_ms)
{
    static int n;
    memset(p, 0, sizeof *p);
    p->hold_ms = hold_ms;
    snprintf(p->url, sizeof p->url, "ipc:///tmp/rcycle-test-pipe-age-%d-%d", (int)getpid(), n++);
    assert_int_equal(nng_rep0_open(&p->rep), 0);
    assert_int_equal(pipe_ager_start(p->rep, max_age_ms, &p->ager), RC_OK);
    assert_int_equal(nng_listen(p->rep, p->url, NULL, 0), 0);
    assert_int_equal(nng_req0_open(&p->req), 0);
    assert_int_equal(nng_socket_set_ms(p->req, NNG_OPT_RECONNMINT, 10), 0);
    assert_int_equal(nng_socket_set_ms(p->req, NNG_OPT_RECONNMAXT, 50), 0);
    assert_int_equal(nng_socket_set_ms(p->req, NNG_OPT_RECVTIMEO, 5000), 0);
    assert_int_equal(nng_dial(p->req, p->url, NULL, 0), 0);
    assert_int_equal(pthread_create(&p->server, NULL, serve, p), 0);
}

static void close_pair(pair *p)
{
    nng_close(p->req);
    nng_close(p->rep);
    pthread_join(p->server, NULL);
    pipe_ager_stop(p->ager);
}

/* One request and its echoed answer. */
static int round_trip(pair *p)
{
    const char text[] = "ping";
    if (nng_send(p->req, (void *)text, sizeof text, 0) != 0)
        return -1;
    char *buf = NULL;
    size_t len = 0;
    int rv = nng_recv(p->req, &buf, &len, NNG_FLAG_ALLOC);
    if (rv != 0)
        return -1;
    int same = len == sizeof text && memcmp(buf, text, len) == 0;
    nng_free(buf, len);
    return same ? 0 : -1;
}

static void old_idle_connection_is_retired_and_redialled(void **state)
{
    (void)state;
    pair p;
    open_pair(&p, 200, 0);
    assert_int_equal(round_trip(&p), 0);
    assert_int_equal(pipe_ager_open(p.ager), 1);
    usleep(1000 * 1000); /* older than 200 ms, and a few sweeps */
    assert_true(pipe_ager_retired(p.ager) >= 1);
    assert_int_equal(round_trip(&p), 0);
    assert_int_equal(pipe_ager_open(p.ager), 1);
    close_pair(&p);
}

static void busy_connection_is_kept_until_answered(void **state)
{
    (void)state;
    pair p;
    open_pair(&p, 100, 1500);
    assert_int_equal(round_trip(&p), 0); /* 1.5 s on a connection older than its age */
    assert_int_equal(pipe_ager_retired(p.ager), 0);
    close_pair(&p);
}

static void no_maximum_age_retires_nothing(void **state)
{
    (void)state;
    pair p;
    open_pair(&p, 0, 0);
    assert_int_equal(round_trip(&p), 0);
    usleep(1000 * 1000);
    assert_int_equal(round_trip(&p), 0);
    assert_int_equal(pipe_ager_retired(p.ager), 0);
    assert_int_equal(pipe_ager_open(p.ager), 1);
    close_pair(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(old_idle_connection_is_retired_and_redialled),
        cmocka_unit_test(busy_connection_is_kept_until_answered),
        cmocka_unit_test(no_maximum_age_retires_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
