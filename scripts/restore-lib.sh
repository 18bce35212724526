# restore-lib.sh - sourced by scripts/test-restore.sh and bench/restore-big.sh:
# the backup as components/backup's CronJob takes it, and the restore
# procedure of deploy/README.md ("Restore into a new PostgreSQL"), so that the
# test, the measurement and the document are one procedure. Call from the
# repository root with BUILD_DIR set; WORK is a scratch directory.

# Compiles rcycle-pg as deploy/images/Containerfile.builder does, into $WORK.
build_rcycle_pg() {
  cc -std=c17 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -o "$WORK/rcycle-pg" deploy/images/rcycle-pg.c \
    -I"$(pg_config --includedir)" -lpq
}

# The CronJob's command on the database of URL (the administrative user):
# rcycle-pg dump DIR --keep 48. Prints the dump's path.
backup_as_cronjob() {
  local url=$1 dir=$2
  mkdir -p "$dir"
  DATABASE_URL=$url "$WORK/rcycle-pg" dump "$dir" --keep 48 >&2
  ls -t "$dir"/rcycle-*.dump | head -n 1
}

# The restore procedure, on the empty database of URL: db-init (rcycle-migrate:
# the roles and schemas the dump's objects belong to), then the dump over it
# in one transaction that stops at the first error.
restore_database() {
  local url=$1 dump=$2
  DATABASE_URL=$url "$BUILD_DIR/db/rcycle-migrate" --dir db/migrations >"$WORK/db-init.log"
  pg_restore --clean --if-exists --single-transaction --exit-on-error --dbname="$url" "$dump"
}

# Row counts of every table of the application, one "schema.table count" a line.
table_counts() {
  psql -X -q -At -v ON_ERROR_STOP=1 --dbname="$1" <<'SQL'
SELECT format('SELECT %L || '' '' || count(*) FROM %I.%I', schemaname || '.' || tablename, schemaname, tablename)
  FROM pg_tables WHERE schemaname IN ('users', 'listings', 'claims', 'public') ORDER BY 1
\gexec
SQL
}

# Seconds since the epoch, with a fraction; elapsed A B prints B - A to 0.1 s.
now_s() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
