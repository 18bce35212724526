#!/usr/bin/env bash
# bench/run.sh - `make bench`: load-test GET /api/listings through the gateway
# with wrk, run the same SQL straight on PostgreSQL with pgbench as the
# ceiling, and print both as a Markdown table, then the memory (RSS) of every
# process. The report is also saved as $RUN_DIR/bench-<time>.md.
#
# Without GATEWAY_URL it starts its own stack (scripts/stack.sh) from
# $BUILD_DIR (default build) with its own data in .data/bench on bench ports
# (gateway 3200, services 7121-7123, admin 7220-7223), fills it with
# BENCH_LISTINGS synthetic listings (default 1000, bench/fill.sql), and stops
# it at the end. BENCH_PORT_OFFSET (default 20) shifts those ports as
# RCYCLE_PORT_OFFSET shifts a stack's (scripts/stack.sh; the gateway is
# 3180 + offset), so a bench can run beside other stacks on a shared machine.
# With GATEWAY_URL=http://host:port it benchmarks that stack
# instead; RUN_DIR (default .data/run, the `make run` stack) locates its pid
# files and stack.env for the memory table and the database of pgbench
# (BENCH_DATABASE_URL overrides the latter).
#
# Environment: BENCH_PORT_OFFSET (20), BENCH_SECONDS (15), BENCH_CONNECTIONS (32), BENCH_THREADS (2),
# BENCH_LISTINGS, RCYCLE_SEED_PASSWORD (rcycle-dev), BENCH_EMAIL
# (john.doe@company.com, an admin: the audit rows need one), and for the audit
# rows (bench/audit.sh) BENCH_AUDIT (1), BENCH_AUDIT_EVENTS (1000000),
# BENCH_AUDIT_CLIENTS (8), BENCH_AUDIT_SECONDS (10), and for the notification
# row (bench/notify.sh) BENCH_NOTIFY (1), BENCH_NOTIFY_EVENTS (1000), and for
# issue 11's rows (bench/speed.sh, bench/scaling.sh, bench/flow.sh)
# BENCH_SPEED (1), BENCH_FLOW_CLIENTS (32).
set -euo pipefail
umask 022 # the postgres user must be able to traverse the directories made here

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
STACK=$ROOT/scripts/stack.sh
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
PG_SH=$ROOT/scripts/pg.sh
SECONDS_=${BENCH_SECONDS:-15}
CONNECTIONS=${BENCH_CONNECTIONS:-32}
THREADS=${BENCH_THREADS:-2}
EMAIL=${BENCH_EMAIL:-john.doe@company.com}
PASSWORD=${RCYCLE_SEED_PASSWORD:-rcycle-dev}
PG_BIN=/usr/lib/postgresql/15/bin
OWN_STACK=0
TMP=$(mktemp -d /tmp/rcycle-bench.XXXXXX)

die() {
  echo "bench: $*" >&2
  exit 1
}

cleanup() {
  rm -rf "$TMP"
  if ((OWN_STACK == 1)); then
    echo "stopping the bench stack" >&2
    "$STACK" stop >&2 || true
  fi
}

# --- the stack under test -----------------------------------------------------

start_own_stack() {
  local offset=${BENCH_PORT_OFFSET:-20}
  [[ $offset =~ ^[0-9]+$ ]] || die "BENCH_PORT_OFFSET must be a number"
  export RCYCLE_DATA_DIR=$ROOT/.data/bench RCYCLE_PORT_OFFSET=$offset PORT=$((3180 + offset))
  export RUN_DIR=$RCYCLE_DATA_DIR/run
  unset DATABASE_URL RCYCLE_USERS_ADDR RCYCLE_LISTINGS_ADDR RCYCLE_CLAIMS_ADDR RCYCLE_LISTINGS_INTERNAL_ADDR \
    RCYCLE_CLAIMS_FEED_ADDR RCYCLE_LISTINGS_FEED_ADDR
  OWN_STACK=1
  echo "starting a bench stack in .data/bench (gateway :$PORT)" >&2
  "$STACK" start >&2
}

# Loads the stack's recorded settings (stack.env) for pids and database URLs.
load_stack_env() {
  local file=$RUN_DIR/stack.env
  if [[ -f $file ]]; then
    set -a
    # shellcheck disable=SC1090
    . "$file"
    set +a
  fi
}

fill_listings() {
  local rows=$1
  ((rows > 0)) || return 0
  echo "making sure $rows synthetic listings exist (bench/fill.sql)" >&2
  "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -v rows="$rows" -f bench/fill.sql \
    "$RCYCLE_ADMIN_DATABASE_URL" >&2 ||
    echo "bench: warning: bench/fill.sql failed (schema changed?); measuring the seed data only" >&2
}

login() {
  local body token
  body=$(curl -sS --max-time 10 -X POST -H 'Content-Type: application/json' \
    -d "{\"email\":\"$EMAIL\",\"password\":\"$PASSWORD\"}" "$GATEWAY_URL/api/session") ||
    die "login request to $GATEWAY_URL failed"
  token=$(sed -nE 's/.*"token"[[:space:]]*:[[:space:]]*"([^"]+)".*/\1/p' <<<"$body")
  [[ -n $token ]] || die "login as $EMAIL failed: $body"
  echo "$token"
}

# --- measurements ----------------------------------------------------------------


# Prints: req/s p50 p99 non2xx socket_errors
run_wrk() {
  local token=$1 out=$TMP/wrk.txt rps p50 p99 non2xx errors
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${SECONDS_}s" --latency \
    -H "Authorization: Bearer $token" "$GATEWAY_URL/api/listings" >"$out"
  cat "$out" >&2
  rps=$(awk '/^Requests\/sec:/ {printf "%.1f", $2}' "$out")
  p50=$(to_ms "$(awk '$1 == "50%" {print $2}' "$out")")
  p99=$(to_ms "$(awk '$1 == "99%" {print $2}' "$out")")
  non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' "$out")
  errors=$(awk -F'[ ,]+' '/Socket errors:/ {print $4 + $6 + $8 + $10}' "$out")
  echo "$rps $p50 $p99 ${non2xx:-0} ${errors:-0}"
}

# Prints: tps p50 p99 (latencies from pgbench's per-transaction log).
run_pgbench() {
  local url=$1 out=$TMP/pgbench.txt tps
  "$PG_BIN/pgbench" -n -c "$CONNECTIONS" -j "$THREADS" -T "$SECONDS_" -f bench/listings_page.sql \
    -l --log-prefix="$TMP/pgb" "$url" >"$out" 2>&1 || {
    cat "$out" >&2
    die "pgbench failed"
  }
  tail -n 8 "$out" >&2
  tps=$(awk '/^tps = / {printf "%.1f", $3}' "$out")
  cat "$TMP"/pgb.* | pgbench_percentiles "$tps"
}

# "RSS_kB PeakRSS_kB PSS_kB" of one pid.
mem_of() {
  local pid=$1 rss hwm pss
  rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
  hwm=$(awk '/^VmHWM:/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
  pss=$(awk '/^Pss:/ {print $2}' "/proc/$pid/smaps_rollup" 2>/dev/null || echo 0)
  echo "${rss:-0} ${hwm:-0} ${pss:-0}"
}

mib() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }

print_memory_table() {
  local name pid rss hwm pss t_rss=0 t_pss=0
  echo "| process | pid | RSS MiB | peak RSS MiB | PSS MiB |"
  echo "|---|---:|---:|---:|---:|"
  for name in gateway svc-users svc-listings svc-claims; do
    pid=$(cat "$RUN_DIR/$name.pid" 2>/dev/null || true)
    if [[ -z $pid || ! -d /proc/$pid ]]; then
      echo "| $name | - | not running | | |"
      continue
    fi
    read -r rss hwm pss < <(mem_of "$pid")
    echo "| $name | $pid | $(mib "$rss") | $(mib "$hwm") | $(mib "$pss") |"
    t_rss=$((t_rss + rss))
    t_pss=$((t_pss + pss))
  done
  local pm
  if [[ $RCYCLE_DB_MODE == private ]] && pm=$("$PG_SH" pid 2>/dev/null); then
    local pids=("$pm") p_rss=0 p_hwm=0 p_pss=0 p
    mapfile -t -O 1 pids < <(pgrep -P "$pm")
    for p in "${pids[@]}"; do
      read -r rss hwm pss < <(mem_of "$p")
      p_rss=$((p_rss + rss))
      p_hwm=$((p_hwm + hwm))
      p_pss=$((p_pss + pss))
    done
    echo "| postgres (${#pids[@]} processes, sum) | $pm | $(mib "$p_rss") | $(mib "$p_hwm") | $(mib "$p_pss") |"
    t_rss=$((t_rss + p_rss))
    t_pss=$((t_pss + p_pss))
  else
    echo "| postgres | - | not a local private cluster: not measured | | |"
  fi
  echo "| **total** | | $(mib "$t_rss") | | $(mib "$t_pss") |"
  echo
  echo "RSS counts shared memory (PostgreSQL's shared buffers) once per process; PSS splits it, so the PSS total is the real footprint."
}

# The audit trail's rows (bench/audit.sh): the write path with and without
# the chain, GET /api/audit at BENCH_AUDIT_EVENTS events, the export's memory.
# BENCH_AUDIT=0 leaves them out.
audit_rows() {
  [[ ${BENCH_AUDIT:-1} == 1 ]] || return 0
  [[ -n ${RCYCLE_ADMIN_DATABASE_URL:-} ]] || {
    echo "(audit rows skipped: no administrator database URL in stack.env)"
    return 0
  }
  BENCH_TOKEN=$1 GATEWAY_URL=$GATEWAY_URL RUN_DIR=$RUN_DIR BUILD_DIR=${BUILD_DIR:-build} \
    PG_BIN=$PG_BIN bench/audit.sh
}

# The notification row (bench/notify.sh): a burst of claim events and the
# follower's delivery. BENCH_NOTIFY=0 leaves it out.
notify_rows() {
  [[ ${BENCH_NOTIFY:-1} == 1 && -n ${RCYCLE_ADMIN_DATABASE_URL:-} ]] || return 0
  PG_BIN=$PG_BIN bench/notify.sh
}

# --- main ------------------------------------------------------------------------

main() {
  trap cleanup EXIT
  command -v wrk >/dev/null || die "wrk is missing (scripts/deps.sh)"
  [[ -x $PG_BIN/pgbench ]] || PG_BIN=$(dirname "$(command -v pgbench || die "pgbench is missing")")
  local rows=${BENCH_LISTINGS:-}
  if [[ -z ${GATEWAY_URL:-} ]]; then
    start_own_stack
    rows=${rows:-1000}
  else
    RUN_DIR=${RUN_DIR:-$ROOT/.data/run}
  fi
  local url=${GATEWAY_URL:-} # a given stack's URL wins over its stack.env
  load_stack_env
  GATEWAY_URL=${url:-${GATEWAY_URL:-}}
  RCYCLE_DB_MODE=${RCYCLE_DB_MODE:-unknown} # no stack.env: a stack elsewhere
  [[ -n $GATEWAY_URL ]] || die "no GATEWAY_URL"
  fill_listings "${rows:-0}"

  local db_url=${BENCH_DATABASE_URL:-${RCYCLE_LISTINGS_DATABASE_URL:-${DATABASE_URL:-}}}
  [[ -n $db_url ]] || die "no database for pgbench: set BENCH_DATABASE_URL"

  local token count
  token=$(login)
  count=$("$PG_BIN/psql" -X -A -t -c 'SELECT count(*) FROM listings.listings' "$db_url" 2>/dev/null || echo '?')

  echo "wrk: GET $GATEWAY_URL/api/listings, $CONNECTIONS connections, ${SECONDS_} s" >&2
  local result w_rps w_p50 w_p99 w_non2xx w_err p_tps p_p50 p_p99
  result=$(run_wrk "$token")
  read -r w_rps w_p50 w_p99 w_non2xx w_err <<<"$result"
  echo "pgbench: bench/listings_page.sql, $CONNECTIONS clients, ${SECONDS_} s" >&2
  result=$(run_pgbench "$db_url")
  read -r p_tps p_p50 p_p99 <<<"$result"

  local report stamp
  stamp=$(date -u +%Y%m%dT%H%M%SZ)
  report=$(
    echo "## R-Cycle bench, $(date -u +%FT%TZ) ($(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(nproc) CPUs)"
    echo
    echo "${count:-?} listings in the database; $CONNECTIONS connections, $THREADS threads, ${SECONDS_} s each."
    echo
    echo "| scenario | req/s | p50 ms | p99 ms |"
    echo "|---|---:|---:|---:|"
    echo "| GET /api/listings through the gateway (wrk) | $w_rps | $w_p50 | $w_p99 |"
    echo "| the same SQL on PostgreSQL (pgbench, ceiling) | $p_tps | $p_p50 | $p_p99 |"
    echo
    if ((w_non2xx > 0 || w_err > 0)); then
      echo "**Warning:** wrk saw $w_non2xx non-2xx responses and $w_err socket errors: the req/s above are not all successes."
      echo
    fi
    print_memory_table
    echo
    audit_rows "$token"
    echo
    notify_rows
    # Issue 11's rows, each on a stack of its own (BENCH_SPEED=0 leaves them out).
    if [[ ${BENCH_SPEED:-1} == 1 ]]; then
      echo
      bench/speed.sh
      echo
      bench/scaling.sh
      echo
      bench/flow.sh
    fi
  )
  echo
  echo "$report"
  mkdir -p "$RUN_DIR"
  echo "$report" >"$RUN_DIR/bench-$stamp.md"
  echo >&2
  echo "saved as $RUN_DIR/bench-$stamp.md" >&2
}

main "$@"
