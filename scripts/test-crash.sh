#!/usr/bin/env bash
# test-crash.sh - the crash-consistency suite (test/integration/crash/) on a
# stack of its own (.data/test/crash, ports shifted by RCYCLE_CRASH_PORT_OFFSET,
# default 20: gateway 3120), CRASH_REPEAT rounds (default 5). Stops the stack
# whatever happens.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# shellcheck source=scripts/own-stack.sh
. scripts/own-stack.sh
own_stack crash "${RCYCLE_CRASH_PORT_OFFSET:-20}"
STACK_SH=$ROOT/scripts/stack.sh CRASH_REPEAT=${CRASH_REPEAT:-5} \
  node --test --test-concurrency=1 test/integration/crash/invariant.crash.mjs
