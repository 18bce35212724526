/* auth.h - who is calling: credentials, CSRF, and the user behind a token. */
#ifndef RCYCLE_GATEWAY_AUTH_H
#define RCYCLE_GATEWAY_AUTH_H

#include "gateway.h"

/* Finds the caller's credentials, checks CSRF for cookie sessions on unsafe
 * methods, resolves the user (cache, else svc-users' Authenticate) and then
 * starts the route; responds 401/403 (or 503 when svc-users is down)
 * instead. */
void gw_authenticate(gw_exchange *ex);

/* Makes user the exchange's caller; the exchange takes ownership. */
void gw_set_user(gw_exchange *ex, Rcycle__Users__User *user);

/* Finds cookie's value among the "a=b; c=d" pairs of one Cookie header v;
 * 1 when found (*value points into v). */
int gw_cookie_in(h2o_iovec_t v, const char *cookie, h2o_iovec_t *value);

/* The Set-Cookie value for a new session token, or one that clears it. */
void gw_session_cookie(const gateway *gw, const char *token, char *out, size_t out_len);

#endif
