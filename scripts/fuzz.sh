#!/usr/bin/env bash
# fuzz.sh - builds the libFuzzer targets with clang (build-fuzz/) and runs
# each for FUZZ_SECONDS (default 20; make fuzz-long: 600), starting from the
# seed corpus kept in test/fuzz/corpus/<target> and writing what it finds to
# build-fuzz/corpus/<target>. A crash, leak or sanitizer report fails the run.
# To refresh the seeds after a long run:
#   build-fuzz/test/fuzz/T -merge=1 test/fuzz/corpus/T build-fuzz/corpus/T
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$ROOT/build-fuzz
SECONDS_EACH=${FUZZ_SECONDS:-20}
TARGETS=(fuzz_rpc_dispatch fuzz_rpc_identity fuzz_query fuzz_json_body fuzz_request fuzz_hardware_csv fuzz_oidc_token
  fuzz_audit_verify)

CC=clang cmake -S "$ROOT" -B "$BUILD" -DRCYCLE_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$BUILD" -j"$(nproc)" --target "${TARGETS[@]}" >/dev/null

failed=0
for target in "${TARGETS[@]}"; do
  corpus=$BUILD/corpus/$target
  mkdir -p "$corpus"
  if "$BUILD/test/fuzz/$target" -max_total_time="$SECONDS_EACH" -max_len=65536 \
    -artifact_prefix="$BUILD/$target-" "$corpus" "$ROOT/test/fuzz/corpus/$target" \
    >"$BUILD/$target.log" 2>&1; then
    echo "fuzz: $target ok ($(grep -c . "$BUILD/$target.log" || true) log lines, $(ls "$corpus" | wc -l) corpus entries)"
  else
    echo "fuzz: $target FAILED; see $BUILD/$target.log" >&2
    tail -30 "$BUILD/$target.log" >&2
    failed=1
  fi
done
exit $failed
