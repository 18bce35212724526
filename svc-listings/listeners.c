/* listeners.c - which of svc-listings' listeners serves each method.
 *
 * The holds, the receipts and the change feed change or reveal every listing's state and
 * exist for svc-claims alone, so they are served only on the internal
 * listener, whose TLS configuration trusts only the issuer of svc-claims'
 * certificate (docs/ARCHITECTURE.md, "Service identity"). The expiring
 * listings and the watch matches are for svc-users alone, on the feed listener, which trusts only
 * svc-users' issuer. Every other method is served on the public and the
 * internal listener, never on the feed one (rpc_server.h). Kept apart from main.c so that the
 * identity fuzz target drives this very table. */
#include "listings.h"

const unsigned listings_listeners[RPCI_LISTINGS_COUNT] = {
    [RPCI_LISTINGS_RESERVE] = RPC_LISTENER_INTERNAL,
    [RPCI_LISTINGS_RELEASE] = RPC_LISTENER_INTERNAL,
    [RPCI_LISTINGS_TRANSFER] = RPC_LISTENER_INTERNAL,
    [RPCI_LISTINGS_LIST_LISTING_EVENTS] = RPC_LISTENER_INTERNAL,
    [RPCI_LISTINGS_RECEIVE] = RPC_LISTENER_INTERNAL,
    [RPCI_LISTINGS_LIST_EXPIRING_LISTINGS] = RPC_LISTENER_FEED,
    [RPCI_LISTINGS_LIST_WATCH_MATCHES] = RPC_LISTENER_FEED,
};
