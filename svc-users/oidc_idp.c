/* oidc_idp.c - svc-users' side of the conversation with the IdP (oidc.h):
 * the RCYCLE_OIDC_* configuration, HTTPS with libcurl (discovery, the token
 * endpoint, the key set), the caches of the discovery document and key set,
 * and the gate that keeps these calls from holding the RPC workers that
 * serve Authenticate.
 *
 * The gate: at most RCYCLE_OIDC_CONCURRENCY requests talk to the IdP at
 * once; one more is refused at once. users_init counts these slots with the
 * hash pool's, so HASH_FREE_WORKERS workers are always free for the other
 * RPCs however slow the IdP is; and every call is bounded by connect and
 * total timeouts within the request's deadline. */
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "log.h"
#include "oidc_idp.h"
#include "rpc.h"

#define CONNECT_TIMEOUT_MS 2000
#define CALL_TIMEOUT_MS    4000
/* Less than this left before the deadline: no call is started. */
#define MIN_CALL_MS 100
#define BODY_MAX    (256 * 1024)
/* The discovery document is fetched again after this. */
#define DISCOVERY_TTL_S 3600

struct oidc_idp {
    oidc_config cfg;
    pthread_mutex_t mu; /* guards everything below */
    int admitted;
    char *authorize_endpoint; /* the discovery document's, or NULL */
    char *token_endpoint;
    char *jwks_uri;
    time_t discovered_at;
    oidc_keys *keys; /* NULL until fetched */
    time_t keys_at;  /* when the key set was last fetched (0: never) */
};

/* ---- configuration ---- */

static int required(const char *var, const char **out)
{
    *out = config_string(var, NULL);
    if (*out == NULL)
        fprintf(stderr, "%s: must be set when RCYCLE_OIDC_ISSUER is\n", var);
    return *out != NULL ? 0 : -1;
}

static int https_url(const char *var, const char *url)
{
    if (strncmp(url, "https://", 8) == 0 && url[8] != '\0')
        return 0;
    fprintf(stderr, "%s: must be an https:// URL\n", var);
    return -1;
}

static int read_config(oidc_config *c)
{
    char err[CONFIG_ERR_LEN];
    if (required("RCYCLE_OIDC_CLIENT_ID", &c->client_id) != 0 ||
        required("RCYCLE_OIDC_CLIENT_SECRET", &c->client_secret) != 0 ||
        required("RCYCLE_OIDC_REDIRECT_URL", &c->redirect_url) != 0 ||
        https_url("RCYCLE_OIDC_ISSUER", c->issuer) != 0)
        return -1;
    c->scopes = config_string("RCYCLE_OIDC_SCOPES", "openid email profile");
    c->department_claim = config_string("RCYCLE_OIDC_DEPARTMENT_CLAIM", "department");
    c->roles_claim = config_string("RCYCLE_OIDC_ROLES_CLAIM", "groups");
    c->ca_file = config_string("RCYCLE_OIDC_CA_FILE", NULL);
    if (strstr(c->scopes, "openid") == NULL) {
        fprintf(stderr, "RCYCLE_OIDC_SCOPES: must include openid\n");
        return -1;
    }
    if (config_int("RCYCLE_OIDC_CONCURRENCY", OIDC_CONCURRENCY_DEFAULT, 1, 64, &c->concurrency,
                   err) != 0) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    if (oidc_role_map_parse(
            config_string("RCYCLE_OIDC_ROLE_MAP", "rcycle-security=security,rcycle-admin=admin"),
            &c->roles, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    return 0;
}

int oidc_idp_create(oidc_idp **out)
{
    *out = NULL;
    const char *issuer = config_string("RCYCLE_OIDC_ISSUER", NULL);
    if (issuer == NULL)
        return 0;
    oidc_idp *idp = calloc(1, sizeof *idp);
    if (idp == NULL) {
        fprintf(stderr, "svc-users: out of memory\n");
        return -1;
    }
    idp->cfg.issuer = issuer;
    if (read_config(&idp->cfg) != 0) {
        free(idp);
        return -1;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "svc-users: libcurl did not initialise\n");
        oidc_role_map_free(&idp->cfg.roles);
        free(idp);
        return -1;
    }
    pthread_mutex_init(&idp->mu, NULL);
    *out = idp;
    return 0;
}

void oidc_idp_destroy(oidc_idp *idp)
{
    if (idp == NULL)
        return;
    oidc_role_map_free(&idp->cfg.roles);
    free(idp->authorize_endpoint);
    free(idp->token_endpoint);
    free(idp->jwks_uri);
    oidc_keys_free(idp->keys);
    pthread_mutex_destroy(&idp->mu);
    curl_global_cleanup();
    free(idp);
}

const oidc_config *oidc_idp_config(const oidc_idp *idp)
{
    return &idp->cfg;
}

int oidc_idp_enter(oidc_idp *idp)
{
    pthread_mutex_lock(&idp->mu);
    int ok = idp->admitted < idp->cfg.concurrency;
    if (ok)
        idp->admitted++;
    pthread_mutex_unlock(&idp->mu);
    return ok;
}

void oidc_idp_leave(oidc_idp *idp)
{
    pthread_mutex_lock(&idp->mu);
    idp->admitted--;
    pthread_mutex_unlock(&idp->mu);
}

/* ---- HTTPS ---- */

typedef struct body_buf {
    char *data;
    size_t len;
} body_buf;

static size_t on_data(char *ptr, size_t size, size_t n, void *arg)
{
    body_buf *b = arg;
    size_t add = size * n;
    if (b->len + add > BODY_MAX)
        return 0; /* curl stops with CURLE_WRITE_ERROR */
    char *grown = realloc(b->data, b->len + add + 1);
    if (grown == NULL)
        return 0;
    memcpy(grown + b->len, ptr, add);
    b->data = grown;
    b->len += add;
    b->data[b->len] = '\0';
    return add;
}

/* GETs url, or POSTs form to it with the client's credentials (HTTP Basic,
 * client_secret_basic). RC_OK with the HTTP status in *status and the body
 * in out (free out->data); RC_UNAVAILABLE when the IdP could not be reached
 * or answered nothing in time. */
static rc_status fetch(const oidc_idp *idp, const char *url, const char *form, int64_t deadline_ms,
                       body_buf *out, long *status)
{
    int64_t left = deadline_ms > 0 ? deadline_ms - rpc_now_ms() : CALL_TIMEOUT_MS;
    if (left < MIN_CALL_MS)
        return RC_DEADLINE_EXCEEDED;
    CURL *c = curl_easy_init();
    if (c == NULL)
        return RC_INTERNAL;
    *out = (body_buf){0};
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)CONNECT_TIMEOUT_MS);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS,
                     (long)(left < CALL_TIMEOUT_MS ? left : CALL_TIMEOUT_MS));
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
    if (idp->cfg.ca_file != NULL)
        curl_easy_setopt(c, CURLOPT_CAINFO, idp->cfg.ca_file);
    if (form != NULL) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, form);
        curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(c, CURLOPT_USERNAME, idp->cfg.client_id);
        curl_easy_setopt(c, CURLOPT_PASSWORD, idp->cfg.client_secret);
    }
    CURLcode rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
    curl_easy_cleanup(c);
    if (rc != CURLE_OK) {
        log_info(NULL, "oidc: %s: %s", url, curl_easy_strerror(rc));
        free(out->data);
        *out = (body_buf){0};
        return rc == CURLE_OPERATION_TIMEDOUT ? RC_DEADLINE_EXCEEDED : RC_UNAVAILABLE;
    }
    return RC_OK;
}

/* GETs a JSON document (HTTP 200 only); NULL after logging why. */
static json_t *fetch_json(const oidc_idp *idp, const char *url, int64_t deadline_ms, rc_status *rc)
{
    body_buf b;
    long status = 0;
    *rc = fetch(idp, url, NULL, deadline_ms, &b, &status);
    if (*rc != RC_OK)
        return NULL;
    json_t *doc = status == 200 ? json_loadb(b.data ? b.data : "", b.len, 0, NULL) : NULL;
    free(b.data);
    if (doc == NULL) {
        log_info(NULL, "oidc: %s answered %ld, not a JSON document", url, status);
        *rc = RC_UNAVAILABLE;
    }
    return doc;
}

/* ---- discovery ---- */

static char *endpoint(json_t *doc, const char *name)
{
    const char *url = json_string_value(json_object_get(doc, name));
    return url != NULL && strncmp(url, "https://", 8) == 0 ? strdup(url) : NULL;
}

/* 1 when *value is there and was fetched (at *at) less than max_age_s
 * before now. */
static int fetched_within(oidc_idp *idp, const void *const *value, const time_t *at, time_t now,
                          time_t max_age_s)
{
    pthread_mutex_lock(&idp->mu);
    int fresh = *value != NULL && now - *at < max_age_s;
    pthread_mutex_unlock(&idp->mu);
    return fresh;
}

/* Fetches the discovery document when there is none or it is old; called
 * with mu unlocked, takes it to store. */
static rc_status discover(oidc_idp *idp, int64_t deadline_ms)
{
    time_t now = time(NULL);
    if (fetched_within(idp, (const void *const *)&idp->token_endpoint, &idp->discovered_at, now,
                       DISCOVERY_TTL_S))
        return RC_OK;

    char url[1024];
    size_t len = strlen(idp->cfg.issuer);
    int trailing = len > 0 && idp->cfg.issuer[len - 1] == '/';
    snprintf(url, sizeof url, "%.*s/.well-known/openid-configuration", (int)(len - trailing),
             idp->cfg.issuer);
    rc_status rc;
    json_t *doc = fetch_json(idp, url, deadline_ms, &rc);
    if (doc == NULL)
        return rc;
    const char *issuer = json_string_value(json_object_get(doc, "issuer"));
    char *authz = endpoint(doc, "authorization_endpoint");
    char *token = endpoint(doc, "token_endpoint");
    char *jwks = endpoint(doc, "jwks_uri");
    int ok = issuer != NULL && strcmp(issuer, idp->cfg.issuer) == 0 && authz && token && jwks;
    json_decref(doc);
    if (!ok) {
        log_error(NULL, "oidc: the discovery document at %s does not describe issuer %s", url,
                  idp->cfg.issuer);
        free(authz), free(token), free(jwks);
        return RC_UNAVAILABLE;
    }
    pthread_mutex_lock(&idp->mu);
    free(idp->authorize_endpoint), free(idp->token_endpoint), free(idp->jwks_uri);
    idp->authorize_endpoint = authz;
    idp->token_endpoint = token;
    idp->jwks_uri = jwks;
    idp->discovered_at = now;
    pthread_mutex_unlock(&idp->mu);
    return RC_OK;
}

/* A copy of one of the discovered strings; NULL when none or out of memory. */
static char *discovered(oidc_idp *idp, char *const *field)
{
    pthread_mutex_lock(&idp->mu);
    char *copy = *field != NULL ? strdup(*field) : NULL;
    pthread_mutex_unlock(&idp->mu);
    return copy;
}

rc_status oidc_idp_authorize_endpoint(oidc_idp *idp, int64_t deadline_ms, char **out)
{
    rc_status rc = discover(idp, deadline_ms);
    *out = rc == RC_OK ? discovered(idp, &idp->authorize_endpoint) : NULL;
    return rc != RC_OK ? rc : *out != NULL ? RC_OK : RC_INTERNAL;
}

/* ---- the token endpoint ---- */

static char *token_form(const char *code, const char *verifier, const char *redirect_url)
{
    CURL *c = curl_easy_init();
    char *e_code = c ? curl_easy_escape(c, code, 0) : NULL;
    char *e_verifier = c ? curl_easy_escape(c, verifier, 0) : NULL;
    char *e_redirect = c ? curl_easy_escape(c, redirect_url, 0) : NULL;
    char *form = NULL;
    if (e_code && e_verifier && e_redirect) {
        size_t len = strlen(e_code) + strlen(e_verifier) + strlen(e_redirect) + 96;
        if ((form = malloc(len)) != NULL)
            snprintf(form, len,
                     "grant_type=authorization_code&code=%s&redirect_uri=%s&code_verifier=%s",
                     e_code, e_redirect, e_verifier);
    }
    curl_free(e_code), curl_free(e_verifier), curl_free(e_redirect);
    curl_easy_cleanup(c);
    return form;
}

rc_status oidc_idp_exchange(oidc_idp *idp, int64_t deadline_ms, const char *code,
                            const char *verifier, char **id_token, const char **reason)
{
    *id_token = NULL;
    *reason = "idp_unavailable";
    rc_status rc = discover(idp, deadline_ms);
    if (rc != RC_OK)
        return rc;
    char *url = discovered(idp, &idp->token_endpoint);
    char *form = token_form(code, verifier, idp->cfg.redirect_url);
    body_buf b = {0};
    long status = 0;
    rc = url && form ? fetch(idp, url, form, deadline_ms, &b, &status) : RC_INTERNAL;
    free(url), free(form);
    if (rc != RC_OK)
        return rc;
    json_t *doc = json_loadb(b.data ? b.data : "", b.len, 0, NULL);
    free(b.data);
    const char *tok = json_string_value(json_object_get(doc, "id_token"));
    if (status != 200 || tok == NULL) {
        /* The IdP refused the code (used, expired, not ours) or answered
         * without an ID token: its error code is logged, never shown. */
        log_info(NULL, "oidc: the token endpoint answered %ld (%s)", status,
                 json_string_value(json_object_get(doc, "error")) ?: "no id_token");
        *reason = status >= 400 && status < 500 ? "code_rejected" : "idp_unavailable";
        json_decref(doc);
        return status >= 400 && status < 500 ? RC_UNAUTHENTICATED : RC_UNAVAILABLE;
    }
    *id_token = strdup(tok);
    json_decref(doc);
    return *id_token != NULL ? RC_OK : RC_INTERNAL;
}

/* ---- the key set ---- */

/* Fetches the key set again unless it was fetched less than
 * OIDC_JWKS_REFRESH_MIN_S ago (so a stream of tokens with made-up kids
 * cannot make us hammer the IdP); replaces the cache when it parses. */
static rc_status refresh_keys(oidc_idp *idp, int64_t deadline_ms)
{
    time_t now = time(NULL);
    if (fetched_within(idp, (const void *const *)&idp->keys, &idp->keys_at, now,
                       OIDC_JWKS_REFRESH_MIN_S))
        return RC_OK;
    char *url = discovered(idp, &idp->jwks_uri);
    if (url == NULL)
        return RC_UNAVAILABLE;
    rc_status rc;
    json_t *doc = fetch_json(idp, url, deadline_ms, &rc);
    char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    oidc_keys *keys = text ? oidc_keys_parse(text, strlen(text)) : NULL;
    free(text);
    json_decref(doc);
    if (keys == NULL) {
        log_info(NULL, "oidc: no usable key set at %s", url);
        free(url);
        return doc == NULL ? rc : RC_UNAVAILABLE;
    }
    log_info(NULL, "oidc: key set fetched from %s, %zu signing keys", url, oidc_keys_count(keys));
    free(url);
    pthread_mutex_lock(&idp->mu);
    oidc_keys_free(idp->keys);
    idp->keys = keys;
    idp->keys_at = now;
    pthread_mutex_unlock(&idp->mu);
    return RC_OK;
}

/* Verifies under mu: the key set is not replaced while its key is in use. */
static oidc_verdict verify_cached(oidc_idp *idp, const oidc_token *t, const oidc_expect *ex,
                                  json_t **claims, int *have_key)
{
    pthread_mutex_lock(&idp->mu);
    *have_key = oidc_keys_have(idp->keys, t);
    oidc_verdict v = *have_key ? oidc_token_verify(t, idp->keys, ex, claims) : OIDC_UNKNOWN_KEY;
    pthread_mutex_unlock(&idp->mu);
    return v;
}

oidc_verdict oidc_idp_verify(oidc_idp *idp, int64_t deadline_ms, const char *id_token,
                             const char *nonce, json_t **claims, rc_status *net)
{
    oidc_token *t;
    oidc_verdict v = oidc_token_open(id_token, strlen(id_token), &t);
    *claims = NULL;
    *net = RC_OK;
    if (v != OIDC_OK)
        return v;
    oidc_expect ex = {.issuer = idp->cfg.issuer,
                      .client_id = idp->cfg.client_id,
                      .nonce = nonce,
                      .now_s = (int64_t)time(NULL)};
    int have_key;
    v = verify_cached(idp, t, &ex, claims, &have_key);
    if (!have_key) {
        /* An unknown kid: the IdP may have rotated its keys. */
        *net = refresh_keys(idp, deadline_ms);
        if (*net == RC_OK)
            v = verify_cached(idp, t, &ex, claims, &have_key);
    }
    oidc_token_free(t);
    return v;
}
