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

/* One request: the trusted list, the TCP peer, its X-Forwarded-For headers
 * (up to two, NULL for none) and the client address expected. */
typedef struct pick_case {
    const char *why;
    const char *trusted;
    const char *peer;
    const char *xff[2];
    const char *expect;
} pick_case;

static const pick_case cases[] = {
    {"no proxy is trusted", "", "192.0.2.7", {"198.51.100.1"}, "192.0.2.7"},
    {"the peer is not a trusted proxy", "10.0.0.0/8", "192.0.2.7", {"198.51.100.1"}, "192.0.2.7"},
    {"IPv6 peer, no header", NULL, "2001:db8::5", {NULL}, "2001:db8::5"},
    {"a trusted proxy names the client",
     "127.0.0.1",
     "127.0.0.1",
     {"198.51.100.1"},
     "198.51.100.1"},
    {"a trusted proxy without the header is the client",
     "127.0.0.1",
     "127.0.0.1",
     {NULL},
     "127.0.0.1"},
    {"an IPv6 proxy, spaces trimmed", "10.0.0.0/8, ::1", "::1", {" 2001:db8::9 "}, "2001:db8::9"},
    {"what the client wrote itself is passed over",
     "10.0.0.0/8",
     "10.1.1.1",
     {"203.0.113.66, 198.51.100.1"},
     "198.51.100.1"},
    {"two proxies of ours in one header",
     "10.0.0.0/8",
     "10.1.1.1",
     {"203.0.113.66, 198.51.100.1, 10.2.2.2"},
     "198.51.100.1"},
    {"two proxies of ours in two headers",
     "10.0.0.0/8",
     "10.1.1.1",
     {"203.0.113.66, 198.51.100.1", "10.2.2.2"},
     "198.51.100.1"},
    {"garbage ends the walk", "10.0.0.0/8", "10.1.1.1", {"not-an-address"}, "10.1.1.1"},
    {"an empty entry ends the walk",
     "10.0.0.0/8",
     "10.1.1.1",
     {"198.51.100.1,,10.2.2.2"},
     "10.2.2.2"},
    {"an empty header", "10.0.0.0/8", "10.1.1.1", {""}, "10.1.1.1"},
    {"an IPv4 entry with a port", "10.0.0.0/8", "10.1.1.1", {"198.51.100.1:5555"}, "198.51.100.1"},
    {"a bracketed IPv6 entry with a port",
     "10.0.0.0/8",
     "10.1.1.1",
     {"[2001:db8::1]:443"},
     "2001:db8::1"},
    {"a mapped peer matches an IPv4 entry",
     "10.0.0.0/8",
     "::ffff:10.1.1.1",
     {"198.51.100.1"},
     "198.51.100.1"},
    {"a mapped peer prints as IPv4", "", "::ffff:192.0.2.1", {NULL}, "192.0.2.1"},
    {"inside a /25", "192.0.2.128/25", "192.0.2.200", {"198.51.100.1"}, "198.51.100.1"},
    {"outside a /25", "192.0.2.128/25", "192.0.2.100", {"198.51.100.1"}, "192.0.2.100"},
    {"inside an IPv6 /48", "2001:db8:1::/48", "2001:db8:1:ffff::1", {"192.0.2.9"}, "192.0.2.9"},
    {"/0 trusts every IPv4 peer", "0.0.0.0/0", "203.0.113.1", {"192.0.2.9"}, "192.0.2.9"},
};

static struct sockaddr_storage peer_of(const char *text)
{
    struct sockaddr_storage ss = {0};
    if (strchr(text, ':') == NULL) {
        struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
        sin->sin_family = AF_INET;
        assert_int_equal(inet_pton(AF_INET, text, &sin->sin_addr), 1);
    } else {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
        sin6->sin6_family = AF_INET6;
        assert_int_equal(inet_pton(AF_INET6, text, &sin6->sin6_addr), 1);
    }
    return ss;
}

static void picks_the_client(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const pick_case *c = &cases[i];
        client_trust trust;
        char err[128], out[CLIENT_ADDR_LEN];
        h2o_iovec_t xff[2];
        size_t n = 0;
        assert_int_equal(client_trust_parse(c->trusted, &trust, err, sizeof err), 0);
        for (; n < 2 && c->xff[n] != NULL; n++)
            xff[n] = h2o_iovec_init(c->xff[n], strlen(c->xff[n]));
        struct sockaddr_storage peer = peer_of(c->peer);
        client_addr_pick(&trust, (const struct sockaddr *)&peer, xff, n, out);
        if (strcmp(out, c->expect) != 0)
            fail_msg("%s: got %s, expected %s", c->why, out, c->expect);
    }
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
        cmocka_unit_test(picks_the_client),
        cmocka_unit_test(bad_lists_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
