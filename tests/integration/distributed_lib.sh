# Helpers for the distributed-service tests: start a coordinator and
# partition services (optionally inside a network namespace), submit jobs,
# read digests. Sourced; expects BIN (build/bin) and WORK (a temp dir).
PIDS=()
IN_NS=()  # command prefix, e.g. (ip netns exec strata_a)

# start NAME LOG CMD...: runs CMD in the background, remembers its pid.
start() {
  local log="$WORK/$1.log"; shift
  "${IN_NS[@]}" "$@" >"$log" 2>&1 &
  PIDS+=($!)
  LAST_PID=$!
}

# wait_for LOG PATTERN: up to 10 s for PATTERN to show in LOG.
wait_for() {
  for _ in $(seq 100); do grep -q "$2" "$WORK/$1.log" 2>/dev/null && return 0; sleep 0.1; done
  echo "FAIL: '$2' never appeared in $1.log:"; cat "$WORK/$1.log"; return 1
}

free_port() {  # a port nothing listens on (connect refused); for servers that cannot take port 0
  local p
  for _ in $(seq 50); do
    p=$((20000 + RANDOM % 20000))
    (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null || { echo "$p"; return; }
  done
  return 1
}

port_of() { sed -n 's/.*listening on port \([0-9]*\).*/\1/p' "$WORK/$1.log" | head -1; }

# A job file: job NAME SYSTEM_BLOCK DECODE_TOKENS [extra simulation fields]
job() {
  local model='catalog_name: "llama-2-7b"'
  case "$2" in *aif*) model='custom { name: "tiny" layers: 2 hidden: 512 ffn: 1024 heads: 8 vocab: 1000 }';; esac
  cat >"$WORK/$1.textproto" <<JOB
name: "$1" model { $model }
workload { prompt_tokens: 8 decode_tokens: $3 } system { $2 }
JOB
  sed "s/^name/simulation { distributed: true ${4:-} }\nname/" "$WORK/$1.textproto" >"$WORK/$1-distributed.textproto"
}

digest_of() { grep -o 'digest [0-9a-f]*' | awk '{print $2}'; }

# submit_and_compare NAME SERVER [WIRE]: the distributed job's digest must
# equal `strata run` of the same job; with WIRE ("peer to peer", "star via
# partition 0" or "coordinator hub"), the result must say the run used it.
submit_and_compare() {
  local embedded distributed out
  embedded=$("$BIN/strata" run "$WORK/$1.textproto" --quiet | digest_of)
  out=$("${IN_NS[@]}" "$BIN/strata" submit "$WORK/$1-distributed.textproto" --server="$2" --watch --quiet 2>&1) || {
    echo "FAIL: $1 did not succeed:"; echo "$out"; return 1; }
  distributed=$(echo "$out" | digest_of)
  echo "$1: $(echo "$out" | grep -o '[0-9]* partition(s), [a-z_]* sync[^,]*') distributed, digest $distributed, embedded $embedded"
  [ -n "$embedded" ] && [ "$embedded" = "$distributed" ] || { echo "FAIL: $1 digests differ"; echo "$out"; return 1; }
  [ -z "${3:-}" ] || echo "$out" | grep -q "sync ($3)" || { echo "FAIL: $1 did not run over '$3'"; echo "$out"; return 1; }
}

# start_services [FLAG...]: strata-coordinator and nand1, nand2, controller,
# host services on 127.0.0.1 (port 0), every process given FLAGs; waits
# until each registered. Sets SERVER and PID_<name>.
start_services() {
  local s
  start coordinator "$BIN/strata-coordinator" --listen=127.0.0.1:0 --db="$WORK/jobs.sqlite" "$@"
  wait_for coordinator "listening on port"
  SERVER=127.0.0.1:$(port_of coordinator)
  for s in nand1 nand2 controller host; do
    start "$s" "$BIN/strata-${s%[0-9]}" --listen=127.0.0.1:0 --coordinator="$SERVER" "$@"
    eval "PID_$s=$LAST_PID"
  done
  for s in nand1 nand2 controller host; do wait_for "$s" "registered with the coordinator"; done
}

cleanup() {
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}

# stop_all: SIGTERM every process; each must exit 0 and say it shut down.
stop_all() {
  local p rc=0
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" || rc=1; done
  PIDS=()
  [ "$rc" = 0 ] || { echo "FAIL: a service did not exit cleanly on SIGTERM"; tail -n 3 "$WORK"/*.log; return 1; }
  echo "every service shut down cleanly on SIGTERM"
}
