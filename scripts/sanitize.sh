#!/usr/bin/env bash
# The test suite under AddressSanitizer and UndefinedBehaviorSanitizer
# (GCC's, from Debian's g++: libasan and libubsan come with it), in a build
# directory of its own (build-asan) so the Release build stays as it is.
# Any sanitizer report fails the test that triggered it: UBSan does not
# recover, ASan aborts on the first error and checks for leaks at exit.
#
#   bash scripts/sanitize.sh                  # every test binary, then ctest (slow: tens of minutes at -j1)
#   bash scripts/sanitize.sh auth_tests       # only these test binaries, run directly
#   STRATA_JOBS=1 nice bash scripts/sanitize.sh ...   # on a shared machine
#
# ctest skips the tests STRATA_SANITIZE_EXCLUDE names (a regex; default:
# the opt-in LLaMA-2-7B run on AiF, which takes hours under ASan's 2-3x
# slowdown). The fuzzers have their own sanitized build (scripts/fuzz.sh).
# docs/testing.md has the last results.
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD_DIR="${STRATA_ASAN_BUILD_DIR:-build-asan}"
JOBS="${STRATA_JOBS:-2}"
EXCLUDE="${STRATA_SANITIZE_EXCLUDE:-Llama7b}"
TARGETS=("$@")

SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
LAUNCHER=()
command -v ccache >/dev/null && LAUNCHER=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
# RelWithDebInfo: -O2 keeps the suite's run time bearable; -g gives the
# reports file and line.
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS="$SAN" \
  -DCMAKE_EXE_LINKER_FLAGS="$SAN" -DCMAKE_SHARED_LINKER_FLAGS="$SAN" "${LAUNCHER[@]}" >/dev/null

# Abort (a non-zero exit) on the first report, with a stack trace; leaks
# are reported at exit.
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1}"
# Leaks inside Debian's uninstrumented libraries (scripts/lsan.supp) are not ours.
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$PWD/scripts/lsan.supp:print_suppressions=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
export GRPC_POLL_STRATEGY="${GRPC_POLL_STRATEGY:-poll}"

if ((${#TARGETS[@]})); then
  cmake --build "$BUILD_DIR" -j "$JOBS" --target "${TARGETS[@]}"
  status=0
  for t in "${TARGETS[@]}"; do
    echo "sanitize: $t"
    "$BUILD_DIR/bin/$t" || { status=1; echo "sanitize: $t FAILED"; }
  done
  exit "$status"
fi
cmake --build "$BUILD_DIR" -j "$JOBS"
ctest --test-dir "$BUILD_DIR" -E "$EXCLUDE" --output-on-failure -j "$JOBS"
