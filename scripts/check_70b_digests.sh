#!/bin/bash
# Every 70B config gives one digest on 1, 2 and 4 partitions under both sync
# algorithms (issue 15's determinism target on the real jobs; the test suite
# holds it on a small model, tests in services/coordinator/tests/lookahead_test.cc,
# since 70B PAGE runs take minutes). STREAM by default; --page adds PAGE on 1
# and 2 partitions with windows (minutes a system). Prints one line a run and
# exits 1 on the first config whose digests differ.
#   scripts/check_70b_digests.sh [--page] [BUILD_DIR]
set -euo pipefail
page=0
if [[ "${1:-}" == "--page" ]]; then page=1; shift; fi
root=$(cd "$(dirname "$0")/.." && pwd)
strata="${1:-$root/build}/bin/strata"
[[ -x "$strata" ]] || { echo "no strata binary at $strata (build first, or pass BUILD_DIR)"; exit 2; }

digest_of() {  # config fidelity partitions sync
  "$strata" run "$1" --fidelity="$2" --partitions="$3" --sync="$4" --quiet 2>&1 | awk '/^ *digest /{print $2}'
}

status=0
for config in "$root"/configs/llama-2-70b-*.textproto; do
  case "$config" in *-512.textproto|*-2048.textproto) continue;; esac  # the long runs: same graph as llama-2-70b-nvllm
  runs=("stream 1 window" "stream 2 window" "stream 4 window" "stream 1 null" "stream 2 null" "stream 4 null")
  if (( page )); then runs+=("page 1 window" "page 2 window" "page 2 null"); fi
  declare -A reference=()
  for run in "${runs[@]}"; do
    read -r fidelity partitions sync <<<"$run"
    digest=$(digest_of "$config" "$fidelity" "$partitions" "$sync")
    printf '%-40s %-6s %d %-6s %s\n' "$(basename "$config")" "$fidelity" "$partitions" "$sync" "${digest:-<none>}"
    if [[ -z "$digest" ]]; then status=1; continue; fi
    if [[ -z "${reference[$fidelity]:-}" ]]; then reference[$fidelity]=$digest
    elif [[ "$digest" != "${reference[$fidelity]}" ]]; then
      echo "FAIL: $(basename "$config") $fidelity on $partitions partitions ($sync) gives $digest, 1 partition ${reference[$fidelity]}"
      status=1
    fi
  done
  unset reference
done
(( status == 0 )) && echo "every config: one digest per fidelity on every partition count and sync"
exit $status
