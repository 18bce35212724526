/* addr.h - the address a process dials to reach one of its own listeners.
 *
 * A listener bound to a wildcard host takes connections on every interface,
 * but a wildcard is no destination: a process checking its own listener (the
 * gateway's readiness, the RPC listener probe) dials loopback instead. */
#ifndef RCYCLE_ADDR_H
#define RCYCLE_ADDR_H

#include <stddef.h>

/* The loopback host for the wildcard host[0..len): "127.0.0.1" for "",
 * "0.0.0.0" or "*", "::1" for "::" and "[::1]" for "[::]" (the URL form).
 * NULL for any other host, which is dialled as it is. */
const char *addr_wildcard_loopback(const char *host, size_t len);

#endif
