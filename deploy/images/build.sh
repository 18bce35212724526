#!/usr/bin/env bash
# build.sh - `make images`: builds every image of R-Cycle offline (no
# container registry): the Debian base from debootstrap (base.sh), the one
# builder image that compiles the tree once (Containerfile.builder), then
# each runtime image FROM scratch with its files copied from the builder.
#
#   deploy/images/build.sh [IMAGE...]     default: every image
#
# Images: localhost/rcycle/{gateway,svc-users,svc-listings,svc-claims,migrate,
# postgres}:$RCYCLE_IMAGE_TAG, and svc-proxy (tests only, never shipped).
# Prints each image's size; timings go to build-deploy/images.log too.
set -euo pipefail
# shellcheck source=../lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

images=("$@")
((${#images[@]} > 0)) || images=("${SHIP_IMAGES[@]}" svc-proxy)

deploy_container_tools
started=$SECONDS
"$DEPLOY_DIR/images/base.sh"

# The build context: only what the builder copies, so that a local build
# tree, .data or node_modules never reach podman, in two parts so that the
# layer cache holds: src/ (what the compiler reads; a change recompiles)
# and data/ (the UI, the SQL; a change only re-collects).
ctx=$RCYCLE_DEPLOY_OUT/context
mkdir -p "$RCYCLE_DEPLOY_OUT"
rm -rf "$ctx.new"
mkdir -p "$ctx.new/src" "$ctx.new/data"
tar -C "$DEPLOY_ROOT" -c --exclude=node_modules --exclude='*.o' --exclude=gateway/ui \
  --exclude=test/integration --exclude=test/e2e --exclude='*.mjs' \
  --exclude=db/migrations --exclude=db/seed --exclude='db/*.sql' \
  CMakeLists.txt proto common svc-users svc-listings svc-claims gateway db test tools docs/openapi.yaml |
  tar -C "$ctx.new/src" -x
tar -C "$DEPLOY_ROOT" -c gateway/ui db/bootstrap.sql db/audit_seal.sql db/migrations db/seed | tar -C "$ctx.new/data" -x
tar -C "$DEPLOY_ROOT" -c deploy/images | tar -C "$ctx.new" -x
rm -rf "$ctx"
mv "$ctx.new" "$ctx"

log=$RCYCLE_DEPLOY_OUT/images.log
: >"$log"
build() {
  local tag=$1 file=$2 t0=$SECONDS
  shift 2
  if ! podman build --layers --pull=never -f "$DEPLOY_DIR/images/$file" -t "$tag" "$@" "$ctx" >>"$log" 2>&1; then
    tail -n 40 "$log" >&2
    deploy_die "podman build of $tag failed (log: $log)"
  fi
  printf 'build.sh: built %-44s in %3d s\n' "$tag" $((SECONDS - t0)) | tee -a "$log" >&2
}

# The build packages of scripts/deps.sh, without the fuzzing toolchain.
build_pkgs=$(
  # shellcheck disable=SC1090
  source <(sed -n '/^BUILD_PKGS=(/,/^)/p' "$DEPLOY_ROOT/scripts/deps.sh")
  for p in "${BUILD_PKGS[@]}"; do [[ $p == clang* || $p == libclang* ]] || printf '%s ' "$p"; done
)
[[ -n $build_pkgs ]] || deploy_die "no BUILD_PKGS in scripts/deps.sh"
build "$BUILDER_IMAGE" Containerfile.builder --build-arg "BASE=$BASE_IMAGE" --build-arg "BUILD_PKGS=${build_pkgs% }"
for image in "${images[@]}"; do
  [[ -f $DEPLOY_DIR/images/Containerfile.$image ]] || deploy_die "no Containerfile.$image"
  build "$(image_ref "$image")" "Containerfile.$image" --build-arg "BUILDER=$BUILDER_IMAGE"
done

echo "image sizes:"
for image in "${images[@]}"; do
  podman image inspect --format '{{.Size}}' "$(image_ref "$image")" |
    awk -v n="$(image_ref "$image")" '{printf "  %-44s %6.1f MB\n", n, $1 / 1e6}'
done
echo "make images: $((SECONDS - started)) s (log: $log)"
