/* fuzz_audit_verify.c - libFuzzer target: an audit export and chain heads as
 * rcycle-admin verify-audit reads them. Bytes before the first NUL are the
 * heads file, the rest the export, fed line by line. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <sodium.h>

#include "audit_verify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static av_state st;
    if (sodium_init() < 0)
        __builtin_trap();
    av_init(&st);
    const char *text = (const char *)data;
    const char *nul = memchr(text, '\0', size);
    size_t heads_len = nul ? (size_t)(nul - text) : 0;
    if (nul && av_read_heads(&st, text, heads_len) != 0) {
        if (!st.bad || st.error[0] == '\0')
            __builtin_trap();
        return 0;
    }
    const char *p = nul ? nul + 1 : text;
    size_t left = size - (size_t)(p - text);
    int rc = 0;
    while (left > 0 && rc == 0) {
        const char *nl = memchr(p, '\n', left);
        size_t n = nl ? (size_t)(nl - p) : left;
        rc = av_feed_line(&st, p, n);
        p += n + (nl ? 1 : 0);
        left -= n + (nl ? 1 : 0);
    }
    if (rc == 0)
        rc = av_finish(&st);
    /* A refusal always says why; a pass leaves no error behind. */
    if ((rc != 0) != (st.bad && st.error[0] != '\0'))
        __builtin_trap();
    return 0;
}
