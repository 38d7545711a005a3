#!/usr/bin/env bash
# A sweep spread over processes as a Kubernetes Indexed Job spreads it over
# pods: 3 shard processes (one from JOB_COMPLETION_INDEX) share a results
# folder; one is killed with SIGKILL mid-point and rerun, and skips the
# point it had finished; --merge then gives every grid point, with the
# digests of the same sweep run in one process. Merging an unfinished
# folder fails naming the missing points; a different sweep is refused the
# folder.
#   sweep_shards_test.sh BIN_DIR
set -euo pipefail
BIN="$1"
WORK=$(mktemp -d)
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done; rm -rf "$WORK"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# Six points; shard 0 of 3 owns points 0 (1 token, quick) and 3 (12 tokens,
# seconds), so it can be killed after the first and before the second.
cat >"$WORK/sweep.textproto" <<'SWEEP'
name: "shards"
base { model { catalog_name: "llama-2-7b" } workload { prompt_tokens: 8 } system { ssd_offload {} } }
axes { field: "workload.decode_tokens" values: "1" values: "2" values: "3" values: "12" values: "4" values: "5" }
SWEEP
RESULTS="$WORK/results"

"$BIN/strata" sweep "$WORK/sweep.textproto" --shard=0/3 --results_dir="$RESULTS" --jobs=1 >"$WORK/shard0.log" 2>&1 &
PIDS+=($!)
shard0=$!
for _ in $(seq 300); do [ -f "$RESULTS/point-000000/row.csv" ] && break; sleep 0.05; done
[ -f "$RESULTS/point-000000/row.csv" ] || fail "shard 0 wrote no point: $(cat "$WORK/shard0.log")"
kill -9 "$shard0"
wait "$shard0" 2>/dev/null || true
[ ! -f "$RESULTS/point-000003/row.csv" ] || fail "shard 0 finished point 3 before the kill; the test cannot show a resume"

# The other shards run to the end: one with --shard=I/N, one with N and I
# from JOB_COMPLETION_INDEX, as an Indexed Job's pod does.
"$BIN/strata" sweep "$WORK/sweep.textproto" --shard=1/3 --results_dir="$RESULTS" --quiet >/dev/null
JOB_COMPLETION_INDEX=2 "$BIN/strata" sweep "$WORK/sweep.textproto" --shard=3 --results_dir="$RESULTS" --quiet \
  >"$WORK/shard2.log" || fail "shard 2: $(cat "$WORK/shard2.log")"
grep -q "shard 2/3: 2 of 6 grid points" "$WORK/shard2.log" || fail "shard 2 from JOB_COMPLETION_INDEX: $(cat "$WORK/shard2.log")"

rc=0; "$BIN/strata" sweep --merge="$RESULTS" --csv="$WORK/partial.csv" >/dev/null 2>"$WORK/merge.err" || rc=$?
[ "$rc" = 1 ] || fail "merging an unfinished sweep exited $rc, not 1"
grep -q "no results yet: 3$" "$WORK/merge.err" || fail "merge did not name point 3 missing: $(cat "$WORK/merge.err")"

# The rerun of shard 0 resumes: point 0 is skipped, point 3 runs.
"$BIN/strata" sweep "$WORK/sweep.textproto" --shard=0/3 --results_dir="$RESULTS" >"$WORK/rerun.log" 2>&1
grep -q "1 of 2 points already done, skipped" "$WORK/rerun.log" || fail "the rerun did not skip: $(cat "$WORK/rerun.log")"
grep -q "grid point 0:" "$WORK/rerun.log" && fail "the rerun ran point 0 again: $(cat "$WORK/rerun.log")"

"$BIN/strata" sweep --merge="$RESULTS" --csv="$WORK/merged.csv" >/dev/null
"$BIN/strata" sweep "$WORK/sweep.textproto" --jobs=2 --quiet --csv="$WORK/whole.csv" >/dev/null
python3 - "$WORK" <<'PY'
import csv, pathlib, sys
work = pathlib.Path(sys.argv[1])
merged = list(csv.DictReader(open(work / "merged.csv", newline="")))
whole = list(csv.DictReader(open(work / "whole.csv", newline="")))
assert [r["workload.decode_tokens"] for r in merged] == ["1", "2", "3", "12", "4", "5"], merged
assert list(merged[0]) == list(whole[0]), (list(merged[0]), list(whole[0]))
for m, w in zip(merged, whole):
    assert m["error"] == "" and m["digest"] == w["digest"], (m, w)
print(f"merged {len(merged)} points from 3 shards (one killed and rerun); digests equal the one-process sweep")
PY

# Another sweep may not write into this folder.
sed 's/"shards"/"another"/' "$WORK/sweep.textproto" >"$WORK/other.textproto"
rc=0; "$BIN/strata" sweep "$WORK/other.textproto" --shard=0/3 --results_dir="$RESULTS" 2>"$WORK/other.err" || rc=$?
[ "$rc" != 0 ] && grep -q "another sweep" "$WORK/other.err" || fail "a different sweep was let into the folder (rc $rc)"
echo PASS
