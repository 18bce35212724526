#!/usr/bin/env bash
# certs.sh - the certificates of the RPC links (docs/ARCHITECTURE.md, "Service
# identity"): a site root CA, one intermediate CA per process kind under it,
# and one certificate per kind issued by its kind's intermediate.
#
#   scripts/certs.sh [make] [DIR]        make what is missing or no longer valid; reuse the rest
#   scripts/certs.sh renew DIR KIND      a new certificate for KIND from the same intermediate
#   scripts/certs.sh rotate-ca DIR KIND  a new intermediate for KIND (and a certificate from it);
#                                        trust/KIND.pem then holds the new and the old issuer
#   scripts/certs.sh end-overlap DIR KIND  trust/KIND.pem holds only the current issuer again
#   scripts/certs.sh rotate-root DIR     a new root; the issuers under the old one stay valid
#                                        until rotate-ca moves each kind under the new one
#
# DIR defaults to $RCYCLE_DATA_DIR/certs (.data/certs). KIND is one of
# gateway svc-users svc-listings svc-claims. What DIR holds:
#   root.crt root.key           the site root; signs only the intermediates
#   root.previous.crt           after rotate-root: the old root, which the old issuers chain to
#   ca/KIND.crt ca/KIND.key     the intermediate that issues KIND's certificates
#   KIND.crt KIND.key           KIND's certificate and key (what a process presents)
#   trust/KIND.pem              the issuers of KIND a peer trusts (one, or two during a
#                               CA rotation); listeners and dialers are given these, never
#                               root.crt, so a certificate of another kind does not pass
# Environment: RCYCLE_CERT_DAYS (validity of a process certificate, default 365),
# RCYCLE_CA_DAYS (intermediates, 1825), RCYCLE_ROOT_DAYS (root, 3650).
# Idempotent: a file is reused while it is valid for another RCYCLE_CERT_MIN_DAYS (7)
# days and chains to what it should; everything is made with the openssl CLI.
set -euo pipefail

KINDS=(gateway svc-users svc-listings svc-claims)
CERT_DAYS=${RCYCLE_CERT_DAYS:-365}
CA_DAYS=${RCYCLE_CA_DAYS:-1825}
ROOT_DAYS=${RCYCLE_ROOT_DAYS:-3650}
MIN_DAYS=${RCYCLE_CERT_MIN_DAYS:-7}

die() {
  echo "certs.sh: $*" >&2
  exit 1
}

command -v openssl >/dev/null || die "openssl is missing (apt-get install openssl)"

is_kind() {
  local k
  for k in "${KINDS[@]}"; do [[ $k == "$1" ]] && return 0; done
  return 1
}

new_key() { (umask 077 && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null); }

# True when certificate $1 exists, is valid for MIN_DAYS more and chains to $2
# (its issuer, trusted as given: no need to reach the root).
still_good() {
  local cert=$1 issuer=$2
  [[ -s $cert && -s ${cert%.crt}.key ]] || return 1
  openssl x509 -in "$cert" -noout -checkend $((MIN_DAYS * 86400)) >/dev/null 2>&1 || return 1
  openssl verify -partial_chain -CAfile "$issuer" "$cert" >/dev/null 2>&1
}

make_root() {
  local dir=$1
  if [[ -s $dir/root.crt ]] && openssl x509 -in "$dir/root.crt" -noout \
    -checkend $((MIN_DAYS * 86400)) >/dev/null 2>&1 && [[ -s $dir/root.key ]]; then
    return 0
  fi
  new_key "$dir/root.key"
  openssl req -x509 -new -key "$dir/root.key" -sha256 -days "$ROOT_DAYS" \
    -subj "/O=R-Cycle/CN=R-Cycle site root CA" \
    -addext "basicConstraints=critical,CA:true,pathlen:1" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" -out "$dir/root.crt" 2>/dev/null
}

# A new issuer for KIND, the current one kept as trusted until end-overlap.
rotate_ca() {
  local dir=$1 kind=$2
  cp "$dir/ca/$kind.crt" "$dir/ca/$kind.previous.crt"
  make_intermediate "$dir" "$kind"
  make_leaf "$dir" "$kind"
}

# A new key BASE.key and certificate BASE.crt for SUBJECT, valid DAYS,
# issued by CA/CA_KEY with the extensions EXT.
issue() {
  local base=$1 subject=$2 days=$3 ca=$4 ca_key=$5 ext=$6
  new_key "$base.key"
  openssl req -new -key "$base.key" -subj "$subject" -out "$base.csr" 2>/dev/null
  openssl x509 -req -in "$base.csr" -CA "$ca" -CAkey "$ca_key" -sha256 -days "$days" \
    -set_serial "0x$(openssl rand -hex 16)" -extfile <(printf '%s\n' "$ext") -out "$base.crt" 2>/dev/null
  rm -f "$base.csr"
}

make_intermediate() {
  local dir=$1 kind=$2
  issue "$dir/ca/$kind" "/O=R-Cycle/CN=R-Cycle $kind issuer" "$CA_DAYS" "$dir/root.crt" "$dir/root.key" \
    "basicConstraints=critical,CA:true,pathlen:0
keyUsage=critical,keyCertSign,cRLSign"
}

make_leaf() {
  local dir=$1 kind=$2
  # The kind is also a DNS name: the Kubernetes Service of each is named so.
  issue "$dir/$kind" "/O=R-Cycle/OU=$kind/CN=$kind" "$CERT_DAYS" "$dir/ca/$kind.crt" "$dir/ca/$kind.key" \
    "basicConstraints=critical,CA:false
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth,clientAuth
subjectAltName=DNS:$kind,DNS:localhost,IP:127.0.0.1"
}

# trust/KIND.pem: the current issuer, then (during a rotation) the previous one.
write_trust() {
  local dir=$1 kind=$2
  {
    cat "$dir/ca/$kind.crt"
    if [[ -s $dir/ca/$kind.previous.crt ]]; then cat "$dir/ca/$kind.previous.crt"; fi
  } >"$dir/trust/$kind.pem.tmp"
  mv "$dir/trust/$kind.pem.tmp" "$dir/trust/$kind.pem"
}

cmd_make() {
  local dir=$1 kind
  mkdir -p "$dir/ca" "$dir/trust"
  chmod 700 "$dir"
  make_root "$dir"
  for kind in "${KINDS[@]}"; do
    if ! still_good "$dir/ca/$kind.crt" <(cat "$dir"/root*.crt); then
      make_intermediate "$dir" "$kind"
      rm -f "$dir/$kind.crt"
    fi
    still_good "$dir/$kind.crt" "$dir/ca/$kind.crt" || make_leaf "$dir" "$kind"
    write_trust "$dir" "$kind"
  done
  chmod 644 "$dir"/*.crt "$dir"/ca/*.crt "$dir"/trust/*.pem
}

main() {
  local cmd=make
  case ${1:-} in make | renew | rotate-ca | end-overlap | rotate-root) cmd=$1 && shift ;; esac
  local dir=${1:-${RCYCLE_DATA_DIR:-.data}/certs} kind=${2:-}
  case $cmd in
    make) cmd_make "$dir" ;;
    rotate-root)
      [[ -s $dir/root.crt ]] || die "$dir holds no PKI yet: run certs.sh make $dir first"
      mv "$dir/root.crt" "$dir/root.previous.crt"
      rm -f "$dir/root.key"
      make_root "$dir"
      ;;
    *)
      is_kind "$kind" || die "usage: certs.sh $cmd DIR KIND (KIND: ${KINDS[*]})"
      [[ -s $dir/root.crt ]] || die "$dir holds no PKI yet: run certs.sh make $dir first"
      case $cmd in
        renew) make_leaf "$dir" "$kind" ;;
        rotate-ca) rotate_ca "$dir" "$kind" ;;
        end-overlap) rm -f "$dir/ca/$kind.previous.crt" ;;
      esac
      write_trust "$dir" "$kind"
      chmod 644 "$dir/$kind.crt" "$dir/trust/$kind.pem"
      ;;
  esac
}

main "$@"
