/* test_listen_watch.c - the listener probe and watch (listen_watch.h) over
 * real sockets on loopback: an nng REP listener answers (also on its
 * wildcard address, and still after many probes, so a probe never leaves it
 * deaf); a socket that listens and never accepts, and a closed port, are
 * misses; a tls+tcp listener whose accept loop nng 1.5.2 ended (callers
 * that close during their negotiation, upstream #1518) is a miss although
 * its transport still answers; the watch replaces a deaf listener after its
 * strikes and never a live one. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>
#include <nng/supplemental/tls/tls.h>

#include "listen_watch.h"
#include "rpc_tls.h"

#define PROBE_TIMEOUT_MS 300

extern char **environ;

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

/* An nng REP socket listening on a free loopback port; *port is it and
 * *l its listener. */
static nng_socket rep_listener(int *port, nng_listener *l)
{
    int fd = raw_socket(0, port);
    close(fd);
    nng_socket rep;
    assert_int_equal(nng_rep0_open(&rep), 0);
    char url[64];
    snprintf(url, sizeof url, "tcp://127.0.0.1:%d", *port);
    assert_int_equal(nng_listen(rep, url, l, 0), 0);
    return rep;
}

static const nng_listener not_ours = NNG_LISTENER_INITIALIZER;

static void a_live_listener_answers(void **state)
{
    (void)state;
    int port;
    nng_listener l;
    nng_socket rep = rep_listener(&port, &l);
    char url[64];
    snprintf(url, sizeof url, "tcp://127.0.0.1:%d", port);
    assert_int_equal(listen_probe(url, NULL, l, &(int64_t){-1}, PROBE_TIMEOUT_MS),
                     LISTEN_PROBE_ANSWERED);
    snprintf(url, sizeof url, "tcp://0.0.0.0:%d", port);
    assert_int_equal(listen_probe(url, NULL, l, &(int64_t){-1}, PROBE_TIMEOUT_MS),
                     LISTEN_PROBE_ANSWERED);
    nng_close(rep);
}

static void probes_leave_a_listener_accepting(void **state)
{
    (void)state;
    int port;
    nng_listener l;
    nng_socket rep = rep_listener(&port, &l);
    char url[64];
    snprintf(url, sizeof url, "tcp://127.0.0.1:%d", port);
    for (int i = 0; i < 30; i++)
        assert_int_equal(listen_probe(url, NULL, l, &(int64_t){-1}, PROBE_TIMEOUT_MS),
                         LISTEN_PROBE_ANSWERED);
    nng_close(rep);
}

static void a_socket_that_never_accepts_is_a_miss(void **state)
{
    (void)state;
    int port;
    int fd = raw_socket(1, &port);
    char url[64];
    snprintf(url, sizeof url, "tcp://127.0.0.1:%d", port);
    assert_int_equal(listen_probe(url, NULL, not_ours, &(int64_t){-1}, PROBE_TIMEOUT_MS),
                     LISTEN_PROBE_MISSED);
    close(fd);
}

static void a_closed_port_is_a_miss(void **state)
{
    (void)state;
    int port;
    close(raw_socket(0, &port));
    char url[64];
    snprintf(url, sizeof url, "tcp://127.0.0.1:%d", port);
    assert_int_equal(listen_probe(url, NULL, not_ours, &(int64_t){-1}, PROBE_TIMEOUT_MS),
                     LISTEN_PROBE_MISSED);
}

/* The link certificates of scripts/certs.sh in a new directory, written
 * into dir. */
static void make_certs(char *dir, size_t len)
{
    snprintf(dir, len, "/tmp/rcycle-listen-watch-XXXXXX");
    assert_non_null(mkdtemp(dir));
    char cmd[512];
    snprintf(cmd, sizeof cmd, "%s/scripts/certs.sh make %s >/dev/null 2>&1", RCYCLE_SOURCE_DIR,
             dir);
    assert_int_equal(system(cmd), 0);
}

/* The TLS configuration rpc_tls_config makes for a process of kind with the
 * certificates in dir, trusting the issuer of trusted; a client's, as the
 * watch's probe and the test's callers use it, checks nothing of its peer. */
static nng_tls_config *tls_of(const char *dir, const char *kind, nng_tls_mode mode,
                              const char *trusted)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s.crt", dir, kind);
    assert_int_equal(setenv(RPC_TLS_CERT_VAR, path, 1), 0);
    snprintf(path, sizeof path, "%s/%s.key", dir, kind);
    assert_int_equal(setenv(RPC_TLS_KEY_VAR, path, 1), 0);
    snprintf(path, sizeof path, "%s/trust/%s.pem", dir, trusted);
    assert_int_equal(setenv("RCYCLE_TEST_TRUST", path, 1), 0);
    nng_tls_config *cfg = NULL;
    assert_int_equal(rpc_tls_config("tls+tcp://127.0.0.1:1", mode, "RCYCLE_TEST_TRUST", &cfg),
                     RC_OK);
    if (mode == NNG_TLS_MODE_CLIENT)
        assert_int_equal(nng_tls_config_auth_mode(cfg, NNG_TLS_AUTH_MODE_NONE), 0);
    return cfg;
}

/* The child's side of the callers below, presenting the gateway's
 * certificate in dir to url. "leave-early": n nng REQ sockets, each closed
 * a few hundred microseconds after its dialer started. "ask": one request;
 * exits 0 when it is answered within a second. They run in a process of
 * their own because nng 1.5.2 can hang closing a socket whose dialer is
 * negotiating (the parent then kills the child, its work done), and nng does
 * not survive a fork. */
static int caller_main(const char *what, const char *url, const char *dir, int n)
{
    nng_tls_config *tls = tls_of(dir, "gateway", NNG_TLS_MODE_CLIENT, "svc-listings");
    for (int i = 0; i < n; i++) {
        nng_socket req;
        nng_dialer d;
        if (nng_req0_open(&req) != 0 || nng_dialer_create(&d, req, url) != 0 ||
            nng_dialer_set_ptr(d, NNG_OPT_TLS_CONFIG, tls) != 0 ||
            nng_dialer_start(d, NNG_FLAG_NONBLOCK) != 0)
            _exit(2);
        if (strcmp(what, "ask") == 0) {
            nng_socket_set_ms(req, NNG_OPT_SENDTIMEO, 1000);
            nng_socket_set_ms(req, NNG_OPT_RECVTIMEO, 1000);
            nng_msg *answer = NULL;
            _exit(nng_send(req, "ping", 4, 0) == 0 && nng_recvmsg(req, &answer, 0) == 0 ? 0 : 1);
        }
        usleep((useconds_t)(i % 20) * 300);
        nng_close(req);
    }
    _exit(0);
}

/* Starts caller_main in this program again; returns its pid. */
static pid_t spawn_caller(const char *what, const char *url, const char *dir, int n)
{
    char count[16];
    snprintf(count, sizeof count, "%d", n);
    char *argv[] = {"test_listen_watch", "--caller", (char *)what, (char *)url,
                    (char *)dir,         count,      NULL};
    pid_t pid;
    assert_int_equal(posix_spawn(&pid, "/proc/self/exe", NULL, NULL, argv, environ), 0);
    return pid;
}

/* The exit status of child pid, or -1 when it had to be killed after 5 s. */
static int exit_status(pid_t pid)
{
    int status = -1;
    for (int i = 0; i < 250; i++) {
        pid_t done = waitpid(pid, &status, WNOHANG);
        assert_true(done >= 0);
        if (done == pid)
            return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        usleep(20 * 1000);
    }
    kill(pid, SIGKILL);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return -1;
}

/* Callers that go away during their negotiation, as a caller killed just
 * as it redialled does. */
static void callers_that_leave_early(const char *url, const char *dir, int n)
{
    int status = exit_status(spawn_caller("leave-early", url, dir, n));
    assert_true(status == 0 || status == -1);
}

/* Whether rep serves a new caller within a second. */
static int serves_a_new_caller(nng_socket rep, const char *url, const char *dir)
{
    pid_t pid = spawn_caller("ask", url, dir, 1);
    nng_socket_set_ms(rep, NNG_OPT_RECVTIMEO, 1500);
    nng_msg *msg = NULL;
    if (nng_recvmsg(rep, &msg, 0) == 0 && nng_sendmsg(rep, msg, 0) != 0)
        nng_msg_free(msg);
    int status = exit_status(pid);
    assert_true(status == 0 || status == 1);
    return status == 0;
}

static void a_listener_whose_accept_loop_ended_is_a_miss(void **state)
{
    (void)state;
    char dir[64];
    make_certs(dir, sizeof dir);
    /* As svc-listings listens for the gateway, and probes itself. */
    nng_tls_config *server = tls_of(dir, "svc-listings", NNG_TLS_MODE_SERVER, "gateway");
    nng_tls_config *probe = tls_of(dir, "svc-listings", NNG_TLS_MODE_CLIENT, "svc-listings");
    int port;
    close(raw_socket(0, &port));
    char url[64];
    snprintf(url, sizeof url, "tls+tcp://127.0.0.1:%d", port);
    nng_socket rep;
    nng_listener l;
    assert_int_equal(nng_rep0_open(&rep), 0);
    assert_int_equal(nng_listener_create(&l, rep, url), 0);
    assert_int_equal(nng_listener_set_ptr(l, NNG_OPT_TLS_CONFIG, server), 0);
    assert_int_equal(nng_listener_start(l, 0), 0);

    assert_true(serves_a_new_caller(rep, url, dir));
    assert_int_equal(listen_probe(url, probe, l, &(int64_t){-1}, PROBE_TIMEOUT_MS),
                     LISTEN_PROBE_ANSWERED);

    int deaf = 0;
    for (int round = 0; round < 10 && !deaf; round++) {
        callers_that_leave_early(url, dir, 100);
        deaf = !serves_a_new_caller(rep, url, dir);
    }
    if (deaf) {
        /* The wire still answers; the socket's side does not. */
        assert_int_equal(listen_probe(url, probe, not_ours, &(int64_t){-1}, PROBE_TIMEOUT_MS),
                         LISTEN_PROBE_ANSWERED);
        assert_int_equal(listen_probe(url, probe, l, &(int64_t){-1}, PROBE_TIMEOUT_MS),
                         LISTEN_PROBE_MISSED);
    } else {
        print_message("no early close ended this nng's accept loop (upstream #1518 fixed?)\n");
        assert_int_equal(listen_probe(url, probe, l, &(int64_t){-1}, PROBE_TIMEOUT_MS),
                         LISTEN_PROBE_ANSWERED);
    }
    nng_close(rep);
    nng_tls_config_free(server);
    nng_tls_config_free(probe);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

typedef struct replaced {
    int calls[2];
} replaced;

static void count_replace(void *arg, size_t i)
{
    ((replaced *)arg)->calls[i]++;
}

/* The live target's listener; the deaf one is no nng listener. */
static nng_listener live_listener;

static nng_listener current(void *arg, size_t i)
{
    (void)arg;
    return i == 0 ? live_listener : not_ours;
}

static void the_watch_replaces_the_deaf_listener_only(void **state)
{
    (void)state;
    int live_port, deaf_port;
    nng_socket rep = rep_listener(&live_port, &live_listener);
    int deaf = raw_socket(1, &deaf_port);
    char live_url[64], deaf_url[64];
    snprintf(live_url, sizeof live_url, "tcp://127.0.0.1:%d", live_port);
    snprintf(deaf_url, sizeof deaf_url, "tcp://127.0.0.1:%d", deaf_port);
    listen_target targets[] = {{live_url, NULL}, {deaf_url, NULL}};
    replaced r = {{0, 0}};
    listen_watch *w = listen_watch_start(targets, 2, (listen_watch_timing){50, 200, 3}, current,
                                         count_replace, &r);
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

int main(int argc, char **argv)
{
    if (argc == 6 && strcmp(argv[1], "--caller") == 0)
        return caller_main(argv[2], argv[3], argv[4], atoi(argv[5]));
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_live_listener_answers),
        cmocka_unit_test(probes_leave_a_listener_accepting),
        cmocka_unit_test(a_socket_that_never_accepts_is_a_miss),
        cmocka_unit_test(a_closed_port_is_a_miss),
        cmocka_unit_test(a_listener_whose_accept_loop_ended_is_a_miss),
        cmocka_unit_test(the_watch_replaces_the_deaf_listener_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
