/* text.c - the one UTF-8 validator of R-Cycle, character counts, and length
 * checks of user-supplied text.
 *
 * Well-formed means Unicode's table 3-7: no overlong forms, no surrogates,
 * nothing above U+10FFFF, which is also exactly what PostgreSQL accepts, so
 * text that passes here never becomes an INTERNAL error there. */
#include <string.h>

#include "text.h"

size_t text_utf8_seq_len(const char *str, size_t left)
{
    const unsigned char *p = (const unsigned char *)str;
    if (left == 0)
        return 0;
    unsigned char c = p[0];
    if (c < 0x80)
        return 1;
    unsigned char lo = 0x80, hi = 0xbf; /* allowed range of the second byte */
    size_t len;
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        if (c == 0xe0)
            lo = 0xa0;
        else if (c == 0xed)
            hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        if (c == 0xf0)
            lo = 0x90;
        else if (c == 0xf4)
            hi = 0x8f;
    } else {
        return 0;
    }
    if (left < len || p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if ((p[i] & 0xc0) != 0x80)
            return 0;
    return len;
}

int text_utf8_valid(const char *s, size_t len)
{
    for (size_t i = 0; i < len;) {
        size_t n = s[i] == '\0' ? 0 : text_utf8_seq_len(s + i, len - i);
        if (n == 0)
            return 0;
        i += n;
    }
    return 1;
}

long text_utf8_chars(const char *s)
{
    size_t len = strlen(s);
    long n = 0;
    for (size_t i = 0; i < len; n++) {
        size_t k = text_utf8_seq_len(s + i, len - i);
        if (k == 0)
            return -1;
        i += k;
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

/* n ASCII digits at s. */
static int digits(const char *s, int n)
{
    for (int i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

int text_is_rfc3339(const char *s)
{
    /* YYYY-MM-DDTHH:MM:SS */
    if (strlen(s) < 20 || !digits(s, 4) || s[4] != '-' || !digits(s + 5, 2) || s[7] != '-' ||
        !digits(s + 8, 2) || (s[10] != 'T' && s[10] != 't') || !digits(s + 11, 2) || s[13] != ':' ||
        !digits(s + 14, 2) || s[16] != ':' || !digits(s + 17, 2))
        return 0;
    const char *p = s + 19;
    if (*p == '.') {
        size_t n = strspn(p + 1, "0123456789");
        if (n == 0)
            return 0;
        p += 1 + n;
    }
    if (*p == 'Z' || *p == 'z')
        return p[1] == '\0';
    return (*p == '+' || *p == '-') && digits(p + 1, 2) && p[3] == ':' && digits(p + 4, 2) &&
           p[6] == '\0';
}
