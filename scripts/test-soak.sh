#!/usr/bin/env bash
# test-soak.sh - the soak under faults (test/soak/soak.mjs) on a stack of its
# own (.data/test/soak, ports shifted by RCYCLE_SOAK_PORT_OFFSET, default 150:
# gateway 3250), for SOAK_SECONDS (default 600; make test runs a short round).
# Stops the stack whatever happens.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# shellcheck source=scripts/own-stack.sh
. scripts/own-stack.sh
own_stack soak "${RCYCLE_SOAK_PORT_OFFSET:-150}"
SOAK_SECONDS=${SOAK_SECONDS:-600} node test/soak/soak.mjs
