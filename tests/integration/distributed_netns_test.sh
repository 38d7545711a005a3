#!/usr/bin/env bash
# The distributed service across two network namespaces joined by a veth
# pair (10.77.0.1 <-> 10.77.0.2), created here and removed on exit:
# coordinator, host and controller services in one, both nand services in
# the other. Jobs submitted over gRPC give the embedded digest.
# Needs root and a working `ip netns`; exit 77 (skipped) otherwise.
#   distributed_netns_test.sh BIN_DIR
set -euo pipefail
BIN="$1"
[ "$(id -u)" = 0 ] || { echo "skipped: needs root to create network namespaces"; exit 77; }
command -v ip >/dev/null || { echo "skipped: ip (iproute2) is not installed"; exit 77; }
A=strata_a_$$ B=strata_b_$$
ip netns add "$A" 2>/dev/null || { echo "skipped: 'ip netns add' does not work here"; exit 77; }
WORK=$(mktemp -d)
source "$(dirname "$0")/distributed_lib.sh"
trap 'cleanup; ip netns del "$A" 2>/dev/null || true; ip netns del "$B" 2>/dev/null || true; rm -rf "$WORK"' EXIT
ip netns add "$B"
ip link add "va$$" type veth peer name "vb$$"
ip link set "va$$" netns "$A"
ip link set "vb$$" netns "$B"
ip -n "$A" addr add 10.77.0.1/24 dev "va$$"
ip -n "$B" addr add 10.77.0.2/24 dev "vb$$"
for ns in "$A" "$B"; do ip -n "$ns" link set lo up; done
ip -n "$A" link set "va$$" up
ip -n "$B" link set "vb$$" up

# Fresh namespaces: fixed ports are free. The veth pair joins two private
# namespaces only, so plaintext beyond loopback is allowed here
# (--allow_insecure_listen; docs/security.md).
SERVER=10.77.0.1:7700
IN_NS=(ip netns exec "$A")
start coordinator "$BIN/strata-coordinator" --listen=0.0.0.0:7700 --allow_insecure_listen --db="$WORK/jobs.sqlite"
wait_for coordinator "listening on port"
start host "$BIN/strata-host" --listen=10.77.0.1:7713 --allow_insecure_listen --coordinator="$SERVER"
start controller "$BIN/strata-controller" --listen=10.77.0.1:7712 --allow_insecure_listen --coordinator="$SERVER"
IN_NS=(ip netns exec "$B")
start nand1 "$BIN/strata-nand" --listen=10.77.0.2:7711 --allow_insecure_listen --coordinator="$SERVER"
start nand2 "$BIN/strata-nand" --listen=10.77.0.2:7721 --allow_insecure_listen --coordinator="$SERVER"
for s in host controller nand1 nand2; do wait_for "$s" "registered with the coordinator"; done

IN_NS=(ip netns exec "$A")  # the client runs beside the coordinator
job nvllm 'nvllm {}' 4
job aif 'aif {}' 2
submit_and_compare nvllm "$SERVER"
submit_and_compare aif "$SERVER"
stop_all
echo PASS
