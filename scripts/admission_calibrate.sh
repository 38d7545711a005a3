#!/usr/bin/env bash
# The admission estimate's measurements (docs/admission.md).
#   scripts/admission_calibrate.sh calibrate   # the events-per-layer-token table of job_estimate.cc
#   scripts/admission_calibrate.sh validate    # estimate vs measured events and peak RSS, other models
# Needs build/bin/strata and /usr/bin/time (Debian's `time`). Each run is one
# `strata run --quiet` with the config's decode_tokens and fidelity replaced.
set -euo pipefail
cd "$(dirname "$0")/.."
STRATA=${STRATA:-build/bin/strata}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# variant CONFIG DECODE_TOKENS FIDELITY -> a job file in $TMP
variant() {
  local out="$TMP/job.textproto"
  sed -e "s/decode_tokens: [0-9]*/decode_tokens: $2/" -e "s/fidelity: [A-Z]*//" "$1" >"$out"
  if grep -q "^simulation" "$out"; then
    sed -i "s/^simulation {/simulation { fidelity: $3 /" "$out"
  else
    echo "simulation { fidelity: $3 }" >>"$out"
  fi
  echo "$out"
}

# commands_variant CONFIG COMMANDS -> an ssd_io job file in $TMP
commands_variant() {
  local out="$TMP/io.textproto"
  sed -e "s/commands: [0-9]*/commands: $2/" "$1" >"$out"
  echo "$out"
}

# measure JOB -> "EVENTS PEAK_RSS_KIB"
measure() {
  local out
  out=$(/usr/bin/time -f "peak_rss_kib=%M" "$STRATA" run --quiet "$1" 2>&1)
  echo "$(echo "$out" | grep -o '[0-9]* events (' | cut -d' ' -f1) $(echo "$out" | grep -o 'peak_rss_kib=[0-9]*' | cut -d= -f2)"
}

# estimate JOB -> "EVENTS MEMORY_GIB"
estimate() {
  local out
  out=$("$STRATA" run --dry-run "$1")
  echo "$(echo "$out" | awk '/^  events/ {print $2}') $(echo "$out" | awk '/^  peak memory/ {print $3}')"
}

case "${1:-}" in
  calibrate)
    echo "system fidelity E(2) E(6) per_layer_token fixed_per_layer peak_rss_kib(2)"
    for system in in-memory a800 nvllm aif ssd-isc ssd-offload cambricon-llm; do
      for fidelity in PAGE STREAM; do
        read -r e2 rss < <(measure "$(variant configs/opt-30b-$system.textproto 2 $fidelity)")
        read -r e6 _ < <(measure "$(variant configs/opt-30b-$system.textproto 6 $fidelity)")
        awk -v s=$system -v f=$fidelity -v a="$e2" -v b="$e6" -v r="$rss" 'BEGIN {
          c = (b - a) / 4 / 48; printf "%s %s %d %d %.6g %.6g %d\n", s, f, a, b, c, (a - 2 * 48 * c) / 48, r }'
      done
    done
    # Cambricon-LLM without tiling (its row's STREAM part that scales with planes).
    sed -e "s/cambricon_llm {}/cambricon_llm { tiling: NO_TILING }/" configs/opt-30b-cambricon-llm.textproto \
      >"$TMP/opt-30b-cambricon-llm-no-tiling.textproto"
    for fidelity in PAGE STREAM; do
      read -r e2 rss < <(measure "$(variant "$TMP/opt-30b-cambricon-llm-no-tiling.textproto" 2 $fidelity)")
      read -r e6 _ < <(measure "$(variant "$TMP/opt-30b-cambricon-llm-no-tiling.textproto" 6 $fidelity)")
      awk -v f=$fidelity -v a="$e2" -v b="$e6" -v r="$rss" 'BEGIN {
        c = (b - a) / 4 / 48; printf "cambricon-llm-no-tiling %s %d %d %.6g %.6g %d\n", f, a, b, c, (a - 2 * 48 * c) / 48, r }'
    done
    # Plain I/O jobs (ssd_io): events per command from 10,000 and 30,000
    # commands of each shipped workload (no fidelity: the drive runs PAGE).
    echo "ssd_io_config E(10000) E(30000) per_command fixed"
    for config in configs/ssd-io-randread-4k.textproto configs/ssd-io-randwrite-16k.textproto; do
      read -r e1 _ < <(measure "$(commands_variant "$config" 10000)")
      read -r e3 _ < <(measure "$(commands_variant "$config" 30000)")
      awk -v c="$(basename "$config" .textproto)" -v a="$e1" -v b="$e3" 'BEGIN {
        p = (b - a) / 20000; printf "%s %d %d %.6g %.6g\n", c, a, b, p, a - 10000 * p }'
    done
    ;;
  validate)
    echo "config fidelity decode measured_events estimated_events ratio measured_rss_gib estimated_gib ratio"
    for config in ${CONFIGS:-configs/llama-2-7b-nvllm.textproto configs/llama-2-70b-nvllm.textproto \
        configs/llama-2-70b-in-memory.textproto configs/llama-2-70b-aif.textproto configs/llama-2-70b-ssd-isc.textproto \
        configs/llama-2-70b-ssd-offload.textproto configs/llama-2-70b-a800.textproto}; do
      for fidelity in PAGE STREAM; do
        job=$(variant "$config" "${DECODE:-4}" $fidelity)
        read -r me rss < <(measure "$job")
        read -r ee eg < <(estimate "$job")
        awk -v c="$(basename "$config" .textproto)" -v f=$fidelity -v d="${DECODE:-4}" -v me="$me" -v ee="$ee" \
            -v rss="$rss" -v eg="$eg" 'BEGIN { m = rss / 1048576;
          printf "%s %s %d %d %.4g %.3f %.4f %.4f %.3f\n", c, f, d, me, ee, ee / me, m, eg, eg / m }'
      done
    done
    ;;
  *) echo "usage: $0 calibrate | validate" >&2; exit 2 ;;
esac
