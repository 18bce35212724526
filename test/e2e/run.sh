#!/usr/bin/env bash
# run.sh - the end-to-end suite of the browser UI: playwright-core driving
# Debian's chromium headless against a running R-Cycle (GATEWAY_URL). Installs
# what it needs (chromium from Debian when missing and we are root; the npm
# packages from package-lock.json with `npm ci`; never a downloaded browser),
# runs test/e2e/*.test.mjs one file at a time with node's test runner, saves
# a screenshot of every page under $BUILD_DIR/e2e-screenshots, and ends with
# "N passed, N failed".
#
# Environment:
#   GATEWAY_URL          the gateway to test (default http://127.0.0.1:3000)
#   BUILD_DIR            build folder; screenshots go to $BUILD_DIR/e2e-screenshots
#                        (default build; relative to the repository root)
#   E2E_SCREENSHOT_DIR   screenshots elsewhere
#   CHROMIUM_PATH        the browser (default /usr/bin/chromium)
#   RCYCLE_SEED_PASSWORD password of the seed users (default rcycle-dev)
#   RCYCLE_E2E_TIMEOUT   seconds allowed to one test (default 180)
#   RCYCLE_E2E_STEP_TIMEOUT  seconds one browser step may wait (default 30)
#   Arguments: test files to run instead of all of them.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
cd "$HERE"

export GATEWAY_URL=${GATEWAY_URL:-http://127.0.0.1:3000}
BUILD_DIR=${BUILD_DIR:-build}
[[ $BUILD_DIR == /* ]] || BUILD_DIR=$ROOT/$BUILD_DIR
export BUILD_DIR
export E2E_SCREENSHOT_DIR=${E2E_SCREENSHOT_DIR:-$BUILD_DIR/e2e-screenshots}
export CHROMIUM_PATH=${CHROMIUM_PATH:-/usr/bin/chromium}
# Nothing here may fetch a browser of its own.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 PLAYWRIGHT_BROWSERS_PATH=0

say() { echo "e2e: $*" >&2; }

if [[ ! -x $CHROMIUM_PATH ]]; then
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
    say "installing Debian's chromium"
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium >/dev/null ||
      { apt-get update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium >/dev/null; }
  fi
  [[ -x $CHROMIUM_PATH ]] || { say "no browser at $CHROMIUM_PATH (apt-get install chromium)"; exit 1; }
fi
command -v node >/dev/null || { say "node is missing"; exit 1; }

if [[ ! -f node_modules/playwright-core/package.json ]] ||
   [[ package-lock.json -nt node_modules/.package-lock.json ]]; then
  say "installing npm packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error >&2
fi

mkdir -p "$E2E_SCREENSHOT_DIR"
rm -f "$E2E_SCREENSHOT_DIR"/*.png

# Is the system there at all? One clear line instead of every test failing.
if ! node -e 'fetch(process.env.GATEWAY_URL + "/healthz").then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))'; then
  say "the gateway does not answer at $GATEWAY_URL/healthz"
  echo "0 passed, 1 failed"
  exit 1
fi

if (($# > 0)); then
  files=("$@")
else
  mapfile -t files < <(find . -maxdepth 1 -name '*.test.mjs' -printf '%f\n' | sort)
fi
((${#files[@]} > 0)) || { say "no test files"; exit 1; }

tap=$(mktemp "${TMPDIR:-/tmp}/rcycle-e2e.XXXXXX.tap")
trap 'rm -f "$tap"' EXIT
rc=0
node --test --test-concurrency=1 --test-timeout="$((${RCYCLE_E2E_TIMEOUT:-180} * 1000))" \
  --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination="$tap" "${files[@]}" || rc=$?

passed=$(grep -E '^# pass ' "$tap" | awk '{print $3}' | tail -n1)
failed=$(grep -E '^# fail ' "$tap" | awk '{print $3}' | tail -n1)
passed=${passed:-0}
failed=${failed:-0}
shots=$(find "$E2E_SCREENSHOT_DIR" -maxdepth 1 -name '*.png' | wc -l)
say "screenshots: $shots in $E2E_SCREENSHOT_DIR"
if ((passed == 0 && failed == 0)); then
  say "no test ran"
  failed=1
fi
echo "$passed passed, $failed failed"
((rc == 0 && failed == 0))
