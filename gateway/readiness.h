/* readiness.h - the gateway's readiness: its own listener and svc-users
 * (the session path); the other services' health is reported, not required. */
#ifndef RCYCLE_GATEWAY_READINESS_H
#define RCYCLE_GATEWAY_READINESS_H

/* The services in the order of their Health checks; svc-users is the one
 * readiness requires. */
#define GW_SERVICES        3
#define GW_SESSION_SERVICE 0
extern const char *const gw_service_names[GW_SERVICES];

typedef struct gateway gateway;
typedef struct rpc_client rpc_client;

/* The client of service index, in the order of gw_service_names. */
rpc_client *gw_service_client(const gateway *gw, int index);

/* 1 when the public listener accepts and svc-users answers Health; every
 * service's state goes to /readyz's body and the metrics. Blocks (up to
 * about a second); for the admin server's checker thread, never the event
 * loop. arg is the gateway. */
int gw_services_ready(void *arg);

/* Records what a readiness check saw of service index (1 up, 0 down) for
 * the gauge rcycle_gateway_service_up. Thread-safe. */
void gw_note_service_health(int index, int up);

#endif
