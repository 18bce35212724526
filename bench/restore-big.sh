#!/usr/bin/env bash
# restore-big.sh - `make test-restore-big`: how long the backup and the restore
# procedure take for a large database, for the RPO/RTO of deploy/README.md.
# Not in CI (a few minutes on 2 cores).
#
# A private PostgreSQL (.data/bench-restore/src), migrated and seeded, gets
# BENCH_RESTORE_LISTINGS synthetic listings (bench/fill.sql, default 100000)
# and BENCH_RESTORE_EVENTS listing events (default 1000000); the backup is
# taken as the CronJob takes it, the source stopped, and the restore procedure
# (scripts/restore-lib.sh, the same as scripts/test-restore.sh) run on a fresh
# cluster (.data/bench-restore/dst); then the services start on it (without
# the seed) and answer. Prints a Markdown table of the times; every cluster
# and process it started is stopped on exit.
set -euo pipefail
umask 022

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
export BUILD_DIR=${BUILD_DIR:-build}
LISTINGS=${BENCH_RESTORE_LISTINGS:-100000}
EVENTS=${BENCH_RESTORE_EVENTS:-1000000}
OFFSET=${RCYCLE_RESTORE_PORT_OFFSET:-45}
SRC=$ROOT/.data/bench-restore/src
DST=$ROOT/.data/bench-restore/dst
WORK=$ROOT/.data/bench-restore/work
# shellcheck source=scripts/restore-lib.sh
. scripts/restore-lib.sh

stop_all() {
  RCYCLE_DATA_DIR=$DST scripts/stack.sh stop >/dev/null 2>&1 || true
  RCYCLE_DATA_DIR=$DST scripts/pg.sh stop >/dev/null 2>&1 || true
  RCYCLE_DATA_DIR=$SRC scripts/pg.sh stop >/dev/null 2>&1 || true
}
trap stop_all EXIT
note() { echo "restore-big: $*" >&2; }
psql_at() { psql -X -q -At -v ON_ERROR_STOP=1 --dbname="$@"; }

main() {
  stop_all
  rm -rf "$SRC" "$DST" "$WORK"
  mkdir -p "$WORK"

  note "source: migrate, seed, $LISTINGS listings, $EVENTS events"
  RCYCLE_DATA_DIR=$SRC scripts/pg.sh start >/dev/null
  local src dst
  src=$(RCYCLE_DATA_DIR=$SRC scripts/pg.sh url)
  DATABASE_URL=$src "$BUILD_DIR/db/rcycle-migrate" --dir db/migrations --seed db/seed >/dev/null
  psql_at "$src" -v rows="$LISTINGS" -f bench/fill.sql >/dev/null
  # Events spread over the synthetic listings, as their edits would write them.
  psql_at "$src" -v events="$EVENTS" >/dev/null <<'SQL'
INSERT INTO listings.events (listing_id, actor_id, actor_department, action, from_status, to_status, note)
SELECT l.id, 1, l.department, 'updated', 'available', 'available', 'bench event ' || g
  FROM generate_series(1, :events) AS g
  JOIN (SELECT id, department, row_number() OVER (ORDER BY id) AS n FROM listings.listings) l
    ON l.n = 1 + g % (SELECT count(*) FROM listings.listings);
ANALYZE;
SQL
  local size
  size=$(psql_at "$src" -c "SELECT pg_size_pretty(pg_database_size(current_database()))")

  build_rcycle_pg
  local t0 t1 t2 t3 t4 dump
  t0=$(now_s)
  dump=$(backup_as_cronjob "$src" "$WORK/backup")
  t1=$(now_s)
  table_counts "$src" >"$WORK/counts.before"
  RCYCLE_DATA_DIR=$SRC scripts/pg.sh stop >/dev/null

  note "restore into a fresh PostgreSQL"
  RCYCLE_DATA_DIR=$DST scripts/pg.sh start >/dev/null
  dst=$(RCYCLE_DATA_DIR=$DST scripts/pg.sh url)
  t2=$(now_s)
  restore_database "$dst" "$dump"
  t3=$(now_s)
  table_counts "$dst" >"$WORK/counts.after"
  diff -u "$WORK/counts.before" "$WORK/counts.after" >&2 || { note "row counts differ"; return 1; }
  env RCYCLE_DATA_DIR="$DST" RCYCLE_PORT_OFFSET="$OFFSET" PORT=$((3100 + OFFSET)) RCYCLE_STACK_SEED=0 \
    RCYCLE_START_TIMEOUT=120 scripts/stack.sh start >/dev/null
  local code
  code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$((3100 + OFFSET))/readyz")
  t4=$(now_s)
  [[ $code == 200 ]] || { note "the restored stack is not ready ($code)"; return 1; }

  echo "| database | listings | listing events | dump file | dump (rcycle-pg dump) | restore (db-init + pg_restore) | services ready | restore to ready |"
  echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
  echo "| $size | $(grep '^listings.listings ' "$WORK/counts.after" | cut -d' ' -f2) | $(grep '^listings.events ' "$WORK/counts.after" | cut -d' ' -f2) | $(du -h "$dump" | cut -f1) | $(elapsed "$t0" "$t1") s | $(elapsed "$t2" "$t3") s | $(elapsed "$t3" "$t4") s | $(elapsed "$t2" "$t4") s |"
}

main "$@"
