#!/usr/bin/env bash
# Builds the libFuzzer targets in tests/fuzz with clang and runs each for FUZZ_SECONDS (default 20): the JSON
# text scanner, the form encoder, HTTP parsing + routing, the JSON input mapping and the signature code.
# Exits non-zero when a target finds a crash or a broken invariant (the input is saved under
# $FUZZ_BUILD_DIR/artifacts/). Needs clang and its fuzzer runtime (Debian: clang, libclang-rt-14-dev).
#   FUZZ_SECONDS=60 tests/fuzz/run.sh                 # all targets
#   tests/fuzz/run.sh form_encoder_fuzz               # one target
# Env: FUZZ_SECONDS, FUZZ_BUILD_DIR (default build-fuzz), FUZZ_CXX (default clang++), FUZZ_JOBS (default 1),
#      FUZZ_SEED (default: random; `make test` fixes it so its short run explores the same inputs everywhere
#      and a CI failure is a change in the code, not a luckier draw; long runs keep a random seed to explore).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
seconds=${FUZZ_SECONDS:-20}
out=${FUZZ_BUILD_DIR:-$root/build-fuzz}
cxx=${FUZZ_CXX:-clang++}
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(json_minify_fuzz form_encoder_fuzz http_route_fuzz json_mapping_fuzz signing_fuzz)

if ! echo 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }' |
    "$cxx" -x c++ - -fsanitize=fuzzer -o /dev/null 2>/dev/null; then
  echo "fuzz: $cxx cannot link -fsanitize=fuzzer (install clang and libclang-rt-14-dev)" >&2
  exit 2
fi

# tests/fuzz/compat stands in for <expected>, which clang 14 cannot compile from libstdc++ 12.
common=(-std=c++2b -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
        -Wall -Wextra -Werror -DSPDLOG_COMPILED_LIB -DFMT_SHARED -Itests/fuzz/compat -Isrc)
sources=(src/core/json_text.cpp src/core/secrets.cpp src/core/time_format.cpp src/core/filter.cpp src/core/ids.cpp
         src/core/model.cpp src/core/clock.cpp src/delivery/form_encoder.cpp src/delivery/signing.cpp
         src/api/beast_convert.cpp src/api/router.cpp src/api/errors.cpp src/api/http.cpp src/api/json_mapping.cpp
         src/api/request_helpers.cpp src/api/wait_outcomes.cpp)
libs=(-lboost_json -lboost_url -lspdlog -lfmt -lcrypto)

mkdir -p "$out/obj" "$out/artifacts"
objects=()
for src in "${sources[@]}"; do
  obj="$out/obj/$(basename "${src%.cpp}").o"
  if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ] || [ -n "$(find src/core src/delivery src/api src/store \
      tests/fuzz/compat -name '*.hpp' -newer "$obj" 2>/dev/null | head -n 1)" ]; then
    echo "fuzz: compiling $src"
    "$cxx" "${common[@]}" -fsanitize=fuzzer-no-link -c "$src" -o "$obj"
  fi
  objects+=("$obj")
done

failed=()
for t in "${targets[@]}"; do
  echo "fuzz: building $t"
  "$cxx" "${common[@]}" -fsanitize=fuzzer "tests/fuzz/$t.cpp" "${objects[@]}" "${libs[@]}" -o "$out/$t"
  # New inputs go to the work corpus in the build dir; the checked-in seeds are only read.
  mkdir -p "$out/corpus/$t"
  dict=tests/fuzz/json.dict
  [ ! -f "tests/fuzz/$t.dict" ] || dict="tests/fuzz/$t.dict"
  echo "fuzz: running $t for ${seconds}s"
  if ! "$out/$t" -max_total_time="$seconds" -timeout=10 -max_len=4096 -print_final_stats=1 \
      -jobs="${FUZZ_JOBS:-1}" -workers="${FUZZ_JOBS:-1}" ${FUZZ_SEED:+-seed="$FUZZ_SEED"} \
      -dict="$dict" -artifact_prefix="$out/artifacts/$t-" \
      "$out/corpus/$t" "tests/fuzz/corpus/$t" 2>"$out/$t.log"; then
    failed+=("$t")
    tail -n 40 "$out/$t.log" >&2
  else
    grep -E "^stat::(number_of_executed_units|new_units_added)" "$out/$t.log" || true
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: FAILED: ${failed[*]} (inputs in $out/artifacts/)" >&2
  exit 1
fi
echo "fuzz: all targets ran ${seconds}s without a crash"
