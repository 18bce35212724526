/* httpd.h - the few h2o helpers shared by the gateway and the admin ports:
 * a listening socket wired to an accept context, and one-call responses. */
#ifndef RCYCLE_HTTPD_H
#define RCYCLE_HTTPD_H

#include <stddef.h>

#include <h2o.h>

#include "status.h"

/* Binds host:port and accepts connections into accept_ctx on its loop.
 * accept_ctx must outlive the listener. Close the listener with
 * h2o_socket_close on the loop thread. */
rc_status httpd_listen(h2o_accept_ctx_t *accept_ctx, const char *host, int port,
                       h2o_socket_t **listener);

/* Registers a handler of size bytes (>= sizeof(h2o_handler_t)) for path;
 * *pathconf, unless NULL, receives the path's configuration. */
h2o_handler_t *httpd_register(h2o_hostconf_t *host, const char *path, size_t size,
                              int (*on_req)(h2o_handler_t *, h2o_req_t *),
                              h2o_pathconf_t **pathconf);

/* Sends status with body (copied) of content type ctype. */
void httpd_respond(h2o_req_t *req, int status, const char *ctype, const char *body, size_t len);

#endif
