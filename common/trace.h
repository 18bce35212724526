/* trace.h - W3C Trace Context (traceparent) ids and the trace of the
 * request a thread is working for.
 *
 * A trace id (16 bytes) names one client request across every process; a
 * span id (8 bytes) names one hop of it: the gateway's handling, or one RPC
 * served. The gateway takes the client's traceparent or starts a trace; the
 * RPC envelope carries the trace id and the caller's span id; the RPC server
 * makes a span of its own for each request it serves. Each thread has a
 * current trace, set around a request, which every log line carries and
 * which an RPC started on that thread sends on. Ids are random (libsodium). */
#ifndef RCYCLE_TRACE_H
#define RCYCLE_TRACE_H

#include <stddef.h>

/* Lower-case hex and the NUL. */
#define TRACE_ID_LEN 33
#define SPAN_ID_LEN  17
/* "00-" trace "-" span "-" flags, and the NUL. */
#define TRACEPARENT_LEN 56

typedef struct trace_ctx {
    char trace_id[TRACE_ID_LEN]; /* "" when there is no trace */
    char span_id[SPAN_ID_LEN];   /* this hop's span */
    char parent_id[SPAN_ID_LEN]; /* the caller's span, "" when this hop started the trace */
} trace_ctx;

/* A new hop of the trace trace_id with parent span parent_id; either may be
 * NULL or malformed, and then a new trace starts (without a parent). */
void trace_begin(trace_ctx *out, const char *trace_id, const char *parent_id);

/* A hop from a traceparent header value (len bytes, not NUL-terminated):
 * a well-formed one (version 00 or a later one, non-zero ids) continues its
 * trace; anything else starts a new trace. Never fails. */
void trace_from_traceparent(trace_ctx *out, const char *value, size_t len);

/* The traceparent naming this hop's span: "00-<trace>-<span>-01". */
void trace_traceparent(const trace_ctx *ctx, char out[TRACEPARENT_LEN]);

/* 1 when s is len lower-case hex digits, not all zero (the W3C form). */
int trace_id_valid(const char *s, size_t len);

/* The calling thread's current trace: set copies ctx (NULL clears it);
 * current returns NULL when none is set. */
void trace_set(const trace_ctx *ctx);
const trace_ctx *trace_current(void);

#endif
