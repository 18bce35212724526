/* admin.h - the admin HTTP port of a service: /healthz, /readyz, /metrics.
 *
 * It runs its own h2o event loop on its own thread, so a busy or stuck RPC
 * worker never keeps a probe from being answered; the readiness function
 * runs on a thread of its own, so /healthz never waits for it. */
#ifndef RCYCLE_ADMIN_H
#define RCYCLE_ADMIN_H

#include "status.h"

/* Returns 1 when the process is ready to serve. Called on the admin
 * server's checker thread (never its loop), one call at a time; it may
 * block, and may add lines to /readyz's body with admin_ready_note. */
typedef int (*admin_ready_fn)(void *arg);

/* Adds one line (printf format, no newline) to the body of the /readyz
 * being answered; for readiness functions, e.g. "listings: down". */
void admin_ready_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

typedef struct admin_server admin_server;

rc_status admin_start(const char *host, int port, admin_ready_fn ready, void *arg,
                      admin_server **out);
void admin_stop(admin_server *server);

#endif
