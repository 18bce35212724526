/* metrics.h - a process-wide registry rendered in the Prometheus text format.
 *
 * Request series are keyed by their labels; each is a latency histogram
 * whose _count is the request count. Gauges are read at render time through
 * callbacks. All functions are thread-safe. */
#ifndef RCYCLE_METRICS_H
#define RCYCLE_METRICS_H

#include <stddef.h>

void metrics_init(const char *process, const char *version);

/* One HTTP request served: route is the route pattern, not the raw path. */
void metrics_observe_http(const char *route, const char *method, int status, double seconds);

/* One RPC, on the side given ("server" or "client"). */
void metrics_observe_rpc(const char *side, const char *method, const char *code, double seconds);

typedef double (*metrics_gauge_fn)(void *arg);

/* Registers a gauge sample name{label_name="label_value"} read by fn. */
void metrics_gauge(const char *name, const char *help, const char *label_name,
                   const char *label_value, metrics_gauge_fn fn, void *arg);

/* Registers a counter sample, read by fn like a gauge: fn must return a
 * value that only grows while the process runs (a _total). */
void metrics_counter(const char *name, const char *help, const char *label_name,
                     const char *label_value, metrics_gauge_fn fn, void *arg);

/* Seconds on a monotonic clock, for durations (start and end of a
 * request); unaffected by changes to the wall clock. */
double metrics_clock(void);

/* The whole registry as text; the caller frees it. */
char *metrics_render(void);

/* Frees the registry (at process exit). */
void metrics_shutdown(void);

#endif
