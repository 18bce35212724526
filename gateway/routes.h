/* routes.h - the route table of the gateway and the start function of each
 * route; each routes_*.c file holds one resource's routes. */
#ifndef RCYCLE_GATEWAY_ROUTES_H
#define RCYCLE_GATEWAY_ROUTES_H

#include <stddef.h>

#include "gateway.h"

extern const gw_route gw_routes[];
extern const size_t gw_routes_count;

/* routes_ops.c */
void route_healthz(gw_exchange *ex);
void route_readyz(gw_exchange *ex);

/* routes_docs.c */
void route_openapi(gw_exchange *ex);

/* routes_session.c */
void route_login(gw_exchange *ex);
void route_logout(gw_exchange *ex);
void route_me(gw_exchange *ex);

/* routes_oidc.c */
void route_auth_config(gw_exchange *ex);
void route_oidc_login(gw_exchange *ex);
void route_oidc_callback(gw_exchange *ex);

/* routes_listings.c */
void route_lookup_hardware(gw_exchange *ex);
void route_list_listings(gw_exchange *ex);
void route_get_listing(gw_exchange *ex);
void route_create_listing(gw_exchange *ex);
void route_update_listing(gw_exchange *ex);
void route_withdraw_listing(gw_exchange *ex);
void route_leaderboard(gw_exchange *ex);

/* routes_users.c */
void route_list_users(gw_exchange *ex);
void route_create_user(gw_exchange *ex);
void route_update_user(gw_exchange *ex);
void route_reset_password(gw_exchange *ex);
void route_change_password(gw_exchange *ex);
void route_update_me(gw_exchange *ex);
void route_list_departments(gw_exchange *ex);

/* routes_tokens.c */
void route_create_token(gw_exchange *ex);
void route_list_tokens(gw_exchange *ex);
void route_revoke_token(gw_exchange *ex);

/* routes_watches.c */
void route_create_watch(gw_exchange *ex);
void route_list_watches(gw_exchange *ex);
void route_delete_watch(gw_exchange *ex);

/* routes_notifications.c */
void route_list_notifications(gw_exchange *ex);
void route_mark_notifications_read(gw_exchange *ex);

/* routes_audit.c */
void route_list_audit(gw_exchange *ex);
void route_export_audit(gw_exchange *ex);

/* routes_mail.c */
void route_list_mail(gw_exchange *ex);
void route_retry_mail(gw_exchange *ex);

/* routes_claims.c */
void route_create_claim(gw_exchange *ex);
void route_list_claims(gw_exchange *ex);
void route_get_claim(gw_exchange *ex);
void route_approve_claim(gw_exchange *ex);
void route_deny_claim(gw_exchange *ex);
void route_withdraw_claim(gw_exchange *ex);
void route_hand_over_claim(gw_exchange *ex);
void route_receive_claim(gw_exchange *ex);
void route_claim_events(gw_exchange *ex);

#endif
