/* test_client_addr.c - the client address behind a request: the trusted
 * proxy list and the X-Forwarded-For walk of gateway/client_addr.c. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "client_addr.h"

static struct sockaddr_storage peer_v4(const char *text)
{
    struct sockaddr_storage ss = {0};
    struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
    sin->sin_family = AF_INET;
    assert_int_equal(inet_pton(AF_INET, text, &sin->sin_addr), 1);
    return ss;
}

static struct sockaddr_storage peer_v6(const char *text)
{
    struct sockaddr_storage ss = {0};
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
    sin6->sin6_family = AF_INET6;
    assert_int_equal(inet_pton(AF_INET6, text, &sin6->sin6_addr), 1);
    return ss;
}

/* The address picked for a request from peer with the given header values. */
static const char *pick(const char *trusted, struct sockaddr_storage peer, size_t n, ...)
{
    static char out[CLIENT_ADDR_LEN];
    client_trust trust;
    char err[128];
    h2o_iovec_t xff[CLIENT_XFF_MAX];
    va_list ap;
    assert_int_equal(client_trust_parse(trusted, &trust, err, sizeof err), 0);
    va_start(ap, n);
    for (size_t i = 0; i < n; i++) {
        const char *v = va_arg(ap, const char *);
        xff[i] = h2o_iovec_init(v, strlen(v));
    }
    va_end(ap);
    client_addr_pick(&trust, (const struct sockaddr *)&peer, xff, n, out);
    return out;
}

static void untrusted_peer_is_the_client(void **state)
{
    (void)state;
    assert_string_equal(pick("", peer_v4("192.0.2.7"), 1, "198.51.100.1"), "192.0.2.7");
    assert_string_equal(pick("10.0.0.0/8", peer_v4("192.0.2.7"), 1, "198.51.100.1"), "192.0.2.7");
    assert_string_equal(pick(NULL, peer_v6("2001:db8::5"), 0), "2001:db8::5");
}

static void trusted_peer_names_the_client(void **state)
{
    (void)state;
    assert_string_equal(pick("127.0.0.1", peer_v4("127.0.0.1"), 1, "198.51.100.1"), "198.51.100.1");
    /* Without the header the proxy itself is all there is. */
    assert_string_equal(pick("127.0.0.1", peer_v4("127.0.0.1"), 0), "127.0.0.1");
    assert_string_equal(pick("10.0.0.0/8, ::1", peer_v6("::1"), 1, " 2001:db8::9 "), "2001:db8::9");
}

static void walk_stops_at_the_first_untrusted_hop(void **state)
{
    (void)state;
    /* The client wrote 203.0.113.66 itself; the proxy appended the peer it saw. */
    assert_string_equal(pick("10.0.0.0/8", peer_v4("10.1.1.1"), 1, "203.0.113.66, 198.51.100.1"),
                        "198.51.100.1");
    /* Two proxies of ours in a row, in one header or two. */
    assert_string_equal(
        pick("10.0.0.0/8", peer_v4("10.1.1.1"), 1, "203.0.113.66, 198.51.100.1, 10.2.2.2"),
        "198.51.100.1");
    assert_string_equal(
        pick("10.0.0.0/8", peer_v4("10.1.1.1"), 2, "203.0.113.66, 198.51.100.1", "10.2.2.2"),
        "198.51.100.1");
}

static void garbage_ends_the_walk(void **state)
{
    (void)state;
    assert_string_equal(pick("10.0.0.0/8", peer_v4("10.1.1.1"), 1, "not-an-address"), "10.1.1.1");
    assert_string_equal(pick("10.0.0.0/8", peer_v4("10.1.1.1"), 1, "198.51.100.1,,10.2.2.2"),
                        "10.2.2.2");
    assert_string_equal(pick("10.0.0.0/8", peer_v4("10.1.1.1"), 1, ""), "10.1.1.1");
}

static void ports_and_mapped_addresses(void **state)
{
    (void)state;
    assert_string_equal(pick("10.0.0.0/8", peer_v4("10.1.1.1"), 1, "198.51.100.1:5555"),
                        "198.51.100.1");
    assert_string_equal(pick("10.0.0.0/8", peer_v4("10.1.1.1"), 1, "[2001:db8::1]:443"),
                        "2001:db8::1");
    /* A dual-stack listener's mapped peer matches an IPv4 entry and prints as IPv4. */
    assert_string_equal(pick("10.0.0.0/8", peer_v6("::ffff:10.1.1.1"), 1, "198.51.100.1"),
                        "198.51.100.1");
    assert_string_equal(pick("", peer_v6("::ffff:192.0.2.1"), 0), "192.0.2.1");
}

static void prefixes_match_by_bits(void **state)
{
    (void)state;
    assert_string_equal(pick("192.0.2.128/25", peer_v4("192.0.2.200"), 1, "198.51.100.1"),
                        "198.51.100.1");
    assert_string_equal(pick("192.0.2.128/25", peer_v4("192.0.2.100"), 1, "198.51.100.1"),
                        "192.0.2.100");
    assert_string_equal(pick("2001:db8:1::/48", peer_v6("2001:db8:1:ffff::1"), 1, "192.0.2.9"),
                        "192.0.2.9");
    assert_string_equal(pick("0.0.0.0/0", peer_v4("203.0.113.1"), 1, "192.0.2.9"), "192.0.2.9");
}

static void bad_lists_are_refused(void **state)
{
    (void)state;
    static const char *const bad[] = {"10.0.0.0/33", "::/129",      "10.0.0.1,", "localhost",
                                      "10.0.0.0/",   "10.0.0.0/8x", "1.2.3.4/-1"};
    client_trust trust;
    char err[128];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(client_trust_parse(bad[i], &trust, err, sizeof err), -1);
        assert_non_null(strstr(err, "RCYCLE_TRUSTED_PROXIES"));
    }
    assert_int_equal(client_trust_parse("10.0.0.0/8, 192.0.2.1 ,fd00::/8", &trust, err, sizeof err),
                     0);
    assert_int_equal(trust.n, 3);
    assert_int_equal(client_trust_parse("", &trust, err, sizeof err), 0);
    assert_int_equal(trust.n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(untrusted_peer_is_the_client),
        cmocka_unit_test(trusted_peer_names_the_client),
        cmocka_unit_test(walk_stops_at_the_first_untrusted_hop),
        cmocka_unit_test(garbage_ends_the_walk),
        cmocka_unit_test(ports_and_mapped_addresses),
        cmocka_unit_test(prefixes_match_by_bits),
        cmocka_unit_test(bad_lists_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
