# shellcheck shell=bash
# steps.sh - step bookkeeping shared by scripts/test.sh and
# scripts/test-deploy.sh (sourced, not run): each step prints a banner,
# records PASS or FAIL with its duration, and the summary ends with the line
# "N passed, N failed" that CI reads.
STEP_LINES=()
PASSED=0
FAILED=0

banner() { printf '\n===== %s =====\n' "$*"; }

WHY_LINES=()
STEP_LOGS=$(mktemp -d) # each step's output, for why_failed; print_steps removes it

# why_failed LOG: a few lines of a failed step's output (LOG) that say why,
# for the end of the run, where CI shows them: each failing test of a node
# suite with its message, or else the step's last lines that are not JSON logs.
why_failed() {
  awk '
    /^✖ failing tests:/ { failing = 1; next }
    !failing { if ($0 !~ /^[[:space:]]*(\{"ts"|$)/) tail[n++ % 3] = $0; next }
    /^✖ / { sub(/ \([0-9.]+ms\)$/, ""); print; shown = 0; open = 1; found = 1; next }
    /^test at |^ *at / { open = 0; next }
    open && shown < 3 && $0 !~ /^[[:space:]]*(\+ actual - expected)?[[:space:]]*$/ { print "  " substr($0, 1, 160); shown++ }
    END { if (!found) for (i = (n > 3 ? n - 3 : 0); i < n; i++) print "  " substr(tail[i % 3], 1, 160) }
  ' "$1" | head -5
}

# step NAME CMD...: runs CMD, records PASS or FAIL with its duration; a
# failure keeps why_failed's lines for print_steps.
step() {
  local name=$1 start=$SECONDS rc=0 log=$STEP_LOGS/$((PASSED + FAILED)).log
  shift
  banner "$name"
  # Not waited for: a process the step leaves running (a stack) may hold the
  # pipe open. tee is a moment behind at most, hence the pause on failure.
  "$@" > >(tee "$log") 2>&1 || rc=$?
  if ((rc == 0)); then
    PASSED=$((PASSED + 1))
    STEP_LINES+=("PASS  $name ($((SECONDS - start)) s)")
  else
    FAILED=$((FAILED + 1))
    STEP_LINES+=("FAIL  $name ($((SECONDS - start)) s, exit $rc)")
    sleep 0.5
    mapfile -t -O "${#WHY_LINES[@]}" WHY_LINES < <(echo "$name:"; why_failed "$log")
  fi
  return $rc
}

skip() { STEP_LINES+=("SKIP  $1 ($2)"); }

# print_steps TITLE: the summary of every step so far, then why the failed
# ones failed (at most 16 lines: CI shows the end of the output).
print_steps() {
  banner "$1"
  printf '%s\n' "${STEP_LINES[@]}"
  if ((${#WHY_LINES[@]} > 0)); then
    echo "why:"
    printf '%s\n' "${WHY_LINES[@]:0:16}"
  fi
  rm -rf "$STEP_LOGS"
  echo "$PASSED passed, $FAILED failed"
}
