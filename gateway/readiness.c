/* readiness.c - asks the three services for Health at once and waits for
 * the answers, for the admin port's /readyz. */
#include <pthread.h>

#include "gateway.h"
#include "readiness.h"

#define READY_DEADLINE_MS 1000

typedef struct health_wait {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int answered;
    int healthy;
} health_wait;

static void on_health(void *arg, rpc_reply *reply)
{
    health_wait *w = arg;
    pthread_mutex_lock(&w->mu);
    w->answered++;
    if (reply->code == RC_OK)
        w->healthy++;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
    rpc_reply_free(reply);
}

int gw_services_ready(void *arg)
{
    gateway *gw = arg;
    rpc_client *clients[] = {gw->users, gw->listings, gw->claims};
    health_wait w = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0};
    rpc_call_opts opts = {.deadline_ms = rpc_now_ms() + READY_DEADLINE_MS};
    int started = 0;
    for (int i = 0; i < 3; i++)
        if (rpc_call_async(clients[i], RPC_COMMON_HEALTH, NULL, &opts, on_health, &w) == RC_OK)
            started++;
    pthread_mutex_lock(&w.mu);
    while (w.answered < started)
        pthread_cond_wait(&w.cv, &w.mu);
    int ready = started == 3 && w.healthy == 3;
    pthread_mutex_unlock(&w.mu);
    return ready;
}
