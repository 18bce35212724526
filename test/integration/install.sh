#!/usr/bin/env bash
# install.sh - the npm packages of the integration suite (package-lock.json),
# with `npm ci`, only when node_modules is missing or older than the lock
# file. Every runner of the suite (scripts/test.sh, scripts/test-crash.sh,
# deploy/podman/play.sh, deploy/kind/e2e.sh) calls it first.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
command -v npm >/dev/null || { echo "install.sh: npm is missing (scripts/deps.sh installs it)" >&2; exit 1; }
if [[ ! -f node_modules/.package-lock.json ]] || [[ package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "integration: installing npm packages (npm ci)" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
fi
