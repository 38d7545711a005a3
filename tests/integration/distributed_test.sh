#!/usr/bin/env bash
# The distributed service on loopback: strata-coordinator with 2 nand, 1
# controller and 1 host services (real processes on 127.0.0.1).
#  1. LLaMA-2-7B on NVLLM (host + nand groups) and a small model on AiF
#     (host, "aif" controller and nand groups), submitted over gRPC with
#     simulation.distributed, give the digest of `strata run` (embedded).
#  2. kill -9 of a nand service mid-job: the job ends FAILED within a few
#     seconds with a reason naming the lost partition and service; the
#     coordinator and the other services stay up, and the next job (on the
#     remaining services) succeeds with the embedded digest.
#  3. SIGTERM stops every process cleanly.
#   distributed_test.sh BIN_DIR
set -euo pipefail
BIN="$1"
WORK=$(mktemp -d)
source "$(dirname "$0")/distributed_lib.sh"
trap 'cleanup; rm -rf "$WORK"' EXIT

start_services

job nvllm 'nvllm {}' 4
job aif 'aif {}' 2
job nvllm_null 'nvllm {}' 2 'sync: NULL_MESSAGE'
submit_and_compare nvllm "$SERVER"
submit_and_compare aif "$SERVER"
submit_and_compare nvllm_null "$SERVER"

# 2. A long job (hundreds of tokens); kill -9 a nand service once it runs.
job long 'nvllm {}' 500
ID=$("$BIN/strata" submit "$WORK/long-distributed.textproto" --server="$SERVER")
for _ in $(seq 100); do "$BIN/strata" list --server="$SERVER" --state=RUNNING | grep -q "$ID" && break; sleep 0.1; done
sleep 1
kill -9 "$PID_nand1"; wait "$PID_nand1" 2>/dev/null || true
PIDS=("${PIDS[@]/$PID_nand1}")
killed=$(date +%s.%N)
line=""
for _ in $(seq 200); do  # bounded: 20 s
  line=$("$BIN/strata" list --server="$SERVER" | grep "$ID" || true)
  case "$line" in *FAILED*) break;; esac
  sleep 0.1
done
echo "after kill -9: $line"
echo "failure detected in $(echo "$(date +%s.%N) - $killed" | bc) s"
case "$line" in *FAILED*"lost partition"*"on nand service"*) ;; *) echo "FAIL: no FAILED job naming the lost partition"; exit 1;; esac
submit_and_compare nvllm "$SERVER"   # now on nand2 only

PIDS=(${PIDS[@]})  # drop the killed one's empty slot
stop_all
echo PASS
