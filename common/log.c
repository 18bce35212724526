/* log.c - JSON log lines on stderr, one object per line.
 *
 * A line looks like
 *   {"ts":"2026-11-26T19:03:13.042Z","level":"info","process":"gateway",
 *    "request_id":"f3a9...","trace_id":"4bf9...","span_id":"00f0...",
 *    "msg":"listening on port 3000"}
 * (on one line); trace_id and span_id are the thread's current trace
 * (trace.h), absent outside a request. jansson builds and escapes it, so a quote or newline in a
 * message can never split a line or forge a field. jansson refuses strings
 * that are not UTF-8, and a log line must not vanish because a client sent
 * odd bytes, so every string is made valid UTF-8 first (a bad byte becomes
 * '?'). The whole line, newline included, goes out in one write under the
 * stdio lock, so lines from different threads never interleave. */
#include "log.h"
#include "text.h"
#include "trace.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>

#define PROCESS_NAME_MAX 64

static const char *const level_names[] = {"debug", "info", "warn", "error"};

/* The level is read on every call, so it is atomic; the process name is
 * copied out under the lock, so log_init may run while others log. */
static atomic_int min_level = LOG_INFO;
static pthread_mutex_t process_lock = PTHREAD_MUTEX_INITIALIZER;
static char process_name[PROCESS_NAME_MAX] = "rcycle";

/* Replaces, in place, every byte that does not start or belong to a
 * well-formed UTF-8 sequence with '?'. */
static void make_utf8(char *s)
{
    size_t left = strlen(s);
    while (left > 0) {
        size_t len = text_utf8_seq_len(s, left);
        if (len == 0) {
            *s = '?';
            len = 1;
        }
        s += len;
        left -= len;
    }
}

void log_init(const char *process, log_level level)
{
    pthread_mutex_lock(&process_lock);
    snprintf(process_name, sizeof process_name, "%s", process);
    make_utf8(process_name);
    pthread_mutex_unlock(&process_lock);
    atomic_store(&min_level, level);
}

int log_parse_level(const char *s, log_level *out)
{
    if (!s)
        return -1;
    for (int i = LOG_DEBUG; i <= LOG_ERROR; i++) {
        if (strcasecmp(s, level_names[i]) == 0) {
            *out = (log_level)i;
            return 0;
        }
    }
    return -1;
}

/* RFC 3339 UTC with milliseconds: 2026-11-26T19:03:13.042Z */
static void format_timestamp(char out[32])
{
    struct timespec now;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &now);
    gmtime_r(&now.tv_sec, &tm);
    size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, 32 - n, ".%03dZ", (int)(now.tv_nsec / 1000000));
}

/* The formatted message in malloc'd memory, or NULL. */
static char *format_message(const char *fmt, va_list ap)
{
    va_list again;
    va_copy(again, ap);
    int len = vsnprintf(NULL, 0, fmt, ap);
    char *msg = len >= 0 ? malloc((size_t)len + 1) : NULL;
    if (msg)
        vsnprintf(msg, (size_t)len + 1, fmt, again);
    va_end(again);
    return msg;
}

/* The line as a malloc'd string ending in a newline, or NULL; extra (may
 * be NULL) holds more fields. */
static char *encode_line(log_level level, const char *request_id, const char *msg, json_t *extra)
{
    char ts[32], process[PROCESS_NAME_MAX];
    format_timestamp(ts);
    pthread_mutex_lock(&process_lock);
    memcpy(process, process_name, sizeof process);
    pthread_mutex_unlock(&process_lock);
    const trace_ctx *trace = trace_current();

    /* "s*" leaves a field out when it is NULL. */
    json_t *obj = json_pack("{s:s, s:s, s:s, s:s*, s:s*, s:s*, s:s}", "ts", ts, "level",
                            level_names[level], "process", process, "request_id", request_id,
                            "trace_id", trace ? trace->trace_id : NULL, "span_id",
                            trace ? trace->span_id : NULL, "msg", msg);
    if (obj && extra && json_object_update(obj, extra) != 0) {
        json_decref(obj);
        obj = NULL;
    }
    if (!obj)
        return NULL;
    /* Durations to a microsecond, not 17 digits. */
    const size_t flags = JSON_COMPACT | JSON_REAL_PRECISION(6);
    size_t len = json_dumpb(obj, NULL, 0, flags);
    char *line = len > 0 ? malloc(len + 2) : NULL;
    if (line && json_dumpb(obj, line, len, flags) == len) {
        line[len] = '\n';
        line[len + 1] = '\0';
    } else {
        free(line);
        line = NULL;
    }
    json_decref(obj);
    return line;
}

static void write_line(const char *line)
{
    flockfile(stderr);
    fputs(line, stderr);
    fflush(stderr);
    funlockfile(stderr);
}

/* Writes one line of msg (consumed) with the fields of extra (may be NULL). */
static void emit(log_level level, const char *request_id, char *msg, json_t *extra)
{
    /* Without memory for a copy the line goes out without its request id. */
    char *rid = request_id && *request_id ? strdup(request_id) : NULL;

    char *line = NULL;
    if (msg) {
        make_utf8(msg);
        if (rid)
            make_utf8(rid);
        line = encode_line(level, rid, msg, extra);
    }
    /* Out of memory: still say that something was to be logged. */
    write_line(line ? line : "{\"level\":\"error\",\"msg\":\"log: out of memory\"}\n");
    free(line);
    free(rid);
    free(msg);
}

void log_msg(log_level level, const char *request_id, const char *fmt, ...)
{
    if ((unsigned)level > LOG_ERROR)
        level = LOG_ERROR;
    if ((int)level < atomic_load(&min_level))
        return;

    va_list ap;
    va_start(ap, fmt);
    char *msg = format_message(fmt, ap);
    va_end(ap);
    emit(level, request_id, msg, NULL);
}

void log_rpc_served(log_level level, const char *request_id, const char *method, const char *code,
                    double ms, const char *detail)
{
    if ((unsigned)level > LOG_ERROR)
        level = LOG_ERROR;
    if ((int)level < atomic_load(&min_level))
        return;
    /* method comes from our own descriptors (or "unknown"/"malformed"). */
    size_t n = strlen(method) + strlen(code) + 64 + (detail ? strlen(detail) : 0);
    char *msg = malloc(n);
    if (msg)
        snprintf(msg, n, "rpc %s -> %s in %.1f ms%s%s", method, code, ms, detail ? ": " : "",
                 detail ? detail : "");
    /* The caller's span, so that the hops of a trace chain up. */
    const trace_ctx *trace = trace_current();
    const char *parent = trace && trace->parent_id[0] ? trace->parent_id : NULL;
    json_t *extra = json_pack("{s:s, s:s, s:f, s:s*}", "rpc_method", method, "rpc_status", code,
                              "duration_ms", ms, "parent_span_id", parent);
    emit(level, request_id, msg, extra);
    json_decref(extra);
}
