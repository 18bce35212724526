#!/usr/bin/env bash
# e2e.sh - R-Cycle on a real Kubernetes (kind) with the project's end-to-end
# API suite against its ingress. Needs docker (or podman), kind, kubectl and
# internet access for kind's node image, Calico and ingress-nginx (a CI
# runner; the images of R-Cycle itself come from `make images`, not a registry).
#
#   deploy/kind/e2e.sh            create the cluster, load, apply, wait, test, delete
#   RCYCLE_KIND_KEEP=1 deploy/kind/e2e.sh   keep the cluster afterwards
#
# Steps: kind create cluster (deploy/kind/cluster.yaml: Calico instead of
# kindnet so that NetworkPolicies are enforced, an ingress-ready node) ->
# Calico -> ingress-nginx -> kind load image-archive of each image -> the
# Secret (deploy/secret.sh) -> kubectl apply -k deploy/k8s/overlays/kind ->
# wait for PostgreSQL, the db-init Job and every rollout -> a NetworkPolicy
# probe (a pod outside the allowed set cannot reach svc-users) -> the suite
# (node --test test/integration/) against http://127.0.0.1:8080, with each
# process's admin port through kubectl port-forward and a STACK_SH adapter
# (deploy/kind/stack-adapter.sh) that scales svc-listings to 0 and back.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
# shellcheck source=../lib.sh
. deploy/lib.sh
CLUSTER=${RCYCLE_KIND_CLUSTER:-rcycle}
CALICO_VERSION=${CALICO_VERSION:-v3.28.2}
INGRESS_NGINX_VERSION=${INGRESS_NGINX_VERSION:-controller-v1.11.3}
OUT=$RCYCLE_DEPLOY_OUT/kind
NS=r-cycle
mkdir -p "$OUT"
export KUBECONFIG=$OUT/kubeconfig
PF_PIDS=()

note() { echo "e2e.sh: $*" >&2; }
cleanup() {
  local rc=$?
  for p in "${PF_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  if ((rc != 0)); then
    note "failed; state of the namespace:"
    kubectl -n "$NS" get pods,jobs,svc,ingress -o wide 2>/dev/null || true
    kubectl -n "$NS" get events --sort-by=.lastTimestamp 2>/dev/null | tail -n 40 || true
    for p in $(kubectl -n "$NS" get pods -o name 2>/dev/null); do
      kubectl -n "$NS" logs --all-containers --tail=30 "$p" 2>/dev/null || true
    done
  fi
  [[ ${RCYCLE_KIND_KEEP:-0} == 1 ]] || kind delete cluster --name "$CLUSTER" >/dev/null 2>&1 || true
  exit $rc
}
trap cleanup EXIT

note "cluster $CLUSTER"
kind delete cluster --name "$CLUSTER" >/dev/null 2>&1 || true
kind create cluster --name "$CLUSTER" --config deploy/kind/cluster.yaml --kubeconfig "$KUBECONFIG" --wait 0s

note "Calico $CALICO_VERSION (NetworkPolicy enforcement)"
kubectl apply -f "https://raw.githubusercontent.com/projectcalico/calico/$CALICO_VERSION/manifests/calico.yaml" >/dev/null
kubectl -n kube-system rollout status daemonset/calico-node --timeout=5m
kubectl wait --for=condition=Ready nodes --all --timeout=5m

note "ingress-nginx $INGRESS_NGINX_VERSION"
kubectl apply -f "https://raw.githubusercontent.com/kubernetes/ingress-nginx/$INGRESS_NGINX_VERSION/deploy/static/provider/kind/deploy.yaml" >/dev/null
kubectl -n ingress-nginx rollout status deployment/ingress-nginx-controller --timeout=5m

note "loading the images of make images"
for image in "${SHIP_IMAGES[@]}"; do
  archive=$OUT/$image.tar
  if command -v podman >/dev/null && podman image exists "$(image_ref "$image")" 2>/dev/null; then
    podman save -q --format docker-archive -o "$archive" "$(image_ref "$image")"
  else
    docker save -o "$archive" "$(image_ref "$image")"
  fi
  kind load image-archive "$archive" --name "$CLUSTER"
done

note "Secret and manifests (overlay kind)"
kubectl create namespace "$NS" --dry-run=client -o yaml | kubectl apply -f - >/dev/null
RCYCLE_SEED_PASSWORD=rcycle-dev deploy/secret.sh --out "$OUT/rcycle-db.secret.yaml"
kubectl apply -f "$OUT/rcycle-db.secret.yaml"
kubectl apply -k deploy/k8s/overlays/kind
kubectl -n "$NS" rollout status statefulset/postgres --timeout=5m
kubectl -n "$NS" wait --for=condition=complete job/db-init --timeout=10m
for d in svc-users svc-listings svc-claims gateway; do kubectl -n "$NS" rollout status "deployment/$d" --timeout=5m; done

note "waiting for the ingress"
for _ in $(seq 120); do
  curl -fsS -o /dev/null --max-time 2 http://127.0.0.1:8080/readyz && break
  sleep 1
done
curl -fsS http://127.0.0.1:8080/readyz >/dev/null

note "NetworkPolicy: a pod that is not the gateway cannot reach svc-users"
# busybox from the public registry (the CI runner has the internet; the
# cluster of a site never needs this). First a control that the probe itself
# works (DNS is allowed to every pod), then the connection that must fail.
np_probe() {
  kubectl -n "$NS" run "np-probe-$1" --rm -i --restart=Never --quiet --image=busybox:1.36.1 \
    --labels=app.kubernetes.io/name=np-probe --overrides='{"apiVersion":"v1","spec":{"securityContext":{"runAsNonRoot":true,"runAsUser":65534,"seccompProfile":{"type":"RuntimeDefault"}},"containers":[{"name":"p","image":"busybox:1.36.1","command":["nc","-z","-w","3","'"$2"'","'"$3"'"],"securityContext":{"allowPrivilegeEscalation":false,"capabilities":{"drop":["ALL"]}}}]}}' \
    >/dev/null 2>&1
}
np_probe control kube-dns.kube-system.svc.cluster.local 53 || { note "the probe pod cannot reach kube-dns: cannot test the policies"; exit 1; }
if np_probe denied svc-users 7101; then
  note "svc-users answered a pod the policies do not allow: NetworkPolicies are not enforced"
  exit 1
fi

note "admin ports through kubectl port-forward"
declare -A ADMIN=([gateway]=7200 [svc-users]=7201 [svc-listings]=7202 [svc-claims]=7203)
for d in "${!ADMIN[@]}"; do
  kubectl -n "$NS" port-forward "deployment/$d" "$((ADMIN[$d] + 1000)):${ADMIN[$d]}" >"$OUT/pf-$d.log" 2>&1 &
  PF_PIDS+=($!)
done
sleep 3

note "end-to-end suite against the ingress"
RUN_DIR=$OUT/run
mkdir -p "$RUN_DIR"
test/integration/install.sh
files=$(find test/integration -type d -name node_modules -prune -o -type f \( -name '*.test.mjs' -o -name '*.test.js' \) -print | sort)
# Tests that reach inside the stack (raw RPC sockets, the database, host-built
# tools) need what only a local run has; on a cluster they are left out.
files=$(echo "$files" | grep -v -e rpc-garbage -e import-hardware -e expiry || true)
RUN_DIR=$RUN_DIR deploy/kind/stack-adapter.sh status
# shellcheck disable=SC2086
GATEWAY_URL=http://127.0.0.1:8080 RUN_DIR=$RUN_DIR RCYCLE_SEED_PASSWORD=rcycle-dev RCYCLE_COOKIE_SECURE=0 \
  STACK_SH=$ROOT/deploy/kind/stack-adapter.sh RCYCLE_KIND_NAMESPACE=$NS \
  RCYCLE_GATEWAY_ADMIN_URL=http://127.0.0.1:8200 RCYCLE_USERS_ADMIN_URL=http://127.0.0.1:8201 \
  RCYCLE_LISTINGS_ADMIN_URL=http://127.0.0.1:8202 RCYCLE_CLAIMS_ADMIN_URL=http://127.0.0.1:8203 \
  node --test --test-concurrency=1 --test-timeout=300000 $files
note "passed"
