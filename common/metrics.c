/* metrics.c - the process-wide metrics registry and its Prometheus text.
 *
 * Two histogram families are fixed: HTTP request latency by route, method
 * and status, and RPC latency by side, method and code. Each label set is a
 * series found through a small open-addressing hash table; series live in
 * one growable array in the order they first appeared. Gauges are callbacks
 * registered at start-up and read at render time; rcycle_build_info says
 * which process and version answered the scrape.
 *
 * Label values may come from requests, so the registry defends itself: a
 * value is cut to LABEL_VALUE_MAX bytes, bytes outside printable ASCII become
 * '?' (our values are route patterns, methods and codes, all ASCII, and the
 * text format wants valid UTF-8), and after MAX_SERIES label sets every new
 * one is counted in a single "other" series per family, so memory stays
 * bounded whatever the callers pass. */
#include "metrics.h"

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* TABLE_SIZE is a power of two above MAX_SERIES plus the overflow series,
 * with room to spare so that linear probing stays short. LABELS_MAX holds
 * three labels, the most any sample here has: ,name="value" with every value
 * byte escaped, and the NUL. */
#define MAX_SERIES      2000
#define TABLE_SIZE      4096
#define LABEL_NAME_MAX  32
#define LABEL_VALUE_MAX 128
#define LABELS_MAX      (3 * (LABEL_NAME_MAX + 4 + 2 * LABEL_VALUE_MAX) + 1)

/* Upper bounds in seconds, from a fast cache hit to a call at its deadline. */
static const struct {
    double bound;
    const char *text;
} buckets[] = {
    {0.001, "0.001"}, {0.0025, "0.0025"}, {0.005, "0.005"}, {0.01, "0.01"}, {0.025, "0.025"},
    {0.05, "0.05"},   {0.1, "0.1"},       {0.25, "0.25"},   {0.5, "0.5"},   {1, "1"},
    {2.5, "2.5"},     {5, "5"},           {10, "10"},
};
#define BUCKET_COUNT (sizeof buckets / sizeof buckets[0])

typedef enum family_id { FAMILY_HTTP, FAMILY_RPC, FAMILY_COUNT } family_id;

static const struct family {
    const char *name;
    const char *help;
    const char *overflow_labels; /* the series that takes label sets past the cap */
} families[FAMILY_COUNT] = {
    [FAMILY_HTTP] = {"rcycle_http_request_duration_seconds",
                     "Time to serve an HTTP request, by route pattern, method and status.",
                     "route=\"other\",method=\"other\",status=\"other\""},
    [FAMILY_RPC] = {"rcycle_rpc_duration_seconds",
                    "Time of an RPC, by side (server or client), method and status code.",
                    "side=\"other\",method=\"other\",code=\"other\""},
};

typedef struct series {
    family_id family;
    char *labels;                      /* rendered: route="/api/x",method="GET",... */
    uint64_t counts[BUCKET_COUNT + 1]; /* per bucket, not cumulative; the last is +Inf */
    double sum;
} series;

typedef struct gauge {
    char *name;
    char *help;
    char *labels; /* rendered, "" when the gauge has none */
    metrics_gauge_fn fn;
    void *arg;
    const char *type; /* "gauge" or "counter" */
} gauge;

static struct registry {
    pthread_mutex_t lock;
    char *build_labels; /* NULL until metrics_init */
    series *series;
    size_t nseries, series_cap;
    uint32_t index[TABLE_SIZE]; /* 1 + position in series, 0 when free */
    gauge *gauges;
    size_t ngauges, gauges_cap;
} reg = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* ---- text building ---- */

/* A growing string; once an allocation fails it stays failed and the render
 * returns NULL. */
typedef struct strbuf {
    char *data;
    size_t len, cap;
    int failed;
} strbuf;

/* Makes room for n more bytes and a NUL; 0 on success. */
static int sb_reserve(strbuf *sb, size_t n)
{
    if (sb->failed)
        return -1;
    if (sb->len + n + 1 <= sb->cap)
        return 0;
    size_t cap = sb->cap ? sb->cap : 4096;
    while (sb->len + n + 1 > cap)
        cap *= 2;
    char *data = realloc(sb->data, cap);
    if (!data) {
        sb->failed = 1;
        return -1;
    }
    sb->data = data;
    sb->cap = cap;
    return 0;
}

static void sb_append(strbuf *sb, const char *s, size_t n)
{
    if (sb_reserve(sb, n) != 0)
        return;
    memcpy(sb->data + sb->len, s, n);
    sb->len += n;
    sb->data[sb->len] = '\0';
}

static void sb_puts(strbuf *sb, const char *s)
{
    sb_append(sb, s, strlen(s));
}

__attribute__((format(printf, 2, 3))) static void sb_printf(strbuf *sb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        sb->failed = 1;
        return;
    }
    if (sb_reserve(sb, (size_t)n) != 0)
        return;
    va_start(ap, fmt);
    vsnprintf(sb->data + sb->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    sb->len += (size_t)n;
}

/* The text format's float: NaN and +Inf spelled its way, and the shortest
 * of %.15g / %.17g that reads back as the same double. */
static void sb_double(strbuf *sb, double v)
{
    if (isnan(v)) {
        sb_puts(sb, "NaN");
    } else if (isinf(v)) {
        sb_puts(sb, v > 0 ? "+Inf" : "-Inf");
    } else {
        char buf[32];
        snprintf(buf, sizeof buf, "%.15g", v);
        if (strtod(buf, NULL) != v)
            snprintf(buf, sizeof buf, "%.17g", v);
        sb_puts(sb, buf);
    }
}

/* HELP text escapes backslash and newline. */
static void sb_help(strbuf *sb, const char *name, const char *help, const char *type)
{
    sb_printf(sb, "# HELP %s ", name);
    for (const char *p = help; *p; p++) {
        if (*p == '\\')
            sb_puts(sb, "\\\\");
        else if (*p == '\n')
            sb_puts(sb, "\\n");
        else
            sb_append(sb, p, 1);
    }
    sb_printf(sb, "\n# TYPE %s %s\n", name, type);
}

/* Appends name="value" (after a comma unless first) to out, a LABELS_MAX
 * buffer holding *len bytes and at most two labels so far. The name is ours
 * and cut to LABEL_NAME_MAX; the value is cut to LABEL_VALUE_MAX bytes,
 * backslash, quote and newline are escaped as the text format requires, and
 * any other byte outside printable ASCII becomes '?'. */
static void put_label(char out[LABELS_MAX], size_t *len, const char *name, const char *value)
{
    size_t n = *len;
    if (n > 0)
        out[n++] = ',';
    n += (size_t)sprintf(out + n, "%.*s=\"", LABEL_NAME_MAX, name);
    for (size_t i = 0; value[i] && i < LABEL_VALUE_MAX; i++) {
        unsigned char c = (unsigned char)value[i];
        if (c == '\\' || c == '"') {
            out[n++] = '\\';
            out[n++] = (char)c;
        } else if (c == '\n') {
            out[n++] = '\\';
            out[n++] = 'n';
        } else {
            out[n++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
        }
    }
    out[n++] = '"';
    out[n] = '\0';
    *len = n;
}

/* ---- series ---- */

static uint32_t label_hash(family_id family, const char *labels)
{
    uint32_t h = 2166136261u ^ (uint32_t)family; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)labels; *p; p++)
        h = (h ^ *p) * 16777619u;
    return h;
}

/* The series with these labels, or NULL with *slot set to the free table
 * slot where it belongs. The table never fills (TABLE_SIZE > MAX_SERIES +
 * FAMILY_COUNT), so the probe ends. */
static series *find_series(family_id family, const char *labels, uint32_t *slot)
{
    uint32_t i = label_hash(family, labels) & (TABLE_SIZE - 1);
    for (; reg.index[i] != 0; i = (i + 1) & (TABLE_SIZE - 1)) {
        series *s = &reg.series[reg.index[i] - 1];
        if (s->family == family && strcmp(s->labels, labels) == 0)
            return s;
    }
    *slot = i;
    return NULL;
}

static series *add_series(family_id family, const char *labels, uint32_t slot)
{
    if (reg.nseries == reg.series_cap) {
        size_t cap = reg.series_cap ? reg.series_cap * 2 : 64;
        series *grown = realloc(reg.series, cap * sizeof *grown);
        if (!grown)
            return NULL;
        reg.series = grown;
        reg.series_cap = cap;
    }
    char *copy = strdup(labels);
    if (!copy)
        return NULL;
    series *s = &reg.series[reg.nseries];
    *s = (series){.family = family, .labels = copy};
    reg.index[slot] = (uint32_t)++reg.nseries;
    return s;
}

static series *series_for(family_id family, const char *labels)
{
    uint32_t slot;
    series *s = find_series(family, labels, &slot);
    if (s)
        return s;
    if (reg.nseries >= MAX_SERIES) {
        labels = families[family].overflow_labels;
        s = find_series(family, labels, &slot);
        if (s)
            return s;
    }
    return add_series(family, labels, slot);
}

static void observe(family_id family, const char *labels, double seconds)
{
    /* A clock that stepped backwards must not produce a negative sum. */
    if (!(seconds >= 0))
        seconds = 0;
    size_t bucket = 0;
    while (bucket < BUCKET_COUNT && seconds > buckets[bucket].bound)
        bucket++;

    pthread_mutex_lock(&reg.lock);
    series *s = series_for(family, labels);
    if (s) {
        s->counts[bucket]++;
        s->sum += seconds;
    }
    pthread_mutex_unlock(&reg.lock);
}

void metrics_observe_http(const char *route, const char *method, int status, double seconds)
{
    char labels[LABELS_MAX], status_text[16];
    size_t len = 0;
    snprintf(status_text, sizeof status_text, "%d", status);
    put_label(labels, &len, "route", route ? route : "");
    put_label(labels, &len, "method", method ? method : "");
    put_label(labels, &len, "status", status_text);
    observe(FAMILY_HTTP, labels, seconds);
}

void metrics_observe_rpc(const char *side, const char *method, const char *code, double seconds)
{
    char labels[LABELS_MAX];
    size_t len = 0;
    put_label(labels, &len, "side", side ? side : "");
    put_label(labels, &len, "method", method ? method : "");
    put_label(labels, &len, "code", code ? code : "");
    observe(FAMILY_RPC, labels, seconds);
}

/* ---- build info and gauges ---- */

void metrics_init(const char *process, const char *version)
{
    char labels[LABELS_MAX];
    size_t len = 0;
    put_label(labels, &len, "process", process ? process : "");
    put_label(labels, &len, "version", version ? version : "");
    char *copy = strdup(labels);

    pthread_mutex_lock(&reg.lock);
    free(reg.build_labels);
    reg.build_labels = copy;
    pthread_mutex_unlock(&reg.lock);
}

static gauge *find_gauge(const char *name, const char *labels)
{
    for (size_t i = 0; i < reg.ngauges; i++) {
        if (strcmp(reg.gauges[i].name, name) == 0 && strcmp(reg.gauges[i].labels, labels) == 0)
            return &reg.gauges[i];
    }
    return NULL;
}

static void add_gauge(const char *name, const char *help, const char *type, const char *labels,
                      metrics_gauge_fn fn, void *arg)
{
    if (reg.ngauges == reg.gauges_cap) {
        size_t cap = reg.gauges_cap ? reg.gauges_cap * 2 : 8;
        gauge *grown = realloc(reg.gauges, cap * sizeof *grown);
        if (!grown)
            return;
        reg.gauges = grown;
        reg.gauges_cap = cap;
    }
    gauge g = {strdup(name), strdup(help), strdup(labels), fn, arg, type};
    if (!g.name || !g.help || !g.labels) {
        free(g.name);
        free(g.help);
        free(g.labels);
        return;
    }
    reg.gauges[reg.ngauges++] = g;
}

static void register_sample(const char *name, const char *help, const char *type,
                            const char *label_name, const char *label_value, metrics_gauge_fn fn,
                            void *arg)
{
    char labels[LABELS_MAX] = "";
    size_t len = 0;
    if (label_name)
        put_label(labels, &len, label_name, label_value ? label_value : "");

    pthread_mutex_lock(&reg.lock);
    /* Registering the same sample twice would make the scrape invalid
     * (duplicate series); the later registration wins instead. */
    gauge *g = find_gauge(name, labels);
    if (g) {
        g->fn = fn;
        g->arg = arg;
    } else {
        add_gauge(name, help ? help : "", type, labels, fn, arg);
    }
    pthread_mutex_unlock(&reg.lock);
}

void metrics_gauge(const char *name, const char *help, const char *label_name,
                   const char *label_value, metrics_gauge_fn fn, void *arg)
{
    register_sample(name, help, "gauge", label_name, label_value, fn, arg);
}

void metrics_counter(const char *name, const char *help, const char *label_name,
                     const char *label_value, metrics_gauge_fn fn, void *arg)
{
    register_sample(name, help, "counter", label_name, label_value, fn, arg);
}

/* ---- rendering ---- */

static void render_series(strbuf *sb, const char *name, const series *s)
{
    uint64_t cumulative = 0;
    for (size_t b = 0; b <= BUCKET_COUNT; b++) {
        cumulative += s->counts[b];
        sb_printf(sb, "%s_bucket{", name);
        sb_puts(sb, s->labels);
        sb_printf(sb, ",le=\"%s\"} %llu\n", b < BUCKET_COUNT ? buckets[b].text : "+Inf",
                  (unsigned long long)cumulative);
    }
    sb_printf(sb, "%s_sum{", name);
    sb_puts(sb, s->labels);
    sb_puts(sb, "} ");
    sb_double(sb, s->sum);
    sb_printf(sb, "\n%s_count{", name);
    sb_puts(sb, s->labels);
    sb_printf(sb, "} %llu\n", (unsigned long long)cumulative);
}

static void render_histograms(strbuf *sb)
{
    for (int f = 0; f < FAMILY_COUNT; f++) {
        sb_help(sb, families[f].name, families[f].help, "histogram");
        for (size_t i = 0; i < reg.nseries; i++) {
            if (reg.series[i].family == (family_id)f)
                render_series(sb, families[f].name, &reg.series[i]);
        }
    }
}

static void render_build_info(strbuf *sb)
{
    if (!reg.build_labels)
        return;
    sb_help(sb, "rcycle_build_info", "Process and version that answer this scrape.", "gauge");
    sb_puts(sb, "rcycle_build_info{");
    sb_puts(sb, reg.build_labels);
    sb_puts(sb, "} 1\n");
}

/* The text format wants every sample of a metric in one group under one
 * HELP/TYPE, so the samples of a name are written when it first appears. */
static void render_gauges(strbuf *sb, const gauge *gauges, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int seen = 0;
        for (size_t j = 0; j < i && !seen; j++)
            seen = strcmp(gauges[j].name, gauges[i].name) == 0;
        if (seen)
            continue;
        sb_help(sb, gauges[i].name, gauges[i].help, gauges[i].type);
        for (size_t j = i; j < n; j++) {
            if (strcmp(gauges[j].name, gauges[i].name) != 0)
                continue;
            sb_puts(sb, gauges[j].name);
            if (gauges[j].labels[0]) {
                sb_puts(sb, "{");
                sb_puts(sb, gauges[j].labels);
                sb_puts(sb, "}");
            }
            sb_puts(sb, " ");
            sb_double(sb, gauges[j].fn(gauges[j].arg));
            sb_puts(sb, "\n");
        }
    }
}

char *metrics_render(void)
{
    strbuf sb = {0};

    pthread_mutex_lock(&reg.lock);
    render_histograms(&sb);
    render_build_info(&sb);
    /* Gauge callbacks take other locks (the database pool's); calling them
     * outside ours keeps the lock order trivial. The copy's strings stay
     * valid because gauges are only freed by metrics_shutdown. */
    size_t ngauges = reg.ngauges;
    gauge *gauges = ngauges ? malloc(ngauges * sizeof *gauges) : NULL;
    if (gauges)
        memcpy(gauges, reg.gauges, ngauges * sizeof *gauges);
    else if (ngauges)
        sb.failed = 1;
    pthread_mutex_unlock(&reg.lock);

    if (gauges)
        render_gauges(&sb, gauges, ngauges);
    free(gauges);
    if (sb.failed) {
        free(sb.data);
        return NULL;
    }
    return sb.data;
}

void metrics_shutdown(void)
{
    pthread_mutex_lock(&reg.lock);
    for (size_t i = 0; i < reg.nseries; i++)
        free(reg.series[i].labels);
    for (size_t i = 0; i < reg.ngauges; i++) {
        free(reg.gauges[i].name);
        free(reg.gauges[i].help);
        free(reg.gauges[i].labels);
    }
    free(reg.series);
    free(reg.gauges);
    free(reg.build_labels);
    reg.series = NULL;
    reg.gauges = NULL;
    reg.build_labels = NULL;
    reg.nseries = reg.series_cap = reg.ngauges = reg.gauges_cap = 0;
    memset(reg.index, 0, sizeof reg.index);
    pthread_mutex_unlock(&reg.lock);
}

double metrics_clock(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
