# lib.sh - what bench/run.sh and bench/audit.sh both use (sourced).

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
