/* yaml_json.c - YAML to jansson values (see yaml_json.h): libyaml parses,
 * this file builds the values from its events. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "yaml_json.h"

typedef struct reader {
    yaml_parser_t parser;
    const char *path;
    char err[YAML_JSON_ERR_LEN];
} reader;

static void fail_at(reader *r, yaml_mark_t mark, const char *what)
{
    snprintf(r->err, sizeof r->err, "%s:%zu:%zu: %s", r->path, mark.line + 1, mark.column + 1,
             what);
}

static int next_event(reader *r, yaml_event_t *ev)
{
    if (yaml_parser_parse(&r->parser, ev))
        return 0;
    fail_at(r, r->parser.problem_mark, r->parser.problem ? r->parser.problem : "YAML error");
    return -1;
}

static int all_digits(const char *s, size_t len)
{
    if (len == 0)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

/* [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? of the core schema,
 * less the integers (no '.' and no exponent), which are matched first. */
static int is_float(const char *s, size_t len)
{
    size_t i = (len > 0 && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
    size_t int_digits = 0, frac_digits = 0;
    while (i < len && s[i] >= '0' && s[i] <= '9') {
        i++;
        int_digits++;
    }
    int dot = i < len && s[i] == '.';
    if (dot) {
        i++;
        while (i < len && s[i] >= '0' && s[i] <= '9') {
            i++;
            frac_digits++;
        }
    }
    if (int_digits == 0 && frac_digits == 0)
        return 0;
    int exponent = i < len && (s[i] == 'e' || s[i] == 'E');
    if (exponent) {
        i++;
        if (i < len && (s[i] == '-' || s[i] == '+'))
            i++;
        size_t start = i;
        while (i < len && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == start)
            return 0;
    }
    return i == len && (dot || exponent);
}

/* 0x1F or 0o17: integers of the core schema that this tool refuses. */
static int radix_integer(const char *s, size_t len)
{
    if (len < 3 || s[0] != '0' || (s[1] != 'x' && s[1] != 'o'))
        return 0;
    const char *digits = s[1] == 'x' ? "0123456789abcdefABCDEF" : "01234567";
    return strspn(s + 2, digits) == len - 2;
}

static int one_of(const char *s, size_t len, const char *const *words)
{
    for (; *words != NULL; words++)
        if (strlen(*words) == len && memcmp(*words, s, len) == 0)
            return 1;
    return 0;
}

/* Types a plain scalar; NULL with r->err set for one this tool refuses. */
static json_t *plain_scalar(reader *r, const yaml_event_t *ev, const char *s, size_t len)
{
    static const char *const nulls[] = {"", "~", "null", "Null", "NULL", NULL};
    static const char *const trues[] = {"true", "True", "TRUE", NULL};
    static const char *const falses[] = {"false", "False", "FALSE", NULL};
    static const char *const specials[] = {".inf",  "+.inf", "-.inf", ".Inf",  "+.Inf",
                                           "-.Inf", ".INF",  "+.INF", "-.INF", ".nan",
                                           ".NaN",  ".NAN",  NULL};
    if (one_of(s, len, nulls))
        return json_null();
    if (one_of(s, len, trues))
        return json_true();
    if (one_of(s, len, falses))
        return json_false();
    if (one_of(s, len, specials) || radix_integer(s, len)) {
        fail_at(r, ev->start_mark, "hexadecimal, octal, infinite and NaN numbers are refused");
        return NULL;
    }
    size_t sign = (len > 0 && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
    /* s is NUL-terminated by libyaml, so strtoll and strtod may read it. */
    if (all_digits(s + sign, len - sign)) {
        errno = 0;
        long long v = strtoll(s, NULL, 10);
        if (errno == ERANGE) {
            fail_at(r, ev->start_mark, "integer out of range");
            return NULL;
        }
        return json_integer((json_int_t)v);
    }
    if (is_float(s, len)) {
        errno = 0;
        double v = strtod(s, NULL);
        if (errno == ERANGE) {
            fail_at(r, ev->start_mark, "number out of range");
            return NULL;
        }
        return json_real(v);
    }
    return json_stringn(s, len);
}

static json_t *scalar(reader *r, const yaml_event_t *ev)
{
    const char *s = (const char *)ev->data.scalar.value;
    size_t len = ev->data.scalar.length;
    const char *tag = (const char *)ev->data.scalar.tag;
    if (ev->data.scalar.anchor != NULL) {
        fail_at(r, ev->start_mark, "anchors are refused");
        return NULL;
    }
    if (memchr(s, '\0', len) != NULL) {
        fail_at(r, ev->start_mark, "a scalar holds a NUL character");
        return NULL;
    }
    if (tag != NULL && strcmp(tag, YAML_STR_TAG) != 0) {
        fail_at(r, ev->start_mark, "tags other than !!str are refused");
        return NULL;
    }
    if (tag != NULL || ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return json_stringn(s, len);
    return plain_scalar(r, ev, s, len);
}

static json_t *node(reader *r, yaml_event_t *ev);

static json_t *sequence(reader *r)
{
    json_t *a = json_array();
    for (;;) {
        yaml_event_t ev;
        if (next_event(r, &ev) != 0)
            break;
        if (ev.type == YAML_SEQUENCE_END_EVENT) {
            yaml_event_delete(&ev);
            return a;
        }
        json_t *item = node(r, &ev);
        if (item == NULL)
            break;
        json_array_append_new(a, item);
    }
    json_decref(a);
    return NULL;
}

/* Reads one key and its value into o; 1 at the mapping's end, -1 on error. */
static int mapping_entry(reader *r, json_t *o)
{
    yaml_event_t ev;
    if (next_event(r, &ev) != 0)
        return -1;
    if (ev.type == YAML_MAPPING_END_EVENT) {
        yaml_event_delete(&ev);
        return 1;
    }
    if (ev.type != YAML_SCALAR_EVENT) {
        fail_at(r, ev.start_mark, "mapping keys must be scalars");
        yaml_event_delete(&ev);
        return -1;
    }
    json_t *key = scalar(r, &ev);
    yaml_mark_t at = ev.start_mark;
    yaml_event_delete(&ev);
    if (key == NULL)
        return -1;
    /* JSON keys are strings whatever the YAML type (200: is "200"). */
    char *name =
        json_is_string(key) ? strdup(json_string_value(key)) : json_dumps(key, JSON_ENCODE_ANY);
    json_decref(key);
    if (name == NULL) {
        fail_at(r, at, "out of memory");
        return -1;
    }
    int rc = -1;
    if (json_object_get(o, name) != NULL) {
        fail_at(r, at, "duplicate key");
    } else if (next_event(r, &ev) == 0) {
        json_t *value = node(r, &ev);
        if (value != NULL)
            rc = json_object_set_new(o, name, value) == 0 ? 0 : -1;
    }
    free(name);
    return rc;
}

static json_t *mapping(reader *r)
{
    json_t *o = json_object();
    int rc;
    while ((rc = mapping_entry(r, o)) == 0)
        ;
    if (rc == 1)
        return o;
    json_decref(o);
    return NULL;
}

/* The anchor of a collection's start event, NULL for none or another event
 * (scalars check their own, as keys do not pass through node()). */
static const yaml_char_t *collection_anchor(const yaml_event_t *ev)
{
    if (ev->type == YAML_SEQUENCE_START_EVENT)
        return ev->data.sequence_start.anchor;
    if (ev->type == YAML_MAPPING_START_EVENT)
        return ev->data.mapping_start.anchor;
    return NULL;
}

/* Builds the value that starts with ev; ev is consumed. */
static json_t *node(reader *r, yaml_event_t *ev)
{
    json_t *v = NULL;
    if (ev->type == YAML_SCALAR_EVENT)
        v = scalar(r, ev);
    else if (collection_anchor(ev) != NULL)
        fail_at(r, ev->start_mark, "anchors are refused");
    else if (ev->type == YAML_SEQUENCE_START_EVENT)
        v = sequence(r);
    else if (ev->type == YAML_MAPPING_START_EVENT)
        v = mapping(r);
    else
        fail_at(r, ev->start_mark,
                ev->type == YAML_ALIAS_EVENT ? "aliases are refused" : "unexpected YAML event");
    yaml_event_delete(ev);
    return v;
}

/* Expects the next event to be of type want. */
static int expect(reader *r, yaml_event_type_t want, const char *what)
{
    yaml_event_t ev;
    if (next_event(r, &ev) != 0)
        return -1;
    int ok = ev.type == want;
    if (!ok)
        fail_at(r, ev.start_mark, what);
    yaml_event_delete(&ev);
    return ok ? 0 : -1;
}

/* The one document of the stream in r. */
static json_t *read_document(reader *r)
{
    yaml_event_t ev;
    if (expect(r, YAML_STREAM_START_EVENT, "expected a YAML stream") != 0 ||
        expect(r, YAML_DOCUMENT_START_EVENT, "expected a YAML document") != 0 ||
        next_event(r, &ev) != 0)
        return NULL;
    json_t *root = node(r, &ev);
    if (root != NULL && (expect(r, YAML_DOCUMENT_END_EVENT, "expected the document's end") != 0 ||
                         expect(r, YAML_STREAM_END_EVENT, "expected one document only") != 0)) {
        json_decref(root);
        root = NULL;
    }
    return root;
}

/* Runs the reader over the parser's input, which the caller has set. */
static json_t *convert(reader *r, char err[YAML_JSON_ERR_LEN])
{
    json_t *root = read_document(r);
    yaml_parser_delete(&r->parser);
    if (root == NULL)
        snprintf(err, YAML_JSON_ERR_LEN, "%s", r->err);
    return root;
}

json_t *yaml_json_parse(const char *name, const char *text, size_t len, char err[YAML_JSON_ERR_LEN])
{
    reader r = {.path = name};
    if (!yaml_parser_initialize(&r.parser)) {
        snprintf(err, YAML_JSON_ERR_LEN, "%s: cannot initialise libyaml", name);
        return NULL;
    }
    yaml_parser_set_input_string(&r.parser, (const unsigned char *)text, len);
    return convert(&r, err);
}

json_t *yaml_json_load(const char *path, char err[YAML_JSON_ERR_LEN])
{
    FILE *in = fopen(path, "rb");
    if (in == NULL) {
        snprintf(err, YAML_JSON_ERR_LEN, "%s: %s", path, strerror(errno));
        return NULL;
    }
    reader r = {.path = path};
    json_t *root = NULL;
    if (!yaml_parser_initialize(&r.parser)) {
        snprintf(err, YAML_JSON_ERR_LEN, "%s: cannot initialise libyaml", path);
    } else {
        yaml_parser_set_input_file(&r.parser, in);
        root = convert(&r, err);
    }
    fclose(in);
    return root;
}
