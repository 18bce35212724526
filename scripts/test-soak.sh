#!/usr/bin/env bash
# test-soak.sh - the soak under faults (test/soak/soak.mjs) on a stack of its
# own (.data/test/soak, ports shifted by RCYCLE_SOAK_PORT_OFFSET, default 150:
# gateway 3250), for SOAK_SECONDS (default 600; make test runs a short round).
# Stops the stack whatever happens.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
offset=${RCYCLE_SOAK_PORT_OFFSET:-150}
export RCYCLE_DATA_DIR=$ROOT/.data/test/soak RCYCLE_PORT_OFFSET=$offset PORT=$((3100 + offset))
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
set -a
# shellcheck disable=SC1091 # written by stack.sh start
. "$RCYCLE_DATA_DIR/run/stack.env"
set +a
SOAK_SECONDS=${SOAK_SECONDS:-600} node test/soak/soak.mjs
