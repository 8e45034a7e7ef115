#!/usr/bin/env bash
# Runs every test layer: unit (sanitized), a short fuzz run, integration (sanitized hookd), end-to-end
# (release hookd: the Svix and Standard Webhooks npm clients, and the portal in Chromium).
# Ends with a summary naming every failed suite and test, so the tail of a CI log says what broke.
set -uo pipefail
cd "$(dirname "$0")/.."
status=0
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
failed=()
run() {
  local name=$1
  shift
  local log
  log="$logs/${#failed[@]}-$RANDOM.log"
  echo "== $name"
  if "$@" 2>&1 | tee "$log"; then
    echo "== $name passed"
  else
    echo "== $name FAILED"
    status=1
    failed+=("$name")
    # ctest lists failures as "NN - Name (Failed)"; node's runner as "not ok N - name" (nested by indent).
    grep -E '^[[:space:]]*not ok |\((Failed|Timeout|SEGFAULT|Subprocess aborted)\)' "$log" | head -40 \
      >"$logs/failed-$(( ${#failed[@]} - 1 ))"
  fi
}
run "unit tests" bash -c 'cd build-test && ctest --output-on-failure -j "$(nproc)"'
run "fuzz (short run; FUZZ_SECONDS=600 tests/fuzz/run.sh for a long one)" env FUZZ_SECONDS="${FUZZ_SECONDS:-10}" FUZZ_SEED="${FUZZ_SEED:-1}" tests/fuzz/run.sh
run "integration tests" env HOOKD_BIN="$PWD/build-test/hookd" node --test --test-concurrency=1 tests/integration/
# The store-agnostic core suites once more on PostgreSQL (one throwaway cluster per file, a database per hookd).
pg_core_suites=()
for suite in delivery wait_mode form_delivery bad_input isolation operational validation; do
  pg_core_suites+=("tests/integration/$suite.test.mjs")
done
run "integration tests on PostgreSQL (core suites)" env HOOKD_TEST_STORE=postgres HOOKD_BIN="$PWD/build-test/hookd" \
  node --test --test-concurrency=1 "${pg_core_suites[@]}"
for suite in tests/e2e tests/e2e-portal; do
  if compgen -G "$suite/*.test.mjs" >/dev/null; then
    run "end-to-end: $suite" env HOOKD_BIN="$PWD/build/hookd" node --test --test-concurrency=1 "$suite/"
  fi
done
echo "== summary"
if ((status == 0)); then
  echo "every suite passed"
else
  for i in "${!failed[@]}"; do
    echo "FAILED: ${failed[$i]}"
    sed 's/^/  /' "$logs/failed-$i" 2>/dev/null
  done
fi
exit $status
