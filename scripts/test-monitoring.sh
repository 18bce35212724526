#!/usr/bin/env bash
# test-monitoring.sh - the checks of deploy/k8s/components/monitoring.
#
#   scripts/test-monitoring.sh rules   promtool check rules and promtool test
#                                      rules (rules.test.yaml: each alert fires
#                                      on its series and stays quiet beside
#                                      them); every alert has its runbook
#                                      section in deploy/README.md. No stack.
#   scripts/test-monitoring.sh live    a real Prometheus scrapes the running
#                                      stack of RUN_DIR (every admin port up),
#                                      evaluates every rule without error, and
#                                      answers every query of the dashboard
#                                      with a series (test/monitoring/prometheus.mjs)
#
# Both need the integration suite's node modules (test/integration/install.sh)
# and Debian's prometheus package (scripts/deps.sh). scripts/test.sh runs
# both; `live` on the release stack, with RCYCLE_PROMETHEUS_PORT (default
# 7290 + RCYCLE_PORT_OFFSET) for Prometheus.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
MON=deploy/k8s/components/monitoring

work=$(mktemp -d /tmp/rcycle-monitoring.XXXXXX)
trap 'rm -rf "$work"' EXIT

for tool in promtool prometheus node; do
  command -v "$tool" >/dev/null || { echo "$tool is missing (scripts/deps.sh installs it)" >&2; exit 1; }
done
test/integration/install.sh
node test/monitoring/rules-file.mjs "$work/rcycle.rules.yaml"

case ${1:-} in
  rules)
    promtool check rules "$work/rcycle.rules.yaml"
    cp "$MON/rules.test.yaml" "$work/"
    (cd "$work" && promtool test rules rules.test.yaml)
    ;;
  live)
    RCYCLE_MONITORING_RULES=$work/rcycle.rules.yaml node --test --test-reporter=spec test/monitoring/prometheus.mjs
    ;;
  *)
    echo "usage: $0 rules|live" >&2
    exit 2
    ;;
esac
