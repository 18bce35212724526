#!/usr/bin/env bash
# e2e.sh - R-Cycle on a real Kubernetes (kind) with the project's end-to-end
# API suite against its ingress. Needs docker (or podman) for kind, kind,
# kubectl, and internet access for kind's node image, Calico and
# ingress-nginx (a CI runner). The images of R-Cycle come from `make images`
# (built here when missing), never from a registry.
#
#   deploy/kind/e2e.sh                  build (if needed), create the cluster, load,
#                                       apply, wait, test, delete
#   deploy/kind/e2e.sh --record-pins    fetch the third-party manifests of
#                                       deploy/kind/pins.env and write their digests
#   RCYCLE_KIND_KEEP=1 deploy/kind/e2e.sh   keep the cluster afterwards
#
# Environment: RCYCLE_KIND_CLUSTER (rcycle), RCYCLE_KIND_HTTP_PORT (8080) and
# RCYCLE_KIND_HTTPS_PORT (8443): the host ports of the ingress, on 127.0.0.1;
# RCYCLE_KIND_POD_SUBNET (10.244.0.0/16, kind's default: rarely used by home
# or VPN networks, unlike 192.168.0.0/16).
#
# Every third-party thing is pinned in deploy/kind/pins.env by version and
# digest: the kind version (checked), the node image, the Calico and
# ingress-nginx manifests (SHA-256 of the file, checked before apply), the
# probe image. Steps: images -> kind create cluster (cluster.yaml: Calico
# instead of kindnet so that NetworkPolicies are enforced, an ingress-ready
# node) -> Calico -> ingress-nginx -> kind load image-archive of each image
# -> the Secret (deploy/secret.sh) -> kubectl apply -k deploy/k8s/overlays/kind
# -> PostgreSQL, the db-init Job (complete or failed, whichever comes
# first) and every rollout -> a NetworkPolicy probe -> the suite (node --test
# test/integration/) against the ingress, with each process's admin port
# through kubectl port-forward and a STACK_SH adapter
# (deploy/kind/stack-adapter.sh) that scales svc-listings to 0 and back. On
# failure: the namespace's state and logs, and `kind export logs` into
# build-deploy/kind/logs, before the cluster is deleted.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
# shellcheck source=../lib.sh
. deploy/lib.sh
# shellcheck source=pins.env
. deploy/kind/pins.env
CLUSTER=${RCYCLE_KIND_CLUSTER:-rcycle}
HTTP_PORT=${RCYCLE_KIND_HTTP_PORT:-8080}
HTTPS_PORT=${RCYCLE_KIND_HTTPS_PORT:-8443}
POD_SUBNET=${RCYCLE_KIND_POD_SUBNET:-10.244.0.0/16}
OUT=$RCYCLE_DEPLOY_OUT/kind
NS=r-cycle
JOB=db-init-${RCYCLE_IMAGE_TAG//./-}
CALICO_URL=https://raw.githubusercontent.com/projectcalico/calico/$CALICO_VERSION/manifests/calico.yaml
INGRESS_URL=https://raw.githubusercontent.com/kubernetes/ingress-nginx/$INGRESS_NGINX_VERSION/deploy/static/provider/kind/deploy.yaml
mkdir -p "$OUT"
export KUBECONFIG=$OUT/kubeconfig
PF_PIDS=()
CREATED=0

note() { echo "e2e.sh: $*" >&2; }
die() {
  note "$*"
  exit 1
}

# Downloads $1 to $2 and checks it against the SHA-256 $3.
fetch_pinned() {
  local url=$1 file=$2 want=$3 got
  [[ $want =~ ^[0-9a-f]{64}$ ]] ||
    die "no digest recorded for $url in deploy/kind/pins.env: run deploy/kind/e2e.sh --record-pins on a machine with network, review, commit"
  curl -fsSL --retry 3 -o "$file" "$url" || die "cannot fetch $url"
  got=$(sha256sum "$file" | cut -d' ' -f1)
  [[ $got == "$want" ]] || die "$url: SHA-256 $got, but deploy/kind/pins.env pins $want"
}

record_pins() {
  local name url sum
  for name in CALICO INGRESS_NGINX; do
    url=CALICO_URL
    [[ $name == INGRESS_NGINX ]] && url=INGRESS_URL
    curl -fsSL --retry 3 -o "$OUT/$name.yaml" "${!url}" || die "cannot fetch ${!url}"
    sum=$(sha256sum "$OUT/$name.yaml" | cut -d' ' -f1)
    sed -i "s/^${name}_MANIFEST_SHA256=.*/${name}_MANIFEST_SHA256=$sum/" deploy/kind/pins.env
    note "${name}_MANIFEST_SHA256=$sum (${!url})"
  done
  note "written to deploy/kind/pins.env: review the manifests in $OUT and commit"
}

cleanup() {
  local rc=$?
  for p in "${PF_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  if ((rc != 0 && CREATED)); then
    note "failed; state of the namespace:"
    kubectl -n "$NS" get pods,jobs,svc,ingress -o wide 2>/dev/null || true
    kubectl -n "$NS" get events --sort-by=.lastTimestamp 2>/dev/null | tail -n 40 || true
    for p in $(kubectl -n "$NS" get pods -o name 2>/dev/null); do
      kubectl -n "$NS" logs --all-containers --prefix --tail=30 "$p" 2>/dev/null || true
    done
    rm -rf "$OUT/logs"
    kind export logs "$OUT/logs" --name "$CLUSTER" >/dev/null 2>&1 && note "cluster logs in $OUT/logs"
  fi
  ((CREATED)) && [[ ${RCYCLE_KIND_KEEP:-0} != 1 ]] && kind delete cluster --name "$CLUSTER" >/dev/null 2>&1
  exit $rc
}

# Waits until Job $1 is complete (0) or failed (1, with its logs), at most $2 s.
wait_job() {
  local job=$1 deadline=$((SECONDS + $2)) state
  while ((SECONDS < deadline)); do
    state=$(kubectl -n "$NS" get job "$job" -o jsonpath='{range .status.conditions[?(@.status=="True")]}{.type} {end}' 2>/dev/null || true)
    case " $state" in
      *" Complete "* | *" SuccessCriteriaMet "*) return 0 ;;
      *" Failed "* | *" FailureTarget "*)
        note "Job $job failed:"
        kubectl -n "$NS" logs "job/$job" --all-containers --prefix --tail=40 >&2 || true
        return 1
        ;;
    esac
    sleep 3
  done
  note "Job $job neither complete nor failed after $2 s"
  return 1
}

# The images of make images, built here when missing (podman and buildah
# on Debian, as root: see deploy/README.md).
ensure_images() {
  local image missing=()
  for image in "${SHIP_IMAGES[@]}"; do
    if command -v podman >/dev/null && podman image exists "$(image_ref "$image")" 2>/dev/null; then continue; fi
    if command -v docker >/dev/null && docker image inspect "$(image_ref "$image")" >/dev/null 2>&1; then continue; fi
    missing+=("$image")
  done
  ((${#missing[@]} == 0)) && return 0
  note "images missing (${missing[*]}): make images"
  if [[ $(id -u) != 0 || ! -f /etc/debian_version ]]; then
    die "cannot build the images here: make images needs Debian (12, or a derivative with debootstrap) and root (podman and buildah); build them there (make images) and run this again, or load them into docker as $(image_ref gateway) ..."
  fi
  make images || die "make images failed (log: $RCYCLE_DEPLOY_OUT/images.log)"
}

# What to run, checked before anything is made.
preflight() {
  command -v kind >/dev/null || die "kind is missing: install kind $KIND_VERSION"
  local have
  have=$(kind version | awk '{print $2}')
  [[ $have == "$KIND_VERSION" ]] || die "kind $have, but deploy/kind/pins.env pins $KIND_VERSION"
  command -v kubectl >/dev/null || die "kubectl is missing"
  command -v node >/dev/null || die "node is missing (the suite)"
  [[ $KIND_NODE_IMAGE == *@sha256:* && $PROBE_IMAGE == *@sha256:* ]] || die "images of deploy/kind/pins.env must be pinned by digest"
}

if [[ ${1:-} == --record-pins ]]; then
  record_pins
  exit 0
fi

preflight
ensure_images
trap cleanup EXIT

note "the manifests of Calico $CALICO_VERSION and ingress-nginx $INGRESS_NGINX_VERSION, checked against their pins"
fetch_pinned "$CALICO_URL" "$OUT/calico.yaml" "$CALICO_MANIFEST_SHA256"
fetch_pinned "$INGRESS_URL" "$OUT/ingress-nginx.yaml" "$INGRESS_NGINX_MANIFEST_SHA256"

note "cluster $CLUSTER ($KIND_NODE_IMAGE; ingress on 127.0.0.1:$HTTP_PORT, pods $POD_SUBNET)"
sed -e "s|hostPort: 8080|hostPort: $HTTP_PORT|" -e "s|hostPort: 8443|hostPort: $HTTPS_PORT|" \
  -e "s|podSubnet: .*|podSubnet: $POD_SUBNET|" deploy/kind/cluster.yaml >"$OUT/cluster.yaml"
kind delete cluster --name "$CLUSTER" >/dev/null 2>&1 || true
CREATED=1
kind create cluster --name "$CLUSTER" --image "$KIND_NODE_IMAGE" --config "$OUT/cluster.yaml" --kubeconfig "$KUBECONFIG" --wait 0s

note "Calico (NetworkPolicy enforcement)"
kubectl apply -f "$OUT/calico.yaml" >/dev/null
kubectl -n kube-system rollout status daemonset/calico-node --timeout=5m
kubectl wait --for=condition=Ready nodes --all --timeout=5m

note "ingress-nginx"
kubectl apply -f "$OUT/ingress-nginx.yaml" >/dev/null
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
# The RPC certificates: a throwaway site CA for the cluster's life.
deploy/tls.sh --ca-dir "$OUT/rpc-ca" --out "$OUT/rcycle-tls.secret.yaml"
kubectl apply -f "$OUT/rcycle-tls.secret.yaml"
kubectl apply -k deploy/k8s/overlays/kind
kubectl -n "$NS" rollout status statefulset/postgres --timeout=5m
wait_job "$JOB" 600
for d in svc-users svc-listings svc-claims gateway; do kubectl -n "$NS" rollout status "deployment/$d" --timeout=5m; done

note "waiting for the ingress"
for _ in $(seq 120); do
  curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$HTTP_PORT/readyz" && break
  sleep 1
done
curl -fsS "http://127.0.0.1:$HTTP_PORT/readyz" >/dev/null

note "NetworkPolicy: a pod that is not the gateway cannot reach svc-users"
# The probe image from the public registry, pinned by digest (the CI runner
# has the internet; the cluster of a site never needs this). First a control
# that the probe itself works (DNS is allowed to every pod), then the
# connection that must fail.
np_probe() {
  kubectl -n "$NS" run "np-probe-$1" --rm -i --restart=Never --quiet --image="$PROBE_IMAGE" \
    --labels=app.kubernetes.io/name=np-probe --overrides='{"apiVersion":"v1","spec":{"securityContext":{"runAsNonRoot":true,"runAsUser":65534,"seccompProfile":{"type":"RuntimeDefault"}},"containers":[{"name":"p","image":"'"$PROBE_IMAGE"'","command":["nc","-z","-w","3","'"$2"'","'"$3"'"],"securityContext":{"allowPrivilegeEscalation":false,"capabilities":{"drop":["ALL"]}}}]}}' \
    >/dev/null 2>&1
}
np_probe control kube-dns.kube-system.svc.cluster.local 53 || die "the probe pod cannot reach kube-dns: cannot test the policies"
if np_probe denied svc-users 7101; then
  die "svc-users answered a pod the policies do not allow: NetworkPolicies are not enforced"
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
# programs, the test OpenID provider and SMTP relay) need what only a local run has; on a
# cluster they are left out.
files=$(echo "$files" | grep -v -e rpc-garbage -e import-hardware -e expiry -e admin-liveness -e /sso. -e /mail. || true)
RUN_DIR=$RUN_DIR deploy/kind/stack-adapter.sh status
# shellcheck disable=SC2086
GATEWAY_URL=http://127.0.0.1:$HTTP_PORT RUN_DIR=$RUN_DIR RCYCLE_SEED_PASSWORD=rcycle-dev RCYCLE_COOKIE_SECURE=0 \
  STACK_SH=$ROOT/deploy/kind/stack-adapter.sh RCYCLE_KIND_NAMESPACE=$NS \
  RCYCLE_GATEWAY_ADMIN_URL=http://127.0.0.1:8200 RCYCLE_USERS_ADMIN_URL=http://127.0.0.1:8201 \
  RCYCLE_LISTINGS_ADMIN_URL=http://127.0.0.1:8202 RCYCLE_CLAIMS_ADMIN_URL=http://127.0.0.1:8203 \
  node --test --test-concurrency=1 --test-timeout=300000 $files
note "passed"
