/* rpc_tls.c - the TLS configuration of RPC links (rpc_tls.h).
 *
 * The files are read here rather than by nng's *_file helpers so that a
 * refusal names the variable and the file, and so that the certificate's
 * expiry can be read from the same bytes that nng is given. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "config.h"
#include "log.h"
#include "metrics.h"
#include "rpc_tls.h"

/* A certificate, a key or a bundle of a few issuers is a few KiB; a file far
 * larger is a wrong path, not a trust file. */
#define TLS_FILE_MAX (256 * 1024)

/* The file var names, NUL-terminated in *out (free it); logs and returns -1
 * when var is unset or the file cannot be read. */
static int read_named_file(const char *var, char **out, size_t *out_len)
{
    const char *path = config_string(var, NULL);
    if (path == NULL) {
        log_error(NULL,
                  "%s is not set: tls+tcp:// RPC links need it (scripts/certs.sh makes a "
                  "development set; %s=1 allows plain tcp:// addresses instead)",
                  var, RPC_TLS_INSECURE_VAR);
        return -1;
    }
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        log_error(NULL, "%s: cannot open %s: %s", var, path, strerror(errno));
        return -1;
    }
    char *buf = malloc(TLS_FILE_MAX + 1);
    size_t len = buf ? fread(buf, 1, TLS_FILE_MAX + 1, f) : 0;
    int failed = buf == NULL || ferror(f) || len == 0 || len > TLS_FILE_MAX;
    fclose(f);
    if (failed) {
        log_error(NULL, "%s: %s is %s", var, path,
                  buf == NULL ? "not readable (out of memory)"
                  : len == 0  ? "empty or unreadable"
                              : "too large for a PEM file");
        free(buf);
        return -1;
    }
    buf[len] = '\0';
    *out = buf;
    *out_len = len;
    return 0;
}

/* 1 when the development switch is on; a bad value counts as off. */
static int insecure_allowed(void)
{
    char err[CONFIG_ERR_LEN];
    int on = 0;
    if (config_bool(RPC_TLS_INSECURE_VAR, 0, &on, err) != 0) {
        log_error(NULL, "%s", err);
        return 0;
    }
    return on;
}

static rc_status plain_url(const char *url, nng_tls_config **out)
{
    if (strncmp(url, "inproc://", 9) == 0) {
        *out = NULL;
        return RC_OK;
    }
    if (!insecure_allowed()) {
        log_error(NULL,
                  "%s is a plain RPC address: RPC links are tls+tcp:// with certificates "
                  "(set %s=1 to allow plain tcp:// in development)",
                  url, RPC_TLS_INSECURE_VAR);
        return RC_INVALID_ARGUMENT;
    }
    *out = NULL;
    return RC_OK;
}

static void free_secret(char *buf, size_t len)
{
    if (buf != NULL)
        OPENSSL_cleanse(buf, len);
    free(buf);
}

rc_status rpc_tls_config(const char *url, nng_tls_mode mode, const char *trust_var,
                         nng_tls_config **out)
{
    *out = NULL;
    if (strncmp(url, "tls+tcp://", 10) != 0)
        return plain_url(url, out);
    char *cert = NULL, *key = NULL, *trust = NULL;
    size_t cert_len = 0, key_len = 0, trust_len = 0;
    if (read_named_file(RPC_TLS_CERT_VAR, &cert, &cert_len) != 0 ||
        read_named_file(RPC_TLS_KEY_VAR, &key, &key_len) != 0 ||
        read_named_file(trust_var, &trust, &trust_len) != 0) {
        free(cert);
        free_secret(key, key_len);
        free(trust);
        return RC_INVALID_ARGUMENT;
    }
    nng_tls_config *cfg = NULL;
    const char *what = "allocate";
    int rv = nng_tls_config_alloc(&cfg, mode);
    if (rv == 0) {
        what = RPC_TLS_CERT_VAR " and " RPC_TLS_KEY_VAR;
        rv = nng_tls_config_own_cert(cfg, cert, key, NULL);
    }
    if (rv == 0) {
        what = trust_var;
        rv = nng_tls_config_ca_chain(cfg, trust, NULL);
    }
    if (rv == 0) {
        what = "peer verification";
        rv = nng_tls_config_auth_mode(cfg, NNG_TLS_AUTH_MODE_REQUIRED);
    }
    free(cert);
    free_secret(key, key_len);
    free(trust);
    if (rv != 0) {
        log_error(NULL, "TLS for %s: %s refused: %s", url, what, nng_strerror(rv));
        if (cfg != NULL)
            nng_tls_config_free(cfg);
        return RC_INVALID_ARGUMENT;
    }
    *out = cfg;
    return RC_OK;
}

double rpc_tls_not_after(const char *pem, size_t len)
{
    if (len > TLS_FILE_MAX)
        return -1;
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    X509 *x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
    double at = -1;
    struct tm tm;
    if (x != NULL && ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm) == 1)
        at = (double)timegm(&tm);
    X509_free(x);
    BIO_free(bio);
    return at;
}

/* Read once: a process serves the certificate it started with until it is
 * restarted, so the gauge shows the one in use, not the one on disk. */
static double cert_not_after;

static double expiry_gauge(void *arg)
{
    (void)arg;
    return cert_not_after;
}

int rpc_tls_export_expiry(const char *kind)
{
    if (config_string(RPC_TLS_CERT_VAR, NULL) == NULL)
        return 0;
    char *pem;
    size_t len;
    if (read_named_file(RPC_TLS_CERT_VAR, &pem, &len) != 0)
        return -1;
    cert_not_after = rpc_tls_not_after(pem, len);
    free(pem);
    if (cert_not_after < 0) {
        log_error(NULL, "%s holds no readable PEM certificate", RPC_TLS_CERT_VAR);
        return -1;
    }
    metrics_gauge("rcycle_tls_cert_expiry_timestamp_seconds",
                  "Not-after time of this process's RPC certificate, seconds since the epoch",
                  "kind", kind, expiry_gauge, NULL);
    return 0;
}
