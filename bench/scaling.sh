#!/usr/bin/env bash
# bench/scaling.sh - does the stack scale with cores? The first two rows of
# bench/speed.sh (GET /api/me, the gateway's own ceiling, and the 6-row
# GET /api/listings) on a stack pinned to one core (taskset -c 0, so the
# gateway runs one event loop) and on one pinned to two (0-1: two loops),
# as a Markdown table with the two-core figure's share of twice the one-core
# one. wrk itself is not pinned, so on a 2-core machine it competes with the
# stack in both runs.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

run() { BENCH_SPEED_ROWS=scaling BENCH_TASKSET=$1 bench/speed.sh; }

mapfile -t one < <(run 0)
mapfile -t two < <(run 0-1)
read -r me1 _ me1_99 _ <<<"${one[0]}"
read -r me2 _ me2_99 _ <<<"${two[0]}"
read -r l1 _ l1_99 _ <<<"${one[1]}"
read -r l2 _ l2_99 _ <<<"${two[1]}"
gain() { awk -v a="$1" -v b="$2" 'BEGIN {if (a > 0) printf "%.2fx (%.0f%% of linear)", b / a, 50 * b / a; else print "-"}'; }

echo "## Scaling with cores, $(date -u +%FT%TZ) ($(git rev-parse --short HEAD), load $(cut -d' ' -f1-3 /proc/loadavg))"
echo
echo "| row | 1 core req/s (p99 ms) | 2 cores req/s (p99 ms) | 2 cores vs 1 |"
echo "|---|---:|---:|---:|"
echo "| GET /api/me | $me1 ($me1_99) | $me2 ($me2_99) | $(gain "$me1" "$me2") |"
echo "| GET /api/listings, 6 seeded rows | $l1 ($l1_99) | $l2 ($l2_99) | $(gain "$l1" "$l2") |"
