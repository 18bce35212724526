/* yaml2json.c - rcycle-yaml2json: converts a YAML document to JSON at build
 * time (docs/openapi.yaml becomes the JSON the gateway serves).
 *
 *   rcycle-yaml2json IN.yaml OUT.json
 *   rcycle-yaml2json --c-array SYMBOL IN.yaml OUT.c
 *
 * The second form writes a C file defining `const unsigned char SYMBOL[]`
 * (the compact JSON, no terminating NUL) and `const size_t SYMBOL_len`, so
 * the document is linked into the program that serves it and needs no file
 * at run time.
 *
 * Parsing is libyaml's; this file only builds jansson values from its events.
 * Plain scalars are typed by the YAML 1.2 core schema (null, booleans,
 * decimal integers and floats), the schema JavaScript's `yaml` package uses,
 * so the integration suite reading the YAML and the gateway serving the JSON
 * see the same document. What the two could read differently is refused with
 * the line and column: anchors and aliases, tags other than !!str, non-scalar
 * or duplicate keys, hexadecimal or octal integers, .inf and .nan, more than
 * one document. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <yaml.h>

#define ERR_LEN 512

typedef struct reader {
    yaml_parser_t parser;
    const char *path;
    char err[ERR_LEN];
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

/* Builds the value that starts with ev; ev is consumed. */
static json_t *node(reader *r, yaml_event_t *ev)
{
    json_t *v = NULL;
    switch (ev->type) {
    case YAML_SCALAR_EVENT:
        v = scalar(r, ev);
        break;
    case YAML_SEQUENCE_START_EVENT:
        if (ev->data.sequence_start.anchor != NULL)
            fail_at(r, ev->start_mark, "anchors are refused");
        else
            v = sequence(r);
        break;
    case YAML_MAPPING_START_EVENT:
        if (ev->data.mapping_start.anchor != NULL)
            fail_at(r, ev->start_mark, "anchors are refused");
        else
            v = mapping(r);
        break;
    case YAML_ALIAS_EVENT:
        fail_at(r, ev->start_mark, "aliases are refused");
        break;
    default:
        fail_at(r, ev->start_mark, "unexpected YAML event");
        break;
    }
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

static json_t *load(const char *path, char err[ERR_LEN])
{
    FILE *in = fopen(path, "rb");
    if (in == NULL) {
        snprintf(err, ERR_LEN, "%s: %s", path, strerror(errno));
        return NULL;
    }
    reader r = {.path = path};
    json_t *root = NULL;
    if (!yaml_parser_initialize(&r.parser)) {
        snprintf(r.err, sizeof r.err, "%s: cannot initialise libyaml", path);
    } else {
        yaml_parser_set_input_file(&r.parser, in);
        root = read_document(&r);
        yaml_parser_delete(&r.parser);
    }
    fclose(in);
    if (root == NULL)
        snprintf(err, ERR_LEN, "%s", r.err);
    return root;
}

static int valid_symbol(const char *s)
{
    if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') || s[0] == '_'))
        return 0;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '_'))
            return 0;
    return 1;
}

static int write_c_array(FILE *out, const char *symbol, const char *source, const char *text)
{
    size_t len = strlen(text);
    fprintf(out,
            "/* Generated by rcycle-yaml2json from %s; do not edit. */\n"
            "#include <stddef.h>\n\n"
            "extern const unsigned char %s[];\n"
            "extern const size_t %s_len;\n\n"
            "const unsigned char %s[] = {",
            source, symbol, symbol, symbol);
    for (size_t i = 0; i < len; i++)
        fprintf(out, "%s0x%02x,", i % 16 == 0 ? "\n    " : " ", (unsigned char)text[i]);
    fprintf(out, "\n};\nconst size_t %s_len = sizeof %s;\n", symbol, symbol);
    return ferror(out) ? -1 : 0;
}

/* Writes text to path through a temporary file, so that a failed run never
 * leaves a half-written output for the build to pick up. */
static int write_output(const char *path, const char *symbol, const char *source, const char *text)
{
    size_t n = strlen(path) + sizeof ".tmp";
    char *tmp = malloc(n);
    if (tmp == NULL)
        return -1;
    snprintf(tmp, n, "%s.tmp", path);
    FILE *out = fopen(tmp, "wb");
    int rc = -1;
    if (out != NULL) {
        rc = symbol ? write_c_array(out, symbol, source, text)
                    : (fputs(text, out) < 0 || fputc('\n', out) == EOF ? -1 : 0);
        if (fclose(out) != 0)
            rc = -1;
        if (rc == 0 && rename(tmp, path) != 0)
            rc = -1;
        if (rc != 0)
            remove(tmp);
    }
    if (rc != 0)
        fprintf(stderr, "rcycle-yaml2json: cannot write %s: %s\n", path, strerror(errno));
    free(tmp);
    return rc;
}

int main(int argc, char **argv)
{
    const char *symbol = NULL;
    int at = 1;
    if (argc == 5 && strcmp(argv[1], "--c-array") == 0) {
        symbol = argv[2];
        at = 3;
    }
    if (argc - at != 2 || (symbol != NULL && !valid_symbol(symbol))) {
        fprintf(stderr, "usage: rcycle-yaml2json [--c-array SYMBOL] IN.yaml OUT\n");
        return 2;
    }
    char err[ERR_LEN];
    json_t *root = load(argv[at], err);
    if (root == NULL) {
        fprintf(stderr, "rcycle-yaml2json: %s\n", err);
        return 1;
    }
    char *text = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    if (text == NULL) {
        fprintf(stderr, "rcycle-yaml2json: cannot encode the JSON\n");
        return 1;
    }
    int rc = write_output(argv[at + 1], symbol, argv[at], text);
    free(text);
    return rc == 0 ? 0 : 1;
}
