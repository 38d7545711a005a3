#!/usr/bin/env bash
# Builds the libFuzzer targets in fuzz/ with Debian's clang, ASan and UBSan
# (a separate build directory, build-fuzz: every strata library is
# instrumented for coverage) and runs each for FUZZ_SECONDS (default 60)
# from a seed corpus made from configs/. Installs clang and its runtime
# first if they are missing. Prints each target's executed inputs; exits
# non-zero on the first crash, sanitizer report, hang or leak, leaving the
# reproducer in build-fuzz/artifacts/.
#
#   bash scripts/fuzz.sh                     # 60 s per target
#   FUZZ_SECONDS=3600 bash scripts/fuzz.sh   # the long run (docs/fuzzing.md)
#   bash scripts/fuzz.sh job_spec_fuzzer     # one target
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_EACH="${FUZZ_SECONDS:-60}"
BUILD_DIR="${STRATA_FUZZ_BUILD_DIR:-build-fuzz}"
TARGETS=("$@")
((${#TARGETS[@]})) || TARGETS=(job_spec_fuzzer wire_fuzzer)

PACKAGES=(clang libclang-rt-14-dev)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "fuzz: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
LAUNCHER=()
command -v ccache >/dev/null && LAUNCHER=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ -DSTRATA_FUZZ=ON \
  -DCMAKE_CXX_FLAGS="$SAN -fsanitize=fuzzer-no-link" -DCMAKE_EXE_LINKER_FLAGS="$SAN" "${LAUNCHER[@]}" >/dev/null
nice cmake --build "$BUILD_DIR" -j "${STRATA_JOBS:-2}" --target "${TARGETS[@]}"

# Seed corpora: every job config as text and as binary protobuf; for the
# wire, one valid batch (LP 1 -> LP 0 of the fuzzer's plan) and the same
# inside a ToPartitions reply.
CORPUS="$BUILD_DIR/corpus"
mkdir -p "$CORPUS/job_spec_fuzzer" "$CORPUS/wire_fuzzer" "$BUILD_DIR/artifacts"
for f in configs/*.textproto; do
  case "$f" in *sweep*) continue;; esac
  name=$(basename "$f" .textproto)
  cp "$f" "$CORPUS/job_spec_fuzzer/$name.txt"
  protoc -I proto --encode=strata.v1.JobSpec proto/strata/v1/job.proto <"$f" >"$CORPUS/job_spec_fuzzer/$name.bin"
done
python3 - "$CORPUS/wire_fuzzer" <<'PY'
import struct, sys
out = sys.argv[1]
header = struct.pack("<IHHqQ", 0x42455453, 1, 0, 1_000_000, 1)
event = struct.pack("<qQIHH", 2_000_000, (1 << 40) | 5, 0, 0, 0) + bytes(40)
batch = header + event
open(f"{out}/batch.bin", "wb").write(batch)
# The hex form feeds the ToPartitions seed protoc writes below.
open(f"{out}/batch.hex", "w").write(batch.hex())
PY
printf 'reply { partition: 0 wait: WAIT_MESSAGE batches: "%s" }\n' \
  "$(sed 's/\(..\)/\\x\1/g' "$CORPUS/wire_fuzzer/batch.hex")" |
  protoc -I proto --encode=strata.v1.ToPartitions proto/strata/v1/partition_service.proto >"$CORPUS/wire_fuzzer/reply.bin"
rm "$CORPUS/wire_fuzzer/batch.hex"

total=0
for t in "${TARGETS[@]}"; do
  log="$BUILD_DIR/$t.log"
  echo "fuzz: $t for ${SECONDS_EACH} s (log: $log)"
  ASAN_OPTIONS=detect_leaks=1 "$BUILD_DIR/bin/$t" "$CORPUS/$t" -max_total_time="$SECONDS_EACH" -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$BUILD_DIR/artifacts/$t-" >"$log" 2>&1 || {
    echo "FAIL: $t found a problem:"; tail -40 "$log"; exit 1; }
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  echo "fuzz: $t ran $runs inputs, no crash, sanitizer report, hang or leak"
  total=$((total + runs))
done
echo "fuzz: $total inputs in all"
