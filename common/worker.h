/* worker.h - a periodic background worker: one thread that runs a function
 * every period, on a monotonic clock, until stopped.
 *
 * The expiry sweeper, the settler and the feed followers all use it. The
 * clock is monotonic so that a step of the wall clock neither stalls nor
 * hurries them; each wait is the period plus up to jitter_ms at random, so
 * that the replicas of a service do not all wake in the same millisecond. */
#ifndef RCYCLE_WORKER_H
#define RCYCLE_WORKER_H

typedef struct worker worker;

/* One round of work; runs on the worker's thread. */
typedef void (*worker_fn)(void *arg);

/* Starts a thread that waits period_ms (+ jitter) and runs fn(arg), again and
 * again. name is for the logs. NULL when the thread cannot be started. */
worker *worker_start(const char *name, int period_ms, int jitter_ms, worker_fn fn, void *arg);

/* Wakes the worker, waits for the round in progress to end, joins and frees
 * it. NULL is a no-op. */
void worker_stop(worker *w);

#endif
