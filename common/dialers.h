/* dialers.h - the dialers of an RPC client socket, kept dialling.
 *
 * nng redials a lost connection by itself, except when an attempt ends in
 * NNG_ECLOSED: the dialer then stops for good. With tls+tcp that is what a
 * peer killed in the middle of a TLS handshake gives (a rollout, a crash),
 * and a client whose dialers have all stopped can never reach the service
 * again. So each dialer that has had no connection for a while is replaced
 * by a new one to the same address. */
#ifndef RCYCLE_DIALERS_H
#define RCYCLE_DIALERS_H

#include <nng/nng.h>
#include <nng/supplemental/tls/tls.h>

typedef struct dialer_set dialer_set;

/* Starts n dialers of sock to url (with tls, unless NULL; the set keeps its
 * own reference) and the watch that replaces a stalled one. From then on
 * the set owns sock. NULL when a dialer cannot be created or out of memory:
 * *rv then holds nng's error, and sock is closed. */
dialer_set *dialer_set_start(nng_socket sock, const char *url, nng_tls_config *tls, int n, int *rv);

/* Marks every dialer that holds a connection as stalled, so that the watch
 * replaces them on its next round: for a client whose call found no
 * connection ready for a whole wait although its dialers count connections
 * (a connection nng no longer uses but never closed, seen over TLS after a
 * peer was killed). A dialer without a connection is left to redial: it is
 * most likely in the middle of a handshake with a peer coming back, and
 * closing a dialer there is what nng 1.5.2 handles worst (dialers.c).
 * Thread-safe. */
void dialer_set_kick(dialer_set *set);

/* Stops the watch, closes the socket (and with it its dialers and
 * connections: their callbacks still find the set) and frees the set.
 * NULL is a no-op. */
void dialer_set_close(dialer_set *set);

#endif
