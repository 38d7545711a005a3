#!/usr/bin/env bash
# The command line a new user meets, on every binary:
#  1. --help prints the binary's own flags (not Abseil's) and exits 0;
#     --version prints "<binary> <project version> (git <revision>)" and
#     exits 0; an unknown flag or a value that does not parse exits 2.
#  2. CSV is RFC 4180: a job name with a comma and a quote survives
#     `run --csv`, and the sweep CSV carries every column `run --csv` does.
#  3. Against a coordinator and services: `list` has a header and
#     `--format=json`, a finished job (embedded or distributed) shows its
#     final progress, `watch --output/--csv` writes
#     the files, and `submit --csv` without --watch is refused (exit 2).
#   cli_test.sh BIN_DIR PROJECT_VERSION
set -euo pipefail
BIN="$1"
VERSION="$2"
WORK=$(mktemp -d)
source "$(dirname "$0")/distributed_lib.sh"
trap 'cleanup; rm -rf "$WORK"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# 1. --help, --version, exit codes, per binary (with a flag each must list).
for pair in strata:--server strata-coordinator:--max_concurrent_jobs strata-nand:--coordinator \
            strata-controller:--advertise strata-host:--listen strata-phold:--lps; do
  b=${pair%%:*} own=${pair#*:}
  out=$("$BIN/$b" --help) || fail "$b --help exited $?"
  grep -q -- "^  $own=" <<<"$out" || fail "$b --help does not list $own:"$'\n'"$out"
  ! grep -q -- "--flagfile=\|No flags matched" <<<"$out" || fail "$b --help lists Abseil's flags or none"
  "$BIN/$b" -h >/dev/null || fail "$b -h exited $?"
  # Not grep -q: it would stop reading at the match, and a help longer than
  # one stdio buffer then dies of SIGPIPE (pipefail fails the check).
  "$BIN/$b" --helpfull | grep -- "^  --flagfile=" >/dev/null || fail "$b --helpfull does not list Abseil's flags"
  out=$("$BIN/$b" --version) || fail "$b --version exited $?"
  grep -Eq "^$b $VERSION \(git ([0-9a-f]+(\+dirty)?|unknown)\)$" <<<"$out" || fail "$b --version printed '$out'"
  rc=0; "$BIN/$b" --no_such_flag=1 >/dev/null 2>"$WORK/err" || rc=$?
  [ "$rc" = 2 ] || fail "$b --no_such_flag exited $rc, not 2"
  grep -q "unknown flag --no_such_flag" "$WORK/err" || fail "$b did not name the unknown flag: $(cat "$WORK/err")"
done
rc=0; "$BIN/strata" run x --partitions=many 2>"$WORK/err" || rc=$?
[ "$rc" = 2 ] || fail "--partitions=many exited $rc, not 2"
grep -q "allowed: 1 to 256 or auto" "$WORK/err" || fail "--partitions=many did not name the allowed values: $(cat "$WORK/err")"
echo "help, version and exit codes ok on 6 binaries"

# 2. RFC 4180 CSV from run and sweep.
cat >"$WORK/tiny.textproto" <<'JOB'
name: "tiny, \"quoted\"" model { custom { name: "tiny" layers: 2 hidden: 512 ffn: 1024 heads: 8 vocab: 1000 } }
workload { prompt_tokens: 8 decode_tokens: 2 } system { in_memory {} }
JOB
"$BIN/strata" run "$WORK/tiny.textproto" --quiet --csv "$WORK/run.csv" --output "$WORK/run.json" >/dev/null
# --partitions=auto: a job too short for a pilot says so and keeps its digest.
out=$("$BIN/strata" run "$WORK/tiny.textproto" --partitions=auto)
grep -q "auto: estimated .* one partition, no pilot" <<<"$out" || fail "run --partitions=auto printed no choice:"$'\n'"$out"
grep -q "digest $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["digest"])' "$WORK/run.json")" <<<"$out" \
  || fail "run --partitions=auto changed the digest"
cat >"$WORK/sweep.textproto" <<'SWEEP'
name: "tiny sweep"
base { model { custom { name: "tiny" layers: 2 hidden: 512 ffn: 1024 heads: 8 vocab: 1000 } }
       workload { prompt_tokens: 8 decode_tokens: 2 } system { in_memory {} } }
axes { field: "name" values: "a,b" values: "c\"d" }
SWEEP
"$BIN/strata" sweep "$WORK/sweep.textproto" --quiet --jobs=1 --csv "$WORK/sweep.csv" >/dev/null
python3 - "$WORK" <<'PY'
import csv, json, pathlib, sys
work = pathlib.Path(sys.argv[1])
run = list(csv.DictReader(open(work / "run.csv", newline="")))
assert len(run) == 1, run
assert run[0]["job"] == 'tiny, "quoted"', run[0]["job"]
result = json.load(open(work / "run.json"))
assert run[0]["digest"] == result["digest"], (run[0]["digest"], result["digest"])
assert float(run[0]["tokens_per_second"]) > 0
sweep = list(csv.DictReader(open(work / "sweep.csv", newline="")))
assert [r["name"] for r in sweep] == ["a,b", 'c"d'], [r["name"] for r in sweep]
missing = set(run[0]) - set(sweep[0])
assert not missing, f"the sweep CSV lacks run --csv columns {sorted(missing)}"
assert all(r["error"] == "" and r["digest"] for r in sweep), sweep
print(f"CSV ok: run --csv has {len(run[0])} columns, all in the sweep CSV ({len(sweep[0])})")
PY

# 3. list, watch and submit against a coordinator.
start_services  # a coordinator and nand, controller and host services
rc=0; "$BIN/strata" submit "$WORK/tiny.textproto" --server="$SERVER" --csv "$WORK/x.csv" 2>"$WORK/err" || rc=$?
[ "$rc" = 2 ] || fail "submit --csv without --watch exited $rc, not 2"
id=$("$BIN/strata" submit "$WORK/tiny.textproto" --server="$SERVER")
"$BIN/strata" watch "$id" --server="$SERVER" --quiet --output "$WORK/watch.json" --csv "$WORK/watch.csv" >/dev/null
# A distributed job's last live progress lags its end (0/2 without the
# final progress): list must show the finished job's.
job dist 'nvllm {}' 2
out=$("$BIN/strata" submit "$WORK/dist-distributed.textproto" --server="$SERVER" --watch --quiet)
dist_id=$(head -1 <<<"$out")
"$BIN/strata" list --server="$SERVER" >"$WORK/list.txt"
"$BIN/strata" list --server="$SERVER" --format=json >"$WORK/list.json"
python3 - "$WORK" "$id" "$dist_id" <<'PY'
import csv, json, pathlib, sys
work, job_id, dist_id = pathlib.Path(sys.argv[1]), sys.argv[2], sys.argv[3]
lines = (work / "list.txt").read_text().splitlines()
assert lines[0].split()[:3] == ["ID", "STATE", "TOKENS"], lines[0]
line = next(l for l in lines[1:] if l.startswith(job_id))
assert "SUCCEEDED" in line and " 2/2 " in line, f"finished job's line: {line!r}"
jobs = json.load(open(work / "list.json"))["jobs"]
job = next(j for j in jobs if j["id"] == job_id)
assert job["state"] == "SUCCEEDED" and job["progress"]["tokens_done"] == 2, job["progress"]
dist = next(j for j in jobs if j["id"] == dist_id)
assert dist["state"] == "SUCCEEDED", dist["state"]
assert dist["progress"].get("tokens_done") == 2 and dist["progress"]["events"] == dist["result"]["events"], \
    f"the finished distributed job's progress: {dist['progress']}"
watched = json.load(open(work / "watch.json"))
assert watched["digest"] == job["result"]["digest"], (watched["digest"], job["result"]["digest"])
row = list(csv.DictReader(open(work / "watch.csv", newline="")))[0]
assert row["job"] == 'tiny, "quoted"' and row["digest"] == watched["digest"], row
print("list (table and JSON), final progress (embedded and distributed), watch --output/--csv ok")
PY
echo PASS
