#!/usr/bin/env bash
# deps.sh - install the Debian 12 packages R-Cycle needs to build, run, test
# and benchmark, and nothing else. Only what is missing is installed; apt-get
# update runs only when something must be installed. Silent on success, and
# fast (one dpkg-query) when everything is already there.
#
#   scripts/deps.sh            build, run and test dependencies
#   scripts/deps.sh --browser  also the browser used by the end-to-end UI tests
set -euo pipefail

# Compilers, build tools and the C libraries of every target.
BUILD_PKGS=(
  build-essential cmake pkg-config git
  clang-format # the code style step of make test
  clang libclang-rt-14-dev # libFuzzer and the sanitizer runtimes for clang
  libh2o-dev libh2o-evloop-dev libnng-dev
  protobuf-c-compiler libprotobuf-c-dev
  libpq-dev libcmocka-dev libjansson-dev libsodium-dev libssl-dev libcsv-dev
  libyaml-dev     # rcycle-yaml2json: docs/openapi.yaml to the JSON the gateway serves
  libpg-query-dev # PostgreSQL's parser: the database tools name the failing statement
  libcurl4-openssl-dev libcjose-dev # single sign-on: HTTPS to the IdP, ID token checks
)
# The private PostgreSQL of `make run`/`make test`, load tools, and curl for
# the health checks and the bench login; Prometheus and promtool for the
# monitoring tests (scripts/test-monitoring.sh: the alert rules, a real
# scrape of the test stack, the dashboard's queries); openssl for the RPC
# certificates (scripts/certs.sh).
RUN_PKGS=(postgresql-15 postgresql-contrib wrk curl prometheus openssl)
# The integration suite runs on node (node --test); npm only comes with it.
NODE_PKGS=(nodejs npm)
# The end-to-end UI tests' browser. Not installed by default yet: pass
# --browser (or RCYCLE_BROWSER_DEPS=1) once those tests exist.
BROWSER_PKGS=(chromium)

log_file=""

die() {
  echo "deps.sh: $*" >&2
  [[ -n $log_file && -s $log_file ]] && tail -n 30 "$log_file" >&2
  exit 1
}

# Prints the packages of "$@" that are not fully installed, one per line.
missing_packages() {
  declare -A state=()
  local name status
  while read -r name status; do
    state[$name]=$status
  done < <(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "$@" 2>/dev/null || true)
  for name in "$@"; do
    [[ ${state[$name]:-} == ii* ]] || echo "$name"
  done
}

# Runs apt-get as root: directly, or through sudo for a normal user.
apt_get() {
  if [[ $EUID -eq 0 ]]; then
    DEBIAN_FRONTEND=noninteractive apt-get "$@"
  elif command -v sudo >/dev/null; then
    sudo DEBIAN_FRONTEND=noninteractive apt-get "$@"
  else
    die "must install packages but is neither root nor has sudo"
  fi
}

main() {
  local want_browser=${RCYCLE_BROWSER_DEPS:-0}
  case ${1:-} in
    "") ;;
    --browser) want_browser=1 ;;
    *) die "usage: $0 [--browser]" ;;
  esac

  local wanted=("${BUILD_PKGS[@]}" "${RUN_PKGS[@]}")
  command -v node >/dev/null || wanted+=("${NODE_PKGS[@]}")
  [[ $want_browser == 1 ]] && wanted+=("${BROWSER_PKGS[@]}")

  local missing
  mapfile -t missing < <(missing_packages "${wanted[@]}")
  ((${#missing[@]} == 0)) && return 0

  log_file=$(mktemp /tmp/rcycle-deps.XXXXXX)
  echo "deps.sh: installing ${missing[*]}" >&2
  apt_get update -q >"$log_file" 2>&1 || die "apt-get update failed"
  apt_get install -y -q --no-install-recommends "${missing[@]}" >>"$log_file" 2>&1 ||
    die "apt-get install failed"
  mapfile -t missing < <(missing_packages "${missing[@]}")
  ((${#missing[@]} == 0)) || die "still missing after install: ${missing[*]}"
  rm -f "$log_file"
}

main "$@"
