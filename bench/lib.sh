# lib.sh - what the bench scripts share (sourced).
# shellcheck shell=bash

# wrk's "1.23ms" / "456.00us" / "1.02s" / "2.00m" in milliseconds.
to_ms() {
  awk -v v="$1" 'BEGIN {
    n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
    if (u == "us") n /= 1000; else if (u == "s") n *= 1000; else if (u == "m") n *= 60000
    printf "%.2f", n }'
}

# Reads pgbench per-transaction log lines on stdin; prints "tps p50 p99"
# (milliseconds) with the given tps.
pgbench_percentiles() {
  awk '{print $3}' | sort -n | awk -v tps="$1" '
    { v[NR] = $1 }
    END {
      if (NR == 0) { print tps, "-", "-"; exit }
      i50 = int(NR * 0.50); if (i50 < 1) i50 = 1
      i99 = int(NR * 0.99); if (i99 < 1) i99 = 1
      printf "%s %.2f %.2f\n", tps, v[i50] / 1000, v[i99] / 1000 }'
}

# CPU time (clock ticks) used so far by each named process of the stack in
# $RUN_DIR (gateway, svc-listings, ...) and, last, by every PostgreSQL
# process under $PG_PID, on one line. CPU per request drifts far less with
# the machine's load than req/s does.
cpu_ticks() {
  local name pg=0 p out=""
  for name in "$@"; do
    out+="$(awk '{print $14 + $15}' "/proc/$(cat "$RUN_DIR/$name.pid")/stat") "
  done
  for p in $(pgrep -P "$PG_PID") "$PG_PID"; do
    pg=$((pg + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0)))
  done
  echo "$out$pg"
}

# a as a percentage of b ("-" without b).
share() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.0f%%", 100 * a / b; else print "-"}'; }

# Settles where a bench's own stack lives: its data in .data/<name><offset>,
# its ports shifted by offset (scripts/stack.sh: gateway 3000 + offset), a
# scratch directory TMP, and an EXIT trap that removes TMP and stops the
# stack and its PostgreSQL. Call it from the script's top level, in $ROOT.
bench_own_stack() {
  local name=$1 off=$2
  TMP=$(mktemp -d "/tmp/rcycle-$name.XXXXXX")
  export RCYCLE_DATA_DIR=$ROOT/.data/$name$off RCYCLE_PORT_OFFSET=$off PORT=$((3000 + off))
  export RUN_DIR=$RCYCLE_DATA_DIR/run GATEWAY_URL=http://127.0.0.1:$((3000 + off))
  unset DATABASE_URL RCYCLE_USERS_ADDR RCYCLE_LISTINGS_ADDR RCYCLE_CLAIMS_ADDR \
    RCYCLE_LISTINGS_INTERNAL_ADDR
  trap bench_stop_own_stack EXIT
}

bench_stop_own_stack() {
  rm -rf "$TMP"
  scripts/stack.sh stop >&2 || true
  RCYCLE_DATA_DIR=$RCYCLE_DATA_DIR scripts/pg.sh stop >&2 || true
}
