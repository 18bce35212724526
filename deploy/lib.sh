# deploy/lib.sh - settings shared by the scripts of deploy/ (sourced, not run).
# shellcheck shell=bash disable=SC2034
#
#   RCYCLE_IMAGE_TAG      tag of every image (default: the project version of
#                         CMakeLists.txt, e.g. 0.1.0; never "latest")
#   RCYCLE_IMAGE_PREFIX   name prefix of the images (default localhost/rcycle)
#   RCYCLE_DEPLOY_OUT     where archives, bundles and logs go (default build-deploy)
#   CONTAINERS_CONF       podman/buildah configuration (default deploy/podman/containers.conf)

DEPLOY_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DEPLOY_DIR=$DEPLOY_ROOT/deploy
export CONTAINERS_CONF=${CONTAINERS_CONF:-$DEPLOY_DIR/podman/containers.conf}

project_version() {
  sed -nE 's/^project\(rcycle VERSION ([0-9][0-9.]*).*/\1/p' "$DEPLOY_ROOT/CMakeLists.txt" | head -n 1
}

RCYCLE_IMAGE_TAG=${RCYCLE_IMAGE_TAG:-$(project_version)}
RCYCLE_IMAGE_PREFIX=${RCYCLE_IMAGE_PREFIX:-localhost/rcycle}
RCYCLE_DEPLOY_OUT=${RCYCLE_DEPLOY_OUT:-$DEPLOY_ROOT/build-deploy}
BASE_IMAGE=localhost/debian-base:bookworm
BUILDER_IMAGE=$RCYCLE_IMAGE_PREFIX/builder:$RCYCLE_IMAGE_TAG

# The images that ship: one per process (the migrate tool has its own), and PostgreSQL.
SHIP_IMAGES=(gateway svc-users svc-listings svc-claims migrate postgres)

image_ref() { echo "$RCYCLE_IMAGE_PREFIX/$1:$RCYCLE_IMAGE_TAG"; }

deploy_die() {
  echo "${0##*/}: $*" >&2
  exit 1
}
deploy_note() { echo "${0##*/}: $*" >&2; }

[[ -n $RCYCLE_IMAGE_TAG && $RCYCLE_IMAGE_TAG != latest ]] ||
  deploy_die "RCYCLE_IMAGE_TAG must be a version, not '${RCYCLE_IMAGE_TAG}'"

# Installs the Debian packages named in "$@" that are missing (quietly).
deploy_apt_install() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null | grep -q '^ii' || missing+=("$p")
  done
  ((${#missing[@]} == 0)) && return 0
  deploy_note "installing ${missing[*]}"
  local log
  log=$(mktemp /tmp/rcycle-deploy-apt.XXXXXX)
  if ! { DEBIAN_FRONTEND=noninteractive apt-get update -q &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    deploy_die "apt-get install ${missing[*]} failed"
  fi
  rm -f "$log"
}

# podman, buildah and the tools the image build needs, named one by one:
# apt installs without recommends here, and `podman kube play` needs two of
# podman's recommends. catatonit is what podman builds its pause image from
# (every pod has one); the CNI dnsname plugin lets the pods of a podman network
# resolve each other as NAME.dns.podman (the Service proxies dial the
# replicas so). deploy/podman/containers.conf fixes the network backend to
# CNI, so that a machine with netavark but no aardvark-dns plays the same.
DEPLOY_CONTAINER_PACKAGES=(podman buildah runc skopeo debootstrap uidmap ca-certificates debian-archive-keyring curl
  catatonit containernetworking-plugins golang-github-containernetworking-plugin-dnsname iptables)
deploy_container_tools() {
  deploy_apt_install "${DEPLOY_CONTAINER_PACKAGES[@]}"
}
