/* listen_watch.h - finds an RPC listener that stopped accepting, so that
 * its server can listen again.
 *
 * nng 1.5.2, Debian 12's, ends a listener's accept loop for good when a
 * connection fails with NNG_ECLOSED during its SP negotiation (upstream
 * issue #1518, fixed after 1.5.2). A caller that goes away at that moment,
 * such as a gateway stopped just as it redialled a restarted service,
 * leaves the service deaf to every new connection while its port stays
 * open and the connections it has keep working. Seen in CI: svc-users
 * answered no new caller for three minutes, until it was restarted.
 *
 * Such a listener still answers on the wire: nng's transport goes on taking
 * connections, completing TLS and the SP header exchange, and holds them for
 * a socket that never takes them. So the watch asks the socket's side too.
 * Every interval it connects to each listener as a client would (presenting
 * this process's own certificate, which its own listeners do not trust) and
 * then waits up to a timeout for the listener's nng counters (connections
 * accepted, and failed: a refused certificate among them) to pass what the
 * last probe saw. A
 * connection refused or never taken up, or counters that stand still, is a
 * miss; after `strikes` misses in a row the watch calls replace for that
 * listener. A refused certificate is an error nng 1.5.2 recovers from; a
 * probe that gets through sends its own SP header before it closes, so the
 * listener sees a complete negotiation and a close after it, never a close
 * during it. */
#ifndef RCYCLE_LISTEN_WATCH_H
#define RCYCLE_LISTEN_WATCH_H

#include <stddef.h>
#include <stdint.h>

#include <nng/nng.h>
#include <nng/supplemental/tls/tls.h>

typedef enum { LISTEN_PROBE_ANSWERED, LISTEN_PROBE_MISSED } listen_probe_result;

/* One probe of the listener at url, as it was given to listen on (a
 * wildcard host, 0.0.0.0 or [::], is probed on loopback); tls is a client
 * configuration for tls+tcp:// and NULL for the other schemes. listener is
 * the socket's side of it, whose counters must move, or
 * NNG_LISTENER_INITIALIZER for one that is not this process's (then only
 * the wire is asked). *seen is the counters' sum the last probe of this
 * listener saw, which they must pass, and is updated; -1 to read it now.
 * Each of its steps (connect, send its header, read the listener's, see the
 * counters move) waits at most timeout_ms. */
listen_probe_result listen_probe(const char *url, nng_tls_config *tls, nng_listener listener,
                                 int64_t *seen, int timeout_ms);

#define RPC_WATCH_MAX_TARGETS 4

typedef struct listen_target {
    const char *url;     /* borrowed: outlives the watch */
    nng_tls_config *tls; /* owned by the watch from listen_watch_start on; may be NULL */
} listen_target;

typedef struct listen_watch_timing {
    int interval_ms;
    int timeout_ms;
    int strikes;
} listen_watch_timing;

/* The RPC servers' watch: a probe every second, answered within one; two
 * misses in a row, some 2-3 s of deafness, and the listener is replaced, so
 * that a caller's request, which waits up to its deadline for a connection,
 * is served late rather than failed. A live listener answers a probe in
 * milliseconds, even under the sanitizers on a loaded machine; a replaced
 * live one costs its callers a redial and a resend, no failure. A probe is
 * one TLS handshake, a few hundred microseconds of CPU. */
#define LISTEN_WATCH_TIMING ((listen_watch_timing){1000, 1000, 2})

/* Called on the watch's thread: the socket's side of target i now. */
typedef nng_listener (*listen_current_fn)(void *arg, size_t i);

/* Called on the watch's thread for target i, found deaf; the watch probes
 * it again from the next round on. */
typedef void (*listen_replace_fn)(void *arg, size_t i);

typedef struct listen_watch listen_watch;

/* Starts the watch over the n targets (at most RPC_WATCH_MAX_TARGETS), a
 * periodic worker (worker.h). Returns NULL when it cannot start; then the
 * tls configurations are freed at once, else by listen_watch_stop. */
listen_watch *listen_watch_start(const listen_target *targets, size_t n, listen_watch_timing timing,
                                 listen_current_fn current, listen_replace_fn replace, void *arg);
/* Stops the worker (after the round in progress) and frees the watch and
 * its tls configurations; NULL is a no-op. */
void listen_watch_stop(listen_watch *w);

#endif
