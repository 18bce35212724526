#!/usr/bin/env bash
# tls.sh - the Secrets of the RPC certificates (docs/ARCHITECTURE.md,
# "Service identity"): one Secret rcycle-rpc-tls-KIND per process kind, holding
# only what a pod of that kind needs: its certificate and key, and the
# issuers it trusts at the other end of its links.
#
#   deploy/tls.sh --ca-dir DIR [--out FILE]                   make or reuse the PKI, write the Secrets
#   deploy/tls.sh --ca-dir DIR [--out FILE] renew KIND        a new certificate for KIND, same issuer
#   deploy/tls.sh --ca-dir DIR [--out FILE] rotate-ca KIND    a new issuer for KIND; both trusted
#   deploy/tls.sh --ca-dir DIR [--out FILE] end-overlap KIND  only the new issuer trusted
#   deploy/tls.sh --ca-dir DIR [--out FILE] rotate-root       a new root and new issuers for all
#
# DIR holds the site's PKI (scripts/certs.sh: the root, one issuer per kind,
# their keys): keep it off the cluster, on the operator's machine, and back
# it up; it is made on the first run. KIND: gateway svc-users svc-listings
# svc-claims. RCYCLE_CERT_DAYS sets the validity of a certificate (365).
# Writes FILE (mode 600) or stdout; apply it with kubectl apply -f FILE, then
# restart the pods that use what changed (deploy/README.md, the RPC
# certificates). Never commit the output: it holds private keys.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# In the tree the script is scripts/certs.sh; in the bundle it sits beside this one.
CERTS_SH=$HERE/certs.sh
[[ -x $CERTS_SH ]] || CERTS_SH=$HERE/../scripts/certs.sh

ca_dir=""
out=""
action=(make)
while (($# > 0)); do
  case $1 in
    --ca-dir) ca_dir=${2:?--ca-dir needs a directory}; shift ;;
    --out) out=${2:?--out needs a file}; shift ;;
    renew | rotate-ca | end-overlap) action=("$1" "${2:?$1 needs a KIND}"); shift ;;
    rotate-root) action=(rotate-root) ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "tls.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
[[ -n $ca_dir ]] || { echo "tls.sh: --ca-dir DIR is required (where the site's CA is kept)" >&2; exit 2; }

"$CERTS_SH" make "$ca_dir"
[[ ${action[0]} == make ]] || "$CERTS_SH" "${action[0]}" "$ca_dir" ${action[1]:+"${action[1]}"}

# The files of one Secret: KEY=PATH, what the pod mounts at /etc/rcycle/tls.
files_of() {
  local t=$ca_dir/trust
  echo "tls.crt=$ca_dir/$1.crt"
  echo "tls.key=$ca_dir/$1.key"
  case $1 in
    gateway)
      echo "users-ca.pem=$t/svc-users.pem"
      echo "listings-ca.pem=$t/svc-listings.pem"
      echo "claims-ca.pem=$t/svc-claims.pem"
      ;;
    svc-users)
      echo "callers-ca.pem=$t/gateway.pem"
      echo "listings-ca.pem=$t/svc-listings.pem"
      echo "claims-ca.pem=$t/svc-claims.pem"
      ;;
    svc-listings)
      echo "callers-ca.pem=$t/gateway.pem"
      echo "internal-callers-ca.pem=$t/svc-claims.pem"
      echo "feed-callers-ca.pem=$t/svc-users.pem"
      ;;
    svc-claims)
      echo "callers-ca.pem=$t/gateway.pem"
      echo "listings-ca.pem=$t/svc-listings.pem"
      echo "feed-callers-ca.pem=$t/svc-users.pem"
      ;;
  esac
}

render() {
  local kind entry
  for kind in gateway svc-users svc-listings svc-claims; do
    cat <<EOF
---
apiVersion: v1
kind: Secret
metadata:
  name: rcycle-rpc-tls-$kind
  namespace: r-cycle
  labels:
    app.kubernetes.io/part-of: r-cycle
    app.kubernetes.io/name: $kind
type: Opaque
data:
EOF
    while IFS= read -r entry; do
      printf '  %s: %s\n' "${entry%%=*}" "$(base64 -w0 <"${entry#*=}")"
    done < <(files_of "$kind")
  done
}

if [[ -n $out ]]; then
  (umask 077 && render >"$out.tmp" && mv "$out.tmp" "$out")
  echo "tls.sh: wrote $out (4 Secrets rcycle-rpc-tls-*; apply it, then restart what changed)" >&2
else
  render
fi
