#!/usr/bin/env bash
# bench/audit.sh - the audit rows of `make bench` (bench/run.sh runs it on its
# stack and adds its Markdown to the report; docs/AUDIT.md):
#   1. the write path before and after the chain: pgbench runs a transaction
#      that changes a row and appends one event, into a copy of users.events
#      without the chain trigger (before) and into users.events itself
#      (after), with one client and with BENCH_AUDIT_CLIENTS at once;
#   2. fills the chains to BENCH_AUDIT_EVENTS events (default 1000000,
#      bench/audit_fill.sql) and measures GET /api/audit's first page with
#      wrk for each filter (p99 must stay within 50 ms);
#   3. streams GET /api/audit/export of every event while sampling the
#      gateway's RSS, then checks the export with rcycle-admin verify-audit.
# Needs GATEWAY_URL, RUN_DIR, RCYCLE_ADMIN_DATABASE_URL, BUILD_DIR and a
# token of a security or admin user in BENCH_TOKEN.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
EVENTS=${BENCH_AUDIT_EVENTS:-1000000}
CLIENTS=${BENCH_AUDIT_CLIENTS:-8}
SECONDS_=${BENCH_AUDIT_SECONDS:-10}
# The issue's goal for a filtered first page at 1M events (docs/AUDIT.md).
P99_CEILING_MS=50
DB=$RCYCLE_ADMIN_DATABASE_URL
TMP=$(mktemp -d /tmp/rcycle-bench-audit.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

psql_() { "$PG_BIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 "$@" "$DB"; }

# --- 1. the write path -------------------------------------------------------------

# Prints "tps p50 p99" of bench/audit_write.sql against table $1.
write_path() {
  local table=$1 clients=$2 out=$TMP/pgb-$1-$2
  "$PG_BIN/pgbench" -n -c "$clients" -j "$clients" -T "$SECONDS_" -D table="$table" \
    -f bench/audit_write.sql -l --log-prefix="$out" "$DB" >"$out.txt" 2>&1 || {
    cat "$out.txt" >&2
    echo "0 - -"
    return
  }
  local tps
  tps=$(awk '/^tps = / {printf "%.0f", $3}' "$out.txt")
  cat "$out".* 2>/dev/null | pgbench_percentiles "$tps"
  rm -f "$out".*
}

bench_write_path() {
  psql_ -c "CREATE TABLE IF NOT EXISTS public.bench_events_plain
              (LIKE users.events INCLUDING DEFAULTS INCLUDING INDEXES)" \
    -c "ALTER TABLE public.bench_events_plain ALTER COLUMN seq DROP NOT NULL,
          ALTER COLUMN prev_hash DROP NOT NULL, ALTER COLUMN hash DROP NOT NULL" \
    -c "ALTER TABLE public.bench_events_plain DROP CONSTRAINT IF EXISTS bench_events_plain_seq_key" \
    -c "CREATE TABLE IF NOT EXISTS public.bench_rows (id int PRIMARY KEY, n bigint NOT NULL)" \
    -c "INSERT INTO public.bench_rows SELECT g, 0 FROM generate_series(1, 1000) g ON CONFLICT DO NOTHING"
  echo "| write path: change a row + append an event | clients | tx/s | p50 ms | p99 ms |"
  echo "|---|---:|---:|---:|---:|"
  local c r
  for c in 1 "$CLIENTS"; do
    read -r -a r <<<"$(write_path public.bench_events_plain "$c")"
    echo "| before: no chain (plain table) | $c | ${r[0]} | ${r[1]} | ${r[2]} |"
    read -r -a r <<<"$(write_path users.events "$c")"
    echo "| after: hash chain (users.events, head row locked) | $c | ${r[0]} | ${r[1]} | ${r[2]} |"
  done
  echo
}

# --- 2. the list at 1M events --------------------------------------------------------

fill_events() {
  local have
  have=$(psql_ -c "SELECT (SELECT count(*) FROM users.events) + (SELECT count(*) FROM listings.events)
                          + (SELECT count(*) FROM claims.events)")
  if ((have < EVENTS)); then
    echo "audit: adding $((EVENTS - have)) synthetic events (bench/audit_fill.sql)" >&2
    local started=$SECONDS
    psql_ -v rows="$((EVENTS - have))" -f bench/audit_fill.sql >&2
    echo "audit: filled in $((SECONDS - started)) s" >&2
  fi
  local t
  for t in users.events listings.events claims.events users.audit_head listings.audit_head \
    claims.audit_head; do
    psql_ -c "VACUUM ANALYZE $t" >&2
  done
}

list_row() {
  local label=$1 query=$2 out=$TMP/wrk.txt headers total exact
  headers=$(curl -sS -o /dev/null -D - -H "Authorization: Bearer $BENCH_TOKEN" "$GATEWAY_URL/api/audit?$query")
  total=$(awk -F': ' 'tolower($1) == "x-total-count" {print $2+0}' <<<"$headers")
  # A capped count is a lower bound (X-Total-Count-Exact: false).
  exact=$(awk -F': ' 'tolower($1) == "x-total-count-exact" && $2 ~ /^false/ {print "+"}' <<<"$headers")
  wrk -t2 -c4 -d"${SECONDS_}s" --latency -H "Authorization: Bearer $BENCH_TOKEN" \
    "$GATEWAY_URL/api/audit?$query" >"$out"
  local rps p50 p99 non2xx
  rps=$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' "$out")
  p50=$(to_ms "$(awk '$1 == "50%" {print $2}' "$out")")
  p99=$(to_ms "$(awk '$1 == "99%" {print $2}' "$out")")
  non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' "$out")
  local within load
  # The machine's 1-minute load average after the row: p99 on a shared
  # machine follows it more than the query.
  load=$(cut -d' ' -f1 /proc/loadavg)
  within=$(awk -v p="$p99" -v c="$P99_CEILING_MS" 'BEGIN {print (p != "" && p + 0 <= c) ? "yes" : "**no**"}')
  echo "| $label | \`$query\` | ${total:-?}$exact | $rps | $p50 | $p99 | $P99_CEILING_MS | $within | ${non2xx:-0} | $load |"
}

bench_list() {
  local count
  count=$(psql_ -c "SELECT (SELECT count(*) FROM users.events) + (SELECT count(*) FROM listings.events)
                          + (SELECT count(*) FROM claims.events)")
  echo "$count audit events in the three chains. GET /api/audit, first page (limit 100), wrk 4 connections, ${SECONDS_} s each; the ceiling is p99 <= $P99_CEILING_MS ms for a filtered page. Matches: X-Total-Count, \"+\" where it is a lower bound (each chain counts up to 1000 past the page)."
  echo
  echo "| filter | query | matches | req/s | p50 ms | p99 ms | p99 ceiling ms | within | non-2xx | load avg ($(nproc) CPUs) |"
  echo "|---|---|---:|---:|---:|---:|---:|---|---:|---:|"
  list_row "actor" "actor=bench-user-17%40bench.example"
  list_row "entity + id" "entity=claim&entityId=1000004242"
  list_row "action (one chain's)" "action=bench_approved"
  list_row "time window (1 h)" "from=$(date -u -d '-2 hours' +%FT%TZ)&to=$(date -u -d '-1 hours' +%FT%TZ)"
  list_row "actor + time window" "actor=bench-user-17%40bench.example&from=$(date -u -d '-30 days' +%FT%TZ)"
  list_row "none (whole trail)" "limit=100"
  echo
}

# --- 3. the export ---------------------------------------------------------------------

bench_export() {
  local pid rss peak=0 started ended bytes lines verify
  pid=$(cat "$RUN_DIR/gateway.pid")
  local before
  before=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status")
  started=$(date +%s.%N)
  curl -sS -H "Authorization: Bearer $BENCH_TOKEN" "$GATEWAY_URL/api/audit/export" -o "$TMP/export.ndjson" &
  local curl_pid=$!
  while kill -0 "$curl_pid" 2>/dev/null; do
    rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status")
    ((rss > peak)) && peak=$rss
    sleep 0.2
  done
  wait "$curl_pid"
  ended=$(date +%s.%N)
  bytes=$(stat -c %s "$TMP/export.ndjson")
  lines=$(wc -l <"$TMP/export.ndjson")
  local vstart vend
  vstart=$(date +%s.%N)
  if verify=$("$BUILD_DIR/db/rcycle-admin" verify-audit "$TMP/export.ndjson" 2>&1); then
    verify="verifies"
  else
    verify="FAILS: $(tail -1 <<<"$verify")"
  fi
  vend=$(date +%s.%N)
  echo "| export | events | MiB | seconds | events/s | gateway RSS before MiB | gateway RSS peak during MiB | verify-audit |"
  echo "|---|---:|---:|---:|---:|---:|---:|---|"
  awk -v l="$lines" -v b="$bytes" -v s="$started" -v e="$ended" -v r0="$before" -v rp="$peak" \
    -v v="$verify" -v vs="$vstart" -v ve="$vend" 'BEGIN {
      printf "| GET /api/audit/export (NDJSON, streamed) | %d | %.1f | %.1f | %.0f | %.1f | %.1f | %s in %.1f s |\n",
        l, b / 1048576, e - s, l / (e - s), r0 / 1024, rp / 1024, v, ve - vs }'
  echo
}

echo "### Audit trail"
echo
bench_write_path
fill_events
bench_list
bench_export
