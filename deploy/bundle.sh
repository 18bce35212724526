#!/usr/bin/env bash
# bundle.sh - `make bundle`: the air-gap bundle of one release, for a site
# whose cluster cannot reach the internet. Run after make images.
#
#   build-deploy/bundle/rcycle-TAG/
#     images/NAME-TAG.tar        podman save --format docker-archive (docker load,
#                                skopeo, ctr import and kind load all read it)
#     manifests/production.yaml  the rendered overlays, images named
#     manifests/production-external-db.yaml   registry.example.internal/rcycle/NAME:TAG
#     k8s/                       the kustomize tree, for a site that adjusts more
#     secret.sh, k8s/secret.template.yaml     makes the Secret rcycle-db
#     tls.sh, certs.sh           make the site's RPC CA and the Secrets rcycle-rpc-tls-*
#     load-and-apply.sh          pushes the images to the site's registry, names
#                                it in the manifests, applies them, waits
#     SHA256SUMS                 of every file above
#   build-deploy/bundle/rcycle-TAG.tar   all of it in one file (+ .sha256)
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

name=rcycle-$RCYCLE_IMAGE_TAG
dir=$RCYCLE_DEPLOY_OUT/bundle/$name
rm -rf "$dir"
mkdir -p "$dir/images" "$dir/manifests"
t0=$SECONDS

for image in "${SHIP_IMAGES[@]}"; do
  ref=$(image_ref "$image")
  podman image exists "$ref" || deploy_die "$ref is missing: make images"
  podman save -q --format docker-archive -o "$dir/images/$image-$RCYCLE_IMAGE_TAG.tar" "$ref" >/dev/null
done
for o in production production-external-db production-gateway-api; do
  kubectl kustomize "$DEPLOY_DIR/k8s/overlays/$o" >"$dir/manifests/$o.yaml"
done
cp -a "$DEPLOY_DIR/k8s" "$dir/k8s"
cp "$DEPLOY_DIR/secret.sh" "$dir/secret.sh"
sed -i 's|^TEMPLATE=.*|TEMPLATE=$HERE/k8s/secret.template.yaml|' "$dir/secret.sh"
install -m 0755 "$DEPLOY_DIR/tls.sh" "$dir/tls.sh"
install -m 0755 "$DEPLOY_ROOT/scripts/certs.sh" "$dir/certs.sh"
install -m 0755 "$DEPLOY_DIR/bundle/load-and-apply.sh" "$dir/load-and-apply.sh"
sed -i "s|^TAG=.*|TAG=$RCYCLE_IMAGE_TAG|" "$dir/load-and-apply.sh"
cp "$DEPLOY_DIR/README.md" "$dir/README.md"
(cd "$dir" && find . -type f ! -name SHA256SUMS -printf '%P\n' | sort | xargs sha256sum >SHA256SUMS)
tar -C "$RCYCLE_DEPLOY_OUT/bundle" -cf "$RCYCLE_DEPLOY_OUT/bundle/$name.tar" "$name"
(cd "$RCYCLE_DEPLOY_OUT/bundle" && sha256sum "$name.tar" >"$name.tar.sha256")
echo "bundle: $RCYCLE_DEPLOY_OUT/bundle/$name.tar ($(du -h "$RCYCLE_DEPLOY_OUT/bundle/$name.tar" | cut -f1), $((SECONDS - t0)) s)"
(cd "$dir" && du -h images/*.tar)
