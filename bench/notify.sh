#!/usr/bin/env bash
# bench/notify.sh - the notification row of `make bench` (bench/run.sh runs it
# on its stack and adds its Markdown to the report): a burst of
# BENCH_NOTIFY_EVENTS (default 1000) claim events committed at once to
# claims.events (action created, on the seed's first claim), then the time
# until svc-users' follower has delivered every notification they cause
# (claim_received to each active member of the claim's owning department),
# as notifications and events per second, and the delay from the burst's
# commit to each event's first notification (p50, p99), read from the
# timestamps in the database. Needs RCYCLE_ADMIN_DATABASE_URL.
set -euo pipefail

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
EVENTS=${BENCH_NOTIFY_EVENTS:-1000}
DB=$RCYCLE_ADMIN_DATABASE_URL
TIMEOUT_S=${BENCH_NOTIFY_TIMEOUT:-300}

psql_() { "$PG_BIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 "$@" "$DB"; }

read -r claim recipients < <(psql_ -F ' ' -c "SELECT c.id, (SELECT count(*) FROM users.accounts a
  WHERE a.active AND a.department = c.owner_department) FROM claims.claims c ORDER BY c.id LIMIT 1")
[[ -n ${claim:-} ]] || { echo "(notification row skipped: no claim in the database)"; exit 0; }

# One transaction: the burst commits at once, and its seqs are a range.
read -r first last committed < <(psql_ -F ' ' <<SQL
BEGIN;
CREATE TEMP TABLE burst ON COMMIT DROP AS WITH e AS (
  INSERT INTO claims.events (claim_id, action, from_status, to_status, note)
  SELECT $claim, 'created', 'reserving', 'pending_owner', 'bench burst' FROM generate_series(1, $EVENTS)
  RETURNING seq) SELECT min(seq) AS first, max(seq) AS last FROM e;
SELECT first, last FROM burst \gset
COMMIT;
SELECT :first, :last, extract(epoch FROM clock_timestamp());
SQL
)
want=$((EVENTS * recipients))
done_sql="SELECT count(*) FROM users.notifications WHERE source LIKE 'claims:%'
  AND split_part(source, ':', 2)::bigint BETWEEN $first AND $last"
for ((i = 0; i < TIMEOUT_S * 5; i++)); do
  (($(psql_ -c "$done_sql") >= want)) && break
  sleep 0.2
done
got=$(psql_ -c "$done_sql")

echo "### Notifications"
echo
echo "| burst of claim events | recipients each | notifications | delivered in s | notifications/s | events/s | delay p50 ms | delay p99 ms |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|"
psql_ -F ' ' -c "WITH firsts AS (SELECT split_part(source, ':', 2)::bigint AS seq,
    extract(epoch FROM min(at)) AS at FROM users.notifications
    WHERE source LIKE 'claims:%' AND split_part(source, ':', 2)::bigint BETWEEN $first AND $last
    GROUP BY 1)
  SELECT max(at) - $committed,
    percentile_cont(0.5) WITHIN GROUP (ORDER BY at - $committed) * 1000,
    percentile_cont(0.99) WITHIN GROUP (ORDER BY at - $committed) * 1000 FROM firsts" |
  awk -v n="$EVENTS" -v r="$recipients" -v g="$got" -v w="$want" '{
    printf "| %d | %d | %d of %d | %.2f | %.0f | %.0f | %.0f | %.0f |\n", n, r, g, w, $1, g / $1, n / $1, $2, $3 }'
echo
echo "The delay counts from the burst's commit; svc-users follows every second, 200 events a page, up to 10 pages a run."
echo
