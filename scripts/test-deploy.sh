#!/usr/bin/env bash
# test-deploy.sh - `make test-deploy`: every check of deploy/ that runs on this
# machine (no Kubernetes, no Docker engine, no registry but Debian's and npm's).
#
#   1. render   every overlay of deploy/k8s with kubectl kustomize
#   2. validate every object against the Kubernetes schemas (kubernetes-models),
#               no unknown field, and the policy (limits, probes, non-root,
#               read-only root, capabilities, tokens, tags, Service/NetworkPolicy/
#               PDB/HPA per Deployment, default deny, fsGroupChangePolicy, ingress
#               body size, preStop, HPA-owned replicas, CPU requests, versioned
#               Jobs, schema waits); the Secret from its template; the pins of
#               the kind path (deploy/tools/pins.mjs)
#   3. broken   the checks fail, naming object and field, on broken manifests
#               (deploy/tools/test)
#   4. images   make images: every image, offline, from the debootstrapped base;
#               make bundle: the air-gap bundle, its checksums and archives checked
#   5. podman   the kind overlay played under podman (deploy/podman/play.sh):
#               all ready, the end-to-end API suite through the gateway's
#               Service proxy (with a kill of svc-listings: only its routes
#               fail, and its recovery), then a second
#               replica of svc-users and svc-listings and the requests each got,
#               last fsGroup applied to PostgreSQL's volume as the kubelet does
#               and PostgreSQL restarted on it; everything it made is removed,
#               also on failure
# Prints one line per step with its time, ends with "N passed, N failed".
#
# Environment: RCYCLE_TEST_DEPLOY_SKIP_PODMAN=1 stops after step 3 (no images).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# shellcheck source=../deploy/lib.sh
. deploy/lib.sh
OUT=$RCYCLE_DEPLOY_OUT
RENDERED=$OUT/rendered
OVERLAYS=(kind production production-external-db production-gateway-api podman)
T0=$SECONDS

# shellcheck source=scripts/steps.sh
. "$ROOT/scripts/steps.sh"

summary() { print_steps "summary (test-deploy: $((SECONDS - T0)) s)"; }

do_tools() {
  [[ ${RCYCLE_TEST_DEPLOY_SKIP_PODMAN:-0} == 1 ]] || deploy_container_tools
  command -v kubectl >/dev/null || {
    echo "kubectl is missing: it renders the overlays (kubectl >= 1.27, kustomize v5)" >&2
    return 1
  }
  command -v node >/dev/null || scripts/deps.sh
  (cd deploy/tools && npm ci --no-audit --no-fund --silent)
}

do_render() {
  mkdir -p "$RENDERED"
  local o
  for o in "${OVERLAYS[@]}"; do
    kubectl kustomize "deploy/k8s/overlays/$o" >"$RENDERED/$o.yaml" || {
      echo "kubectl kustomize deploy/k8s/overlays/$o failed" >&2
      return 1
    }
    echo "rendered $o: $(grep -c '^kind:' "$RENDERED/$o.yaml") objects -> $RENDERED/$o.yaml"
  done
  # Email through the site's relay is a component an operator adds
  # (components/mail): production with it, checked like an overlay.
  local mail=$RENDERED/production-mail
  mkdir -p "$mail"
  local k8s
  k8s=$(realpath --relative-to="$mail" "$ROOT/deploy/k8s") # kustomize takes no absolute path
  printf '%s\n' 'apiVersion: kustomize.config.k8s.io/v1beta1' 'kind: Kustomization' 'namespace: r-cycle' 'resources:' \
    "  - $k8s/overlays/production" 'components:' "  - $k8s/components/mail" >"$mail/kustomization.yaml"
  kubectl kustomize "$mail" >"$RENDERED/production-mail.yaml" || {
    echo "kubectl kustomize production + components/mail failed" >&2
    return 1
  }
  grep -q 'name: svc-users-smtp-egress' "$RENDERED/production-mail.yaml" || {
    echo "production + components/mail has no svc-users-smtp-egress" >&2
    return 1
  }
}

do_validate() {
  local o files=()
  for o in "${OVERLAYS[@]}" production-mail; do files+=("$RENDERED/$o.yaml"); done
  node deploy/tools/check-manifests.mjs --policy "${files[@]}" || return 1
  # What the kind path fetches: pinned by version and digest.
  node deploy/tools/pins.mjs || return 1
  # The Secret as deploy/secret.sh makes it (schema only: it is not an overlay).
  deploy/secret.sh >"$RENDERED/secret.check.yaml"
  node deploy/tools/check-manifests.mjs "$RENDERED/secret.check.yaml"
  local rc=$?
  rm -f "$RENDERED/secret.check.yaml"
  return $rc
}

do_broken() {
  node --test --test-reporter=spec deploy/tools/test/
}

do_images() {
  deploy/images/build.sh
}

# The air-gap bundle: written, its checksums hold, every archive reads.
do_bundle() {
  deploy/bundle.sh || return 1
  local dir=$OUT/bundle/rcycle-$RCYCLE_IMAGE_TAG a
  (cd "$dir" && sha256sum --quiet -c SHA256SUMS) || return 1
  (cd "$OUT/bundle" && sha256sum --quiet -c "rcycle-$RCYCLE_IMAGE_TAG.tar.sha256") || return 1
  for a in "$dir"/images/*.tar; do
    skopeo inspect "docker-archive:$a" >/dev/null || { echo "$a: not a readable image archive" >&2; return 1; }
  done
  grep -q "image: registry.example.internal/rcycle/gateway:$RCYCLE_IMAGE_TAG" "$dir/manifests/production.yaml"
}

# The suite's white-box tests run host-built programs: two tools (rpc-probe,
# rcycle-admin) and a private svc-listings (admin-liveness.test.mjs).
do_host_tools() {
  local build=${BUILD_DIR:-build}
  [[ -x $build/test/tools/rpc-probe && -x $build/db/rcycle-admin && -x $build/svc-listings/svc-listings ]] && return 0
  scripts/deps.sh
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$build" -j "$(nproc)" --target rpc-probe rcycle-admin svc-listings
}

do_podman() {
  deploy/podman/play.sh all
}

main() {
  trap 'echo interrupted >&2; summary; exit 130' INT TERM
  if ! step "tools (podman, buildah, kubectl, node modules)" do_tools; then
    summary
    exit 1
  fi
  if step "render every overlay (kubectl kustomize)" do_render; then
    step "validate: schemas, unknown fields, policy" do_validate || true
  else
    skip "validate" "render failed"
  fi
  step "broken manifests fail the checks, naming object and field" do_broken || true
  if [[ ${RCYCLE_TEST_DEPLOY_SKIP_PODMAN:-0} == 1 ]]; then
    skip "images" "RCYCLE_TEST_DEPLOY_SKIP_PODMAN=1"
    skip "podman" "RCYCLE_TEST_DEPLOY_SKIP_PODMAN=1"
  elif step "make images (offline)" do_images; then
    step "make bundle: archives, manifests, checksums" do_bundle || true
    if step "host programs of the suite (rpc-probe, rcycle-admin, svc-listings)" do_host_tools; then
      step "podman: play the kind overlay, end-to-end suite, load spreading" do_podman || true
    else
      skip "podman" "host tools did not build"
    fi
  else
    skip "podman" "images did not build"
  fi
  summary
  ((FAILED == 0))
}

main "$@"
