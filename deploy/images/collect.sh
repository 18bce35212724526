#!/usr/bin/env bash
# collect.sh OUT - runs inside the builder image (Containerfile.builder): lays
# out OUT/<image>/ for every runtime image, each a complete root file system
# for FROM scratch: the image's programs, every shared library they load
# (ldd, recursively, ld.so included), /etc/passwd and /etc/group naming the
# numeric user, nsswitch.conf, and the image's data files. No shell, no
# package manager: only what the programs need.
set -euo pipefail
OUT=${1:?usage: collect.sh OUT}
BUILD=${BUILD:-/build}
DATA=${DATA:-/data} # gateway/ui, db/bootstrap.sql, db/audit_seal.sql, db/migrations, db/seed
APP_UID=10001
PG_UID=999
PGBIN=/usr/lib/postgresql/15/bin
PGLIB=/usr/lib/postgresql/15/lib

# Copies file $2 (absolute path in this system) into root $1 at the same path,
# following symlinks; the directory part is resolved (merged /usr).
put() {
  local root=$1 src=$2 dir
  dir=$(readlink -f "$(dirname "$src")")
  mkdir -p "$root$dir"
  cp -L --preserve=mode "$src" "$root$dir/$(basename "$src")"
}

# Copies every shared library the ELF files "${@:2}" load into root $1.
put_libs() {
  local root=$1 lib
  shift
  while read -r lib; do
    [[ -n $lib ]] && put "$root" "$lib"
  done < <(for f in "$@"; do ldd "$f" 2>/dev/null; done |
    awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}' | sort -u)
}

# The skeleton every image has: merged-/usr links, /etc files, /tmp.
skeleton() {
  local root=$1 uid=$2 name=$3
  mkdir -p "$root"/usr/bin "$root"/usr/lib/x86_64-linux-gnu "$root"/usr/lib64 "$root"/etc "$root"/tmp
  chmod 1777 "$root/tmp"
  ln -sfn usr/bin "$root/bin"
  ln -sfn usr/lib "$root/lib"
  ln -sfn usr/lib64 "$root/lib64"
  ln -sfn usr/bin "$root/sbin"
  printf 'root:x:0:0:root:/nonexistent:/usr/sbin/nologin\n%s:x:%s:%s:%s:/nonexistent:/usr/sbin/nologin\n' \
    "$name" "$uid" "$uid" "$name" >"$root/etc/passwd"
  printf 'root:x:0:\n%s:x:%s:\n' "$name" "$uid" >"$root/etc/group"
  printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$root/etc/nsswitch.conf"
  # TLS to a managed PostgreSQL: sslrootcert=/etc/ssl/certs/ca-certificates.crt
  mkdir -p "$root/etc/ssl/certs"
  cp -L /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/"
}

rm -rf "$OUT"
mkdir -p "$OUT"

# --- the four processes and the migrate tool ---------------------------------
declare -A BIN=(
  [gateway]=$BUILD/gateway/rcycle-gateway
  [svc-users]=$BUILD/svc-users/svc-users
  [svc-listings]=$BUILD/svc-listings/svc-listings
  [svc-claims]=$BUILD/svc-claims/svc-claims
  [migrate]=$BUILD/db/rcycle-migrate
)
for image in "${!BIN[@]}"; do
  root=$OUT/$image
  skeleton "$root" "$APP_UID" rcycle
  install -m 0755 "${BIN[$image]}" "$root/usr/bin/"
  put_libs "$root" "${BIN[$image]}"
done
mkdir -p "$OUT/gateway/usr/share/rcycle"
cp -a "$DATA/gateway/ui" "$OUT/gateway/usr/share/rcycle/ui"
# The operator commands ride along with the migrate tool, where the tree has them.
if [[ -x $BUILD/db/rcycle-admin ]]; then
  install -m 0755 "$BUILD/db/rcycle-admin" "$OUT/migrate/usr/bin/"
  put_libs "$OUT/migrate" "$BUILD/db/rcycle-admin"
fi
mkdir -p "$OUT/migrate/usr/share/rcycle/db"
cp "$DATA/db/bootstrap.sql" "$DATA/db/audit_seal.sql" "$OUT/migrate/usr/share/rcycle/db/"
cp -a "$DATA/db/migrations" "$DATA/db/seed" "$OUT/migrate/usr/share/rcycle/db/"

# --- postgres: server, initdb, psql, pg_isready, pg_dump/pg_restore -----------
root=$OUT/postgres
skeleton "$root" "$PG_UID" postgres
progs=(postgres initdb pg_ctl psql pg_isready pg_dump pg_restore pg_dumpall)
mkdir -p "$root$PGBIN" "$root$PGLIB" "$root/usr/share/postgresql/15"
for p in "${progs[@]}"; do cp -L "$PGBIN/$p" "$root$PGBIN/"; done
# Server modules, without the LLVM JIT (jit=off: it would add ~100 MB).
(cd "$PGLIB" && find . -maxdepth 1 -name '*.so' ! -name 'llvmjit*' -exec cp -L {} "$root$PGLIB/" \;)
cp -a /usr/share/postgresql/15/. "$root/usr/share/postgresql/15/"
rm -rf "$root/usr/share/postgresql/15/man"
# Time zones (Debian's PostgreSQL uses the system's), without the right/ and posix/ copies.
mkdir -p "$root/usr/share/zoneinfo"
(cd /usr/share/zoneinfo && tar -c --exclude=./right --exclude=./posix . | tar -C "$root/usr/share/zoneinfo" -x)
install -m 0755 /usr/local/bin/rcycle-pg "$root/usr/bin/rcycle-pg"
# The clusters' character classes (initdb --lc-ctype=C.UTF-8: lower() and
# the search index on non-ASCII text): glibc loads them from here.
mkdir -p "$root/usr/lib/locale"
cp -a /usr/lib/locale/C.utf8 "$root/usr/lib/locale/"
# initdb runs `postgres -V` and the bootstrap backend through popen(): /bin/sh.
cp -L /usr/bin/dash "$root/usr/bin/dash"
ln -sfn dash "$root/usr/bin/sh"
put_libs "$root" "$root$PGBIN"/* "$root$PGLIB"/*.so "$root/usr/bin/rcycle-pg" "$root/usr/bin/dash"
mkdir -p "$root/var/lib/postgresql/data" "$root/var/run/postgresql"
chown -R "$PG_UID:$PG_UID" "$root/var/lib/postgresql" "$root/var/run/postgresql"
chmod 0700 "$root/var/lib/postgresql/data"

# --- svc-proxy (tests only): haproxy standing in for kube-proxy under podman ---
root=$OUT/svc-proxy
skeleton "$root" "$APP_UID" rcycle
cp -L /usr/sbin/haproxy "$root/usr/bin/haproxy"
put_libs "$root" /usr/sbin/haproxy

for image in "$OUT"/*/; do
  printf 'collect.sh: %-14s %s\n' "$(basename "$image")" "$(du -sh "$image" | cut -f1)"
done
