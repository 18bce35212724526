/* text.c - character counts and length checks of user-supplied text. */
#include <stdint.h>
#include <string.h>

#include "text.h"

long text_utf8_chars(const char *s)
{
    static const uint32_t min_code_point[] = {0, 0x80, 0x800, 0x10000};
    const unsigned char *p = (const unsigned char *)s;
    long n = 0;

    while (*p != '\0') {
        uint32_t cp;
        int extra;
        if (*p < 0x80) {
            cp = *p;
            extra = 0;
        } else if ((*p & 0xe0) == 0xc0) {
            cp = *p & 0x1f;
            extra = 1;
        } else if ((*p & 0xf0) == 0xe0) {
            cp = *p & 0x0f;
            extra = 2;
        } else if ((*p & 0xf8) == 0xf0) {
            cp = *p & 0x07;
            extra = 3;
        } else {
            return -1;
        }
        p++;
        for (int i = 0; i < extra; i++, p++) {
            /* Also stops at the terminating NUL of a truncated sequence. */
            if ((*p & 0xc0) != 0x80)
                return -1;
            cp = cp << 6 | (*p & 0x3f);
        }
        /* PostgreSQL refuses overlong forms, surrogates and anything past
         * U+10FFFF; refusing them here keeps them from becoming an INTERNAL
         * error there. */
        if (cp < min_code_point[extra] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return -1;
        n++;
    }
    return n;
}

int text_field_ok(rpc_reply *reply, const char *field, const char *s, long min, long max)
{
    long n = text_utf8_chars(s);

    if (n < 0) {
        rpc_reply_error(reply, RC_INVALID_ARGUMENT, "%s must be valid UTF-8 text", field);
        return 0;
    }
    if (n == 0 && min > 0) {
        rpc_reply_error(reply, RC_INVALID_ARGUMENT, "%s is required", field);
        return 0;
    }
    if (n < min || n > max) {
        rpc_reply_error(reply, RC_INVALID_ARGUMENT, "%s must be %ld to %ld characters", field, min,
                        max);
        return 0;
    }
    return 1;
}

int text_blank(const char *s)
{
    return s[strspn(s, " \t\r\n")] == '\0';
}
