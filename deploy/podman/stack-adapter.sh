#!/usr/bin/env bash
# stack-adapter.sh - what the end-to-end suite asks of scripts/stack.sh, done
# to the containers of the podman run (deploy/podman/play.sh): lib.mjs calls
# "$STACK_SH" kill-one NAME [SIG] and start-one NAME, and reads
# $RUN_DIR/gateway.pid to see that the gateway was not restarted.
#
#   stack-adapter.sh kill-one NAME [SIG]   podman kill --signal SIG (default TERM) the
#                                          container of NAME's first replica, wait
#                                          until it is gone and its Service proxy
#                                          has taken it out (as Endpoints would)
#   stack-adapter.sh start-one NAME        podman start it, wait until its /readyz
#                                          answers and the proxy has it back
#   stack-adapter.sh restart-one NAME [SIG]
#   stack-adapter.sh status                what runs; writes $RUN_DIR/gateway.pid
# NAME: gateway, svc-users, svc-listings, svc-claims (or users, listings, claims).
set -euo pipefail
STATE=${RCYCLE_PODMAN_STATE:?RCYCLE_PODMAN_STATE is not set (run through deploy/podman/play.sh)}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export CONTAINERS_CONF=${CONTAINERS_CONF:-$HERE/containers.conf}
RUN_DIR=${RUN_DIR:-$STATE/run}
# The Service proxies check every 500 ms and take a replica out after one
# failed check: give them a few rounds.
PROXY_SETTLE=${RCYCLE_PODMAN_PROXY_SETTLE:-2}

die() {
  echo "stack-adapter.sh: $*" >&2
  exit 1
}

canonical() {
  case $1 in
    svc-users | svc-listings | svc-claims | gateway) echo "$1" ;;
    users | listings | claims) echo "svc-$1" ;;
    *) die "unknown process '$1'" ;;
  esac
}
container_of() { echo "$1-pod-0-$1"; }
running() { [[ $(podman inspect --format '{{.State.Running}}' "$1" 2>/dev/null) == true ]]; }

# The gateway container's pid on the host: lib.mjs's pidOf('gateway').
write_gateway_pid() {
  local pid
  mkdir -p "$RUN_DIR"
  pid=$(podman inspect --format '{{.State.Pid}}' "$(container_of gateway)" 2>/dev/null || echo 0)
  if [[ $pid =~ ^[1-9][0-9]*$ ]]; then echo "$pid" >"$RUN_DIR/gateway.pid"; else rm -f "$RUN_DIR/gateway.pid"; fi
}

ready_of() {
  node -e "const p=require('$STATE/plan.json'); for (const w of p.workloads) for (const c of w.containers) if (c.name === '$1' && c.ready) console.log(c.ready.port, c.ready.path ?? '')"
}

wait_ready() {
  local ctr=$1 port path pid deadline=$((SECONDS + 60))
  read -r port path <<<"$(ready_of "$2")"
  while :; do
    if running "$ctr"; then
      pid=$(podman inspect --format '{{.State.Pid}}' "$ctr")
      [[ -z $port ]] && return 0
      nsenter -t "$pid" -n curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$port$path" 2>/dev/null && return 0
    fi
    ((SECONDS < deadline)) || die "$ctr not ready after 60 s"
    sleep 0.2
  done
}

cmd_kill_one() {
  local name ctr sig=${2:-TERM} i
  name=$(canonical "$1")
  ctr=$(container_of "$name")
  if running "$ctr"; then
    podman kill --signal "${sig#SIG}" "$ctr" >/dev/null
    for ((i = 0; i < 100; i++)); do
      running "$ctr" || break
      sleep 0.1
    done
    running "$ctr" && die "$ctr still running 10 s after SIG${sig#SIG}"
    sleep "$PROXY_SETTLE"
  fi
  write_gateway_pid
}

cmd_start_one() {
  local name ctr
  name=$(canonical "$1")
  ctr=$(container_of "$name")
  running "$ctr" || podman start "$ctr" >/dev/null
  wait_ready "$ctr" "$name"
  sleep "$PROXY_SETTLE"
  write_gateway_pid
}

case ${1:-} in
  kill-one) [[ $# -ge 2 ]] || die "usage: kill-one NAME [SIG]"; cmd_kill_one "$2" "${3:-TERM}" ;;
  start-one) [[ $# -ge 2 ]] || die "usage: start-one NAME"; cmd_start_one "$2" ;;
  restart-one) [[ $# -ge 2 ]] || die "usage: restart-one NAME [SIG]"; cmd_kill_one "$2" "${3:-TERM}"; cmd_start_one "$2" ;;
  status)
    for n in svc-users svc-listings svc-claims gateway; do
      printf '%-13s %s\n' "$n" "$(podman inspect --format '{{.State.Status}}' "$(container_of "$n")" 2>/dev/null || echo missing)"
    done
    write_gateway_pid
    ;;
  *) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2 ;;
esac
