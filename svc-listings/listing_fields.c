/* listing_fields.c - checks of the fields a listing is created or edited
 * with: text lengths in characters, the enumerated values, and the
 * expiration date rules of docs/API.md. */
#include <ctype.h>
#include <string.h>
#include <time.h>

#include "listings.h"
#include "text.h"

#define SECONDS_PER_DAY 86400

char *listing_text_normalize(char *s)
{
    if (s == NULL)
        return NULL;
    while (isspace((unsigned char)*s))
        s++;
    size_t len = strlen(s);
    while (len > 0 && isspace((unsigned char)s[len - 1]))
        len--;
    s[len] = '\0';
    return len > 0 ? s : NULL;
}

int listing_text_ok(const char *field, const char *s, int required, long max_chars,
                    rpc_reply *reply)
{
    if (s == NULL) {
        if (required)
            rpc_reply_error(reply, RC_INVALID_ARGUMENT, "%s is required", field);
        return !required;
    }
    long chars = text_utf8_chars(s);
    if (chars < 0) {
        rpc_reply_error(reply, RC_INVALID_ARGUMENT, "%s must be valid UTF-8 text", field);
        return 0;
    }
    if (chars > max_chars) {
        rpc_reply_error(reply, RC_INVALID_ARGUMENT, "%s must be at most %ld characters", field,
                        max_chars);
        return 0;
    }
    return 1;
}

int listing_condition_ok(const char *condition, rpc_reply *reply)
{
    if (condition == NULL || strcmp(condition, "Excellent") == 0 ||
        strcmp(condition, "Good") == 0 || strcmp(condition, "Fair") == 0)
        return 1;
    rpc_reply_error(reply, RC_INVALID_ARGUMENT, "condition must be Excellent, Good or Fair");
    return 0;
}

int listing_category_ok(const char *category, rpc_reply *reply)
{
    if (category == NULL) {
        rpc_reply_error(reply, RC_INVALID_ARGUMENT, "category is required");
        return 0;
    }
    if (listing_category_valid(category))
        return 1;
    rpc_reply_error(reply, RC_INVALID_ARGUMENT, "category must be Server, Networking or Storage");
    return 0;
}

static int is_leap_year(long y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(long y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap_year(y) ? 29 : days[m - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil). */
static long days_from_civil(long y, int m, int d)
{
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    long yoe = y - era * 400;
    long doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static long digits(const char *s, int n)
{
    long v = 0;
    for (int i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0');
    return v;
}

/* Parses exactly YYYY-MM-DD naming a day that exists. Returns 0 with *days
 * since the epoch, or -1. */
static int parse_date(const char *s, long *days)
{
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return -1;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && !isdigit((unsigned char)s[i]))
            return -1;
    long y = digits(s, 4);
    int m = (int)digits(s + 5, 2);
    int d = (int)digits(s + 8, 2);
    if (y < 1 || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
        return -1;
    *days = days_from_civil(y, m, d);
    return 0;
}

int listing_expiration_ok(const char *date, rpc_reply *reply)
{
    long days;
    if (date == NULL) {
        rpc_reply_error(reply, RC_INVALID_ARGUMENT, "expirationDate is required");
        return 0;
    }
    if (parse_date(date, &days) != 0) {
        rpc_reply_error(reply, RC_INVALID_ARGUMENT,
                        "expirationDate must be a real date written YYYY-MM-DD");
        return 0;
    }
    long today = (long)(time(NULL) / SECONDS_PER_DAY);
    if (days <= today) {
        rpc_reply_error(reply, RC_INVALID_ARGUMENT, "expirationDate must be after today");
        return 0;
    }
    if (days - today > LISTING_MAX_DAYS_AHEAD) {
        rpc_reply_error(reply, RC_INVALID_ARGUMENT, "expirationDate must be at most %d days ahead",
                        LISTING_MAX_DAYS_AHEAD);
        return 0;
    }
    return 1;
}
