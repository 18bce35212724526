/* httpd.h - the few h2o helpers shared by the gateway and the admin ports:
 * a listening socket wired to an accept context, and one-call responses. */
#ifndef RCYCLE_HTTPD_H
#define RCYCLE_HTTPD_H

#include <stddef.h>

#include <h2o.h>

#include "status.h"

/* The connections a server accepted and has not closed yet. h2o 2.2
 * cannot dispose of a context that a connection still uses (an idle
 * keep-alive one too: it aborts), so a stopping server ends them first.
 * Event-loop thread only. */
typedef struct httpd_conns {
    h2o_accept_ctx_t *accept_ctx;
    h2o_linklist_t open; /* of the tracked connections */
    size_t count;
    /* Optional: runs after each connection closed. */
    void (*on_close)(struct httpd_conns *conns);
} httpd_conns;

void httpd_conns_init(httpd_conns *conns, h2o_accept_ctx_t *accept_ctx,
                      void (*on_close)(httpd_conns *conns));

/* Binds host:port and accepts connections into conns on its loop. conns
 * must outlive the listener; listener->data is conns. Close the listener
 * with h2o_socket_close on the loop thread. */
rc_status httpd_listen(httpd_conns *conns, const char *host, int port, h2o_socket_t **listener);

/* The two halves of httpd_listen, for a listening socket that several loops
 * read: httpd_bind returns the bound, listening fd (-1 logged on failure);
 * httpd_listen_fd makes it a listener of conns' loop, which then owns fd. */
int httpd_bind(const char *host, int port);
h2o_socket_t *httpd_listen_fd(httpd_conns *conns, int fd);

/* Accepts one waiting connection from listener into conns; for a server
 * that reads the listener with its own callback. Returns 1 when it took a
 * connection (conns->on_close runs when that one closes, perhaps already
 * inside this call), 0 when there was none to take or no memory. */
int httpd_accept(httpd_conns *conns, h2o_socket_t *listener);

/* Ends every open connection as a client that hangs up would (so that h2o
 * closes it its own way) and runs loop until all are closed, for up to
 * max_ms. Returns how many are still open (0: the context may be
 * disposed of). Call once nothing is in flight. */
size_t httpd_end_all(httpd_conns *conns, h2o_evloop_t *loop, int max_ms);

/* Registers a handler of size bytes (>= sizeof(h2o_handler_t)) for path;
 * *pathconf, unless NULL, receives the path's configuration. */
h2o_handler_t *httpd_register(h2o_hostconf_t *host, const char *path, size_t size,
                              int (*on_req)(h2o_handler_t *, h2o_req_t *),
                              h2o_pathconf_t **pathconf);

/* Sends status with body (copied) of content type ctype. */
void httpd_respond(h2o_req_t *req, int status, const char *ctype, const char *body, size_t len);

#endif
