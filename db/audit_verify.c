/* audit_verify.c - the canonical encoding and the offline chain check
 * (audit_verify.h, docs/AUDIT.md). JSON through jansson, SHA-256 and hex
 * through libsodium. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "audit_verify.h"

#define CANONICAL_MAGIC "rcycle-audit-v1\n"

/* The JSON key of each field. */
static const char *const av_field_keys[AV_NFIELDS] = {
    [AV_CHAIN] = "chain",
    [AV_SEQ] = "seq",
    [AV_AT] = "at",
    [AV_ACTOR_ID] = "actorId",
    [AV_ACTOR_EMAIL] = "actorEmail",
    [AV_ACTOR_DEPARTMENT] = "actorDepartment",
    [AV_ENTITY] = "entity",
    [AV_ENTITY_ID] = "entityId",
    [AV_ACTION] = "action",
    [AV_FROM_STATUS] = "fromStatus",
    [AV_TO_STATUS] = "toStatus",
    [AV_NOTE] = "note",
};

int av_canonical(const char *const fields[AV_NFIELDS], unsigned char **out, size_t *len)
{
    size_t n = strlen(CANONICAL_MAGIC);
    for (int i = 0; i < AV_NFIELDS; i++)
        n += fields[i] ? strlen(fields[i]) + 22 : 2;
    unsigned char *buf = malloc(n);
    if (buf == NULL)
        return -1;
    size_t at = 0;
    memcpy(buf, CANONICAL_MAGIC, strlen(CANONICAL_MAGIC));
    at += strlen(CANONICAL_MAGIC);
    for (int i = 0; i < AV_NFIELDS; i++) {
        if (fields[i] == NULL) {
            memcpy(buf + at, "~,", 2);
            at += 2;
            continue;
        }
        size_t flen = strlen(fields[i]);
        at += (size_t)snprintf((char *)buf + at, n - at, "%zu:", flen);
        memcpy(buf + at, fields[i], flen);
        at += flen;
        buf[at++] = ',';
    }
    *out = buf;
    *len = at;
    return 0;
}

int av_event_hash(const unsigned char prev[AV_HASH_BYTES], const char *const fields[AV_NFIELDS],
                  unsigned char hash[AV_HASH_BYTES])
{
    unsigned char *canon;
    size_t len;
    if (av_canonical(fields, &canon, &len) != 0)
        return -1;
    crypto_hash_sha256_state h;
    crypto_hash_sha256_init(&h);
    crypto_hash_sha256_update(&h, prev, AV_HASH_BYTES);
    crypto_hash_sha256_update(&h, canon, len);
    crypto_hash_sha256_final(&h, hash);
    free(canon);
    return 0;
}

void av_init(av_state *st)
{
    memset(st, 0, sizeof *st);
}

static int fail(av_state *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(av_state *st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(st->error, sizeof st->error, fmt, ap);
    va_end(ap);
    st->bad = 1;
    return -1;
}

/* Exactly AV_HEX_LEN lower- or upper-case hex digits into out; 0 or -1. */
static int hex_hash(const char *hex, size_t len, unsigned char out[AV_HASH_BYTES])
{
    size_t got = 0;
    if (len != AV_HEX_LEN)
        return -1;
    if (sodium_hex2bin(out, AV_HASH_BYTES, hex, len, NULL, &got, NULL) != 0 || got != AV_HASH_BYTES)
        return -1;
    return 0;
}

/* ---- heads ---- */

static av_head *head_of(av_state *st, const char *chain)
{
    for (size_t i = 0; i < st->nheads; i++)
        if (strcmp(st->heads[i].chain, chain) == 0)
            return &st->heads[i];
    if (st->nheads == AV_MAX_CHAINS)
        return NULL;
    av_head *h = &st->heads[st->nheads++];
    memset(h, 0, sizeof *h);
    snprintf(h->chain, sizeof h->chain, "%s", chain);
    return h;
}

/* One "chain=NAME seq=N hash=HEX" in line (len bytes), if any: other lines
 * of a service's log may stand between the heads. */
static int read_head_line(av_state *st, const char *line, size_t len, long number)
{
    char copy[512];
    if (len >= sizeof copy)
        len = sizeof copy - 1;
    memcpy(copy, line, len);
    copy[len] = '\0';
    const char *p = strstr(copy, "chain=");
    if (p == NULL)
        return 0;
    char chain[32], hex[AV_HEX_LEN + 1];
    int64_t seq;
    if (sscanf(p, "chain=%31[a-z_] seq=%" SCNd64 " hash=%64[0-9a-fA-F]", chain, &seq, hex) != 3)
        return 0;
    if (seq < 0)
        return fail(st, "heads line %ld: a negative seq", number);
    av_head *h = head_of(st, chain);
    if (h == NULL)
        return fail(st, "heads line %ld: more than %d chains", number, AV_MAX_CHAINS);
    if (hex_hash(hex, strlen(hex), h->hash) != 0)
        return fail(st, "heads line %ld: the hash is not %d hex digits", number, AV_HEX_LEN);
    h->seq = seq;
    return 0;
}

int av_read_heads(av_state *st, const char *data, size_t len)
{
    long number = 0;
    while (len > 0) {
        const char *nl = memchr(data, '\n', len);
        size_t n = nl ? (size_t)(nl - data) : len;
        if (read_head_line(st, data, n, ++number) != 0)
            return -1;
        data += n;
        len -= n;
        if (nl) {
            data++;
            len--;
        }
    }
    return 0;
}

/* ---- the export ---- */

/* The fields of one parsed line: texts owned by the JSON value or by nums. */
typedef struct line_fields {
    const char *f[AV_NFIELDS];
    char nums[2][24];
    int64_t seq;
    unsigned char hash[AV_HASH_BYTES], prev[AV_HASH_BYTES];
} line_fields;

/* Field i of obj as text: a string, or for seq and actorId an integer. */
static int field_text(av_state *st, json_t *obj, int i, line_fields *lf)
{
    json_t *v = json_object_get(obj, av_field_keys[i]);
    if (v == NULL || json_is_null(v)) {
        lf->f[i] = NULL;
        return 0;
    }
    if (i == AV_SEQ || i == AV_ACTOR_ID) {
        if (!json_is_integer(v))
            return fail(st, "line %ld: %s is not an integer", st->line, av_field_keys[i]);
        char *buf = lf->nums[i == AV_SEQ ? 0 : 1];
        snprintf(buf, sizeof lf->nums[0], "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        lf->f[i] = buf;
        if (i == AV_SEQ)
            lf->seq = json_integer_value(v);
        return 0;
    }
    if (!json_is_string(v))
        return fail(st, "line %ld: %s is not a string", st->line, av_field_keys[i]);
    /* A NUL inside the string would make the text differ from what was hashed. */
    if (strlen(json_string_value(v)) != json_string_length(v))
        return fail(st, "line %ld: %s holds a NUL", st->line, av_field_keys[i]);
    lf->f[i] = json_string_value(v);
    return 0;
}

static int read_hash_field(av_state *st, json_t *obj, const char *key, unsigned char out[])
{
    json_t *v = json_object_get(obj, key);
    if (!json_is_string(v) || hex_hash(json_string_value(v), json_string_length(v), out) != 0)
        return fail(st, "line %ld: %s is not %d hex digits", st->line, key, AV_HEX_LEN);
    return 0;
}

static int parse_line(av_state *st, json_t *obj, line_fields *lf)
{
    memset(lf, 0, sizeof *lf);
    if (!json_is_object(obj))
        return fail(st, "line %ld: not a JSON object", st->line);
    for (int i = 0; i < AV_NFIELDS; i++)
        if (field_text(st, obj, i, lf) != 0)
            return -1;
    if (lf->f[AV_CHAIN] == NULL || lf->f[AV_SEQ] == NULL || lf->seq < 1)
        return fail(st, "line %ld: no chain or no positive seq", st->line);
    if (strlen(lf->f[AV_CHAIN]) >= sizeof st->chains[0].name)
        return fail(st, "line %ld: chain name too long", st->line);
    if (read_hash_field(st, obj, "hash", lf->hash) != 0 ||
        read_hash_field(st, obj, "prevHash", lf->prev) != 0)
        return -1;
    return 0;
}

static av_chain *chain_of(av_state *st, const char *name, int *fresh)
{
    *fresh = 0;
    for (size_t i = 0; i < st->nchains; i++)
        if (strcmp(st->chains[i].name, name) == 0)
            return &st->chains[i];
    if (st->nchains == AV_MAX_CHAINS)
        return NULL;
    av_chain *c = &st->chains[st->nchains++];
    memset(c, 0, sizeof *c);
    snprintf(c->name, sizeof c->name, "%s", name);
    *fresh = 1;
    return c;
}

/* The links of the event to the one before it in its chain. */
static int check_link(av_state *st, av_chain *c, int fresh, const line_fields *lf)
{
    static const unsigned char genesis[AV_HASH_BYTES];
    const char *name = c->name;
    if (fresh) {
        /* An export from a time on starts mid-chain: its first prevHash is
         * taken as given (the heads check its end). */
        if (lf->seq == 1 && sodium_memcmp(lf->prev, genesis, AV_HASH_BYTES) != 0)
            return fail(st, "line %ld: chain %s seq 1: prevHash is not the genesis hash", st->line,
                        name);
        c->first_seq = lf->seq;
        return 0;
    }
    if (lf->seq <= c->last_seq)
        return fail(st, "line %ld: chain %s seq %" PRId64 ": out of order (after seq %" PRId64 ")",
                    st->line, name, lf->seq, c->last_seq);
    if (lf->seq != c->last_seq + 1)
        return fail(st,
                    "line %ld: chain %s seq %" PRId64 ": seq %" PRId64 " to %" PRId64 " missing",
                    st->line, name, lf->seq, c->last_seq + 1, lf->seq - 1);
    if (sodium_memcmp(lf->prev, c->last_hash, AV_HASH_BYTES) != 0)
        return fail(st,
                    "line %ld: chain %s seq %" PRId64 ": prevHash is not seq %" PRId64 "'s hash",
                    st->line, name, lf->seq, c->last_seq);
    return 0;
}

static int check_event(av_state *st, const line_fields *lf)
{
    int fresh;
    av_chain *c = chain_of(st, lf->f[AV_CHAIN], &fresh);
    if (c == NULL)
        return fail(st, "line %ld: more than %d chains", st->line, AV_MAX_CHAINS);
    if (check_link(st, c, fresh, lf) != 0)
        return -1;
    unsigned char want[AV_HASH_BYTES];
    if (av_event_hash(lf->prev, lf->f, want) != 0)
        return fail(st, "out of memory");
    if (sodium_memcmp(want, lf->hash, AV_HASH_BYTES) != 0)
        return fail(st, "line %ld: chain %s seq %" PRId64 ": hash does not match its content",
                    st->line, c->name, lf->seq);
    for (size_t i = 0; i < st->nheads; i++) {
        av_head *h = &st->heads[i];
        if (strcmp(h->chain, c->name) != 0 || h->seq != lf->seq)
            continue;
        if (sodium_memcmp(h->hash, lf->hash, AV_HASH_BYTES) != 0)
            return fail(st,
                        "line %ld: chain %s seq %" PRId64 ": hash differs from the recorded head",
                        st->line, c->name, lf->seq);
        h->seen = 1;
    }
    c->last_seq = lf->seq;
    c->count++;
    memcpy(c->last_hash, lf->hash, AV_HASH_BYTES);
    return 0;
}

int av_feed_line(av_state *st, const char *line, size_t len)
{
    if (st->bad)
        return -1;
    st->line++;
    if (len == 0 || (len == 1 && line[0] == '\r'))
        return 0;
    json_error_t jerr;
    json_t *obj = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
    if (obj == NULL)
        return fail(st, "line %ld: not JSON (%s)", st->line, jerr.text);
    line_fields lf;
    int rc = parse_line(st, obj, &lf);
    if (rc == 0)
        rc = check_event(st, &lf);
    json_decref(obj);
    return rc;
}

int av_finish(av_state *st)
{
    if (st->bad)
        return -1;
    for (size_t i = 0; i < st->nheads; i++) {
        const av_head *h = &st->heads[i];
        if (h->seen || h->seq == 0)
            continue;
        int fresh;
        const av_chain *c = chain_of(st, h->chain, &fresh);
        int64_t last = c ? c->last_seq : 0;
        if (last < h->seq)
            return fail(st,
                        "chain %s ends at seq %" PRId64 " before the recorded head seq %" PRId64
                        ": events seq %" PRId64 " to %" PRId64 " missing",
                        h->chain, last, h->seq, last + 1, h->seq);
        /* The head lies before the export's first event (an export from a
         * later time): nothing to compare it with. */
    }
    return 0;
}
