/* admin.h - the admin HTTP port of a service: /healthz, /readyz, /metrics.
 *
 * It runs its own h2o event loop on its own thread, so a busy or stuck RPC
 * worker never keeps a probe from being answered. */
#ifndef RCYCLE_ADMIN_H
#define RCYCLE_ADMIN_H

#include "status.h"

/* Returns 1 when the process is ready to serve. Called on the admin thread. */
typedef int (*admin_ready_fn)(void *arg);

typedef struct admin_server admin_server;

rc_status admin_start(const char *host, int port, admin_ready_fn ready, void *arg,
                      admin_server **out);
void admin_stop(admin_server *server);

#endif
