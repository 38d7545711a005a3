#!/usr/bin/env bash
# The distributed service with TLS and authentication on, as deploy files
# run it (docs/security.md): certificates and tokens from
# scripts/make_certs.sh; strata-coordinator with tokens and service
# certificates; 2 nand, a controller and a host service on mutual TLS,
# checked by the name strata-service (not their address).
#  1. every service registers with its certificate and answers `strata
#     health` over TLS (with a client certificate only); a distributed NVLLM job
#     submitted with the user's token gives the embedded digest;
#  2. a rogue nand service without a certificate never registers; one with
#     a user's token is refused and says why;
#  3. no token: UNAUTHENTICATED; no CA: no connection;
#  4. the user neither lists nor cancels the admin's job; the admin lists both;
#  5. SIGTERM stops every process cleanly.
#   tls_services_test.sh BIN_DIR SOURCE_DIR
set -euo pipefail
BIN="$1"
SRC="$2"
WORK=$(mktemp -d)
source "$(dirname "$0")/distributed_lib.sh"
trap 'cleanup; rm -rf "$WORK"' EXIT
command -v openssl >/dev/null || { echo "openssl not installed (scripts/setup.sh installs it): skipped"; exit 77; }

S="$WORK/secrets"
bash "$SRC/scripts/make_certs.sh" "$S" 2 >/dev/null
CA=(--tls_ca="$S/ca.crt")
start coordinator "$BIN/strata-coordinator" --listen=127.0.0.1:0 --db="$WORK/jobs.sqlite" \
  --tls_cert="$S/coordinator/tls.crt" --tls_key="$S/coordinator/tls.key" "${CA[@]}" \
  --auth_token_file="$S/coordinator/tokens" --service_cert_names=strata-service --tls_service_name=strata-service
wait_for coordinator "listening on port"
grep -q "TLS" "$WORK/coordinator.log" || { echo "FAIL: the coordinator does not say it speaks TLS"; exit 1; }
SERVER=127.0.0.1:$(port_of coordinator)
for s in nand1 nand2 controller host; do
  start "$s" "$BIN/strata-${s%[0-9]}" --listen=127.0.0.1:0 --coordinator="$SERVER" \
    --tls_cert="$S/service/tls.crt" --tls_key="$S/service/tls.key" "${CA[@]}" --tls_service_name=strata-service
done
for s in nand1 nand2 controller host; do wait_for "$s" "registered with the coordinator"; done
echo "4 services registered over mutual TLS"
# The deploy files' probes: `strata health` over TLS (a service wants a
# client certificate too).
"$BIN/strata" health --server="$SERVER" "${CA[@]}" --timeout_seconds=5 >/dev/null || {
  echo "FAIL: strata health of the TLS coordinator"; exit 1; }
NAND1=127.0.0.1:$(port_of nand1)
"$BIN/strata" health --server="$NAND1" "${CA[@]}" --tls_cert="$S/service/tls.crt" --tls_key="$S/service/tls.key" \
  --timeout_seconds=5 >/dev/null || { echo "FAIL: strata health of a TLS service"; exit 1; }
if "$BIN/strata" health --server="$NAND1" "${CA[@]}" --timeout_seconds=3 >/dev/null 2>&1; then
  echo "FAIL: a TLS service answered a client without a certificate"; exit 1
fi
echo "strata health over TLS: coordinator and service SERVING; a service refuses a client without a certificate"

# 2. Rogue services: one without a certificate (TLS to the coordinator, but
# no client certificate and no token), one with a user's token.
start rogue_plain "$BIN/strata-nand" --listen=127.0.0.1:0 --coordinator="$SERVER" "${CA[@]}"
start rogue_user "$BIN/strata-nand" --listen=127.0.0.1:0 --coordinator="$SERVER" "${CA[@]}" \
  --token_file="$S/user.token"
wait_for rogue_user "refuses this service"
wait_for rogue_plain "refuses this service"
if grep -q "registered with the coordinator" "$WORK/rogue_plain.log" "$WORK/rogue_user.log"; then
  echo "FAIL: a rogue service registered"; cat "$WORK"/rogue_*.log; exit 1
fi
echo "rogue services refused: $(grep -ho 'refuses this service: .*' "$WORK/rogue_user.log" | head -1)"

# 1. A distributed job with the user's token: the embedded digest.
USER_FLAGS=(--server="$SERVER" "${CA[@]}" --token_file="$S/user.token")
ADMIN_FLAGS=(--server="$SERVER" "${CA[@]}" --token_file="$S/admin.token")
job nvllm 'nvllm {}' 2
embedded=$("$BIN/strata" run "$WORK/nvllm.textproto" --quiet | digest_of)
out=$("$BIN/strata" submit "$WORK/nvllm-distributed.textproto" "${USER_FLAGS[@]}" --watch --quiet 2>&1) || {
  echo "FAIL: the distributed job did not succeed over TLS:"; echo "$out"; cat "$WORK"/nand1.log; exit 1; }
distributed=$(echo "$out" | digest_of)
[ -n "$embedded" ] && [ "$embedded" = "$distributed" ] || { echo "FAIL: digests differ: $embedded vs $distributed"; exit 1; }
echo "distributed NVLLM over mutual TLS: digest $distributed = embedded"

# 3. No token; no CA.
if out=$("$BIN/strata" list --server="$SERVER" "${CA[@]}" 2>&1); then echo "FAIL: list without a token: $out"; exit 1; fi
echo "$out" | grep -q "requires a credential" || { echo "FAIL: no token, but: $out"; exit 1; }
if out=$("$BIN/strata" list --server="$SERVER" --token_file="$S/user.token" --timeout_seconds=3 2>&1); then
  echo "FAIL: plaintext list of a TLS coordinator: $out"; exit 1
fi
echo "no token: refused (UNAUTHENTICATED); no CA: no connection"

# 4. The admin's job is not the user's.
job small 'in_memory {}' 2
admin_job=$("$BIN/strata" submit "$WORK/small.textproto" "${ADMIN_FLAGS[@]}")
if "$BIN/strata" list "${USER_FLAGS[@]}" --format=json | grep -q "$admin_job"; then
  echo "FAIL: the user lists the admin's job"; exit 1
fi
if out=$("$BIN/strata" cancel "$admin_job" "${USER_FLAGS[@]}" 2>&1); then echo "FAIL: the user cancelled: $out"; exit 1; fi
echo "$out" | grep -q "belongs to another user" || { echo "FAIL: cancel refused, but: $out"; exit 1; }
listed=$("$BIN/strata" list "${ADMIN_FLAGS[@]}" --format=json)
echo "$listed" | grep -q "$admin_job" && echo "$listed" | grep -q '"owner": "user"' || {
  echo "FAIL: the admin does not list every job: $listed"; exit 1; }
echo "the user neither lists nor cancels the admin's job; the admin lists both"

stop_all
echo PASS
