# shellcheck shell=bash
# steps.sh - step bookkeeping shared by scripts/test.sh and
# scripts/test-deploy.sh (sourced, not run): each step prints a banner,
# records PASS or FAIL with its duration, and the summary ends with the line
# "N passed, N failed" that CI reads.
STEP_LINES=()
PASSED=0
FAILED=0

banner() { printf '\n===== %s =====\n' "$*"; }

# step NAME CMD...: runs CMD, records PASS or FAIL with its duration.
step() {
  local name=$1 start=$SECONDS rc=0
  shift
  banner "$name"
  "$@" || rc=$?
  if ((rc == 0)); then
    PASSED=$((PASSED + 1))
    STEP_LINES+=("PASS  $name ($((SECONDS - start)) s)")
  else
    FAILED=$((FAILED + 1))
    STEP_LINES+=("FAIL  $name ($((SECONDS - start)) s, exit $rc)")
  fi
  return $rc
}

skip() { STEP_LINES+=("SKIP  $1 ($2)"); }

# print_steps TITLE: the summary of every step so far.
print_steps() {
  banner "$1"
  printf '%s\n' "${STEP_LINES[@]}"
  echo "$PASSED passed, $FAILED failed"
}
