/* oidc_idp.h - the IdP as svc-users reaches it (oidc_idp.c). Thread-safe:
 * every RPC worker shares one. */
#ifndef RCYCLE_SVC_USERS_OIDC_IDP_H
#define RCYCLE_SVC_USERS_OIDC_IDP_H

#include "oidc.h"

/* RCYCLE_OIDC_CONCURRENCY: requests that may talk to the IdP at once. */
#define OIDC_CONCURRENCY_DEFAULT 2
/* The key set is fetched again for an unknown kid at most this often. */
#define OIDC_JWKS_REFRESH_MIN_S 5

/* The RCYCLE_OIDC_* variables (docs/API.md). */
typedef struct oidc_config {
    const char *issuer;
    const char *client_id;
    const char *client_secret;
    const char *redirect_url;
    const char *scopes;
    const char *department_claim;
    const char *roles_claim;
    const char *ca_file; /* NULL: the system's CA bundle */
    oidc_role_map roles;
    int concurrency;
} oidc_config;

typedef struct oidc_idp oidc_idp;

/* Reads the configuration. 0 with *out NULL when RCYCLE_OIDC_ISSUER is unset
 * (single sign-on off); -1 after printing what is wrong. Nothing is fetched
 * here: an IdP that is down at start does not stop svc-users. */
int oidc_idp_create(oidc_idp **out);
void oidc_idp_destroy(oidc_idp *idp);
const oidc_config *oidc_idp_config(const oidc_idp *idp);

/* The gate (oidc_idp.c): enter returns 0 when the slots are all taken. */
int oidc_idp_enter(oidc_idp *idp);
void oidc_idp_leave(oidc_idp *idp);

/* The authorization endpoint (discovered and cached); *out is the caller's. */
rc_status oidc_idp_authorize_endpoint(oidc_idp *idp, int64_t deadline_ms, char **out);

/* Exchanges an authorization code with its PKCE verifier for an ID token
 * (*id_token is the caller's). On failure *reason is the short reason. */
rc_status oidc_idp_exchange(oidc_idp *idp, int64_t deadline_ms, const char *code,
                            const char *verifier, char **id_token, const char **reason);

/* Verifies an ID token against the issuer's key set, fetching it again when
 * the token names a kid the cache does not hold. *net is not RC_OK when that
 * fetch failed. On OIDC_OK *claims is the payload (json_decref it). */
oidc_verdict oidc_idp_verify(oidc_idp *idp, int64_t deadline_ms, const char *id_token,
                             const char *nonce, json_t **claims, rc_status *net);

#endif
