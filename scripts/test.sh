#!/usr/bin/env bash
# test.sh - every test of R-Cycle, as `make test` and .ci/run run them.
#
# First it checks the REST contract, docs/openapi.yaml (do_openapi), and the
# code style (do_style: clang-format, files under 600 lines) and the alert
# rules (scripts/test-monitoring.sh rules: promtool test rules). Then, for
# each of two builds - release (build/, RelWithDebInfo) and sanitizers
# (build-asan/, -DRCYCLE_SANITIZE=ON: ASan + UBSan) - it builds, runs the unit
# tests (ctest -L unit), starts a test stack with its own fresh PostgreSQL
# under .data/test/<build> on test ports (gateway 3100, services 7111-7113,
# admin 7210-7213), runs the integration suite against it (and, for the
# release build, the browser suite and a real Prometheus scraping it:
# scripts/test-monitoring.sh live), and stops it. The
# sanitizer build also fails on any sanitizer report of any process.
# Whatever it started is stopped on exit, failure or Ctrl-C. It prints one line
# per step and ends with "N passed, N failed"; exit status 1 on any failure.
#
# Environment:
#   RCYCLE_TEST_PORT_OFFSET    port offset of the test stack (10; see stack.sh)
#   RCYCLE_TEST_GATEWAY_PORT   gateway port of the test stack (3100)
#   RCYCLE_TEST_OIDC_PORT      HTTPS port of the test OpenID provider (7340 + offset)
#   RCYCLE_TEST_OIDC_CONTROL_PORT  its control port (7341 + offset)
#   RCYCLE_TEST_DATABASE_URL   run the stacks against this database instead of a
#                              private cluster (DATABASE_URL itself is ignored here
#                              so that tests never write into a working database)
#   RCYCLE_TEST_TIMEOUT        seconds allowed to one integration test (300)
#   RCYCLE_TEST_SKIP_ASAN=1    only the release build (quicker local runs)
#   RCYCLE_CRASH_REPEAT        rounds of the crash-consistency suite (1; make test-crash: 5)
#   RCYCLE_SOAK_SECONDS        seconds of the soak under faults (60; make test-soak: 600)
#   RCYCLE_RESTORE_PORT_OFFSET port offset of the restore test's stacks (40)
#   RCYCLE_FUZZ_SECONDS        seconds each fuzz target runs (10)
#   RCYCLE_TEST_PROMETHEUS_PORT  port of the Prometheus that scrapes the release
#                              stack (7290 + RCYCLE_TEST_PORT_OFFSET)
#   JOBS                       build and ctest parallelism (nproc)
#
# The integration suite is test/integration/**/*.test.{js,mjs,cjs} run by
# `node --test` (helpers: any other name). It gets, besides everything in the
# stack's stack.env (see scripts/stack.sh: GATEWAY_URL, PORT, RUN_DIR,
# BUILD_DIR, RCYCLE_*_ADMIN_PORT, RCYCLE_*_ADDR, RCYCLE_*_DATABASE_URL, ...),
# STACK_SH (path of scripts/stack.sh, e.g. "$STACK_SH" restart-one svc-listings KILL)
# and RCYCLE_TEST_BUILD (release or asan).
set -euo pipefail
umask 022 # the postgres user must be able to traverse the directories made here

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
STACK=$ROOT/scripts/stack.sh
TEST_DATA=$ROOT/.data/test
JOBS=${JOBS:-$(nproc)}

CURRENT_DATA_DIR="" # the test stack that runs now, stopped by the EXIT trap

# shellcheck source=scripts/steps.sh
. "$ROOT/scripts/steps.sh"

# What the machine was like, for a failure that only another machine shows:
# its size and limits, its load, and the processes that used most CPU.
machine() {
  echo "machine: $(nproc) cores, $(awk '/MemAvailable/ {printf "%d MiB available", $2 / 1024}' /proc/meminfo)," \
    "open files $(ulimit -n), load $(cut -d' ' -f1-3 /proc/loadavg)"
  ps -eo pcpu=,etimes=,comm= --sort=-pcpu | head -5 | awk '{printf "  %5s%% cpu over %6s s  %s\n", $1, $2, $3}'
}

summary() {
  machine
  print_steps "summary"
}

# Stops a test helper beside the stack of data directory $1 (oidc: the
# OpenID provider, mail: the SMTP relay), if it runs.
stop_test_helper() {
  local pid_file=$1/$2.pid pid
  [[ -f $pid_file ]] || return 0
  pid=$(<"$pid_file")
  if [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$pid_file"
}

# Stops the current test stack, if any (EXIT/INT/TERM trap and between builds).
stop_current_stack() {
  [[ -n $CURRENT_DATA_DIR ]] || return 0
  local rc=0
  RCYCLE_DATA_DIR=$CURRENT_DATA_DIR "$STACK" stop || rc=$?
  RCYCLE_DATA_DIR=$CURRENT_DATA_DIR "$ROOT/scripts/pg.sh" stop || true
  stop_test_helper "$CURRENT_DATA_DIR" oidc
  stop_test_helper "$CURRENT_DATA_DIR" mail
  CURRENT_DATA_DIR=""
  return $rc
}

on_exit() {
  local rc=$?
  trap - EXIT INT TERM
  stop_current_stack >/dev/null 2>&1 || true
  exit $rc
}

on_signal() {
  echo "interrupted" >&2
  trap - EXIT INT TERM
  stop_current_stack || true
  summary
  exit 130
}

# --- environment ---------------------------------------------------------------

# A clean slate: nothing of a caller's stack settings leaks into the test
# stacks, and a stack left over by an interrupted run is stopped and wiped.
reset_environment() {
  unset PORT RCYCLE_USERS_ADDR RCYCLE_LISTINGS_ADDR RCYCLE_CLAIMS_ADDR RCYCLE_ADMIN_PORT \
    RCYCLE_LISTINGS_INTERNAL_ADDR RCYCLE_CLAIMS_FEED_ADDR RCYCLE_LISTINGS_FEED_ADDR RCYCLE_CERTS_DIR \
    RCYCLE_GATEWAY_ADMIN_PORT RCYCLE_USERS_ADMIN_PORT RCYCLE_LISTINGS_ADMIN_PORT \
    RCYCLE_CLAIMS_ADMIN_PORT RUN_DIR BUILD_DIR RCYCLE_DATA_DIR DATABASE_URL \
    ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS RCYCLE_PORT_OFFSET GATEWAY_URL
  local dir
  for dir in "$TEST_DATA"/*/; do
    [[ -d $dir ]] || continue
    RCYCLE_DATA_DIR=$dir "$STACK" stop >/dev/null 2>&1 || true
    RCYCLE_DATA_DIR=$dir "$ROOT/scripts/pg.sh" stop >/dev/null 2>&1 || true
    stop_test_helper "${dir%/}" oidc
    stop_test_helper "${dir%/}" mail
  done
  rm -rf "$TEST_DATA"
  mkdir -p "$TEST_DATA"
}

# The environment of the test stack of one build, as arguments for env(1).
stack_env() {
  local build=$1 build_dir=$2 data_dir=$TEST_DATA/$1
  echo "BUILD_DIR=$build_dir"
  echo "RCYCLE_DATA_DIR=$data_dir"
  echo "RCYCLE_PORT_OFFSET=${RCYCLE_TEST_PORT_OFFSET:-10}"
  echo "PORT=${RCYCLE_TEST_GATEWAY_PORT:-3100}"
  echo "RCYCLE_TEST_BUILD=$build"
  echo "RCYCLE_START_TIMEOUT=${RCYCLE_START_TIMEOUT:-60}" # sanitizer builds on a busy CI machine
  # The suite's requests come from 127.0.0.1 and name their own client in
  # X-Forwarded-For (test/integration/lib.mjs); 127.0.0.2 stays untrusted.
  echo "RCYCLE_TRUSTED_PROXIES=127.0.0.1"
  [[ -n ${RCYCLE_TEST_DATABASE_URL:-} ]] && echo "DATABASE_URL=$RCYCLE_TEST_DATABASE_URL"
  if [[ $build == asan ]]; then
    local run_dir=$data_dir/run lsan="" supp=$ROOT/test/lsan.supp
    [[ -f $supp ]] && lsan="suppressions=$supp:print_suppressions=0"
    # A small quarantine (ASan's default keeps 256 MB of freed memory), so
    # that the memory-bound tests measure the processes, not ASan.
    echo "ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:quarantine_size_mb=16:log_path=$run_dir/asan"
    echo "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:log_path=$run_dir/ubsan"
    echo "LSAN_OPTIONS=$lsan"
  fi
  return 0
}

# Sanitizer options for unit tests: reports go to the test's output.
unit_env() {
  if [[ $1 == asan ]]; then
    local supp=$ROOT/test/lsan.supp
    echo "ASAN_OPTIONS=detect_leaks=1:abort_on_error=0"
    echo "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1"
    [[ -f $supp ]] && echo "LSAN_OPTIONS=suppressions=$supp:print_suppressions=0"
  fi
  return 0
}

# --- steps ---------------------------------------------------------------------

do_build() {
  local build_dir=$1
  shift
  cmake -S . -B "$build_dir" "$@" && cmake --build "$build_dir" -j "$JOBS"
}

do_unit() {
  local build=$1 build_dir=$2 env_args
  mapfile -t env_args < <(unit_env "$build")
  env "${env_args[@]}" ctest --test-dir "$build_dir" --output-on-failure -L unit \
    --no-tests=error -j "$JOBS"
}

# Starts a test helper beside the stack: node SCRIPT ARGS... with its files
# under data directory $1 as NAME ($2: NAME.pid, NAME.log, and NAME/, where
# it writes ready.env, the settings the stack gets, once it listens); $3 says
# what it is when it does not start.
start_test_helper() {
  local data_dir=$1 name=$2 what=$3 i
  shift 3
  mkdir -p "$data_dir"
  rm -rf "${data_dir:?}/$name"
  node "$@" </dev/null >"$data_dir/$name.log" 2>&1 &
  echo $! >"$data_dir/$name.pid"
  for ((i = 0; i < 300; i++)); do
    [[ -f $data_dir/$name/ready.env ]] && return 0
    kill -0 "$(<"$data_dir/$name.pid")" 2>/dev/null || break
    sleep 0.1
  done
  echo "$what did not start:" >&2
  tail -n 20 "$data_dir/$name.log" >&2
  return 1
}

# The suite's OpenID provider (test/integration/oidc/provider.mjs: the
# oidc-provider package over HTTPS with a throwaway CA), started before the
# stack so that the stack gets its RCYCLE_OIDC_* settings; writes them to
# $1/oidc/ready.env.
start_test_idp() {
  local off=${RCYCLE_TEST_PORT_OFFSET:-10}
  local port=${RCYCLE_TEST_OIDC_PORT:-$((7340 + off))}
  local control=${RCYCLE_TEST_OIDC_CONTROL_PORT:-$((7341 + off))}
  local callback=http://127.0.0.1:${RCYCLE_TEST_GATEWAY_PORT:-3100}/api/auth/oidc/callback
  "$ROOT/test/integration/install.sh" || return 1
  start_test_helper "$1" oidc "the test OpenID provider" \
    "$ROOT/test/integration/oidc/provider.mjs" "$1/oidc" "$port" "$control" "$callback"
}

# The suite's SMTP relay (test/integration/mail/relay.mjs: the smtp-server
# package, STARTTLS with a throwaway CA), started before the stack so that
# svc-users gets its RCYCLE_SMTP_* settings; writes them to $1/mail/ready.env.
start_test_relay() {
  local off=${RCYCLE_TEST_PORT_OFFSET:-10}
  local port=${RCYCLE_TEST_SMTP_PORT:-$((7342 + off))}
  local control=${RCYCLE_TEST_SMTP_CONTROL_PORT:-$((7343 + off))}
  local public=http://127.0.0.1:${RCYCLE_TEST_GATEWAY_PORT:-3100}
  start_test_helper "$1" mail "the test SMTP relay" \
    "$ROOT/test/integration/mail/relay.mjs" "$1/mail" "$port" "$control" "$public"
}

do_stack_start() {
  local build=$1 build_dir=$2 env_args
  mapfile -t env_args < <(stack_env "$build" "$build_dir")
  CURRENT_DATA_DIR=$TEST_DATA/$build
  start_test_idp "$CURRENT_DATA_DIR" || return 1
  mapfile -t -O "${#env_args[@]}" env_args <"$CURRENT_DATA_DIR/oidc/ready.env"
  start_test_relay "$CURRENT_DATA_DIR" || return 1
  mapfile -t -O "${#env_args[@]}" env_args <"$CURRENT_DATA_DIR/mail/ready.env"
  env "${env_args[@]}" "$STACK" start || return 1
  load_test_registry "$build_dir" || return 1
  RCYCLE_DATA_DIR=$CURRENT_DATA_DIR "$STACK" status
}

# The registry devices the suite lists beyond the seed's
# (test/integration/registry.csv, serials SRV9nn-TEST ...), loaded as an operator
# would load an asset export.
load_test_registry() {
  (
    set -a
    # shellcheck source=/dev/null
    . "$CURRENT_DATA_DIR/run/stack.env"
    DATABASE_URL=$RCYCLE_LISTINGS_DATABASE_URL "$1/db/rcycle-admin" import-hardware \
      "$ROOT/test/integration/registry.csv" >/dev/null
  )
}

integration_files() {
  find test/integration -type d -name node_modules -prune -o -type f \
    \( -name '*.test.js' -o -name '*.test.mjs' -o -name '*.test.cjs' \) -print 2>/dev/null | sort
}

do_integration() {
  local build=$1 files tap
  mapfile -t files < <(integration_files)
  if ((${#files[@]} == 0)); then
    echo "no integration tests: expected test/integration/**/*.test.{js,mjs,cjs}" >&2
    return 1
  fi
  command -v node >/dev/null || {
    echo "node is missing (scripts/deps.sh installs it)" >&2
    return 1
  }
  "$ROOT/test/integration/install.sh" || return 1
  tap=$CURRENT_DATA_DIR/run/integration.tap
  (
    # The stack's settings, as stack.sh recorded them, plus where stack.sh is.
    set -a
    # shellcheck disable=SC1091 # written by stack.sh start
    . "$CURRENT_DATA_DIR/run/stack.env"
    set +a
    export STACK_SH=$STACK RCYCLE_TEST_BUILD=$build
    # One file at a time: the files share one stack, and some crash its processes.
    # No timeout(1) wrapper: it would move node out of the terminal's process
    # group, and Ctrl-C would not reach it. Each test gets a time limit instead.
    exec node --test --test-concurrency=1 --test-timeout="$((${RCYCLE_TEST_TIMEOUT:-300} * 1000))" \
      --test-reporter=spec --test-reporter-destination=stdout \
      --test-reporter=tap --test-reporter-destination="$tap" "${files[@]}"
  ) || return $?
  # node --test passes when it finds no test at all; that is not a pass here.
  if ! grep -Eq '^# tests [1-9]' "$tap"; then
    echo "the integration suite ran no test" >&2
    return 1
  fi
}

# docs/openapi.yaml: valid OpenAPI 3.1 (a real validator from npm), every
# schema compiles as the integration suite compiles it, and its operations
# are exactly the routes of gateway/routes.c. Needs no build and no stack.
do_openapi() {
  "$ROOT/test/integration/install.sh" && node "$ROOT/test/integration/tools/check-openapi.mjs"
}

# The code standards a machine can check: every C file of the repository as
# the root .clang-format has it, and none of 600 lines or more.
do_style() {
  local files long
  mapfile -t files < <(git -C "$ROOT" ls-files '*.c' '*.h')
  ((${#files[@]} > 0)) || { echo "no C files found (not a git checkout?)" >&2; return 1; }
  (cd "$ROOT" && clang-format --dry-run -Werror "${files[@]}") || return 1
  long=$(cd "$ROOT" && wc -l "${files[@]}" | awk '$2 != "total" && $1 >= 600 {print $2 " (" $1 " lines)"}')
  [[ -z $long ]] || { echo "files of 600 lines or more: $long" >&2; return 1; }
}

# The browser end-to-end suite (test/e2e) in headless Chromium against the
# running test stack; screenshots land in $BUILD_DIR/e2e-screenshots.
do_e2e() {
  (
    set -a
    # shellcheck disable=SC1091 # written by stack.sh start
    . "$CURRENT_DATA_DIR/run/stack.env"
    set +a
    exec "$ROOT/test/e2e/run.sh"
  )
}

# A real Prometheus scrapes the running stack with the alert rules, and
# answers every query of the dashboard (scripts/test-monitoring.sh live).
do_monitoring() {
  RUN_DIR=$CURRENT_DATA_DIR/run \
    RCYCLE_PROMETHEUS_PORT=${RCYCLE_TEST_PROMETHEUS_PORT:-$((7290 + ${RCYCLE_TEST_PORT_OFFSET:-10}))} \
    "$ROOT/scripts/test-monitoring.sh" live
}

do_stack_stop() {
  stop_current_stack
}

# nng_cycles_only REPORT: whether a LeakSanitizer report holds nothing but
# indirect leaks of memory libnng allocated itself (the first frame past the
# allocator is in libnng.so). Such a report is a cycle of nng's own objects
# that nothing points to any more: libnng 1.5.2 loses a TLS connection whose
# peer went away mid-handshake this way, with the listener or dialer it
# references (test/lsan.supp names the cases it can; these allocations run
# on nng's own threads, whose stripped frames no suppression can name). Any
# memory R-Cycle loses, nng's messages included, is a direct leak, and any
# other sanitizer report counts.
nng_cycles_only() {
  awk '
    /ERROR: LeakSanitizer/ { lsan = 1; next }
    /^(Direct|Indirect) leak of/ { leaks++; if ($1 == "Direct") other = 1; want = 1; next }
    want && /^ *#1 / { if ($0 !~ /libnng\.so/) other = 1; want = 0; next }
    /ERROR: (AddressSanitizer|UndefinedBehaviorSanitizer)|runtime error:/ { other = 1 }
    END { exit !(lsan && leaks > 0 && !other) }
  ' "$1"
}

# Fails on any sanitizer report: a log_path file, or a report in a process log.
do_sanitizer_check() {
  local run_dir=$TEST_DATA/asan/run found=0 f
  local pid owner
  for f in "$run_dir"/asan.* "$run_dir"/ubsan.*; do
    [[ -e $f ]] || continue
    # Whose report: stack.sh writes "=== pid N ===" into a process's log at start.
    pid=${f##*.}
    owner=$(grep -l -x "=== pid $pid ===" "$run_dir"/*.log 2>/dev/null | head -n 1 || true)
    owner=${owner##*/}
    if nng_cycles_only "$f"; then
      echo "----- $f (${owner%.log}${owner:+, }pid $pid): only libnng's own unreachable objects ($(grep -c '^Indirect leak of' "$f") indirect leaks), not counted -----"
      continue
    fi
    found=1
    echo "----- $f (${owner%.log}${owner:+, }pid $pid) -----"
    head -n 60 "$f"
  done
  for f in "$run_dir"/*.log; do
    [[ -e $f ]] || continue
    if grep -Eq 'runtime error:|AddressSanitizer|LeakSanitizer|ThreadSanitizer' "$f"; then
      found=1
      echo "----- $f -----"
      grep -En -A 20 'runtime error:|AddressSanitizer|LeakSanitizer|ThreadSanitizer' "$f" | head -n 60
    fi
  done
  ((found == 0)) || {
    echo "sanitizer reports found (above)" >&2
    return 1
  }
  echo "no sanitizer reports"
}

# Runs every step of one build; a failed build skips the rest of it.
run_build() {
  local build=$1 build_dir=$2
  shift 2
  if ! step "build ($build)" do_build "$build_dir" "$@"; then
    skip "unit tests ($build)" "build failed"
    skip "integration ($build)" "build failed"
    [[ $build == asan ]] && skip "sanitizer reports ($build)" "build failed"
    return 0
  fi
  step "unit tests ($build)" do_unit "$build" "$build_dir" || true
  if step "stack start ($build)" do_stack_start "$build" "$build_dir"; then
    step "integration ($build)" do_integration "$build" || true
    if [[ $build == release ]]; then
      step "browser end-to-end ($build)" do_e2e || true
      step "monitoring: Prometheus scrapes the stack, rules evaluate, dashboard queries answer ($build)" \
        do_monitoring || true
    fi
    step "stack stop ($build)" do_stack_stop || true
  else
    stop_current_stack >/dev/null 2>&1 || true
    skip "integration ($build)" "stack did not start"
  fi
  if [[ $build == asan ]]; then
    step "sanitizer reports ($build)" do_sanitizer_check || true
  fi
}

main() {
  trap on_exit EXIT
  trap on_signal INT TERM
  reset_environment
  machine
  if ! step "dependencies" "$ROOT/scripts/deps.sh"; then
    summary
    exit 1
  fi
  step "OpenAPI document" do_openapi || true
  step "code style (clang-format, file length)" do_style || true
  step "alert rules (promtool test rules)" "$ROOT/scripts/test-monitoring.sh" rules || true
  run_build release build -DCMAKE_BUILD_TYPE=RelWithDebInfo
  step "crash consistency (release, ${RCYCLE_CRASH_REPEAT:-1} round)" \
    env CRASH_REPEAT="${RCYCLE_CRASH_REPEAT:-1}" BUILD_DIR=build "$ROOT/scripts/test-crash.sh" || true
  step "soak under faults (release, ${RCYCLE_SOAK_SECONDS:-60} s)" \
    env SOAK_SECONDS="${RCYCLE_SOAK_SECONDS:-60}" BUILD_DIR=build "$ROOT/scripts/test-soak.sh" || true
  step "backup restores (release: CronJob's dump into a fresh PostgreSQL)" \
    env BUILD_DIR=build "$ROOT/scripts/test-restore.sh" || true
  step "fuzz (${RCYCLE_FUZZ_SECONDS:-10} s per target)" \
    env FUZZ_SECONDS="${RCYCLE_FUZZ_SECONDS:-10}" "$ROOT/scripts/fuzz.sh" || true
  if [[ ${RCYCLE_TEST_SKIP_ASAN:-0} == 1 ]]; then
    skip "sanitizer build" "RCYCLE_TEST_SKIP_ASAN=1"
  else
    run_build asan build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRCYCLE_SANITIZE=ON
  fi
  summary
  ((FAILED == 0))
}

main "$@"
