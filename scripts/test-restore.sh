#!/usr/bin/env bash
# test-restore.sh - `make test-restore` (and one round of `make test`): a
# backup taken as the CronJob takes it restores into a fresh PostgreSQL, and
# the services run on it as before.
#
#   1. a seeded stack (.data/test/restore-src) gets claims in every state
#      (test/restore/seed-claims.mjs), and the API's view of everything is kept
#   2. the backup, exactly as components/backup's CronJob runs it:
#      rcycle-pg dump DIR --keep 48 (deploy/images/rcycle-pg.c, compiled as
#      Containerfile.builder compiles it) as the administrative user
#   3. the source PostgreSQL is stopped: it is gone
#   4. the restore procedure of deploy/README.md ("Restore into a new
#      PostgreSQL") on a fresh cluster (.data/test/restore-dst), timed:
#      rcycle-migrate (db-init), pg_restore --clean --if-exists
#      --single-transaction --exit-on-error, then db-init again and the
#      services (scripts/stack.sh start without the seed)
#   5. the restored stack shows exactly the API view of step 1, the claim
#      invariant holds, it takes a new claim, and the integration suite's
#      read-only files pass against it
# Both stacks use ports shifted by RCYCLE_RESTORE_PORT_OFFSET (default 40:
# gateway 3140), one after the other. Everything it started is stopped on
# exit. Needs a build (BUILD_DIR, default build).
set -euo pipefail
umask 022 # the postgres user must be able to traverse the directories made here

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
export BUILD_DIR=${BUILD_DIR:-build}
OFFSET=${RCYCLE_RESTORE_PORT_OFFSET:-40}
SRC=$ROOT/.data/test/restore-src
DST=$ROOT/.data/test/restore-dst
WORK=$ROOT/.data/test/restore-work
# The read-only files of the integration suite (test/integration/lib.mjs).
READ_CHECKS=(listings hardware errors ops session)

stop_stack() {
  RCYCLE_DATA_DIR=$1 scripts/stack.sh stop >/dev/null 2>&1 || true
  RCYCLE_DATA_DIR=$1 scripts/pg.sh stop >/dev/null 2>&1 || true
}
cleanup() {
  stop_stack "$DST"
  stop_stack "$SRC"
}
trap cleanup EXIT
note() { echo "test-restore: $*"; }
# shellcheck source=scripts/restore-lib.sh
. scripts/restore-lib.sh

start_stack() {
  local dir=$1
  shift
  env RCYCLE_DATA_DIR="$dir" RCYCLE_PORT_OFFSET="$OFFSET" PORT=$((3100 + OFFSET)) \
    RCYCLE_TRUSTED_PROXIES=127.0.0.1 "$@" scripts/stack.sh start >/dev/null
}

# svc-users turns the seeded claims' events into notifications in the
# background, a second or so behind them. The counts compare the source,
# read after the dump, with the restore, so the follower must have applied
# every claim event before the dump: then nothing writes any more while the
# processes keep running.
notifications_caught_up() {
  local i
  for ((i = 0; i < 150; i++)); do
    [[ $(psql -X -At --dbname="$1" -c "SELECT coalesce((SELECT last_seq FROM users.feed_cursors
      WHERE feed = 'claims'), -1) >= (SELECT coalesce(max(seq), 0) FROM claims.events)") == t ]] && return 0
    sleep 0.2
  done
  echo "test-restore: svc-users did not follow the claim events within 30 s" >&2
  return 1
}

main() {
  cleanup
  rm -rf "$SRC" "$DST" "$WORK"
  mkdir -p "$WORK"
  test/integration/install.sh

  note "1. seeded stack with claims in every state"
  start_stack "$SRC"
  RUN_DIR=$SRC/run node test/restore/seed-claims.mjs "$WORK/before.json"
  local src_url
  src_url=$(RCYCLE_DATA_DIR=$SRC scripts/pg.sh url)
  local states
  states=$(psql -X -At --dbname="$src_url" -c "SELECT string_agg(DISTINCT status, ' ' ORDER BY status) FROM claims.claims")
  note "claim states in the database: $states"
  [[ $states == 'approved cancelled denied pending_owner pending_security withdrawn' ]] || {
    echo "test-restore: not every claim state was made" >&2
    return 1
  }

  note "2. backup as the CronJob takes it: rcycle-pg dump /backup --keep 48"
  build_rcycle_pg
  notifications_caught_up "$src_url" || return 1
  # The service processes keep running and writing while it dumps, as in production.
  local dump
  dump=$(backup_as_cronjob "$src_url" "$WORK/backup")
  table_counts "$src_url" >"$WORK/counts.before"

  note "3. the source stack and its PostgreSQL are gone"
  stop_stack "$SRC"

  note "4. restore into a fresh PostgreSQL"
  RCYCLE_DATA_DIR=$DST scripts/pg.sh start >/dev/null
  local dst_url t0 t1
  dst_url=$(RCYCLE_DATA_DIR=$DST scripts/pg.sh url)
  t0=$(now_s)
  restore_database "$dst_url" "$dump"
  t1=$(now_s)
  table_counts "$dst_url" >"$WORK/counts.after"
  diff -u "$WORK/counts.before" "$WORK/counts.after" || {
    echo "test-restore: the restored tables differ in row count" >&2
    return 1
  }
  note "restored $(du -h "$dump" | cut -f1) dump, $(wc -l <"$WORK/counts.after") tables, in $(elapsed "$t0" "$t1") s"
  start_stack "$DST" RCYCLE_STACK_SEED=0

  note "5. the restored stack: same view, invariant, new work, read checks"
  RUN_DIR=$DST/run node test/restore/check-restored.mjs "$WORK/before.json"
  local files=() f
  for f in "${READ_CHECKS[@]}"; do files+=("test/integration/$f.test.mjs"); done
  RUN_DIR=$DST/run STACK_SH=$ROOT/scripts/stack.sh \
    node --test --test-concurrency=1 --test-reporter=spec "${files[@]}"
}

main "$@"
