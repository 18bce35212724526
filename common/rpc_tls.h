/* rpc_tls.h - who may speak on an RPC link (docs/ARCHITECTURE.md, "Service
 * identity").
 *
 * Every link is nng's tls+tcp:// transport with mutual certificates. A
 * process presents its own kind's certificate (RCYCLE_TLS_CERT and
 * RCYCLE_TLS_KEY) and accepts at the other end only certificates issued by
 * the certificates in one trust file, named by a variable per end: a
 * listener trusts the issuers of the kinds that may call it, a dialer the
 * issuer of the kind it dials. nng 1.5.2 tells a listener only that its peer
 * was verified, never who the peer is, so the trust file is what decides who
 * gets in, and a service that must tell callers apart listens once per
 * caller group.
 *
 * Plain tcp:// (and ipc://) is refused unless RCYCLE_RPC_INSECURE=1, the
 * development switch; inproc:// never leaves the process and is always
 * allowed. */
#ifndef RCYCLE_RPC_TLS_H
#define RCYCLE_RPC_TLS_H

#include <nng/nng.h>
#include <nng/supplemental/tls/tls.h>

#include "status.h"

#define RPC_TLS_INSECURE_VAR "RCYCLE_RPC_INSECURE"
#define RPC_TLS_CERT_VAR     "RCYCLE_TLS_CERT"
#define RPC_TLS_KEY_VAR      "RCYCLE_TLS_KEY"

/* The TLS configuration of one end of a link on url: this process's
 * certificate and key, peer verification required, and as trusted issuers
 * the PEM certificates in the file trust_var names (several during a CA
 * rotation). *out is NULL for a url that needs none (inproc://, or plain
 * tcp:// and ipc:// with the development switch set). Every refusal is
 * logged naming the variable at fault. Free *out with nng_tls_config_free. */
rc_status rpc_tls_config(const char *url, nng_tls_mode mode, const char *trust_var,
                         nng_tls_config **out);

/* Exports rcycle_tls_cert_expiry_timestamp_seconds{kind="kind"}, the
 * not-after time of the certificate in RCYCLE_TLS_CERT, when that is set.
 * Returns 0, or -1 after logging when the certificate cannot be read. */
int rpc_tls_export_expiry(const char *kind);

/* The not-after time of the first certificate in the PEM text, in seconds
 * since the epoch; -1 when there is none. */
double rpc_tls_not_after(const char *pem, size_t len);

#endif
