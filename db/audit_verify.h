/* audit_verify.h - checking an audit export offline (docs/AUDIT.md): the
 * canonical encoding of an event, and the chains of an NDJSON export, line
 * by line, against each other and against chain heads recorded earlier.
 * No database: an auditor runs it on any machine (rcycle-admin verify-audit). */
#ifndef RCYCLE_DB_AUDIT_VERIFY_H
#define RCYCLE_DB_AUDIT_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#define AV_HASH_BYTES 32
#define AV_HEX_LEN    (2 * AV_HASH_BYTES)
#define AV_MAX_CHAINS 8
#define AV_ERR_LEN    256

/* The fields of one event that are hashed, in canonical order. NULL is
 * JSON null (or the key absent). */
enum av_field {
    AV_CHAIN,
    AV_SEQ,
    AV_AT,
    AV_ACTOR_ID,
    AV_ACTOR_EMAIL,
    AV_ACTOR_DEPARTMENT,
    AV_ENTITY,
    AV_ENTITY_ID,
    AV_ACTION,
    AV_FROM_STATUS,
    AV_TO_STATUS,
    AV_NOTE,
    AV_NFIELDS,
};

/* Appends the canonical encoding of fields (AV_NFIELDS texts, numbers in
 * decimal) to a buffer it allocates: *out (free it) of *len bytes. 0, or -1
 * when out of memory. */
int av_canonical(const char *const fields[AV_NFIELDS], unsigned char **out, size_t *len);

/* hash = SHA-256(prev || canonical(fields)). 0, or -1 when out of memory. */
int av_event_hash(const unsigned char prev[AV_HASH_BYTES], const char *const fields[AV_NFIELDS],
                  unsigned char hash[AV_HASH_BYTES]);

typedef struct av_head {
    char chain[32];
    int64_t seq;
    unsigned char hash[AV_HASH_BYTES];
    int seen; /* the export held this seq */
} av_head;

typedef struct av_chain {
    char name[32];
    int64_t first_seq, last_seq, count;
    unsigned char last_hash[AV_HASH_BYTES];
} av_chain;

typedef struct av_state {
    av_chain chains[AV_MAX_CHAINS];
    size_t nchains;
    av_head heads[AV_MAX_CHAINS];
    size_t nheads;
    long line;
    int bad; /* the first bad event was found: error names it */
    char error[AV_ERR_LEN];
} av_state;

void av_init(av_state *st);

/* Reads chain heads (lines holding "chain=NAME seq=N hash=HEX", as the
 * services log them; other lines are ignored, the newest head of a chain
 * wins). 0, or -1 with st->error set. */
int av_read_heads(av_state *st, const char *data, size_t len);

/* Checks the next line of the export (without its newline). 0 while good;
 * -1 once bad (st->error names the line, chain and seq). Empty lines are
 * skipped. */
int av_feed_line(av_state *st, const char *line, size_t len);

/* After the last line: every recorded head must be in the export. 0, or -1. */
int av_finish(av_state *st);

#endif
