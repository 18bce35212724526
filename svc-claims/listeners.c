/* listeners.c - which of svc-claims' listeners serves each method.
 *
 * The claim feed and the due handovers reveal every claim and exist for
 * svc-users alone (its notifications), so they are served only on the feed
 * listener, whose TLS configuration trusts only the issuer of svc-users'
 * certificate (docs/ARCHITECTURE.md, "Service identity"); every other method
 * only on the public one, so svc-users' certificate reaches nothing else. */
#include "claims.h"

const unsigned claims_listeners[RPCI_CLAIMS_COUNT] = {
    [RPCI_CLAIMS_CREATE_CLAIM] = RPC_LISTENER_PUBLIC,
    [RPCI_CLAIMS_LIST_CLAIMS] = RPC_LISTENER_PUBLIC,
    [RPCI_CLAIMS_GET_CLAIM] = RPC_LISTENER_PUBLIC,
    [RPCI_CLAIMS_LIST_EVENTS] = RPC_LISTENER_PUBLIC,
    [RPCI_CLAIMS_APPROVE_CLAIM] = RPC_LISTENER_PUBLIC,
    [RPCI_CLAIMS_DENY_CLAIM] = RPC_LISTENER_PUBLIC,
    [RPCI_CLAIMS_WITHDRAW_CLAIM] = RPC_LISTENER_PUBLIC,
    [RPCI_CLAIMS_LIST_AUDIT] = RPC_LISTENER_PUBLIC,
    [RPCI_CLAIMS_EXPORT_AUDIT] = RPC_LISTENER_PUBLIC,
    [RPCI_CLAIMS_HAND_OVER_CLAIM] = RPC_LISTENER_PUBLIC,
    [RPCI_CLAIMS_RECEIVE_CLAIM] = RPC_LISTENER_PUBLIC,
    [RPCI_CLAIMS_LIST_CLAIM_FEED] = RPC_LISTENER_FEED,
    [RPCI_CLAIMS_LIST_HANDOVERS_DUE] = RPC_LISTENER_FEED,
};
