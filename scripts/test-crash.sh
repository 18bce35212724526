#!/usr/bin/env bash
# test-crash.sh - the crash-consistency suite (test/integration/crash/) on a
# stack of its own (.data/test/crash, ports shifted by RCYCLE_CRASH_PORT_OFFSET,
# default 20: gateway 3120), CRASH_REPEAT rounds (default 5). Stops the stack
# whatever happens.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
offset=${RCYCLE_CRASH_PORT_OFFSET:-20}
export RCYCLE_DATA_DIR=$ROOT/.data/test/crash RCYCLE_PORT_OFFSET=$offset PORT=$((3100 + offset))
export BUILD_DIR=${BUILD_DIR:-build}

stop_stack() {
  scripts/stack.sh stop >/dev/null 2>&1 || true
  scripts/pg.sh stop >/dev/null 2>&1 || true
}
trap stop_stack EXIT

stop_stack
rm -rf "$RCYCLE_DATA_DIR"
scripts/stack.sh start
test/integration/install.sh
RUN_DIR=$RCYCLE_DATA_DIR/run STACK_SH=$ROOT/scripts/stack.sh CRASH_REPEAT=${CRASH_REPEAT:-5} \
  node --test --test-concurrency=1 test/integration/crash/invariant.crash.mjs
