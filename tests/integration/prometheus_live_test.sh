#!/usr/bin/env bash
# A real Prometheus server scrapes strata-coordinator while a job runs, and
# a PromQL query over its HTTP API shows the job's tokens counter rising.
# Everything listens on 127.0.0.1 and is stopped on exit. Exit 77 = skipped.
#   prometheus_live_test.sh BIN_DIR
set -euo pipefail
BIN="$1"
command -v prometheus >/dev/null || { echo "prometheus not installed: skipped"; exit 77; }
WORK=$(mktemp -d)
source "$(dirname "$0")/distributed_lib.sh"  # free_port
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT


"$BIN/strata-coordinator" --listen=127.0.0.1:0 --db="$WORK/jobs.sqlite" --metrics_address=127.0.0.1:0 \
  >"$WORK/coordinator.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do grep -q "metrics on port" "$WORK/coordinator.log" && break; sleep 0.1; done
GRPC_PORT=$(sed -n 's/.*listening on port \([0-9]*\).*/\1/p' "$WORK/coordinator.log")
METRICS_PORT=$(sed -n 's/.*metrics on port \([0-9]*\).*/\1/p' "$WORK/coordinator.log")
[ -n "$GRPC_PORT" ] && [ -n "$METRICS_PORT" ] || { cat "$WORK/coordinator.log"; exit 1; }

PROM_PORT=$(free_port)
cat >"$WORK/prometheus.yml" <<YML
global: {scrape_interval: 1s, evaluation_interval: 1s}
scrape_configs:
  - job_name: strata
    static_configs: [{targets: ['127.0.0.1:${METRICS_PORT}']}]
YML
promtool check config "$WORK/prometheus.yml" >/dev/null
prometheus --config.file="$WORK/prometheus.yml" --web.listen-address="127.0.0.1:${PROM_PORT}" \
  --storage.tsdb.path="$WORK/data" --log.level=warn >"$WORK/prometheus.log" 2>&1 &
PIDS+=($!)
API=http://127.0.0.1:$PROM_PORT
for _ in $(seq 100); do curl -fsS "$API/-/ready" >/dev/null 2>&1 && break; sleep 0.1; done

# A long job: LLaMA-2-70B in DRAM for 100000 tokens (about a minute of wall time).
cat >"$WORK/job.textproto" <<'JOB'
name: "prometheus-live" model { catalog_name: "llama-2-70b" }
workload { prompt_tokens: 8 decode_tokens: 100000 } system { in_memory {} }
JOB
JOB_ID=$("$BIN/strata" submit "$WORK/job.textproto" --server=127.0.0.1:$GRPC_PORT)
echo "submitted $JOB_ID"

query() {
  curl -fsS --get "$API/api/v1/query" --data-urlencode "query=max(strata_llm_tokens_generated_total{sim_job=\"$JOB_ID\"})" |
    sed -n 's/.*"value":\[[0-9.]*,"\([0-9.e+]*\)"\].*/\1/p'
}
first=""
for _ in $(seq 150); do  # bounded: about 40 s
  v=$(query || true)
  if [ -n "$v" ]; then
    if [ -z "$first" ]; then first=$v; echo "first sample: $first tokens"
    elif awk "BEGIN{exit !($v > $first)}"; then echo "later sample: $v tokens (rising)"; break
    fi
  fi
  sleep 0.25
done
"$BIN/strata" cancel "$JOB_ID" --server=127.0.0.1:$GRPC_PORT >/dev/null
[ -n "$first" ] && [ -n "${v:-}" ] && awk "BEGIN{exit !($v > $first)}" || {
  echo "FAIL: tokens counter did not rise (first='$first' last='${v:-}')"; cat "$WORK/prometheus.log"; exit 1; }
kill -TERM "${PIDS[0]}"; wait "${PIDS[0]}" || true
grep -q "shutting down" "$WORK/coordinator.log" || { echo "FAIL: coordinator did not shut down cleanly"; exit 1; }
echo "PASS"
