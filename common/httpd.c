/* httpd.c - listening sockets and simple responses on top of libh2o. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "httpd.h"
#include "log.h"

static void on_accept(h2o_socket_t *listener, const char *err)
{
    if (err != NULL)
        return;
    h2o_socket_t *sock = h2o_evloop_socket_accept(listener);
    if (sock != NULL)
        h2o_accept(listener->data, sock);
}

static int bind_socket(const char *host, int port)
{
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &addr.sin_addr) != 1)
        return -1;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int on = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(fd, SOMAXCONN) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

rc_status httpd_listen(h2o_accept_ctx_t *accept_ctx, const char *host, int port,
                       h2o_socket_t **listener)
{
    int fd = bind_socket(host, port);
    if (fd < 0) {
        log_error(NULL, "cannot listen on %s:%d", host, port);
        return RC_UNAVAILABLE;
    }
    h2o_socket_t *sock =
        h2o_evloop_socket_create(accept_ctx->ctx->loop, fd, H2O_SOCKET_FLAG_DONT_READ);
    sock->data = accept_ctx;
    h2o_socket_read_start(sock, on_accept);
    *listener = sock;
    return RC_OK;
}

h2o_handler_t *httpd_register(h2o_hostconf_t *host, const char *path, size_t size,
                              int (*on_req)(h2o_handler_t *, h2o_req_t *),
                              h2o_pathconf_t **pathconf)
{
    h2o_pathconf_t *conf = h2o_config_register_path(host, path, 0);
    h2o_handler_t *handler = h2o_create_handler(conf, size);
    handler->on_req = on_req;
    if (pathconf != NULL)
        *pathconf = conf;
    return handler;
}

void httpd_respond(h2o_req_t *req, int status, const char *ctype, const char *body, size_t len)
{
    req->res.status = status;
    req->res.reason = rc_http_reason(status);
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, ctype,
                   strlen(ctype));
    req->res.content_length = len;
    h2o_send_inline(req, body, len);
}
