# own-stack.sh - sourced by the suites that run on a stack of their own
# (test-crash.sh, test-soak.sh).
#
# own_stack NAME OFFSET starts a fresh stack under .data/test/NAME (its data
# wiped first) with every port shifted by OFFSET (gateway 3100 + OFFSET), and
# stops it and its PostgreSQL when the script exits, whatever happens. Call
# it from the repository root; it exports the stack's settings.

own_stack_stop() {
  scripts/stack.sh stop >/dev/null 2>&1 || true
  scripts/pg.sh stop >/dev/null 2>&1 || true
}

own_stack() {
  local name=$1 offset=$2
  export RCYCLE_DATA_DIR=$PWD/.data/test/$name RCYCLE_PORT_OFFSET=$offset PORT=$((3100 + offset))
  export BUILD_DIR=${BUILD_DIR:-build}
  trap own_stack_stop EXIT
  own_stack_stop
  rm -rf "$RCYCLE_DATA_DIR"
  scripts/stack.sh start
  test/integration/install.sh
  set -a
  # shellcheck disable=SC1091 # written by stack.sh start
  . "$RCYCLE_DATA_DIR/run/stack.env"
  set +a
}
