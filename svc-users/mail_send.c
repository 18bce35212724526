/* mail_send.c - the RCYCLE_SMTP_* settings and one message through the
 * site's relay with libcurl's SMTP (users.h).
 *
 * The message is multipart/alternative: the text part a reader without HTML
 * sees, and a minimal HTML part with the same words; both carry the link
 * back to the UI. Its Message-ID is the outbox row's, so a message sent again
 * after a crash (delivery is at least once) is the same message to the
 * recipient's client. smtp:// upgrades with STARTTLS whenever the relay
 * offers it (RCYCLE_SMTP_REQUIRE_TLS=1: never sends without it); smtps:// is
 * TLS from the first byte. */
#include <curl/curl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "users.h"

#define CONNECT_TIMEOUT_MS 5000
#define TIMEOUT_DEFAULT_MS 20000
#define RETRY_BASE_DEFAULT 30000
#define ATTEMPTS_DEFAULT   8
/* Bytes of UTF-8 per encoded word of a Subject: 60 characters of base64,
 * under RFC 2047's 75 with the charset around it. */
#define SUBJECT_CHUNK 45
#define HEADER_MAX    2048

/* ---- settings ---- */

/* scheme://host:port with nothing else: credentials belong in
 * RCYCLE_SMTP_USER/PASSWORD (so that no URL in a log carries one), and a
 * path would be sent as the EHLO name. */
static int smtp_url_ok(const char *url)
{
    const char *rest = strncmp(url, "smtp://", 7) == 0    ? url + 7
                       : strncmp(url, "smtps://", 8) == 0 ? url + 8
                                                          : NULL;
    if (rest == NULL || rest[0] == '\0' || rest[0] == ':')
        return 0;
    const char *colon = strrchr(rest, ':');
    if (colon == NULL || strchr(rest, '@') != NULL || strpbrk(rest, "/?# ") != NULL)
        return 0;
    long port;
    return config_parse_int(colon + 1, 1, 65535, &port) == 0;
}

/* A bare address (local@domain, printable ASCII): it is both the envelope's
 * MAIL FROM and the From header, so nothing may break either. */
static int address_ok(const char *s)
{
    const char *at = strchr(s, '@');
    if (at == NULL || at == s || at[1] == '\0' || strchr(at + 1, '@') != NULL)
        return 0;
    for (const char *p = s; *p; p++)
        if (*p <= ' ' || *p > '~' || strchr("<>()[],;:\\\"", *p) != NULL)
            return 0;
    return 1;
}

static int bad(const char *var, const char *why)
{
    fprintf(stderr, "%s: %s\n", var, why);
    return -1;
}

int mail_config_read(mail_config *c, int *on)
{
    char err[CONFIG_ERR_LEN];
    *c = (mail_config){0};
    *on = 0;
    c->smtp_url = config_string("RCYCLE_SMTP_URL", NULL);
    c->from = config_string("RCYCLE_MAIL_FROM", NULL);
    if (c->smtp_url == NULL)
        return c->from == NULL ? 0 : bad("RCYCLE_SMTP_URL", "must be set when RCYCLE_MAIL_FROM is");
    if (!smtp_url_ok(c->smtp_url))
        return bad("RCYCLE_SMTP_URL", "must be smtp://host:port or smtps://host:port");
    if (c->from == NULL)
        return bad("RCYCLE_MAIL_FROM", "must be set when RCYCLE_SMTP_URL is");
    if (!address_ok(c->from))
        return bad("RCYCLE_MAIL_FROM", "must be a bare address such as rcycle@example.com");
    c->public_url = config_string("RCYCLE_PUBLIC_URL", NULL);
    if (c->public_url == NULL)
        return bad("RCYCLE_PUBLIC_URL",
                   "must be set when RCYCLE_SMTP_URL is (the mails link to it)");
    size_t n = strlen(c->public_url);
    if ((strncmp(c->public_url, "https://", 8) != 0 && strncmp(c->public_url, "http://", 7) != 0) ||
        c->public_url[n - 1] == '/' || strpbrk(c->public_url, " \"<>\r\n") != NULL)
        return bad("RCYCLE_PUBLIC_URL", "must be an http(s):// URL without a trailing /");
    c->ca_file = config_string("RCYCLE_SMTP_CA_FILE", NULL);
    c->user = config_string("RCYCLE_SMTP_USER", NULL);
    c->password = config_string("RCYCLE_SMTP_PASSWORD", NULL);
    if ((c->user == NULL) != (c->password == NULL))
        return bad("RCYCLE_SMTP_USER", "RCYCLE_SMTP_USER and RCYCLE_SMTP_PASSWORD go together");
    if (config_bool("RCYCLE_SMTP_REQUIRE_TLS", 0, &c->require_tls, err) != 0 ||
        config_int("RCYCLE_SMTP_RETRY_BASE_MS", RETRY_BASE_DEFAULT, 10, 3600000, &c->retry_base_ms,
                   err) != 0 ||
        config_int("RCYCLE_SMTP_MAX_ATTEMPTS", ATTEMPTS_DEFAULT, 1, 100, &c->max_attempts, err) !=
            0 ||
        config_int("RCYCLE_SMTP_TIMEOUT_MS", TIMEOUT_DEFAULT_MS, 1000, 300000, &c->timeout_ms,
                   err) != 0) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    *on = 1;
    return 0;
}

/* ---- the message ---- */

/* A growing string; once an allocation fails it stays failed. */
typedef struct text {
    char *s;
    size_t len, cap;
    int failed;
} text;

static void put_n(text *t, const char *s, size_t n)
{
    if (t->failed)
        return;
    if (t->len + n + 1 > t->cap) {
        size_t cap = (t->len + n + 1) * 2;
        char *grown = realloc(t->s, cap);
        if (grown == NULL) {
            t->failed = 1;
            return;
        }
        t->s = grown;
        t->cap = cap;
    }
    memcpy(t->s + t->len, s, n);
    t->len += n;
    t->s[t->len] = '\0';
}

static void put(text *t, const char *s)
{
    put_n(t, s, strlen(s));
}

/* Text for an HTML page: the five characters that could end it. */
static void put_html(text *t, const char *s)
{
    for (; *s; s++) {
        const char *esc = *s == '<'    ? "&lt;"
                          : *s == '>'  ? "&gt;"
                          : *s == '&'  ? "&amp;"
                          : *s == '"'  ? "&quot;"
                          : *s == '\'' ? "&#39;"
                                       : NULL;
        if (esc != NULL)
            put(t, esc);
        else
            put_n(t, s, 1);
    }
}

/* The Subject header's value: control characters (a CR or LF would start a
 * header of the sender's choosing) become spaces; anything beyond ASCII is
 * sent as RFC 2047 encoded words, cut between UTF-8 characters. */
static void put_subject(text *t, const char *subject)
{
    char clean[HEADER_MAX];
    size_t n = 0;
    int ascii = 1;
    for (const unsigned char *p = (const unsigned char *)subject; *p && n < sizeof clean - 1; p++) {
        clean[n++] = *p < ' ' || *p == 0x7f ? ' ' : (char)*p;
        ascii &= *p < 0x80;
    }
    /* A cut character at the end of the buffer is dropped whole. */
    while (n > 0 && ((unsigned char)clean[n - 1] & 0xc0) == 0x80)
        n--;
    if (n > 0 && (unsigned char)clean[n - 1] >= 0xc0)
        n--;
    clean[n] = '\0';
    if (ascii) {
        put(t, clean);
        return;
    }
    for (size_t at = 0; at < n;) {
        size_t len = n - at < SUBJECT_CHUNK ? n - at : SUBJECT_CHUNK;
        while (at + len < n && ((unsigned char)clean[at + len] & 0xc0) == 0x80)
            len--;
        char b64[sodium_base64_ENCODED_LEN(SUBJECT_CHUNK, sodium_base64_VARIANT_ORIGINAL)];
        sodium_bin2base64(b64, sizeof b64, (const unsigned char *)clean + at, len,
                          sodium_base64_VARIANT_ORIGINAL);
        put(t, at == 0 ? "=?UTF-8?B?" : " =?UTF-8?B?");
        put(t, b64);
        put(t, "?=");
        at += len;
    }
}

/* RCYCLE_PUBLIC_URL + the row's link, when the link is a UI path that can
 * stand in a URL as it is; else the site's front page. */
static void put_link(text *t, const mail_config *c, const char *link)
{
    put(t, c->public_url);
    int ok = link != NULL && link[0] == '/';
    for (const char *p = link; ok && *p; p++)
        ok = *p > ' ' && *p <= '~' && strchr("\"<>\\^`{|}", *p) == NULL;
    put(t, ok ? link : "/");
}

static void build_bodies(const mail_config *c, const mail_message *m, text *plain, text *html)
{
    text url = {0};
    put_link(&url, c, m->link);
    put(plain, m->body_text);
    put(plain, "\r\n\r\nOpen it in R-Cycle: ");
    put(plain, url.s ? url.s : c->public_url);
    put(plain, "\r\n\r\n-- \r\nYou get these emails because email notifications are on in your "
               "R-Cycle account; turn them off on its Account page.\r\n");
    put(html, "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>");
    put_html(html, m->subject);
    put(html, "</title></head><body><p>");
    put_html(html, m->body_text);
    put(html, "</p><p><a href=\"");
    put_html(html, url.s ? url.s : c->public_url);
    put(html, "\">Open it in R-Cycle</a></p><p style=\"color:#666;font-size:small\">You get "
              "these emails because email notifications are on in your R-Cycle account; turn "
              "them off on its Account page.</p></body></html>\r\n");
    plain->failed |= url.failed;
    free(url.s);
}

/* The headers libcurl sends before the MIME parts. */
static struct curl_slist *build_headers(const mail_config *c, const mail_message *m)
{
    char date[64];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    /* RFC 5322's date; %a and %b are English in the C locale svc-users runs in. */
    strftime(date, sizeof date, "Date: %a, %d %b %Y %H:%M:%S +0000", &tm);
    text subject = {0};
    put(&subject, "Subject: ");
    put_subject(&subject, m->subject);
    struct curl_slist *h = NULL, *next;
    /* libcurl writes the boundary after a Content-Type given here. */
    const char *lines[6] = {date, NULL,      NULL,
                            NULL, subject.s, "Content-Type: multipart/alternative"};
    char from[HEADER_MAX], to[HEADER_MAX], id[HEADER_MAX];
    snprintf(from, sizeof from, "From: R-Cycle <%s>", c->from);
    snprintf(to, sizeof to, "To: <%s>", m->to);
    snprintf(id, sizeof id, "Message-ID: <%s>", m->message_id);
    lines[1] = from, lines[2] = to, lines[3] = id;
    for (size_t i = 0; i < 6; i++) {
        if (lines[i] == NULL || (next = curl_slist_append(h, lines[i])) == NULL) {
            curl_slist_free_all(h);
            free(subject.s);
            return NULL;
        }
        h = next;
    }
    free(subject.s);
    return h;
}

/* The two parts, as multipart/alternative: plain text first, so that the
 * HTML part is the one a capable reader shows. */
static curl_mime *build_mime(CURL *curl, const text *plain, const text *html)
{
    curl_mime *mime = curl_mime_init(curl);
    curl_mimepart *part;
    if (mime == NULL)
        return NULL;
    if ((part = curl_mime_addpart(mime)) == NULL ||
        curl_mime_data(part, plain->s, plain->len) != CURLE_OK ||
        curl_mime_type(part, "text/plain; charset=utf-8") != CURLE_OK ||
        curl_mime_encoder(part, "quoted-printable") != CURLE_OK ||
        (part = curl_mime_addpart(mime)) == NULL ||
        curl_mime_data(part, html->s, html->len) != CURLE_OK ||
        curl_mime_type(part, "text/html; charset=utf-8") != CURLE_OK ||
        curl_mime_encoder(part, "quoted-printable") != CURLE_OK) {
        curl_mime_free(mime);
        return NULL;
    }
    return mime;
}

static void set_transport(CURL *curl, const mail_config *c, struct curl_slist *rcpt)
{
    char from[HEADER_MAX];
    snprintf(from, sizeof from, "<%s>", c->from);
    curl_easy_setopt(curl, CURLOPT_URL, c->smtp_url);
    curl_easy_setopt(curl, CURLOPT_MAIL_FROM, from);
    curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpt);
    /* Ignored for smtps://, which is TLS from the start. */
    curl_easy_setopt(curl, CURLOPT_USE_SSL, c->require_tls ? CURLUSESSL_ALL : CURLUSESSL_TRY);
    if (c->ca_file != NULL)
        curl_easy_setopt(curl, CURLOPT_CAINFO, c->ca_file);
    if (c->user != NULL) {
        curl_easy_setopt(curl, CURLOPT_USERNAME, c->user);
        curl_easy_setopt(curl, CURLOPT_PASSWORD, c->password);
    }
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, (long)CONNECT_TIMEOUT_MS);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)c->timeout_ms);
}

/* What one attempt's outcome means for the row. A 5xx is the relay's final
 * word on this message (unknown recipient, refused sender, content): sending
 * it again cannot help, so it goes dead at once. An authentication failure is
 * the site's configuration, not the message's: it is retried like a relay that
 * is down, so that fixing the password delivers the backlog. */
static mail_result classify(CURLcode rc, long code, const char *why, char err[MAIL_ERR_LEN])
{
    if (rc == CURLE_OK)
        return MAIL_SENT;
    char code_text[DB_INT64_LEN];
    snprintf(code_text, sizeof code_text, "%ld", code);
    /* libcurl's text names the reply code for most refusals; not for all. */
    if (code > 0 && strstr(why, code_text) == NULL)
        snprintf(err, MAIL_ERR_LEN, "%s (relay said %ld)", why, code);
    else
        snprintf(err, MAIL_ERR_LEN, "%s", why);
    return code >= 500 && code < 600 && rc != CURLE_LOGIN_DENIED ? MAIL_REFUSED : MAIL_RETRY;
}

mail_result mail_send(CURL *curl, const mail_config *c, const mail_message *m,
                      char err[MAIL_ERR_LEN])
{
    char errbuf[CURL_ERROR_SIZE] = "";
    char rcpt_text[HEADER_MAX];
    text plain = {0}, html = {0};
    mail_result result = MAIL_RETRY;
    /* The accounts' checks already hold; this keeps any address that would
     * break the To header or the envelope out of both. */
    if (!address_ok(m->to)) {
        snprintf(err, MAIL_ERR_LEN, "the recipient's address cannot be mailed");
        return MAIL_REFUSED;
    }
    snprintf(err, MAIL_ERR_LEN, "out of memory");
    snprintf(rcpt_text, sizeof rcpt_text, "<%s>", m->to);
    build_bodies(c, m, &plain, &html);
    struct curl_slist *rcpt = curl_slist_append(NULL, rcpt_text);
    struct curl_slist *headers = build_headers(c, m);
    curl_mime *mime =
        !plain.failed && !html.failed && plain.s && html.s ? build_mime(curl, &plain, &html) : NULL;
    if (mime != NULL && rcpt != NULL && headers != NULL) {
        set_transport(curl, c, rcpt);
        curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
        curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
        curl_easy_setopt(curl, CURLOPT_MIMEPOST, mime);
        CURLcode rc = curl_easy_perform(curl);
        long code = 0;
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
        result = classify(rc, code, errbuf[0] ? errbuf : curl_easy_strerror(rc), err);
        /* No option may outlive what it points at (errbuf, mime, the lists):
         * the handle closes its connection later, with QUIT. curl_easy_reset
         * keeps the live connection. */
        curl_easy_reset(curl);
    }
    curl_mime_free(mime);
    curl_slist_free_all(headers);
    curl_slist_free_all(rcpt);
    free(plain.s);
    free(html.s);
    return result;
}
