#!/usr/bin/env bash
# stack-adapter.sh - what the end-to-end suite asks of scripts/stack.sh, done
# on the kind cluster of e2e.sh: kill-one NAME [SIG] scales the Deployment to
# zero and waits until its pods are gone (the Service has no endpoints: the
# crash the resilience test wants), start-one NAME scales it back to one
# and waits for the rollout. Writes $RUN_DIR/gateway.pid: a number that
# changes when the gateway pod is replaced or its container restarts.
set -euo pipefail
NS=${RCYCLE_KIND_NAMESPACE:-r-cycle}
RUN_DIR=${RUN_DIR:?RUN_DIR is not set}

canonical() {
  case $1 in
    svc-users | svc-listings | svc-claims | gateway) echo "$1" ;;
    users | listings | claims) echo "svc-$1" ;;
    *) echo "stack-adapter.sh: unknown process '$1'" >&2; exit 1 ;;
  esac
}

gateway_pid() {
  local start restarts
  start=$(kubectl -n "$NS" get pods -l app.kubernetes.io/name=gateway -o jsonpath='{.items[0].status.startTime}')
  restarts=$(kubectl -n "$NS" get pods -l app.kubernetes.io/name=gateway -o jsonpath='{.items[0].status.containerStatuses[0].restartCount}')
  mkdir -p "$RUN_DIR"
  echo "$(($(date -d "$start" +%s) * 1000 + restarts))" >"$RUN_DIR/gateway.pid"
}

case ${1:-} in
  kill-one)
    name=$(canonical "${2:?NAME}")
    kubectl -n "$NS" scale "deployment/$name" --replicas=0 >/dev/null
    kubectl -n "$NS" wait --for=delete pod -l "app.kubernetes.io/name=$name" --timeout=60s >/dev/null 2>&1 || true
    sleep 2 # kube-proxy drops the endpoints
    ;;
  start-one)
    name=$(canonical "${2:?NAME}")
    kubectl -n "$NS" scale "deployment/$name" --replicas=1 >/dev/null
    kubectl -n "$NS" rollout status "deployment/$name" --timeout=120s >/dev/null
    sleep 2
    ;;
  restart-one)
    "$0" kill-one "$2" && "$0" start-one "$2"
    ;;
  status) ;;
  *) echo "usage: stack-adapter.sh kill-one|start-one|restart-one NAME | status" >&2; exit 2 ;;
esac
gateway_pid
