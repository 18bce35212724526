#!/usr/bin/env bash
# pg.sh - the private PostgreSQL 15 of a local R-Cycle run or test.
#
#   scripts/pg.sh start    create the cluster on first use, start it, wait until
#                          it accepts connections, create database rcycle
#   scripts/pg.sh stop     fast shutdown (no-op when stopped)
#   scripts/pg.sh restart-immediate
#                          crash-stop (-m immediate) and start again on the same port
#   scripts/pg.sh status   prints where it runs; exit 0 running, 3 stopped
#   scripts/pg.sh url      prints the admin URL postgresql://postgres@127.0.0.1:PORT/rcycle
#   scripts/pg.sh psql ... psql on that URL
#   scripts/pg.sh pid      prints the postmaster's pid (exit 3 when stopped)
#
# Layout, under $RCYCLE_DATA_DIR (default <repo>/.data) in pg/, owned by the
# postgres OS user: data/ (the cluster), PORT (its TCP port), log (server log),
# sock/ (its unix socket). It listens on 127.0.0.1 only, trusts local and
# 127.0.0.1 connections (development and tests only), and keeps fsync on.
# The port is picked free when the cluster is created and reused; if it is
# taken at a later start another one is picked and stored.
#
# initdb and postgres refuse to run as root: as root every server command
# runs as the postgres user (runuser). If that user cannot reach the data
# directory (a parent directory is not traversable), the cluster lives in
# /var/lib/rcycle/pg-<hash of the data dir> instead, and start says so.
set -euo pipefail
umask 022 # the postgres user must be able to traverse the directories made here

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DATA_DIR=${RCYCLE_DATA_DIR:-$ROOT/.data}
[[ $DATA_DIR == /* ]] || DATA_DIR=$ROOT/$DATA_DIR
PG_OS_USER=postgres
DB_NAME=rcycle
# Below the kernel's ephemeral range (32768-60999), so that no outgoing
# connection can hold the port PostgreSQL is about to bind.
PORT_RANGE_START=25432 # first candidate port; a per-directory hash spreads clusters
PORT_RANGE_SIZE=2000

die() {
  echo "pg.sh: $*" >&2
  exit 1
}

# The server binaries: Debian's versioned directory, else pg_config's.
find_pg_bin() {
  local dir
  for dir in /usr/lib/postgresql/15/bin "$(pg_config --bindir 2>/dev/null || true)"; do
    if [[ -n $dir && -x $dir/initdb && -x $dir/pg_ctl ]]; then
      echo "$dir"
      return 0
    fi
  done
  die "PostgreSQL 15 server binaries not found (run scripts/deps.sh)"
}
PG_BIN=$(find_pg_bin)

hash_of() { printf '%s' "$1" | cksum | cut -d' ' -f1; }

# Runs a command as the postgres OS user when we are root, from / so that an
# unreadable working directory does not matter.
as_pg() {
  if [[ $EUID -eq 0 ]]; then
    (cd / && runuser -u "$PG_OS_USER" -- "$@")
  else
    (cd / && "$@")
  fi
}

# Where the cluster lives: $DATA_DIR/pg, or a fallback when the postgres user
# cannot traverse into $DATA_DIR.
resolve_pg_dir() {
  PG_DIR=$DATA_DIR/pg
  if [[ $EUID -eq 0 && ! -e $PG_DIR/data/PG_VERSION ]]; then
    mkdir -p "$DATA_DIR"
    if ! as_pg test -x "$DATA_DIR"; then
      PG_DIR=/var/lib/rcycle/pg-$(hash_of "$DATA_DIR")
      PG_DIR_NOTE="note: user $PG_OS_USER cannot reach $DATA_DIR (a parent directory is not traversable); the cluster lives in $PG_DIR"
    fi
  fi
  PGDATA=$PG_DIR/data
  PORT_FILE=$PG_DIR/PORT
  LOG_FILE=$PG_DIR/log
  SOCK_DIR=$PG_DIR/sock
  # A unix socket path is limited to 107 bytes; keep it short when the repo path is long.
  if ((${#SOCK_DIR} > 90)); then
    SOCK_DIR=/tmp/rcycle-pg-$(hash_of "$PG_DIR")
  fi
}
PG_DIR_NOTE=""
resolve_pg_dir

# True when nothing accepts TCP connections on 127.0.0.1:$1.
port_is_free() {
  ! timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}

pick_free_port() {
  local start i port
  start=$((PORT_RANGE_START + $(hash_of "$PG_DIR") % PORT_RANGE_SIZE))
  for ((i = 0; i < PORT_RANGE_SIZE; i++)); do
    port=$((PORT_RANGE_START + (start - PORT_RANGE_START + i) % PORT_RANGE_SIZE))
    if port_is_free "$port"; then
      echo "$port"
      return 0
    fi
  done
  die "no free TCP port in $PORT_RANGE_START..$((PORT_RANGE_START + PORT_RANGE_SIZE - 1))"
}

is_initialised() { [[ -f $PGDATA/PG_VERSION ]]; }

is_running() {
  is_initialised && as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1
}

# The port of the running server (from postmaster.pid), else the stored one.
current_port() {
  local port=""
  if is_running && [[ -r $PGDATA/postmaster.pid ]]; then
    port=$(sed -n 4p "$PGDATA/postmaster.pid")
  fi
  [[ -n $port ]] || port=$(cat "$PORT_FILE" 2>/dev/null || true)
  [[ -n $port ]] || die "no cluster in $PG_DIR yet (run: $0 start)"
  echo "$port"
}

admin_url() { echo "postgresql://postgres@127.0.0.1:$(current_port)/$DB_NAME"; }

create_cluster() {
  [[ -n $PG_DIR_NOTE ]] && echo "pg.sh: $PG_DIR_NOTE" >&2
  mkdir -p "$PG_DIR" "$SOCK_DIR"
  if [[ $EUID -eq 0 ]]; then
    chown "$PG_OS_USER:" "$PG_DIR" "$SOCK_DIR"
    as_pg test -w "$PG_DIR" || die "user $PG_OS_USER cannot write $PG_DIR"
  fi
  chmod 755 "$PG_DIR"
  chmod 700 "$SOCK_DIR"
  rm -rf "$PGDATA"
  if ! as_pg "$PG_BIN/initdb" -D "$PGDATA" -U postgres -E UTF8 --locale=C.UTF-8 \
    --data-checksums --auth=trust >"$PG_DIR/initdb.log" 2>&1; then
    cat "$PG_DIR/initdb.log" >&2
    die "initdb failed"
  fi
  # Only local and 127.0.0.1 connections, trusted (development and tests only).
  as_pg tee "$PGDATA/pg_hba.conf" >/dev/null <<'EOF'
# R-Cycle private cluster (scripts/pg.sh): development and tests only.
# TYPE  DATABASE  USER  ADDRESS       METHOD
local   all       all                 trust
host    all       all   127.0.0.1/32  trust
EOF
  as_pg tee -a "$PGDATA/postgresql.conf" >/dev/null <<EOF

# --- R-Cycle (scripts/pg.sh) ---
listen_addresses = '127.0.0.1'
unix_socket_directories = '$SOCK_DIR'
max_connections = 200
# Durability matters: never trade it for speed here.
fsync = on
synchronous_commit = on
full_page_writes = on
log_line_prefix = '%m [%p] %q%u@%d '
log_timezone = 'UTC'
timezone = 'UTC'
EOF
  pick_free_port >"$PORT_FILE"
}

ensure_database() {
  local port exists
  port=$(current_port)
  exists=$("$PG_BIN/psql" -X -q -A -t -h 127.0.0.1 -p "$port" -U postgres -d postgres \
    -c "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'")
  if [[ $exists != 1 ]]; then
    "$PG_BIN/createdb" -h 127.0.0.1 -p "$port" -U postgres "$DB_NAME"
  fi
}

wait_ready() {
  local port=$1 i
  for ((i = 0; i < 300; i++)); do
    "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$port" -U postgres -d postgres && return 0
    sleep 0.1
  done
  tail -n 20 "$LOG_FILE" >&2 || true
  die "PostgreSQL did not accept connections on 127.0.0.1:$port within 30 s"
}

cmd_start() {
  is_initialised || create_cluster
  if is_running; then
    wait_ready "$(current_port)"
    ensure_database
    return 0
  fi
  mkdir -p "$SOCK_DIR"
  [[ $EUID -eq 0 ]] && chown "$PG_OS_USER:" "$SOCK_DIR"
  local port
  port=$(cat "$PORT_FILE" 2>/dev/null || true)
  for _ in 1 2 3; do
    if [[ -z $port ]] || ! port_is_free "$port"; then
      [[ -n $port ]] && echo "pg.sh: port $port is taken, picking another" >&2
      port=$(pick_free_port)
    fi
    echo "$port" >"$PORT_FILE"
    # setsid: the server is not in the caller's process group, so a Ctrl-C in
    # the terminal reaches only the scripts, which then stop it in order.
    if as_pg setsid -w "$PG_BIN/pg_ctl" -D "$PGDATA" -l "$LOG_FILE" -w -t 60 \
      -o "-p $port -k $SOCK_DIR" start >/dev/null 2>&1; then
      wait_ready "$port"
      ensure_database
      return 0
    fi
    # Lost a race for the port? Try another one; anything else is fatal.
    if [[ $(tail -n 5 "$LOG_FILE" 2>/dev/null) != *"could not bind"* ]]; then
      break
    fi
    port=""
  done
  tail -n 20 "$LOG_FILE" >&2 || true
  die "PostgreSQL failed to start (log: $LOG_FILE)"
}

cmd_stop() {
  is_running || return 0
  as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" -m fast -w -t 60 stop >/dev/null
}

# A crash and its recovery, for the soak test: the server is stopped without a
# shutdown checkpoint (-m immediate), as a power cut would, and started again
# on the same port; it replays its WAL before it accepts connections.
cmd_restart_immediate() {
  is_running || die "not running"
  local port
  port=$(current_port)
  as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" -m immediate -w -t 60 stop >/dev/null
  as_pg setsid -w "$PG_BIN/pg_ctl" -D "$PGDATA" -l "$LOG_FILE" -w -t 60 \
    -o "-p $port -k $SOCK_DIR" start >/dev/null 2>&1 || die "PostgreSQL did not start again (log: $LOG_FILE)"
  wait_ready "$port"
}

cmd_status() {
  if ! is_initialised; then
    echo "not created (would live in $PG_DIR)"
    return 3
  fi
  if is_running; then
    echo "running on 127.0.0.1:$(current_port), data $PGDATA, log $LOG_FILE"
    return 0
  fi
  echo "stopped, data $PGDATA (port $(cat "$PORT_FILE" 2>/dev/null || echo '?'))"
  return 3
}

main() {
  local cmd=${1:-}
  [[ $# -gt 0 ]] && shift
  case $cmd in
    start) cmd_start ;;
    stop) cmd_stop ;;
    restart-immediate) cmd_restart_immediate ;;
    status) cmd_status ;;
    url) admin_url ;;
    pid)
      is_running || return 3
      head -n 1 "$PGDATA/postmaster.pid"
      ;;
    psql) exec "$PG_BIN/psql" "$(admin_url)" "$@" ;;
    *)
      echo "usage: $0 start|stop|restart-immediate|status|url|pid|psql [psql args]" >&2
      exit 2
      ;;
  esac
}

main "$@"
