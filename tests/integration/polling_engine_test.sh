#!/usr/bin/env bash
# Every strata server picks gRPC's "poll" polling engine (one wake-up less
# per message than the default epoll1; see SelectPollingEngine in
# services/partition/partition_server.h), and an explicit
# GRPC_POLL_STRATEGY still wins. gRPC names the engine it uses at debug
# verbosity.
#   polling_engine_test.sh BIN_DIR
set -euo pipefail
BIN="$1"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

engine_of() {  # engine_of BINARY [ENV...]: the engine the binary says it uses
  local binary=$1; shift
  local args=(--listen=127.0.0.1:0)
  [ "$binary" = strata-coordinator ] && args+=(--db="$WORK/jobs.sqlite")
  env GRPC_VERBOSITY=debug "$@" timeout 2 "$BIN/$binary" "${args[@]}" >"$WORK/out.log" 2>&1 || true
  sed -n 's/.*Using polling engine: \([a-z0-9]*\).*/\1/p' "$WORK/out.log" | head -1
}

for binary in strata-coordinator strata-nand strata-controller strata-host; do
  got=$(engine_of "$binary")
  [ "$got" = poll ] || { echo "FAIL: $binary uses '$got', expected poll"; cat "$WORK/out.log" | head -20; exit 1; }
  echo "$binary: poll"
done
got=$(engine_of strata-host GRPC_POLL_STRATEGY=epoll1)
[ "$got" = epoll1 ] || { echo "FAIL: GRPC_POLL_STRATEGY=epoll1 gave '$got'"; exit 1; }
echo "GRPC_POLL_STRATEGY=epoll1 is respected"
echo PASS
