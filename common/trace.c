/* trace.c - trace ids, traceparent, the thread's current trace (trace.h). */
#include "trace.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>

static _Thread_local trace_ctx current;
static _Thread_local int current_set;

/* 1 when s holds n lower-case hex digits. */
static int hex_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return 1;
}

int trace_id_valid(const char *s, size_t len)
{
    if (s == NULL || strnlen(s, len) < len || !hex_digits(s, len))
        return 0;
    for (size_t i = 0; i < len; i++)
        if (s[i] != '0')
            return 1;
    return 0;
}

/* 1 when s is a NUL-terminated id of exactly len digits. */
static int id_exact(const char *s, size_t len)
{
    return trace_id_valid(s, len) && s[len] == '\0';
}

static void random_hex(char *out, size_t bytes)
{
    unsigned char raw[16];
    randombytes_buf(raw, bytes);
    sodium_bin2hex(out, 2 * bytes + 1, raw, bytes);
}

void trace_begin(trace_ctx *out, const char *trace_id, const char *parent_id)
{
    if (id_exact(trace_id, TRACE_ID_LEN - 1)) {
        memcpy(out->trace_id, trace_id, TRACE_ID_LEN);
        if (id_exact(parent_id, SPAN_ID_LEN - 1))
            memcpy(out->parent_id, parent_id, SPAN_ID_LEN);
        else
            out->parent_id[0] = '\0';
    } else {
        random_hex(out->trace_id, (TRACE_ID_LEN - 1) / 2);
        out->parent_id[0] = '\0';
    }
    random_hex(out->span_id, (SPAN_ID_LEN - 1) / 2);
}

void trace_from_traceparent(trace_ctx *out, const char *value, size_t len)
{
    /* version "-" trace-id "-" parent-id "-" flags (55 characters); version
     * ff is invalid, 00 has nothing after the flags, a later version may
     * carry more after another '-'. */
    const size_t base = TRACEPARENT_LEN - 1;
    char trace_id[TRACE_ID_LEN] = "", parent_id[SPAN_ID_LEN] = "";
    int ok = value != NULL && len >= base && hex_digits(value, 2) && memcmp(value, "ff", 2) != 0 &&
             value[2] == '-' && value[35] == '-' && value[52] == '-' && hex_digits(value + 53, 2);
    if (ok)
        ok = memcmp(value, "00", 2) == 0 ? len == base : len == base || value[base] == '-';
    if (ok) {
        memcpy(trace_id, value + 3, TRACE_ID_LEN - 1);
        memcpy(parent_id, value + 36, SPAN_ID_LEN - 1);
        ok = trace_id_valid(trace_id, TRACE_ID_LEN - 1) &&
             trace_id_valid(parent_id, SPAN_ID_LEN - 1);
    }
    trace_begin(out, ok ? trace_id : NULL, ok ? parent_id : NULL);
}

void trace_traceparent(const trace_ctx *ctx, char out[TRACEPARENT_LEN])
{
    snprintf(out, TRACEPARENT_LEN, "00-%s-%s-01", ctx->trace_id, ctx->span_id);
}

void trace_set(const trace_ctx *ctx)
{
    current_set = ctx != NULL;
    if (ctx != NULL)
        current = *ctx;
}

const trace_ctx *trace_current(void)
{
    return current_set ? &current : NULL;
}
