/* log.h - JSON log lines on stderr, one object per line.
 *
 * Every line carries the process name and, when there is one, the request id
 * that the gateway gave the request and the thread's current trace id and
 * span id (trace.h), so one request can be followed through every service's
 * log. Messages must never contain secrets. */
#ifndef RCYCLE_LOG_H
#define RCYCLE_LOG_H

typedef enum log_level { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR } log_level;

void log_init(const char *process, log_level min_level);

/* Parses "debug", "info", "warn" or "error" (any case). Returns 0 when valid. */
int log_parse_level(const char *s, log_level *out);

/* Writes one line; request_id may be NULL. Thread-safe. */
void log_msg(log_level level, const char *request_id, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The one line of an RPC served: method, status code name and duration as
 * fields of their own (rpc_method, rpc_status, duration_ms) and in the
 * message, with the caller's span (parent_span_id) when the request named
 * one; detail (may be NULL) is the reply's message. */
void log_rpc_served(log_level level, const char *request_id, const char *method, const char *code,
                    double ms, const char *detail);

#define log_debug(rid, ...) log_msg(LOG_DEBUG, rid, __VA_ARGS__)
#define log_info(rid, ...)  log_msg(LOG_INFO, rid, __VA_ARGS__)
#define log_warn(rid, ...)  log_msg(LOG_WARN, rid, __VA_ARGS__)
#define log_error(rid, ...) log_msg(LOG_ERROR, rid, __VA_ARGS__)

#endif
