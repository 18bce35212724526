/* addr.c - the wildcard-to-loopback rule of addr.h. */
#include <string.h>

#include "addr.h"

const char *addr_wildcard_loopback(const char *host, size_t len)
{
    static const struct {
        const char *wildcard, *loopback;
    } rules[] = {
        {"", "127.0.0.1"}, {"0.0.0.0", "127.0.0.1"}, {"*", "127.0.0.1"},
        {"::", "::1"},     {"[::]", "[::1]"},
    };
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
        if (strlen(rules[i].wildcard) == len && memcmp(rules[i].wildcard, host, len) == 0)
            return rules[i].loopback;
    }
    return NULL;
}
