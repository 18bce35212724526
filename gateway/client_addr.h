/* client_addr.h - the address of the HTTP client behind a request, which
 * the gateway hands to the services (Caller.client_addr) for the login limit
 * per address and the security log.
 *
 * It is the TCP peer, unless the peer is one of the trusted proxies
 * (RCYCLE_TRUSTED_PROXIES: comma-separated addresses and CIDR networks,
 * IPv4 or IPv6; none by default): then X-Forwarded-For is read from the
 * right, each trusted proxy's entry naming the hop before it, and the first
 * entry that is not a trusted proxy is the client. X-Forwarded-For from any
 * other peer is ignored, since a client can write whatever it likes there. */
#ifndef RCYCLE_CLIENT_ADDR_H
#define RCYCLE_CLIENT_ADDR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <h2o.h>

/* inet_ntop's longest text, with its NUL (INET6_ADDRSTRLEN). */
#define CLIENT_ADDR_LEN 46
/* Entries RCYCLE_TRUSTED_PROXIES may hold. */
#define CLIENT_TRUST_MAX 32
/* X-Forwarded-For headers of one request looked at (the last ones). */
#define CLIENT_XFF_MAX 8

typedef struct client_net {
    int family; /* AF_INET or AF_INET6 */
    uint8_t addr[16];
    int prefix; /* bits */
} client_net;

typedef struct client_trust {
    size_t n;
    client_net nets[CLIENT_TRUST_MAX];
} client_trust;

/* Parses a RCYCLE_TRUSTED_PROXIES value ("" or NULL: none). Returns 0, or
 * -1 with a sentence naming the bad entry in err. */
int client_trust_parse(const char *list, client_trust *out, char *err, size_t err_len);

/* The client address of a request from peer (NULL: unknown) that carries
 * the X-Forwarded-For header values xff[0..n) in order, as text; "" when the
 * peer is unknown. */
void client_addr_pick(const client_trust *trust, const struct sockaddr *peer,
                      const h2o_iovec_t *xff, size_t n, char out[CLIENT_ADDR_LEN]);

/* client_addr_pick for an h2o request. */
void client_addr_of(const client_trust *trust, h2o_req_t *req, char out[CLIENT_ADDR_LEN]);

#endif
