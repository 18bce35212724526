#!/usr/bin/env bash
# shellcheck disable=SC2034 # the values are read by render through ${!name}
# secret.sh - makes the Secret rcycle-db from deploy/k8s/secret.template.yaml.
#
#   deploy/secret.sh [--external] [--out FILE] [--rotate]
#
# Default (in-cluster PostgreSQL): random passwords for the superuser and
# the three service roles, URLs to the Service postgres:5432, database rcycle.
# --external: the URLs come from the environment, as the DBA gave them:
#   ADMIN_DATABASE_URL (may create schemas and, ideally, roles),
#   USERS_DATABASE_URL, LISTINGS_DATABASE_URL, CLAIMS_DATABASE_URL, and
#   optionally USERS_DB_PASSWORD/LISTINGS_DB_PASSWORD/CLAIMS_DB_PASSWORD
#   (db-init then sets them on the roles rcycle_users/_listings/_claims).
# Any of POSTGRES_PASSWORD, *_DB_PASSWORD set in the environment is used
# instead of a random one; RCYCLE_SEED_PASSWORD fills SEED_PASSWORD (kind);
# RCYCLE_OIDC_CLIENT_SECRET fills OIDC_CLIENT_SECRET (the IdP's client
# secret for single sign-on; empty leaves single sign-on's secret unset);
# RCYCLE_SMTP_PASSWORD fills SMTP_PASSWORD (the mail relay's login, empty
# for a relay without one).
# RCYCLE_DB_HOST (postgres), RCYCLE_DB_PORT (5432), RCYCLE_DB_NAME (rcycle)
# and RCYCLE_DB_PARAMS (e.g. sslmode=require) shape the in-cluster URLs.
#
# Writes FILE (mode 600) or stdout; apply it with kubectl apply -f FILE
# before the manifests. Never commit the output.
#
# Run again with --out on an existing FILE, it keeps every value FILE holds
# (a database volume keeps the passwords it was given: a new random
# superuser password would not match the cluster's, and the admin URL
# would break): only what FILE lacks is made. --rotate makes new passwords
# instead; then apply the Secret, restart PostgreSQL (rcycle-pg sets the
# superuser password on every start), run db-init again (it sets the role
# passwords) and restart the services (deploy/README.md, Rotating the
# passwords).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TEMPLATE=$HERE/k8s/secret.template.yaml

external=0
rotate=0
out=""
while (($# > 0)); do
  case $1 in
    --external) external=1 ;;
    --rotate) rotate=1 ;;
    --out) out=${2:?--out needs a file}; shift ;;
    -h | --help) sed -n '3,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "secret.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done

# 32 hex characters: safe in a URL and in SQL without quoting trouble.
random_password() { od -An -N16 -tx1 /dev/urandom | tr -d ' \n'; }

# The value of KEY in an existing Secret file of this script (the body of
# its double-quoted string, unescaped as render escaped it); fails if absent.
existing_value() {
  local line
  line=$(grep -E "^  $1: \"" "$out" 2>/dev/null | head -n 1) || return 1
  line=${line#*: \"}
  line=${line%\"}
  line=${line//\\\"/\"}
  printf '%s' "${line//\\\\/\\}"
}

# Each password: the environment's, else the existing file's (unless
# --rotate), else a new random one.
if [[ -n $out && -f $out && $rotate == 0 ]]; then
  echo "secret.sh: $out exists: keeping its values (--rotate makes new passwords)" >&2
  for v in POSTGRES_PASSWORD USERS_DB_PASSWORD LISTINGS_DB_PASSWORD CLAIMS_DB_PASSWORD; do
    [[ -n ${!v:-} ]] && continue
    kept=$(existing_value "$v") && [[ -n $kept ]] && printf -v "$v" '%s' "$kept"
  done
  if ((external)); then
    for v in ADMIN_DATABASE_URL USERS_DATABASE_URL LISTINGS_DATABASE_URL CLAIMS_DATABASE_URL; do
      [[ -n ${!v:-} ]] && continue
      kept=$(existing_value "$v") && [[ -n $kept ]] && printf -v "$v" '%s' "$kept"
    done
  fi
fi
# The seed password is no database password: kept through --rotate too.
if [[ -n $out && -f $out && -z ${RCYCLE_SEED_PASSWORD:-} ]]; then
  kept=$(existing_value SEED_PASSWORD) && RCYCLE_SEED_PASSWORD=$kept
fi

if ((external)); then
  for v in ADMIN_DATABASE_URL USERS_DATABASE_URL LISTINGS_DATABASE_URL CLAIMS_DATABASE_URL; do
    [[ -n ${!v:-} ]] || { echo "secret.sh: --external needs $v" >&2; exit 2; }
  done
  POSTGRES_PASSWORD=${POSTGRES_PASSWORD:-}
  USERS_DB_PASSWORD=${USERS_DB_PASSWORD:-}
  LISTINGS_DB_PASSWORD=${LISTINGS_DB_PASSWORD:-}
  CLAIMS_DB_PASSWORD=${CLAIMS_DB_PASSWORD:-}
else
  host=${RCYCLE_DB_HOST:-postgres} port=${RCYCLE_DB_PORT:-5432} db=${RCYCLE_DB_NAME:-rcycle}
  params=${RCYCLE_DB_PARAMS:-connect_timeout=5}
  POSTGRES_PASSWORD=${POSTGRES_PASSWORD:-$(random_password)}
  USERS_DB_PASSWORD=${USERS_DB_PASSWORD:-$(random_password)}
  LISTINGS_DB_PASSWORD=${LISTINGS_DB_PASSWORD:-$(random_password)}
  CLAIMS_DB_PASSWORD=${CLAIMS_DB_PASSWORD:-$(random_password)}
  ADMIN_DATABASE_URL="postgresql://postgres:$POSTGRES_PASSWORD@$host:$port/$db?$params"
  USERS_DATABASE_URL="postgresql://rcycle_users:$USERS_DB_PASSWORD@$host:$port/$db?$params"
  LISTINGS_DATABASE_URL="postgresql://rcycle_listings:$LISTINGS_DB_PASSWORD@$host:$port/$db?$params"
  CLAIMS_DATABASE_URL="postgresql://rcycle_claims:$CLAIMS_DB_PASSWORD@$host:$port/$db?$params"
fi
# The IdP's client secret is not ours to make either: kept like the seed's.
if [[ -n $out && -f $out && -z ${RCYCLE_OIDC_CLIENT_SECRET:-} ]]; then
  kept=$(existing_value OIDC_CLIENT_SECRET) && RCYCLE_OIDC_CLIENT_SECRET=$kept
fi
# So is the relay's password.
if [[ -n $out && -f $out && -z ${RCYCLE_SMTP_PASSWORD:-} ]]; then
  kept=$(existing_value SMTP_PASSWORD) && RCYCLE_SMTP_PASSWORD=$kept
fi
# shellcheck disable=SC2034 # read by render through ${!name}
SEED_PASSWORD=${RCYCLE_SEED_PASSWORD:-}
# shellcheck disable=SC2034 # read by render through ${!name}
SMTP_PASSWORD=${RCYCLE_SMTP_PASSWORD:-}
# shellcheck disable=SC2034 # read by render through ${!name}
OIDC_CLIENT_SECRET=${RCYCLE_OIDC_CLIENT_SECRET:-}

# Each ${NAME} of the template becomes the value as a YAML double-quoted
# string body (backslash and double quote escaped; no newlines allowed).
BS='\' DQ='"'
render() {
  local line name value
  while IFS= read -r line || [[ -n $line ]]; do
    while [[ $line =~ \$\{([A-Z_]+)\} ]]; do
      name=${BASH_REMATCH[1]}
      value=${!name-}
      [[ $value != *$'\n'* ]] || { echo "secret.sh: $name holds a newline" >&2; exit 2; }
      value=${value//"$BS"/"$BS$BS"}
      value=${value//"$DQ"/"$BS$DQ"}
      line=${line/"\${$name}"/"$value"}
    done
    printf '%s\n' "$line"
  done <"$TEMPLATE"
}

if [[ -n $out ]]; then
  (umask 077 && render >"$out.tmp" && mv "$out.tmp" "$out")
  echo "secret.sh: wrote $out (apply with kubectl apply -f $out; do not commit it)" >&2
else
  render
fi
