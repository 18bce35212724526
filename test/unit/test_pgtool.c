/* test_pgtool.c - the database tools' shared layer where it needs no
 * database: connection failures (a refusing port, a server that never
 * answers) and reading files. What needs a server (the line of a failing
 * statement) is in test/integration/db-tools.test.mjs. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "pgtool.h"

#define PASSWORD "Sup3r-Secret-Pw"

/* A listening socket on a free loopback port; *port gets the port. */
static int listen_loopback(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof addr), 0);
    assert_int_equal(listen(fd, 8), 0);
    socklen_t len = sizeof addr;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&addr, &len), 0);
    *port = ntohs(addr.sin_port);
    return fd;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void url_with_password(char *url, size_t size, int port)
{
    snprintf(url, size, "postgresql://bob:" PASSWORD "@127.0.0.1:%d/rcycle", port);
}

static void refused_connection_never_shows_the_password(void **state)
{
    (void)state;
    int port;
    close(listen_loopback(&port)); /* a port nothing listens on any more */
    char url[128];
    url_with_password(url, sizeof url, port);
    PGconn *conn = NULL;
    pgt_error err = {0};
    assert_int_equal(pgt_connect(url, "test", 5, &conn, &err), PGT_CONNECT);
    assert_null(conn);
    assert_non_null(strstr(err.message, "refused"));
    assert_null(strstr(err.message, PASSWORD));
    pgt_error_clear(&err);
}

static void unparsable_url_never_shows_the_password(void **state)
{
    (void)state;
    PGconn *conn = NULL;
    pgt_error err = {0};
    assert_int_equal(pgt_connect("postgresql://bob:" PASSWORD "@127.0.0.1/rcycle?no_such_option=1",
                                 "test", 5, &conn, &err),
                     PGT_INVALID);
    assert_null(strstr(err.message, PASSWORD));
    pgt_error_clear(&err);
}

/* The handshake completes (the kernel accepts), then nothing ever answers:
 * without a connect timeout libpq would wait for ever. */
static void silent_server_fails_within_the_connect_timeout(void **state)
{
    (void)state;
    int port;
    int fd = listen_loopback(&port);
    char url[128];
    url_with_password(url, sizeof url, port);
    PGconn *conn = NULL;
    pgt_error err = {0};
    double start = now_s();
    assert_int_equal(pgt_connect(url, "test", 2, &conn, &err), PGT_CONNECT);
    double took = now_s() - start;
    assert_true(took >= 1.5);
    assert_true(took < 5.0);
    assert_non_null(strstr(err.message, "timeout"));
    assert_null(strstr(err.message, PASSWORD));
    pgt_error_clear(&err);
    close(fd);
}

/* A temporary file of size bytes, its first bytes being head. */
static void make_file(char *path, size_t path_size, const char *head, off_t size)
{
    snprintf(path, path_size, "%s/pgtool-test-XXXXXX", P_tmpdir);
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, head, strlen(head)), (ssize_t)strlen(head));
    assert_int_equal(ftruncate(fd, size), 0);
    close(fd);
}

/* The old rcycle-admin refused anything over its fixed 64 MiB buffer. */
static void reads_a_file_larger_than_any_buffer(void **state)
{
    (void)state;
    const off_t size = 65L * 1024 * 1024 + 3;
    char path[256];
    make_file(path, sizeof path, "serial,", size);
    char *text = NULL;
    size_t len = 0;
    pgt_error err = {0};
    assert_int_equal(pgt_read_file(path, &text, &len, &err), PGT_OK);
    assert_int_equal(len, (size_t)size);
    assert_memory_equal(text, "serial,", 7);
    assert_int_equal(text[len], '\0');
    free(text);
    /* The same bytes are no SQL: the zeros would cut the text short. */
    assert_int_equal(pgt_read_sql_file(path, &text, &err), PGT_INVALID);
    assert_null(text);
    assert_non_null(strstr(err.message, "NUL"));
    pgt_error_clear(&err);
    unlink(path);
}

static void missing_file_is_an_io_error_naming_it(void **state)
{
    (void)state;
    char *text = NULL;
    pgt_error err = {0};
    assert_int_equal(pgt_read_file("/nonexistent/x.sql", &text, NULL, &err), PGT_IO);
    assert_null(text);
    assert_non_null(strstr(err.message, "/nonexistent/x.sql"));
    pgt_error_clear(&err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(refused_connection_never_shows_the_password),
        cmocka_unit_test(unparsable_url_never_shows_the_password),
        cmocka_unit_test(silent_server_fails_within_the_connect_timeout),
        cmocka_unit_test(reads_a_file_larger_than_any_buffer),
        cmocka_unit_test(missing_file_is_an_io_error_naming_it),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
