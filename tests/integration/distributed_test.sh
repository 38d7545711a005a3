#!/usr/bin/env bash
# The distributed service on loopback: strata-coordinator with 2 nand, 1
# controller and 1 host services (real processes on 127.0.0.1).
#  1. LLaMA-2-7B on NVLLM (host + nand groups) and a small model on AiF
#     (host, "aif" controller and nand groups), submitted over gRPC with
#     simulation.distributed, give the digest of `strata run` (embedded),
#     on the wire auto picks and on each one simulation.wire asks for.
#  2. kill -9 of a nand service mid-job: the job ends FAILED within a few
#     seconds with a reason naming the lost partition and service; the
#     coordinator and the other services stay up, and the next job (on the
#     remaining services) succeeds with the embedded digest. Once with the
#     services' windows gathered at partition 0 (3 partitions: a star), once
#     all to all (2 partitions), then on a newly started nand.
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
job nvllm_all_to_all 'nvllm {}' 2 'wire: WIRE_PEER'
job nvllm_hub 'nvllm {}' 2 'wire: WIRE_HUB'
submit_and_compare nvllm "$SERVER" "star via partition 0"   # 3 partitions: auto picks the star
submit_and_compare aif "$SERVER" "star via partition 0"
submit_and_compare nvllm_null "$SERVER" "coordinator hub"      # null messages: always the hub
submit_and_compare nvllm_all_to_all "$SERVER" "peer to peer"   # simulation.wire asks for it at 3
submit_and_compare nvllm_hub "$SERVER" "coordinator hub"
# auto_partitions: a pilot's event counts place the groups; same digest.
job nvllm_auto 'nvllm {}' 2 'auto_partitions: true'
submit_and_compare nvllm_auto "$SERVER"
auto_out=$("$BIN/strata" submit "$WORK/nvllm_auto-distributed.textproto" --server="$SERVER" --watch --quiet 2>&1)
case "$auto_out" in *"groups placed on each role's services by their events"*) ;;
  *) echo "FAIL: the distributed auto job does not say how its groups were placed:"; echo "$auto_out"; exit 1;; esac

# kill_mid_job SERVICE: submits a long job (hundreds of tokens), kill -9s
# SERVICE once the job runs; the job must end FAILED within 20 s naming
# the lost partition and its nand service.
kill_mid_job() {
  local pid_var="PID_$1" id line killed
  id=$("$BIN/strata" submit "$WORK/long-distributed.textproto" --server="$SERVER")
  for _ in $(seq 100); do "$BIN/strata" list --server="$SERVER" --state=RUNNING | grep -q "$id" && break; sleep 0.1; done
  sleep 1
  kill -9 "${!pid_var}"; wait "${!pid_var}" 2>/dev/null || true
  PIDS=("${PIDS[@]/${!pid_var}}")
  killed=$(date +%s.%N)
  line=""
  for _ in $(seq 200); do  # bounded: 20 s
    line=$("$BIN/strata" list --server="$SERVER" | grep "$id" || true)
    case "$line" in *FAILED*) break;; esac
    sleep 0.1
  done
  echo "after kill -9 of $1: $line"
  echo "failure detected in $(echo "$(date +%s.%N) - $killed" | bc) s"
  case "$line" in *FAILED*"lost partition"*"on nand service"*) ;; *) echo "FAIL: no FAILED job naming the lost partition"; exit 1;; esac
}

# 2. A star via partition 0 (3 partitions: host, nand1, nand2).
job long 'nvllm {}' 500
kill_mid_job nand1
submit_and_compare nvllm "$SERVER" "peer to peer"   # now on nand2 only: 2 partitions

# 3. Peer to peer (2 partitions: host, nand2): the services exchange
# windows directly, so nand2's death reaches the host's partition through
# its peer stream as well as the coordinator through its own.
kill_mid_job nand2
start nand3 "$BIN/strata-nand" --listen=127.0.0.1:0 --coordinator="$SERVER"
wait_for nand3 "registered with the coordinator"
submit_and_compare nvllm "$SERVER" "peer to peer"   # on the new nand3

PIDS=(${PIDS[@]})  # drop the killed one's empty slot
stop_all
echo PASS
