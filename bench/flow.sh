#!/usr/bin/env bash
# bench/flow.sh - the claim workflow row of issue 11, beside its ceiling
# measured in the same run, printed as a Markdown table:
#   - BENCH_FLOW_CLIENTS (32) clients through the gateway (bench/flow.mjs),
#     each looping over one flow on a device of its own: post a listing,
#     claim it, approve it as owner, approve it as security reviewer;
#     flows per second and the latency of each write as its client saw it;
#   - pgbench with as many clients running bench/flow.sql, the SQL one flow
#     runs on the request path, one script a flow: the ceiling.
# Beside the first: the CPU time the gateway, the services and PostgreSQL
# spent per flow (pgbench's own backends are gone before they could be
# counted, so its row has none).
#
# It runs its own stack (scripts/stack.sh) from $BUILD_DIR (default build),
# with its data in .data/flow<offset>, on RCYCLE_PORT_OFFSET=BENCH_FLOW_OFFSET
# (default 70: gateway 3070), and stops it at the end.
# Environment: BENCH_SECONDS (10), BENCH_FLOW_CLIENTS (32), BENCH_THREADS (2).
set -euo pipefail
umask 022

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
OFF=${BENCH_FLOW_OFFSET:-70}
SECS=${BENCH_SECONDS:-10}
CLIENTS=${BENCH_FLOW_CLIENTS:-32}
THREADS=${BENCH_THREADS:-2}
PG_BIN=/usr/lib/postgresql/15/bin
PROCS=(gateway svc-users svc-listings svc-claims)
bench_own_stack flow "$OFF"

psql_() { "$PG_BIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 "$@" "$RCYCLE_ADMIN_DATABASE_URL"; }

# Registry devices for the clients: FLOW-<n> for the gateway's, PGFLOW-<n>
# for pgbench's (a serial has one open listing at a time).
add_devices() {
  psql_ -c "INSERT INTO listings.hardware (serial_number, manufacturer, model, category, cpu, ram,
    ports, other, has_storage_media)
    SELECT p || g, 'Dell', 'PowerEdge R640', 'Server', '2x Xeon', '128GB', '4x 1GbE', 'bench/flow.sh',
      false FROM generate_series(1, $CLIENTS) AS g, (VALUES ('FLOW-'), ('PGFLOW-')) AS k (p)"
}

# "a/b/c/d/e": CPU microseconds per flow of each of PROCS and PostgreSQL,
# from two cpu_ticks lines and the number of flows.
cpu_per_flow() {
  awk -v flows="$3" -v hz="$(getconf CLK_TCK)" -v a="$1" -v b="$2" 'BEGIN {
    n = split(a, x, " "); split(b, y, " "); f = 1e6 / hz / (flows > 0 ? flows : 1)
    for (i = 1; i <= n; i++) out = out (i > 1 ? "/" : "") sprintf("%.0f", (y[i] - x[i]) * f)
    print out }'
}

main() {
  rm -rf "$RCYCLE_DATA_DIR"
  echo "flow: starting a stack at offset $OFF (gateway $GATEWAY_URL)" >&2
  scripts/stack.sh start >&2
  set -a
  # shellcheck disable=SC1091 # written by stack.sh start
  . "$RUN_DIR/stack.env"
  set +a
  PG_PID=$(scripts/pg.sh pid)
  add_devices
  local jane bob alice
  read -r jane bob alice < <(psql_ -F ' ' -c "SELECT
    (SELECT id FROM users.accounts WHERE email = 'jane.smith@company.com'),
    (SELECT id FROM users.accounts WHERE email = 'bob.johnson@company.com'),
    (SELECT id FROM users.accounts WHERE email = 'alice.williams@company.com')")

  local t0 t1 rate p50 p99 errors flows steps
  t0=$(cpu_ticks "${PROCS[@]}")
  node bench/flow.mjs "$GATEWAY_URL" "$CLIENTS" "$SECS" >"$TMP/flow.txt"
  t1=$(cpu_ticks "${PROCS[@]}")
  read -r rate p50 p99 errors flows <"$TMP/flow.txt"
  steps=$(tail -n +2 "$TMP/flow.txt")
  local api_cpu
  api_cpu=$(cpu_per_flow "$t0" "$t1" "$flows")

  "$PG_BIN/pgbench" -n -M prepared -c "$CLIENTS" -j "$THREADS" -T "$SECS" \
    -D jane="$jane" -D bob="$bob" -D alice="$alice" -f bench/flow.sql -l \
    --log-prefix="$TMP/pgb" "$RCYCLE_ADMIN_DATABASE_URL" >"$TMP/pgbench.txt" 2>&1 || {
    cat "$TMP/pgbench.txt" >&2
    exit 1
  }
  local tps pg_row
  tps=$(awk '/^tps = / {printf "%.1f", $3}' "$TMP/pgbench.txt")
  pg_row=$(cat "$TMP"/pgb.* | pgbench_percentiles "$tps")

  echo "## Claim workflow, $(date -u +%FT%TZ) ($(git rev-parse --short HEAD), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg))"
  echo
  echo "$CLIENTS clients, ${SECS} s each; latencies in ms (through the gateway: of each write; pgbench: of a whole flow)."
  echo
  echo "| row | flows/s | p50 | p99 | CPU µs/flow gateway/users/listings/claims/postgres | share of the ceiling |"
  echo "|---|---:|---:|---:|---:|---:|"
  local api_p99=$p99
  ((errors == 0)) || api_p99="$p99 ($errors errors)"
  echo "| claim workflow through the gateway (bench/flow.mjs) | $rate | $p50 | $api_p99 | $api_cpu | $(share "$rate" "$tps") |"
  read -r tps p50 p99 <<<"$pg_row"
  echo "| pgbench -M prepared, bench/flow.sql (ceiling) | $tps | $p50 | $p99 | - | - |"
  echo
  echo "| write, through the gateway | p50 | p99 |"
  echo "|---|---:|---:|"
  while read -r step s50 s99; do
    echo "| ${step//_/ } | $s50 | $s99 |"
  done <<<"$steps"
}

main "$@"
