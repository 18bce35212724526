/* readiness.h - the admin port's readiness check of the gateway. */
#ifndef RCYCLE_GATEWAY_READINESS_H
#define RCYCLE_GATEWAY_READINESS_H

/* 1 when all three services answer Health. Blocks (up to about a second);
 * for the admin thread only, never the event loop. arg is the gateway. */
int gw_services_ready(void *arg);

#endif
