/* httpd.c - listening sockets and simple responses on top of libh2o. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "httpd.h"
#include "log.h"

typedef struct tracked_conn {
    h2o_linklist_t link;
    httpd_conns *conns;
    h2o_socket_t *sock;
} tracked_conn;

void httpd_conns_init(httpd_conns *conns, h2o_accept_ctx_t *accept_ctx,
                      void (*on_close)(httpd_conns *conns))
{
    *conns = (httpd_conns){.accept_ctx = accept_ctx, .on_close = on_close};
    h2o_linklist_init_anchor(&conns->open);
}

static void on_conn_closed(void *data)
{
    tracked_conn *t = data;
    httpd_conns *conns = t->conns;
    h2o_linklist_unlink(&t->link);
    conns->count--;
    free(t);
    if (conns->on_close != NULL)
        conns->on_close(conns);
}

int httpd_accept(httpd_conns *conns, h2o_socket_t *listener)
{
    h2o_socket_t *sock = h2o_evloop_socket_accept(listener);
    if (sock == NULL)
        return 0;
    /* An untracked connection could not be ended at shutdown: refused. */
    tracked_conn *t = malloc(sizeof *t);
    if (t == NULL) {
        h2o_socket_close(sock);
        return 0;
    }
    *t = (tracked_conn){.conns = conns, .sock = sock};
    h2o_linklist_insert(&conns->open, &t->link);
    conns->count++;
    sock->on_close.cb = on_conn_closed;
    sock->on_close.data = t;
    h2o_accept(conns->accept_ctx, sock);
    return 1;
}

size_t httpd_end_all(httpd_conns *conns, h2o_evloop_t *loop, int max_ms)
{
    for (h2o_linklist_t *l = conns->open.next; l != &conns->open; l = l->next) {
        tracked_conn *t = H2O_STRUCT_FROM_MEMBER(tracked_conn, link, l);
        shutdown(h2o_socket_get_fd(t->sock), SHUT_RDWR);
    }
    for (int waited = 0; conns->count > 0 && waited < max_ms; waited += 10)
        h2o_evloop_run(loop, 10);
    return conns->count;
}

static void on_accept(h2o_socket_t *listener, const char *err)
{
    if (err == NULL)
        httpd_accept(listener->data, listener);
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

int httpd_bind(const char *host, int port)
{
    int fd = bind_socket(host, port);
    if (fd < 0)
        log_error(NULL, "cannot listen on %s:%d", host, port);
    return fd;
}

h2o_socket_t *httpd_listen_fd(httpd_conns *conns, int fd)
{
    h2o_socket_t *sock =
        h2o_evloop_socket_create(conns->accept_ctx->ctx->loop, fd, H2O_SOCKET_FLAG_DONT_READ);
    sock->data = conns;
    h2o_socket_read_start(sock, on_accept);
    return sock;
}

rc_status httpd_listen(httpd_conns *conns, const char *host, int port, h2o_socket_t **listener)
{
    int fd = httpd_bind(host, port);
    if (fd < 0)
        return RC_UNAVAILABLE;
    *listener = httpd_listen_fd(conns, fd);
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
