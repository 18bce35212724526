/* config.c - process configuration from the environment.
 *
 * Each reader falls back to its default when the variable is unset or empty,
 * and otherwise accepts only a value that parses completely: a port of
 * "80 " or "+80" is refused rather than guessed at, so a typo in a manifest
 * stops the process at start instead of surfacing later as odd behaviour.
 * Error messages quote the offending value (made printable and shortened so
 * the message stays one line), except for DATABASE_URL, which may carry a
 * password. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Longest part of a bad value quoted in an error message. */
#define QUOTED_VALUE_MAX 64

/* The longest path a Unix domain socket can bind (sun_path less its NUL). */
#define IPC_PATH_MAX 107

const char *config_string(const char *var, const char *def)
{
    const char *value = getenv(var);
    return value && *value ? value : def;
}

/* ---- pure checks ---- */

int config_parse_int(const char *s, long min, long max, long *out)
{
    /* strtol would skip leading whitespace and take a '+': require the first
     * character to be a digit or a minus sign directly followed by one. */
    if (!s || !(isdigit((unsigned char)s[0]) || (s[0] == '-' && isdigit((unsigned char)s[1]))))
        return -1;
    errno = 0;
    char *end;
    long value = strtol(s, &end, 10);
    if (errno == ERANGE || *end != '\0' || value < min || value > max)
        return -1;
    *out = value;
    return 0;
}

static int is_host_char(char c)
{
    return isalnum((unsigned char)c) || c == '.' || c == '-' || c == '_';
}

/* An IPv6 literal in brackets: hex digits, colons and dots (for an embedded
 * IPv4 address). Returns the length including both brackets, or 0. */
static size_t ipv6_literal_len(const char *s)
{
    if (s[0] != '[')
        return 0;
    size_t n = 1;
    while (isxdigit((unsigned char)s[n]) || s[n] == ':' || s[n] == '.')
        n++;
    return n > 1 && s[n] == ']' ? n + 1 : 0;
}

/* The part after "tcp://": [host]:port, where host is empty or "*" (every
 * interface, for listeners), a name, an IPv4 address or a bracketed IPv6
 * address, and port is 1..65535 with nothing after it. */
static int check_tcp_address(const char *s)
{
    const char *colon;
    if (s[0] == '[') {
        size_t n = ipv6_literal_len(s);
        if (n == 0)
            return -1;
        colon = s + n;
    } else if (s[0] == '*') {
        colon = s + 1;
    } else {
        colon = s;
        while (is_host_char(*colon))
            colon++;
    }
    long port;
    if (*colon != ':' || config_parse_int(colon + 1, 1, 65535, &port) != 0)
        return -1;
    return 0;
}

/* The part after "ipc://": a socket path that fits sun_path, printable. */
static int check_ipc_path(const char *s)
{
    size_t len = strlen(s);
    if (len == 0 || len > IPC_PATH_MAX)
        return -1;
    for (size_t i = 0; i < len; i++) {
        if (!isprint((unsigned char)s[i]))
            return -1;
    }
    return 0;
}

int config_check_nng_url(const char *s)
{
    if (!s)
        return -1;
    if (strncmp(s, "tcp://", 6) == 0)
        return check_tcp_address(s + 6);
    if (strncmp(s, "tls+tcp://", 10) == 0)
        return check_tcp_address(s + 10);
    if (strncmp(s, "ipc://", 6) == 0)
        return check_ipc_path(s + 6);
    return -1;
}

/* ---- readers ---- */

/* Copies value into out in double quotes, with non-printable bytes shown as
 * '?' (a newline would break the one-line message) and a long value cut
 * short with "...". */
static void quote_value(const char *value, char out[QUOTED_VALUE_MAX + 6])
{
    size_t n = 0;
    out[n++] = '"';
    for (const char *p = value; *p && n <= QUOTED_VALUE_MAX; p++)
        out[n++] = isprint((unsigned char)*p) ? *p : '?';
    out[n++] = '"';
    if (strlen(value) > QUOTED_VALUE_MAX) {
        memcpy(out + n, "...", 3);
        n += 3;
    }
    out[n] = '\0';
}

static int bad_value(const char *var, const char *value, const char *expected,
                     char err[CONFIG_ERR_LEN])
{
    char quoted[QUOTED_VALUE_MAX + 6];
    quote_value(value, quoted);
    snprintf(err, CONFIG_ERR_LEN, "%s: %s is not %s", var, quoted, expected);
    return -1;
}

static int read_long(const char *var, int def, long min, long max, const char *expected, int *out,
                     char err[CONFIG_ERR_LEN])
{
    const char *value = config_string(var, NULL);
    if (!value) {
        *out = def;
        return 0;
    }
    long parsed;
    if (config_parse_int(value, min, max, &parsed) != 0)
        return bad_value(var, value, expected, err);
    *out = (int)parsed;
    return 0;
}

int config_port(const char *var, int def, int *out, char err[CONFIG_ERR_LEN])
{
    return read_long(var, def, 1, 65535, "a port number (1-65535)", out, err);
}

int config_int(const char *var, int def, int min, int max, int *out, char err[CONFIG_ERR_LEN])
{
    char expected[64];
    snprintf(expected, sizeof expected, "an integer in %d..%d", min, max);
    return read_long(var, def, min, max, expected, out, err);
}

int config_bool(const char *var, int def, int *out, char err[CONFIG_ERR_LEN])
{
    static const char *const truthy[] = {"1", "true", "yes", "on"};
    static const char *const falsy[] = {"0", "false", "no", "off"};
    const char *value = config_string(var, NULL);
    if (!value) {
        *out = def;
        return 0;
    }
    for (size_t i = 0; i < sizeof truthy / sizeof truthy[0]; i++) {
        if (strcasecmp(value, truthy[i]) == 0) {
            *out = 1;
            return 0;
        }
        if (strcasecmp(value, falsy[i]) == 0) {
            *out = 0;
            return 0;
        }
    }
    return bad_value(var, value, "a boolean (1/true/yes/on or 0/false/no/off)", err);
}

int config_nng_url(const char *var, const char *def, const char **out, char err[CONFIG_ERR_LEN])
{
    const char *value = config_string(var, NULL);
    if (value && config_check_nng_url(value) != 0)
        return bad_value(var, value,
                         "an nng URL (tls+tcp://host:port, tcp://host:port or ipc:///path)", err);
    *out = value ? value : def;
    return 0;
}
