/* clock.h - the one "time from now" helper for condition-variable waits.
 *
 * pthread_cond_timedwait takes an absolute time on the clock its condition
 * variable was made with: CLOCK_MONOTONIC where a wait must not move with the
 * wall clock (worker.c), CLOCK_REALTIME for a default one (db.c). RPC
 * deadlines, which cross processes, are wall-clock milliseconds instead
 * (rpc_deadline_in in rpc.h). */
#ifndef RCYCLE_CLOCK_H
#define RCYCLE_CLOCK_H

#include <pthread.h>
#include <time.h>

/* The time ms milliseconds from now on clock. */
struct timespec clock_after(clockid_t clock, int ms);

/* Initialises cv to time its waits on CLOCK_MONOTONIC, for deadlines made
 * with clock_after(CLOCK_MONOTONIC, ...). */
void clock_cond_init_monotonic(pthread_cond_t *cv);

#endif
