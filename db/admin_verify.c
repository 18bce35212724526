/* admin_verify.c - rcycle-admin verify-audit [--heads FILE] FILE|-: checks
 * every chain of an audit export (GET /api/audit/export, NDJSON) without a
 * database, and with --heads the chain heads the services logged earlier
 * (docs/AUDIT.md). One line at a time, so an export of any size fits. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "admin.h"
#include "audit_verify.h"
#include "pgtool.h"

static int read_heads(av_state *st, const char *path)
{
    pgt_error err = {0};
    char *data;
    size_t len;
    if (pgt_read_file(path, &data, &len, &err) != PGT_OK) {
        pgt_report(ADMIN_PROG, &err);
        pgt_error_clear(&err);
        return -1;
    }
    int rc = av_read_heads(st, data, len);
    free(data);
    if (rc != 0)
        fprintf(stderr, ADMIN_PROG ": %s: %s\n", path, st->error);
    return rc;
}

static int feed_stream(av_state *st, FILE *in)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int rc = 0;
    while (rc == 0 && (n = getline(&line, &cap, in)) >= 0) {
        size_t len = (size_t)n;
        if (len > 0 && line[len - 1] == '\n')
            len--;
        rc = av_feed_line(st, line, len);
    }
    free(line);
    return rc;
}

static void print_chains(const av_state *st)
{
    for (size_t i = 0; i < st->nchains; i++) {
        const av_chain *c = &st->chains[i];
        char hex[AV_HEX_LEN + 1];
        sodium_bin2hex(hex, sizeof hex, c->last_hash, AV_HASH_BYTES);
        printf("chain %s: %" PRId64 " event(s), seq %" PRId64 " to %" PRId64 ", head %s\n", c->name,
               c->count, c->first_seq, c->last_seq, hex);
    }
}

static int verify(const char *heads, const char *path)
{
    av_state *st = malloc(sizeof *st);
    if (st == NULL)
        return 1;
    av_init(st);
    int rc = heads ? read_heads(st, heads) : 0;
    if (rc != 0) {
        free(st);
        return 2;
    }
    FILE *in = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    if (in == NULL) {
        perror(path);
        free(st);
        return 2;
    }
    rc = feed_stream(st, in);
    if (rc == 0 && ferror(in)) {
        fprintf(stderr, ADMIN_PROG ": %s: read error\n", path);
        rc = -1;
    }
    if (in != stdin)
        fclose(in);
    if (rc == 0)
        rc = av_finish(st);
    if (rc == 0) {
        print_chains(st);
        printf("%s: the audit export verifies (%zu recorded head(s) checked)\n", path, st->nheads);
    } else if (st->bad) {
        fprintf(stderr, "%s: BAD: %s\n", path, st->error);
    }
    free(st);
    return rc == 0 ? 0 : 1;
}

int admin_verify_audit(int argc, char **argv)
{
    const char *heads = NULL, *path = NULL;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--heads") == 0 && i + 1 < argc)
            heads = argv[++i];
        else if (path == NULL && (argv[i][0] != '-' || strcmp(argv[i], "-") == 0))
            path = argv[i];
        else
            return admin_usage();
    }
    if (path == NULL)
        return admin_usage();
    if (sodium_init() < 0)
        return 1;
    return verify(heads, path);
}
