#!/usr/bin/env bash
# load-and-apply.sh - installs this R-Cycle bundle into an air-gapped cluster.
#
#   ./load-and-apply.sh REGISTRY [--overlay production|production-external-db|production-gateway-api]
#                       [--push-only] [--dest-tls-verify=false]
#
#   1. checks every file against SHA256SUMS
#   2. pushes each image to REGISTRY/rcycle/NAME:TAG (skopeo; else podman or
#      docker load + push)
#   3. writes manifests/OVERLAY.site.yaml naming REGISTRY instead of
#      registry.example.internal
#   4. unless --push-only: checks that the Secrets r-cycle/rcycle-db and
#      rcycle-rpc-tls-* exist (make them first: ./secret.sh --out rcycle-db.yaml,
#      ./tls.sh --ca-dir CA-DIR --out rcycle-tls.yaml; kubectl apply -f ...),
#      applies the manifests, waits for this release's db-init Job (complete
#      or failed) and every rollout, deletes the db-init Jobs of earlier releases.
# Needs kubectl with access to the cluster, and skopeo, podman or docker.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
TAG=0.1.0
IMAGES=(gateway svc-users svc-listings svc-claims migrate postgres)

registry=${1:-}
[[ -n $registry && $registry != -* ]] || { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 2; }
shift
overlay=production push_only=0 tls=()
while (($# > 0)); do
  case $1 in
    --overlay) overlay=$2; shift ;;
    --push-only) push_only=1 ;;
    --dest-tls-verify=false) tls=(--dest-tls-verify=false) ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
registry=${registry%/}
[[ -f manifests/$overlay.yaml ]] || { echo "no manifests/$overlay.yaml" >&2; exit 2; }

echo "== 1. checksums"
sha256sum --quiet -c SHA256SUMS

echo "== 2. images -> $registry/rcycle"
for image in "${IMAGES[@]}"; do
  archive=images/$image-$TAG.tar dest=$registry/rcycle/$image:$TAG
  if command -v skopeo >/dev/null; then
    skopeo copy "${tls[@]}" "docker-archive:$archive" "docker://$dest"
  elif command -v podman >/dev/null; then
    podman load -i "$archive" >/dev/null
    podman tag "localhost/rcycle/$image:$TAG" "$dest"
    podman push ${tls:+--tls-verify=false} "$dest"
  else
    docker load -i "$archive" >/dev/null
    docker tag "localhost/rcycle/$image:$TAG" "$dest"
    docker push "$dest"
  fi
  echo "   $dest"
done

echo "== 3. manifests/$overlay.site.yaml"
sed "s|registry.example.internal/rcycle/|$registry/rcycle/|g" "manifests/$overlay.yaml" >"manifests/$overlay.site.yaml"
((push_only)) && { echo "pushed; apply with: kubectl apply -f manifests/$overlay.site.yaml"; exit 0; }

echo "== 4. apply"
kubectl create namespace r-cycle --dry-run=client -o yaml | kubectl apply -f - >/dev/null
if ! kubectl -n r-cycle get secret rcycle-db >/dev/null 2>&1; then
  echo "the Secret r-cycle/rcycle-db is missing: make it with ./secret.sh (see README.md), kubectl apply it, run this again" >&2
  exit 1
fi
for kind in gateway svc-users svc-listings svc-claims; do
  if ! kubectl -n r-cycle get secret "rcycle-rpc-tls-$kind" >/dev/null 2>&1; then
    echo "the Secret r-cycle/rcycle-rpc-tls-$kind is missing: make the RPC certificates with ./tls.sh --ca-dir CA-DIR (see README.md), kubectl apply them, run this again" >&2
    exit 1
  fi
done
kubectl apply -f "manifests/$overlay.site.yaml"
# This release's db-init Job (named after the version: a Job's template
# cannot change, so each release has its own). The new pods wait in their
# schema-wait init containers until it has migrated; a failed Job stops here.
job=db-init-${TAG//./-}
deadline=$((SECONDS + 900))
while :; do
  state=$(kubectl -n r-cycle get job "$job" -o jsonpath='{range .status.conditions[?(@.status=="True")]}{.type} {end}')
  case " $state" in
    *" Complete "* | *" SuccessCriteriaMet "*) break ;;
    *" Failed "* | *" FailureTarget "*)
      kubectl -n r-cycle logs "job/$job" --all-containers --prefix --tail=40 >&2 || true
      echo "the Job $job failed: fix the cause, kubectl -n r-cycle delete job $job, run this again" >&2
      exit 1
      ;;
  esac
  ((SECONDS < deadline)) || { echo "the Job $job neither completed nor failed in 15 minutes" >&2; exit 1; }
  sleep 3
done
# The Jobs of earlier releases are done with.
kubectl -n r-cycle delete job -l app.kubernetes.io/name=db-init --field-selector "metadata.name!=$job" --ignore-not-found >/dev/null
for d in svc-users svc-listings svc-claims gateway; do kubectl -n r-cycle rollout status "deployment/$d" --timeout=10m; done
[[ $overlay == production-external-db ]] || kubectl -n r-cycle rollout status statefulset/postgres --timeout=10m
echo "R-Cycle $TAG is running; check: kubectl -n r-cycle get pods,ingress"
