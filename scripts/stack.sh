#!/usr/bin/env bash
# stack.sh - start and stop a whole local R-Cycle: PostgreSQL (private unless
# DATABASE_URL is set), migrations and seed, the three services and the
# gateway. Used by `make run`, scripts/test.sh, bench/run.sh and by the
# integration tests (to crash and restart one process).
#
#   scripts/stack.sh start                 start everything not yet running; wait until ready
#   scripts/stack.sh stop                  SIGTERM every process, SIGKILL after 5 s, then the
#                                          private PostgreSQL if this stack started it
#   scripts/stack.sh status                what runs where
#   scripts/stack.sh kill-one NAME [SIG]   signal one process (default TERM) and wait until it is gone
#   scripts/stack.sh start-one NAME        start one process again and wait until it is healthy
#   scripts/stack.sh restart-one NAME [SIG]  kill-one then start-one
#   scripts/stack.sh env                   print the stack's settings (sourceable, KEY=value)
# NAME is svc-users, svc-listings, svc-claims or gateway.
#
# Environment (relative paths are relative to the repository root):
#   BUILD_DIR          build directory holding the binaries (default build)
#   RCYCLE_DATA_DIR    private PostgreSQL and run files (default .data)
#   RUN_DIR            logs, pid files, stack.env (default $RCYCLE_DATA_DIR/run)
#   DATABASE_URL       when set, every process uses it as is and no private
#                      PostgreSQL is started; else each service gets its own
#                      role's URL on the private cluster
#   RCYCLE_PORT_OFFSET added to every default port below (default 0)
#   PORT                         gateway public port        (3000 + offset)
#   RCYCLE_USERS_ADDR            svc-users nng URL           (tls+tcp://127.0.0.1:7101 + offset)
#   RCYCLE_LISTINGS_ADDR         svc-listings nng URL        (tls+tcp://127.0.0.1:7102 + offset)
#   RCYCLE_CLAIMS_ADDR           svc-claims nng URL          (tls+tcp://127.0.0.1:7103 + offset)
#   RCYCLE_LISTINGS_INTERNAL_ADDR  svc-listings' listener for svc-claims (tls+tcp://127.0.0.1:7104 + offset)
#   RCYCLE_CLAIMS_FEED_ADDR      svc-claims' listener for svc-users   (tls+tcp://127.0.0.1:7105 + offset)
#   RCYCLE_LISTINGS_FEED_ADDR    svc-listings' listener for svc-users (tls+tcp://127.0.0.1:7106 + offset)
#   RCYCLE_CERTS_DIR             the RPC certificates, made by scripts/certs.sh ($RCYCLE_DATA_DIR/certs)
#   RCYCLE_RPC_INSECURE=1        plain tcp:// RPC links, no certificates (development only)
#   RCYCLE_GATEWAY_ADMIN_PORT    gateway admin port          (7200 + offset)
#   RCYCLE_USERS_ADMIN_PORT      svc-users admin port        (7201 + offset)
#   RCYCLE_LISTINGS_ADMIN_PORT   svc-listings admin port     (7202 + offset)
#   RCYCLE_CLAIMS_ADMIN_PORT     svc-claims admin port       (7203 + offset)
#   RCYCLE_START_TIMEOUT         seconds to wait for readiness (30)
#   RCYCLE_STACK_SEED=0          migrate without loading the development seed (a
#                                restored database: scripts/test-restore.sh)
#   LOG_LEVEL, RCYCLE_SEED_PASSWORD, RCYCLE_COOKIE_SECURE, ASAN_OPTIONS, ... pass through.
# Each process gets its own RCYCLE_ADMIN_PORT (and the gateway PORT).
# `start` records the settings in $RUN_DIR/stack.env; the other commands read
# it back for every variable not set in their own environment, so
# `RUN_DIR=... stack.sh restart-one svc-listings` restarts it exactly as before.
set -euo pipefail
umask 022 # the postgres user must be able to traverse the directories made here

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
export STACK_SH=$ROOT/scripts/stack.sh RCYCLE_ROOT=$ROOT
PG_SH=$ROOT/scripts/pg.sh
PROCS=(svc-users svc-listings svc-claims gateway) # start order; stop is the reverse
STOP_TIMEOUT=5

# Variables stack.env records (besides the derived ones written by save_env).
PASSTHROUGH_VARS=(LOG_LEVEL RCYCLE_SEED_PASSWORD RCYCLE_COOKIE_SECURE RCYCLE_TRUSTED_PROXIES RCYCLE_RPC_INSECURE
  RCYCLE_HASH_CONCURRENCY RCYCLE_HASH_QUEUE ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS
  RCYCLE_LOCAL_LOGIN RCYCLE_OIDC_ISSUER RCYCLE_OIDC_CLIENT_ID RCYCLE_OIDC_CLIENT_SECRET
  RCYCLE_OIDC_REDIRECT_URL RCYCLE_OIDC_SCOPES RCYCLE_OIDC_DEPARTMENT_CLAIM RCYCLE_OIDC_ROLES_CLAIM
  RCYCLE_OIDC_ROLE_MAP RCYCLE_OIDC_CA_FILE RCYCLE_OIDC_CONCURRENCY RCYCLE_TEST_OIDC_CONTROL
  RCYCLE_SMTP_URL RCYCLE_MAIL_FROM RCYCLE_PUBLIC_URL RCYCLE_SMTP_CA_FILE RCYCLE_SMTP_REQUIRE_TLS
  RCYCLE_SMTP_USER RCYCLE_SMTP_PASSWORD RCYCLE_SMTP_RETRY_BASE_MS RCYCLE_SMTP_MAX_ATTEMPTS
  RCYCLE_SMTP_TIMEOUT_MS RCYCLE_TEST_SMTP_CONTROL)

die() {
  echo "stack.sh: $*" >&2
  exit 1
}
note() { echo "stack.sh: $*" >&2; }

abs_path() { if [[ $1 == /* ]]; then echo "$1"; else echo "$ROOT/$1"; fi; }

# --- settings --------------------------------------------------------------

# RUN_DIR, and RCYCLE_DATA_DIR. For every command but start, stack.env is read
# first, so that RUN_DIR alone is enough to find a stack and its PostgreSQL.
resolve_dirs() {
  local cmd=$1
  if [[ -n ${RUN_DIR:-} ]]; then
    RUN_DIR=$(abs_path "$RUN_DIR")
  else
    RUN_DIR=$(abs_path "${RCYCLE_DATA_DIR:-.data}/run")
  fi
  export RUN_DIR
  [[ $cmd == start ]] || load_saved_env
  RCYCLE_DATA_DIR=$(abs_path "${RCYCLE_DATA_DIR:-.data}")
  export RCYCLE_DATA_DIR
}

# Reads $RUN_DIR/stack.env: each KEY=value sets KEY only if it is unset here.
load_saved_env() {
  local file=$RUN_DIR/stack.env line key
  [[ -f $file ]] || return 0
  while IFS= read -r line; do
    [[ $line =~ ^([A-Z_][A-Z0-9_]*)= ]] || continue
    key=${BASH_REMATCH[1]}
    if [[ -z ${!key+set} ]]; then
      eval "export $line"
    fi
  done <"$file"
}

require_int() { [[ $2 =~ ^[0-9]+$ ]] || die "$1 must be a number, got '$2'"; }

resolve_settings() {
  local off=${RCYCLE_PORT_OFFSET:-0}
  require_int RCYCLE_PORT_OFFSET "$off"
  BUILD_DIR=$(abs_path "${BUILD_DIR:-build}")
  PORT=${PORT:-$((3000 + off))}
  local rpc=tls+tcp
  [[ ${RCYCLE_RPC_INSECURE:-0} =~ ^(1|true|yes|on)$ ]] && rpc=tcp
  RCYCLE_USERS_ADDR=${RCYCLE_USERS_ADDR:-$rpc://127.0.0.1:$((7101 + off))}
  RCYCLE_LISTINGS_ADDR=${RCYCLE_LISTINGS_ADDR:-$rpc://127.0.0.1:$((7102 + off))}
  RCYCLE_CLAIMS_ADDR=${RCYCLE_CLAIMS_ADDR:-$rpc://127.0.0.1:$((7103 + off))}
  RCYCLE_LISTINGS_INTERNAL_ADDR=${RCYCLE_LISTINGS_INTERNAL_ADDR:-$rpc://127.0.0.1:$((7104 + off))}
  RCYCLE_CLAIMS_FEED_ADDR=${RCYCLE_CLAIMS_FEED_ADDR:-$rpc://127.0.0.1:$((7105 + off))}
  RCYCLE_LISTINGS_FEED_ADDR=${RCYCLE_LISTINGS_FEED_ADDR:-$rpc://127.0.0.1:$((7106 + off))}
  RCYCLE_CERTS_DIR=$(abs_path "${RCYCLE_CERTS_DIR:-$RCYCLE_DATA_DIR/certs}")
  RCYCLE_GATEWAY_ADMIN_PORT=${RCYCLE_GATEWAY_ADMIN_PORT:-$((7200 + off))}
  RCYCLE_USERS_ADMIN_PORT=${RCYCLE_USERS_ADMIN_PORT:-$((7201 + off))}
  RCYCLE_LISTINGS_ADMIN_PORT=${RCYCLE_LISTINGS_ADMIN_PORT:-$((7202 + off))}
  RCYCLE_CLAIMS_ADMIN_PORT=${RCYCLE_CLAIMS_ADMIN_PORT:-$((7203 + off))}
  RCYCLE_START_TIMEOUT=${RCYCLE_START_TIMEOUT:-30}
  local v
  for v in PORT RCYCLE_GATEWAY_ADMIN_PORT RCYCLE_USERS_ADMIN_PORT RCYCLE_LISTINGS_ADMIN_PORT \
    RCYCLE_CLAIMS_ADMIN_PORT RCYCLE_START_TIMEOUT; do
    require_int "$v" "${!v}"
  done
  GATEWAY_URL=http://127.0.0.1:$PORT
  export BUILD_DIR PORT RCYCLE_USERS_ADDR RCYCLE_LISTINGS_ADDR RCYCLE_CLAIMS_ADDR \
    RCYCLE_LISTINGS_INTERNAL_ADDR RCYCLE_CLAIMS_FEED_ADDR RCYCLE_LISTINGS_FEED_ADDR RCYCLE_CERTS_DIR \
    RCYCLE_GATEWAY_ADMIN_PORT RCYCLE_USERS_ADMIN_PORT RCYCLE_LISTINGS_ADMIN_PORT \
    RCYCLE_CLAIMS_ADMIN_PORT GATEWAY_URL
}

# The database URLs: DATABASE_URL for everyone, or one role per service on
# the private cluster (its port is known once it runs).
resolve_database_urls() {
  if [[ ${RCYCLE_DB_MODE:-} == private || -z ${DATABASE_URL:-} ]]; then
    RCYCLE_DB_MODE=private
    local port
    port=$("$PG_SH" url | sed -E 's|.*@127\.0\.0\.1:([0-9]+)/.*|\1|')
    RCYCLE_ADMIN_DATABASE_URL=postgresql://postgres@127.0.0.1:$port/rcycle
    RCYCLE_USERS_DATABASE_URL=postgresql://rcycle_users@127.0.0.1:$port/rcycle
    RCYCLE_LISTINGS_DATABASE_URL=postgresql://rcycle_listings@127.0.0.1:$port/rcycle
    RCYCLE_CLAIMS_DATABASE_URL=postgresql://rcycle_claims@127.0.0.1:$port/rcycle
  else
    RCYCLE_DB_MODE=external
    RCYCLE_ADMIN_DATABASE_URL=$DATABASE_URL
    RCYCLE_USERS_DATABASE_URL=$DATABASE_URL
    RCYCLE_LISTINGS_DATABASE_URL=$DATABASE_URL
    RCYCLE_CLAIMS_DATABASE_URL=$DATABASE_URL
  fi
  export RCYCLE_DB_MODE RCYCLE_ADMIN_DATABASE_URL RCYCLE_USERS_DATABASE_URL \
    RCYCLE_LISTINGS_DATABASE_URL RCYCLE_CLAIMS_DATABASE_URL
}

save_env() {
  local file=$RUN_DIR/stack.env v
  local vars=(RCYCLE_ROOT STACK_SH BUILD_DIR RCYCLE_DATA_DIR RUN_DIR GATEWAY_URL PORT
    RCYCLE_USERS_ADDR RCYCLE_LISTINGS_ADDR RCYCLE_CLAIMS_ADDR RCYCLE_LISTINGS_INTERNAL_ADDR
    RCYCLE_CLAIMS_FEED_ADDR RCYCLE_LISTINGS_FEED_ADDR RCYCLE_CERTS_DIR
    RCYCLE_GATEWAY_ADMIN_PORT RCYCLE_USERS_ADMIN_PORT RCYCLE_LISTINGS_ADMIN_PORT RCYCLE_CLAIMS_ADMIN_PORT
    RCYCLE_START_TIMEOUT RCYCLE_DB_MODE RCYCLE_ADMIN_DATABASE_URL
    RCYCLE_USERS_DATABASE_URL RCYCLE_LISTINGS_DATABASE_URL RCYCLE_CLAIMS_DATABASE_URL)
  [[ $RCYCLE_DB_MODE == external ]] && vars+=(DATABASE_URL)
  (
    umask 077 # may hold a database password
    {
      echo "# Written by scripts/stack.sh start at $(date -u +%FT%TZ); KEY=value, shell-quoted."
      for v in "${vars[@]}" "${PASSTHROUGH_VARS[@]}"; do
        if [[ -n ${!v+set} ]]; then printf '%s=%q\n' "$v" "${!v}"; fi
      done
    } >"$file.tmp"
    mv "$file.tmp" "$file"
  )
}

# --- processes -------------------------------------------------------------

declare -A BIN=() ADMIN_PORT=()
# Binary and admin port of every process, from the settings.
resolve_processes() {
  BIN=([svc-users]=$BUILD_DIR/svc-users/svc-users
    [svc-listings]=$BUILD_DIR/svc-listings/svc-listings
    [svc-claims]=$BUILD_DIR/svc-claims/svc-claims
    [gateway]=$BUILD_DIR/gateway/rcycle-gateway)
  ADMIN_PORT=([svc-users]=$RCYCLE_USERS_ADMIN_PORT
    [svc-listings]=$RCYCLE_LISTINGS_ADMIN_PORT
    [svc-claims]=$RCYCLE_CLAIMS_ADMIN_PORT
    [gateway]=$RCYCLE_GATEWAY_ADMIN_PORT)
}

# Accepts a few aliases (listings, rcycle-gateway) and prints the process name.
canonical_name() {
  case $1 in
    svc-users | svc-listings | svc-claims | gateway) echo "$1" ;;
    users | listings | claims) echo "svc-$1" ;;
    rcycle-gateway) echo gateway ;;
    *) die "unknown process '$1' (one of: ${PROCS[*]})" ;;
  esac
}

# The TCP ports a process listens on (admin, and its RPC or public port).
ports_of() {
  local addr=""
  echo "${ADMIN_PORT[$1]}"
  case $1 in
    svc-users) addr=$RCYCLE_USERS_ADDR ;;
    svc-listings) addr="$RCYCLE_LISTINGS_ADDR $RCYCLE_LISTINGS_INTERNAL_ADDR $RCYCLE_LISTINGS_FEED_ADDR" ;;
    svc-claims) addr="$RCYCLE_CLAIMS_ADDR $RCYCLE_CLAIMS_FEED_ADDR" ;;
    gateway) echo "$PORT" ;;
  esac
  for addr in $addr; do
    if [[ $addr =~ ^(tls\+)?tcp://(127\.0\.0\.1|localhost|0\.0\.0\.0|\*)?:([0-9]+)$ ]]; then
      echo "${BASH_REMATCH[3]}"
    fi
  done
}

# The certificate files of one process (scripts/certs.sh): its own, and the
# issuers it trusts at each end of its links (docs/ARCHITECTURE.md).
tls_env_of() {
  local d=$RCYCLE_CERTS_DIR
  echo "RCYCLE_TLS_CERT=$d/$1.crt"
  echo "RCYCLE_TLS_KEY=$d/$1.key"
  case $1 in
    svc-users)
      echo "RCYCLE_TLS_CALLERS_CA=$d/trust/gateway.pem"
      echo "RCYCLE_TLS_LISTINGS_CA=$d/trust/svc-listings.pem"
      echo "RCYCLE_TLS_CLAIMS_CA=$d/trust/svc-claims.pem"
      ;;
    svc-listings)
      echo "RCYCLE_TLS_CALLERS_CA=$d/trust/gateway.pem"
      echo "RCYCLE_TLS_INTERNAL_CALLERS_CA=$d/trust/svc-claims.pem"
      echo "RCYCLE_TLS_FEED_CALLERS_CA=$d/trust/svc-users.pem"
      ;;
    svc-claims)
      echo "RCYCLE_TLS_CALLERS_CA=$d/trust/gateway.pem"
      echo "RCYCLE_TLS_LISTINGS_CA=$d/trust/svc-listings.pem"
      echo "RCYCLE_TLS_FEED_CALLERS_CA=$d/trust/svc-users.pem"
      ;;
    gateway)
      echo "RCYCLE_TLS_USERS_CA=$d/trust/svc-users.pem"
      echo "RCYCLE_TLS_LISTINGS_CA=$d/trust/svc-listings.pem"
      echo "RCYCLE_TLS_CLAIMS_CA=$d/trust/svc-claims.pem"
      ;;
  esac
}

# The environment of one process, as arguments for env(1).
env_args_of() {
  local name=$1
  echo "RCYCLE_USERS_ADDR=$RCYCLE_USERS_ADDR"
  echo "RCYCLE_LISTINGS_ADDR=$RCYCLE_LISTINGS_ADDR"
  echo "RCYCLE_CLAIMS_ADDR=$RCYCLE_CLAIMS_ADDR"
  echo "RCYCLE_LISTINGS_INTERNAL_ADDR=$RCYCLE_LISTINGS_INTERNAL_ADDR"
  echo "RCYCLE_CLAIMS_FEED_ADDR=$RCYCLE_CLAIMS_FEED_ADDR"
  echo "RCYCLE_LISTINGS_FEED_ADDR=$RCYCLE_LISTINGS_FEED_ADDR"
  echo "RCYCLE_ADMIN_PORT=${ADMIN_PORT[$name]}"
  tls_env_of "$name"
  case $name in
    svc-users) echo "DATABASE_URL=$RCYCLE_USERS_DATABASE_URL" ;;
    svc-listings) echo "DATABASE_URL=$RCYCLE_LISTINGS_DATABASE_URL" ;;
    svc-claims) echo "DATABASE_URL=$RCYCLE_CLAIMS_DATABASE_URL" ;;
    gateway) echo "PORT=$PORT" ;; # owns no data: DATABASE_URL is left as the caller's
  esac
}

pid_file() { echo "$RUN_DIR/$1.pid"; }
log_file() { echo "$RUN_DIR/$1.log"; }

# True when NAME's pid file names a live process of NAME's program; sets
# LIVE_PID. A dead process, a zombie, or a reused pid running another program
# does not count. Only builtins: it runs in tight loops.
LIVE_PID=""
live_pid() {
  local name=$1 pid=""
  LIVE_PID=""
  [[ -r $RUN_DIR/$name.pid ]] && read -r pid 2>/dev/null <"$RUN_DIR/$name.pid"
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  pid_state "$name" "$pid"
  [[ $PID_STATE == binary ]] || return 1
  LIVE_PID=$pid
}

# Sets PID_STATE to what pid $2 is to NAME $1: "gone" (no such process, or a
# zombie), "binary" (it runs NAME's program) or "other" (anything else: the
# launcher's shell before it execs, or a pid reused).
pid_state() {
  local stat="" argv0=""
  PID_STATE=gone
  read -r stat 2>/dev/null <"/proc/$2/stat" || return 0
  stat=${stat##*) }
  [[ ${stat%% *} != Z ]] || return 0
  # The program name only: the stack may have been started from another BUILD_DIR.
  read -r -d "" argv0 2>/dev/null <"/proc/$2/cmdline" || true
  if [[ ${argv0##*/} == "${BIN[$1]##*/}" ]]; then PID_STATE=binary; else PID_STATE=other; fi
}

port_is_free() { ! timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }

http_ok() { curl -fsS -o /dev/null --max-time 2 "$1" 2>/dev/null; }

# Starts NAME in the background in its own session (a Ctrl-C in the terminal
# reaches the scripts, which stop the processes in order); the process itself
# writes its pid file before exec'ing the binary, so the pid is exact.
launch() {
  local name=$1 bin=${BIN[$1]} pid_file log_file port i env_args pid
  [[ -x $bin ]] || die "$bin is missing: build first (make build, or set BUILD_DIR)"
  for port in $(ports_of "$name"); do
    port_is_free "$port" || die "cannot start $name: port $port is already in use (another stack? see RCYCLE_PORT_OFFSET)"
  done
  pid_file=$(pid_file "$name")
  log_file=$(log_file "$name")
  mapfile -t env_args < <(env_args_of "$name")
  rm -f "$pid_file"
  echo "=== $(date -u +%FT%TZ) stack.sh starts $bin ===" >>"$log_file"
  # shellcheck disable=SC2016 # $$, $0 and $@ belong to the inner shell
  setsid bash -c 'echo $$ >"$0.tmp" && mv "$0.tmp" "$0" && echo "=== pid $$ ===" && exec "$@"' "$pid_file" \
    env "${env_args[@]}" "$bin" </dev/null >>"$log_file" 2>&1 &
  for ((i = 0; i < 100; i++)); do
    [[ -s $pid_file ]] && break
    sleep 0.05
  done
  [[ -s $pid_file ]] || die "$name did not start (log: $log_file)"
  # The pid file is written before the two execs (bash, then env): until the
  # pid runs the binary, live_pid would take it for a process that exited.
  # So wait for the binary, or for the pid to be gone (wait_ready reports it).
  read -r pid <"$pid_file"
  for ((i = 0; i < 200; i++)); do
    pid_state "$name" "$pid"
    [[ $PID_STATE == other ]] || return 0
    sleep 0.025
  done
}

# Health URLs that must answer 200 before NAME counts as ready: /healthz on
# its admin port, then /readyz (the gateway's on its public port).
ready_urls_of() {
  local admin=http://127.0.0.1:${ADMIN_PORT[$1]}
  echo "$admin/healthz"
  if [[ $1 == gateway ]]; then
    echo "$GATEWAY_URL/readyz"
  else
    echo "$admin/readyz"
  fi
}

print_log_tails() {
  local name
  for name in "$@"; do
    echo "----- $(log_file "$name") (last 30 lines) -----" >&2
    tail -n 30 "$(log_file "$name")" >&2 2>/dev/null || true
  done
}

# Waits until every NAME answers its health URLs; fails at once if one exits.
wait_ready() {
  local deadline=$((SECONDS + RCYCLE_START_TIMEOUT)) name url pending
  while :; do
    pending=()
    for name in "$@"; do
      if ! live_pid "$name"; then
        print_log_tails "$name"
        note "$name exited during start-up"
        return 1
      fi
      for url in $(ready_urls_of "$name"); do
        if ! http_ok "$url"; then
          pending+=("$name ($url)")
          break
        fi
      done
    done
    ((${#pending[@]} == 0)) && return 0
    if ((SECONDS >= deadline)); then
      print_log_tails "$@"
      note "not ready after ${RCYCLE_START_TIMEOUT} s: ${pending[*]}"
      return 1
    fi
    sleep 0.2
  done
}

# Waits up to $2 seconds for every NAME in the rest to be gone. Returns 1 if
# one is still there.
wait_gone() {
  local timeout=$1 i name alive
  shift
  for ((i = 0; i < timeout * 20; i++)); do
    alive=0
    for name in "$@"; do
      live_pid "$name" && alive=1
    done
    ((alive == 0)) && return 0
    sleep 0.05
  done
  return 1
}

# Sends SIG to NAME and waits up to TIMEOUT seconds for it to exit.
signal_and_wait() {
  local name=$1 sig=$2 timeout=$3
  live_pid "$name" || return 0
  kill -s "$sig" "$LIVE_PID" 2>/dev/null || true
  wait_gone "$timeout" "$name"
}

# --- commands --------------------------------------------------------------

run_migrations() {
  local migrate=$BUILD_DIR/db/rcycle-migrate log=$RUN_DIR/migrate.log seed=(--seed db/seed)
  [[ ${RCYCLE_STACK_SEED:-1} == 0 ]] && seed=()
  if ! DATABASE_URL=$RCYCLE_ADMIN_DATABASE_URL "$migrate" --dir db/migrations "${seed[@]}" \
    </dev/null >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    note "migrations failed (log: $log)"
    return 1
  fi
}

# On a failed start, stop what this start started (processes, and the
# private PostgreSQL), never what ran before it. Logs stay in $RUN_DIR.
STARTED_PROCS=()
STARTED_PG=0
START_DONE=0
stop_after_failed_start() {
  ((START_DONE == 0)) || return 0
  ((${#STARTED_PROCS[@]} > 0 || STARTED_PG == 1)) || return 0
  note "start failed; stopping what it started (logs in $RUN_DIR)"
  local name
  for name in "${STARTED_PROCS[@]}"; do
    signal_and_wait "$name" TERM "$STOP_TIMEOUT" || signal_and_wait "$name" KILL 5 || true
    rm -f "$(pid_file "$name")"
  done
  if ((STARTED_PG == 1)); then
    "$PG_SH" stop || true
    rm -f "$RUN_DIR/pg.started"
  fi
}

cmd_start() {
  mkdir -p "$RUN_DIR"
  local name missing=()
  for name in "${PROCS[@]}"; do
    [[ -x ${BIN[$name]} ]] || missing+=("${BIN[$name]}")
  done
  [[ -x $BUILD_DIR/db/rcycle-migrate ]] || missing+=("$BUILD_DIR/db/rcycle-migrate")
  ((${#missing[@]} == 0)) || die "missing binaries (make build, or set BUILD_DIR): ${missing[*]}"

  trap stop_after_failed_start EXIT
  if [[ -z ${DATABASE_URL:-} ]]; then
    if ! "$PG_SH" status >/dev/null 2>&1; then
      STARTED_PG=1
      "$PG_SH" start
      touch "$RUN_DIR/pg.started" # this stack owns it: stop stops it
    else
      "$PG_SH" start # running already: only makes sure database rcycle exists
    fi
  fi
  unset RCYCLE_DB_MODE
  resolve_database_urls
  save_env
  "$ROOT/scripts/certs.sh" make "$RCYCLE_CERTS_DIR" || exit 1

  run_migrations || exit 1
  for name in "${PROCS[@]}"; do
    if live_pid "$name"; then
      note "$name already running (pid $LIVE_PID)"
      continue
    fi
    : >"$(log_file "$name")"
    STARTED_PROCS+=("$name")
    launch "$name"
  done
  wait_ready "${PROCS[@]}" || exit 1
  START_DONE=1
}

# Stops every process (gateway first), then the private PostgreSQL if this
# stack started it. Exit 1 if a process had died before, or needed SIGKILL.
cmd_stop() {
  local rc=0 name signalled=()
  for name in gateway svc-claims svc-listings svc-users; do
    [[ -f $(pid_file "$name") ]] || continue
    if ! live_pid "$name"; then
      note "$name had exited before stop (see $(log_file "$name"))"
      rc=1
      rm -f "$(pid_file "$name")"
      continue
    fi
    kill -TERM "$LIVE_PID" 2>/dev/null || true
    signalled+=("$name")
  done
  if ((${#signalled[@]} > 0)) && ! wait_gone "$STOP_TIMEOUT" "${signalled[@]}"; then
    for name in "${signalled[@]}"; do
      live_pid "$name" || continue
      note "$name did not stop within $STOP_TIMEOUT s of SIGTERM: SIGKILL"
      dump_threads "$name"
      signal_and_wait "$name" KILL 5 || note "$name (pid $LIVE_PID) survived SIGKILL"
      rc=1
    done
  fi
  for name in "${signalled[@]}"; do
    rm -f "$(pid_file "$name")"
  done
  if [[ -f $RUN_DIR/pg.started ]]; then
    "$PG_SH" stop || rc=1
    rm -f "$RUN_DIR/pg.started"
  fi
  return $rc
}

cmd_status() {
  local name
  for name in "${PROCS[@]}"; do
    if live_pid "$name"; then
      printf '%-13s running  pid %-7s admin :%s\n' "$name" "$LIVE_PID" "${ADMIN_PORT[$name]}"
    else
      printf '%-13s stopped\n' "$name"
    fi
  done
  if [[ ${RCYCLE_DB_MODE:-} != external && -z ${DATABASE_URL:-} ]]; then
    printf '%-13s %s\n' postgres "$("$PG_SH" status || true)"
  fi
  echo "gateway URL   $GATEWAY_URL"
}

# Sends SIG (default TERM) to one process and waits until it is gone.
# Appends the stack of every thread of NAME (still running after SIGTERM) to
# its log, when gdb is there: where a process hangs on its way out.
dump_threads() {
  live_pid "$1" || return 0
  command -v gdb >/dev/null || return 0
  {
    echo "=== $(date -u +%FT%TZ) stack.sh: pid $LIVE_PID still running after SIGTERM; its threads ==="
    timeout 30 gdb -p "$LIVE_PID" -batch -nx -ex "thread apply all bt" 2>&1 | grep -E '^(Thread|#)' || true
  } >>"$(log_file "$1")"
}

cmd_kill_one() {
  local name sig=${2:-TERM}
  name=$(canonical_name "$1")
  if ! live_pid "$name"; then
    note "$name is not running"
    rm -f "$(pid_file "$name")"
    return 0
  fi
  if ! signal_and_wait "$name" "$sig" "$STOP_TIMEOUT"; then
    note "$name still running $STOP_TIMEOUT s after SIG${sig#SIG}"
    [[ ${sig#SIG} != TERM ]] || dump_threads "$name"
    return 1
  fi
  rm -f "$(pid_file "$name")"
}

cmd_start_one() {
  local name
  name=$(canonical_name "$1")
  resolve_database_urls
  if live_pid "$name"; then
    note "$name already running (pid $LIVE_PID)"
  else
    launch "$name"
  fi
  wait_ready "$name" || die "$name did not become ready; log: $(log_file "$name")"
}

cmd_restart_one() {
  local name sig=${2:-TERM}
  name=$(canonical_name "$1")
  if ! cmd_kill_one "$name" "$sig"; then
    note "escalating to SIGKILL"
    cmd_kill_one "$name" KILL
  fi
  cmd_start_one "$name"
}

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//' >&2
  exit 2
}

main() {
  local cmd=${1:-}
  [[ $# -gt 0 ]] && shift
  case $cmd in
    start | stop | status | kill-one | start-one | restart-one | env) ;;
    *) usage ;;
  esac
  resolve_dirs "$cmd"
  resolve_settings
  resolve_processes
  case $cmd in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    kill-one | start-one | restart-one) [[ $# -ge 1 ]] || usage ;;&
    kill-one) cmd_kill_one "$@" ;;
    start-one) cmd_start_one "$1" ;;
    restart-one) cmd_restart_one "$@" ;;
    env)
      [[ -f $RUN_DIR/stack.env ]] || die "no $RUN_DIR/stack.env (the stack was never started)"
      grep -v '^#' "$RUN_DIR/stack.env"
      ;;
  esac
}

main "$@"
