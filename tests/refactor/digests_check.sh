#!/usr/bin/env bash
# Behaviour fingerprint of the simulator, to prove a refactoring changed no
# result: every job in configs/ (its JobResult JSON without the wall-clock
# fields, so digest, tokens/s, the breakdown, events, utilisation) and the
# tables of `strata reproduce aif|nvllm --quick` (every CSV and the text
# report). The figures are deterministic for a given spec and seed.
#
#   tests/refactor/digests_check.sh record [BIN_DIR]   writes the fingerprint
#   tests/refactor/digests_check.sh check  [BIN_DIR]   compares with it; exit 1 on any difference
#
# The fingerprint lives in tests/refactor/digests_baseline.txt. Every config
# runs in under 30 s here (the longest, llama-2-70b-ssd-offload, ~26 s);
# the sweep spec is not a job and the long NVLLM PAGE runs (-512, -2048)
# are skipped. Whole run: about 2 minutes.
set -euo pipefail
mode="${1:?usage: digests_check.sh record|check [BIN_DIR]}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
bin="${2:-$root/build/bin}"
baseline="$root/tests/refactor/digests_baseline.txt"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

{
  for config in "$root"/configs/*.textproto; do
    name="$(basename "$config" .textproto)"
    [[ "$name" == sweep-* ]] && continue
    # NVLLM's long (input, output) pairs at PAGE take minutes to hours: they
    # are examples of long runs, not fingerprints.
    [[ "$name" == *-nvllm-512 || "$name" == *-nvllm-2048 ]] && continue
    "$bin/strata" run "$config" --quiet --output "$work/$name.json" >/dev/null
    # Drop what depends on the machine, not on the model.
    python3 - "$work/$name.json" "$name" <<'PY'
import json, sys
result = json.load(open(sys.argv[1]))
for wall_clock_field in ("wall_seconds", "blocked_fraction"):
    result.pop(wall_clock_field, None)
print(sys.argv[2], result.get("digest"), json.dumps(result, sort_keys=True))
PY
  done
  for paper in aif nvllm; do
    "$bin/strata" reproduce "$paper" --quick --out "$work/reproduce-$paper" >/dev/null 2>&1
    (cd "$work/reproduce-$paper" && sha256sum ./*.csv ./*.txt | sed "s|^|reproduce-$paper |")
  done
} > "$work/now.txt"

case "$mode" in
  record) cp "$work/now.txt" "$baseline"; echo "digests: recorded $(wc -l < "$baseline") lines in $baseline" ;;
  check)
    if cmp -s "$baseline" "$work/now.txt"; then
      echo "digests: all $(wc -l < "$baseline") fingerprints identical"
    else
      echo "digests: DIFFERENT from $baseline:"; diff "$baseline" "$work/now.txt" | cut -c1-300; exit 1
    fi ;;
  *) echo "usage: digests_check.sh record|check [BIN_DIR]" >&2; exit 2 ;;
esac
