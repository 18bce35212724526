#!/usr/bin/env bash
# bench/speed.sh - the speed rows of issue 11, each beside its ceiling
# measured in the same run, printed as a Markdown table:
#   - GET /api/listings on the 6 seeded rows vs GET /api/me (the gateway
#     answering from its own session cache: its in-loop ceiling);
#   - the 100-row first page of BENCH_LISTINGS (1000) listings vs pgbench
#     running the very statement svc-listings runs for it;
#   - a search at BENCH_SEARCH_LISTINGS (100000) listings for a 3+ and a 1-2
#     character term (no ceiling: the goal is the p99);
# then the RSS of every process, idle (before the first row) and peak.
# Beside each row: the CPU time the gateway, svc-listings and PostgreSQL
# spent per request, which the machine's load changes far less than req/s.
#
# It runs its own stack (scripts/stack.sh) from $BUILD_DIR (default build),
# with its data in .data/speed<offset>, on RCYCLE_PORT_OFFSET=BENCH_SPEED_OFFSET
# (default 60: gateway 3060, clear of the default stacks' ports), and stops it at the end. The stack's processes
# are pinned with BENCH_TASKSET (a taskset CPU list, e.g. 0 for one core;
# empty: no pinning); wrk and pgbench are not.
# Environment: BENCH_SECONDS (10), BENCH_CONNECTIONS (32), BENCH_THREADS (2);
# BENCH_SPEED_ROWS=scaling prints only the raw results of the first two rows
# (for bench/scaling.sh).
set -euo pipefail
umask 022

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
OFF=${BENCH_SPEED_OFFSET:-60}
SECS=${BENCH_SECONDS:-10}
CONNS=${BENCH_CONNECTIONS:-32}
THREADS=${BENCH_THREADS:-2}
PG_BIN=/usr/lib/postgresql/15/bin
bench_own_stack speed "$OFF"

# Prints "req/s p50 p99 cpu errors" of wrk on one path (with the bearer
# token), cpu being "gateway/svc-listings/postgres" CPU microseconds per
# request, errors the answers that were not 2xx and the socket errors.
wrk_row() {
  local path=$1 out=$TMP/wrk.txt g0 s0 p0 g1 s1 p1 n hz
  read -r g0 s0 p0 < <(cpu_ticks gateway svc-listings)
  wrk -t"$THREADS" -c"$CONNS" -d"${SECS}s" --latency -H "Authorization: Bearer $TOKEN" \
    "$GATEWAY_URL$path" >"$out"
  read -r g1 s1 p1 < <(cpu_ticks gateway svc-listings)
  n=$(awk '/requests in/ {print $1}' "$out")
  local bad
  bad=$(awk '/Non-2xx or 3xx responses:/ {b += $NF} /Socket errors:/ {gsub(/[^0-9 ]/, " "); b += $1 + $2 + $3 + $4} END {print b + 0}' "$out")
  ((bad == 0)) || echo "bench: $path: $bad of $n answers were errors" >&2
  hz=$(getconf CLK_TCK)
  echo "$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' "$out")" \
    "$(to_ms "$(awk '$1 == "50%" {print $2}' "$out")")" \
    "$(to_ms "$(awk '$1 == "99%" {print $2}' "$out")")" \
    "$(awk -v n="$n" -v hz="$hz" -v g=$((g1 - g0)) -v s=$((s1 - s0)) -v p=$((p1 - p0)) \
      'BEGIN {f = 1e6 / hz / (n > 0 ? n : 1); printf "%.0f/%.0f/%.0f", g * f, s * f, p * f}')" \
    "$bad"
}

# Prints "tps p50 p99" of pgbench on one script.
pgbench_row() {
  local script=$1 out=$TMP/pgbench.txt
  rm -f "$TMP"/pgb.*
  "$PG_BIN/pgbench" -n -M prepared -c "$CONNS" -j "$THREADS" -T "$SECS" -f "$script" -l \
    --log-prefix="$TMP/pgb" "$RCYCLE_LISTINGS_DATABASE_URL" >"$out" 2>&1 || {
    cat "$out" >&2
    return 1
  }
  cat "$TMP"/pgb.* | pgbench_percentiles "$(awk '/^tps = / {printf "%.0f", $3}' "$out")"
}

# "| name | req/s | p50 | p99 | CPU | ceiling | ceiling req/s | share |" from
# a wrk_row or pgbench_row result, and the ceiling's name and rate.
row() {
  local name=$1 rr r50 r99 cpu bad c_name=${3:--} cr=${4:-}
  read -r rr r50 r99 cpu bad <<<"$2"
  ((${bad:-0} == 0)) || r99="$r99 ($bad errors)"
  echo "| $name | $rr | $r50 | $r99 | ${cpu:--} | $c_name | ${cr:--} | $(share "$rr" "${cr:-0}") |"
}

fill() {
  "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -v rows="$1" -f bench/fill.sql "$RCYCLE_ADMIN_DATABASE_URL" >&2
  "$PG_BIN/psql" -X -q -c 'ANALYZE listings.listings' "$RCYCLE_ADMIN_DATABASE_URL" >&2
}

# "RSS private shared" in KiB of pid: private is what the process alone
# holds (its heap, stacks, written pages); shared is the clean pages of
# shared libraries, which every process mapping them counts in its RSS.
rss_split() {
  awk '/^Rss:/ {r = $2} /^Private_(Clean|Dirty):/ {p += $2} /^Shared_Clean:/ {s = $2}
       END {print r, p, s}' "/proc/$1/smaps_rollup"
}

# "| process | idle RSS | idle private | idle shared libraries | peak RSS |"
# for the stack's processes.
memory_table() {
  echo "| process | idle RSS MiB | of which private | of which shared library pages | peak RSS MiB (VmHWM, after every row) |"
  echo "|---|---:|---:|---:|---:|"
  local name pid rss priv shared
  for name in gateway svc-users svc-listings svc-claims; do
    pid=$(cat "$RUN_DIR/$name.pid")
    read -r rss priv shared <<<"${IDLE[$name]}"
    echo "| $name | $(mib "$rss") | $(mib "$priv") | $(mib "$shared") |" \
      "$(mib "$(awk '/^VmHWM:/ {print $2}' "/proc/$pid/status")") |"
  done
}
mib() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }

main() {
  rm -rf "$RCYCLE_DATA_DIR"
  echo "speed: starting a stack at offset $OFF (gateway $GATEWAY_URL)" >&2
  # Under taskset every process of the stack inherits the CPUs, and the
  # gateway starts one event loop per CPU it may use.
  ${BENCH_TASKSET:+taskset -c "$BENCH_TASKSET"} scripts/stack.sh start >&2
  set -a
  # shellcheck disable=SC1091 # written by stack.sh start
  . "$RUN_DIR/stack.env"
  set +a
  PG_PID=$(scripts/pg.sh pid)
  sleep 2 # let the processes settle before the idle RSS
  declare -gA IDLE
  local name
  for name in gateway svc-users svc-listings svc-claims; do
    IDLE[$name]=$(rss_split "$(cat "$RUN_DIR/$name.pid")")
  done
  TOKEN=$(curl -sS -X POST -H 'Content-Type: application/json' \
    -d "{\"email\":\"john.doe@company.com\",\"password\":\"${RCYCLE_SEED_PASSWORD:-rcycle-dev}\"}" \
    "$GATEWAY_URL/api/session" | sed -nE 's/.*"token"[[:space:]]*:[[:space:]]*"([^"]+)".*/\1/p')
  [[ -n $TOKEN ]] || { echo "speed: login failed" >&2; exit 1; }

  local me list6 list100 pg100 s3 s3big s2 s2none
  me=$(wrk_row /api/me)
  list6=$(wrk_row /api/listings)
  if [[ ${BENCH_SPEED_ROWS:-all} == scaling ]]; then
    echo "$me"
    echo "$list6"
    return
  fi
  fill "${BENCH_LISTINGS:-1000}"
  list100=$(wrk_row /api/listings)
  pg100=$(pgbench_row bench/listings_page.sql)
  fill "${BENCH_SEARCH_LISTINGS:-100000}"
  s3=$(wrk_row '/api/listings?search=%234242')
  s3big=$(wrk_row '/api/listings?search=disk%20shelf')
  s2=$(wrk_row '/api/listings?search=%237')
  s2none=$(wrk_row '/api/listings?search=zq')

  echo "## Speed rows, $(date -u +%FT%TZ) ($(git rev-parse --short HEAD), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), taskset ${BENCH_TASKSET:-none})"
  echo
  echo "$CONNS connections, $THREADS wrk threads, ${SECS} s per row; latencies in ms."
  echo
  echo "| row | req/s | p50 | p99 | CPU µs/req gateway/listings/postgres | ceiling | ceiling req/s | share |"
  echo "|---|---:|---:|---:|---:|---|---:|---:|"
  row "GET /api/me (the gateway's in-loop ceiling)" "$me"
  row "GET /api/listings, 6 seeded rows" "$list6" "GET /api/me" "${me%% *}"
  row "GET /api/listings, 100-row page of ${BENCH_LISTINGS:-1000}" "$list100" "pgbench, same statement" "${pg100%% *}"
  row "pgbench -M prepared, the 100-row page statement" "$pg100"
  local n=${BENCH_SEARCH_LISTINGS:-100000}
  row "search '#4242' (3+ chars, 11 matches) at $n" "$s3"
  row "search 'disk shelf' (3+ chars, 1/3 match) at $n" "$s3big"
  row "search '#7' (2 chars, 1/9 match) at $n" "$s2"
  row "search 'zq' (2 chars, no match) at $n" "$s2none"
  echo
  memory_table
}

main "$@"
