/* pipe_age.h - retires a server socket's connections once they are older
 * than a maximum age and idle.
 *
 * A caller keeps its connections for as long as they live, and a Kubernetes
 * Service balances connections, not requests: a replica that starts after
 * its callers connected would get no traffic until they redial. Closing a
 * connection that is old and has no request in flight makes the caller's
 * dialer redial at once (nng redials lost connections by itself), and the
 * Service places the new connection on any replica there is now. A request
 * being served keeps its connection busy; one the caller sends just as the
 * connection closes fails there with ECONNRESET, and the client sends it
 * again on another connection (common/rpc_client.c), which the services
 * answer once per request id (common/idem.h). */
#ifndef RCYCLE_PIPE_AGE_H
#define RCYCLE_PIPE_AGE_H

#include <nng/nng.h>

#include "status.h"

typedef struct pipe_ager pipe_ager;

/* Starts watching the connections of sock, which must not have a listener
 * yet (so that none is missed), and closes each one that is older than
 * max_age_ms and idle, one at a time (pipe_age.c says why). max_age_ms of 0
 * retires none (the ager only counts).
 * The ager must outlive the socket: stop it after nng_close(sock). */
rc_status pipe_ager_start(nng_socket sock, int max_age_ms, pipe_ager **out);

/* A request arrived on p / its reply was sent (or given up). Thread-safe. */
void pipe_ager_busy(pipe_ager *a, nng_pipe p);
void pipe_ager_idle(pipe_ager *a, nng_pipe p);

/* Connections open now, and retired since the start. Thread-safe. */
int pipe_ager_open(pipe_ager *a);
long pipe_ager_retired(pipe_ager *a);

/* Stops the sweeper and frees the ager; a may be NULL. Call after
 * nng_close() of its socket, when no callback can run any more. */
void pipe_ager_stop(pipe_ager *a);

#endif
