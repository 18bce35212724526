#!/usr/bin/env bash
# base.sh - makes the Debian 12 base image every image of R-Cycle starts from,
# offline from any container registry: debootstrap (minbase) from the Debian
# mirror apt already uses on this machine, imported into podman as
# localhost/debian-base:bookworm. Does nothing when the image exists (pass
# --force to make it again). About 30 s.
set -euo pipefail
# shellcheck source=../lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

force=0
[[ ${1:-} == --force ]] && force=1

if ((force == 0)) && podman image exists "$BASE_IMAGE"; then
  exit 0
fi

# The Debian mirror apt uses here (deb822 .sources files or one-line .list).
debian_mirror() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -f $f ]] || continue
    awk '/^URIs:/ {u=$2} /^Suites:/ && $0 ~ /bookworm( |$)/ {print u; exit}' "$f"
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -f $f ]] || continue
    awk '$1 == "deb" && $3 == "bookworm" {print $2; exit}' "$f"
  done
}
security_mirror() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -f $f ]] || continue
    awk '/^URIs:/ {u=$2} /^Suites:/ && /bookworm-security/ {print u; exit}' "$f"
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -f $f ]] || continue
    awk '$1 == "deb" && $3 == "bookworm-security" {print $2; exit}' "$f"
  done
}

# On a Debian 12 machine: the mirror apt uses. Elsewhere (a CI runner on
# another distribution): RCYCLE_DEBIAN_MIRROR, else debootstrap's own default.
mirror=${RCYCLE_DEBIAN_MIRROR:-$(debian_mirror | head -n 1)}
security=${RCYCLE_DEBIAN_SECURITY_MIRROR:-$(security_mirror | head -n 1)}
keyring=()
[[ -f /usr/share/keyrings/debian-archive-keyring.gpg ]] && keyring=(--keyring=/usr/share/keyrings/debian-archive-keyring.gpg)

root=$(mktemp -d /tmp/rcycle-debootstrap.XXXXXX)
trap 'rm -rf "$root"' EXIT
log=$root.log
echo "base.sh: debootstrap --variant=minbase bookworm from the local apt mirror" >&2
if ! debootstrap "${keyring[@]}" --variant=minbase bookworm "$root" ${mirror:+"$mirror"} >"$log" 2>&1; then
  tail -n 30 "$log" >&2
  deploy_die "debootstrap failed (log: $log)"
fi
rm -f "$log"
[[ -n $mirror ]] || mirror=$(awk '$1 == "deb" {print $2; exit}' "$root/etc/apt/sources.list")
{
  echo "deb $mirror bookworm main"
  echo "deb $mirror bookworm-updates main"
  [[ -n $security ]] && echo "deb $security bookworm-security main"
} >"$root/etc/apt/sources.list"
# Smaller images and quieter builds: no docs, no recommends, no apt caches.
cat >"$root/etc/dpkg/dpkg.cfg.d/01-rcycle-nodoc" <<'CFG'
path-exclude /usr/share/doc/*
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
CFG
cat >"$root/etc/apt/apt.conf.d/01-rcycle" <<'CFG'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
CFG
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
tar -C "$root" -c . | podman import --quiet --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' --change 'CMD ["/bin/bash"]' - "$BASE_IMAGE" >/dev/null
echo "base.sh: made $BASE_IMAGE" >&2
