#!/usr/bin/env bash
# run.sh - the body of `make run` (which installs and builds first): start the
# whole R-Cycle stack (scripts/stack.sh), print where it is and the seed
# logins, then wait. Ctrl-C (or SIGTERM) stops every process it started and
# the private PostgreSQL if it started it; the data stays in .data for the
# next run. Settings are stack.sh's (BUILD_DIR, PORT, DATABASE_URL, ...).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
STACK=$ROOT/scripts/stack.sh
STARTED=0

cleanup() {
  local sig=${1:-EXIT}
  trap - INT TERM EXIT
  if ((STARTED == 1)); then
    echo
    echo "Stopping R-Cycle..."
    "$STACK" stop || echo "(some processes had exited or needed SIGKILL; see the logs above)"
  fi
  case $sig in
    INT) exit 130 ;;
    TERM) exit 143 ;;
  esac
}

print_banner() {
  local url=$1 run_dir=$2 password="rcycle-dev"
  [[ -n ${RCYCLE_SEED_PASSWORD:-} ]] && password="the value of RCYCLE_SEED_PASSWORD"
  cat <<EOF

R-Cycle is running at $url

Seed logins (password: $password; development only, never in production):
  john.doe@company.com        IT Infrastructure        member, admin
  jane.smith@company.com      Data Center Operations   member
  bob.johnson@company.com     Development Team         member
  alice.williams@company.com  Security Team            member, security
  carol.davis@company.com     Security Team            member, security

Logs: $run_dir/<process>.log   Status: scripts/stack.sh status   SQL: scripts/pg.sh psql
Press Ctrl-C to stop.
EOF
}

# Prints one KEY of the stack's recorded settings (stack.sh env, shell-quoted).
stack_setting() {
  (
    eval "$("$STACK" env | grep "^$1=")"
    printf '%s' "${!1}"
  )
}

# Reports (once each) a process that exits while we wait.
watch_processes() {
  declare -A reported=()
  local line name
  while :; do
    sleep 3 &
    wait $! || true
    while read -r line; do
      name=${line%% *}
      if [[ $line == *" stopped"* && -z ${reported[$name]:-} ]]; then
        reported[$name]=1
        echo "warning: $name has exited; see its log. Ctrl-C stops the rest." >&2
      fi
    done < <("$STACK" status 2>/dev/null | grep -E '^(svc-|gateway)')
  done
}

main() {
  local status
  status=$("$STACK" status 2>/dev/null || true)
  if [[ $status == *" running  pid"* ]]; then
    echo "$status" >&2
    echo "R-Cycle already runs from this directory; stop it first: scripts/stack.sh stop" >&2
    exit 1
  fi
  trap 'cleanup INT' INT
  trap 'cleanup TERM' TERM
  trap 'cleanup EXIT' EXIT
  STARTED=1
  "$STACK" start
  print_banner "$(stack_setting GATEWAY_URL)" "$(stack_setting RUN_DIR)"
  watch_processes
}

main "$@"
