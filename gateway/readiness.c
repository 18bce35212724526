/* readiness.c - the gateway's readiness, for the admin port's /readyz and
 * the public /readyz: the gateway can serve when its own listener accepts
 * and svc-users answers (every session goes there). svc-listings and
 * svc-claims are asked too, but a dead one degrades only its own routes
 * (they answer 503 UNAVAILABLE at once); its state goes into /readyz's
 * body and the gauge rcycle_gateway_service_up{service}. */
#include <netdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "addr.h"
#include "admin.h"
#include "gateway.h"
#include "metrics.h"
#include "readiness.h"

#define READY_DEADLINE_MS 1000

const char *const gw_service_names[GW_SERVICES] = {"users", "listings", "claims"};

/* 1 up, 0 down, as the last readiness check saw it. */
static atomic_int service_up[GW_SERVICES];
static pthread_once_t gauges_once = PTHREAD_ONCE_INIT;

static double read_up(void *arg)
{
    return atomic_load((atomic_int *)arg);
}

static void register_gauges(void)
{
    for (int i = 0; i < GW_SERVICES; i++)
        metrics_gauge("rcycle_gateway_service_up",
                      "1 when the service answered the gateway's last readiness check, else 0",
                      "service", gw_service_names[i], read_up, &service_up[i]);
}

void gw_note_service_health(int index, int up)
{
    pthread_once(&gauges_once, register_gauges);
    atomic_store(&service_up[index], up);
}

typedef struct health_wait {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int answered;
    int up[GW_SERVICES];
} health_wait;

typedef struct health_call {
    health_wait *wait;
    int index;
} health_call;

static void on_health(void *arg, rpc_reply *reply)
{
    health_call *call = arg;
    health_wait *w = call->wait;
    pthread_mutex_lock(&w->mu);
    w->answered++;
    w->up[call->index] = reply->code == RC_OK;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
    rpc_reply_free(reply);
}

rpc_client *gw_service_client(const gateway *gw, int index)
{
    rpc_client *const clients[GW_SERVICES] = {gw->users, gw->listings, gw->claims};
    return clients[index];
}

/* The public listener accepts a connection, at the address main.c listens on. */
static int listener_accepts(const gateway *gw)
{
    const char *host = gw->bind_host;
    const char *loopback = addr_wildcard_loopback(host, strlen(host));
    if (loopback != NULL)
        host = loopback;
    int port = gw->port;
    char service[8];
    snprintf(service, sizeof service, "%d", port);
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai = NULL;
    if (getaddrinfo(host, service, &hints, &ai) != 0)
        return 0;
    int ok = 0;
    for (struct addrinfo *a = ai; a != NULL && !ok; a = a->ai_next) {
        int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0)
            continue;
        ok = connect(fd, a->ai_addr, a->ai_addrlen) == 0;
        close(fd);
    }
    freeaddrinfo(ai);
    return ok;
}

int gw_services_ready(void *arg)
{
    gateway *gw = arg;
    health_wait w = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, {0}};
    health_call calls[GW_SERVICES];
    rpc_call_opts opts = {.deadline_ms = rpc_deadline_in(READY_DEADLINE_MS)};
    int started = 0;
    for (int i = 0; i < GW_SERVICES; i++) {
        calls[i] = (health_call){&w, i};
        if (rpc_call_async(gw_service_client(gw, i), RPC_COMMON_HEALTH, NULL, &opts, on_health,
                           &calls[i]) == RC_OK)
            started++;
    }
    int listening = listener_accepts(gw);
    pthread_mutex_lock(&w.mu);
    while (w.answered < started)
        pthread_cond_wait(&w.cv, &w.mu);
    pthread_mutex_unlock(&w.mu);
    admin_ready_note("listener: %s", listening ? "up" : "down");
    for (int i = 0; i < GW_SERVICES; i++) {
        gw_note_service_health(i, w.up[i]);
        admin_ready_note("%s: %s", gw_service_names[i], w.up[i] ? "up" : "down");
    }
    return listening && w.up[GW_SESSION_SERVICE];
}
