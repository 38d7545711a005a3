#!/usr/bin/env bash
# A real Prometheus server scrapes strata-coordinator and the nand,
# controller and host services during a distributed job. PromQL queries
# over its HTTP API show, while the job runs:
#  - a model counter exported by a *nand service* (die busy seconds of its
#    partition) rising, and
#  - the tokens counter rising, published by the coordinator alone (one
#    series per job, so it reads the same wherever it is read), and
#  - every query of dashboards/strata-overview.json returning data, with
#    its sim_job variable set to the job.
# Then every service's exposition passes `promtool check metrics`, and
# once the job ends its series leave every process after the linger.
# Everything listens on 127.0.0.1 and is stopped on exit. Exit 77 = skipped.
#   prometheus_services_test.sh BIN_DIR
set -euo pipefail
BIN="$1"
command -v prometheus >/dev/null || { echo "prometheus (Debian package 'prometheus') not installed: skipped"; exit 77; }
command -v curl >/dev/null || { echo "curl not installed: skipped"; exit 77; }
WORK=$(mktemp -d)
source "$(dirname "$0")/distributed_lib.sh"
trap 'cleanup; rm -rf "$WORK"' EXIT

metrics_port_of() { sed -n 's/.*metrics on port \([0-9]*\).*/\1/p' "$WORK/$1.log" | head -1; }

start_services --metrics_address=127.0.0.1:0 --metrics_linger_seconds=1
for s in coordinator nand1 nand2 controller host; do wait_for "$s" "metrics on port"; done

# One scrape job per process kind, so a query can name where a series came from.
target() { echo "['127.0.0.1:$(metrics_port_of "$1")'${2:+, '127.0.0.1:$(metrics_port_of "$2")'}]"; }
PROM_PORT=$(free_port)
cat >"$WORK/prometheus.yml" <<YML
global: {scrape_interval: 1s, evaluation_interval: 1s}
scrape_configs:
  - {job_name: strata-coordinator, static_configs: [{targets: $(target coordinator)}]}
  - {job_name: strata-nand, static_configs: [{targets: $(target nand1 nand2)}]}
  - {job_name: strata-controller, static_configs: [{targets: $(target controller)}]}
  - {job_name: strata-host, static_configs: [{targets: $(target host)}]}
YML
promtool check config "$WORK/prometheus.yml" >/dev/null
start prometheus prometheus --config.file="$WORK/prometheus.yml" --web.listen-address="127.0.0.1:${PROM_PORT}" \
  --storage.tsdb.path="$WORK/data" --log.level=warn
API=http://127.0.0.1:$PROM_PORT
for _ in $(seq 100); do curl -fsS "$API/-/ready" >/dev/null 2>&1 && break; sleep 0.1; done

# A long job: LLaMA-2-7B on NVLLM, 2000 tokens (minutes distributed); cancelled once both counters rose.
job long 'nvllm {}' 2000
ID=$("$BIN/strata" submit "$WORK/long-distributed.textproto" --server="$SERVER")
echo "submitted $ID"

query() {  # query PROMQL: the single value, or nothing
  curl -fsS --get "$API/api/v1/query" --data-urlencode "query=$1" |
    sed -n 's/.*"value":\[[0-9.]*,"\([0-9.e+-]*\)"\].*/\1/p'
}
# rising NAME PROMQL: waits (bounded, ~30 s) for two samples where the second is larger.
rising() {
  local first="" v=""
  for _ in $(seq 120); do
    v=$(query "$2" || true)
    if [ -n "$v" ]; then
      if [ -z "$first" ]; then first=$v
      elif awk "BEGIN{exit !($v > $first)}"; then echo "$1: $first -> $v (rising)"; return 0
      fi
    fi
    sleep 0.25
  done
  echo "FAIL: $1 did not rise (first='$first' last='$v')"; return 1
}
rising "die busy seconds on the nand services" \
  "sum(strata_nand_die_busy_seconds_total{job=\"strata-nand\",sim_job=\"$ID\"})"
rising "tokens generated (coordinator)" \
  "max(strata_llm_tokens_generated_total{job=\"strata-coordinator\",sim_job=\"$ID\"})"
token_series=$(query "count(strata_llm_tokens_generated_total{sim_job=\"$ID\"})")
[ "$token_series" = 1 ] || { echo "FAIL: $token_series processes publish the job's tokens counter; one should"; exit 1; }
# Every query of the Grafana dashboard has data while the job runs (the
# SSD panels too: each partition exports every model figure, 0 where the
# system has no SSD).
DASHBOARD="$(dirname "$0")/../../dashboards/strata-overview.json"
mapfile -t EXPRS < <(python3 -c '
import json, sys
for panel in json.load(open(sys.argv[1]))["panels"]:
    for target in panel.get("targets", []):
        print(target["expr"])' "$DASHBOARD")
has_series() { curl -fsS --get "$API/api/v1/query" --data-urlencode "query=$1" | grep -q '"result":\[{'; }
for expr in "${EXPRS[@]}"; do
  expr=${expr//\$sim_job/$ID}  # Grafana's variable, set to this job
  found=""
  for _ in $(seq 60); do has_series "$expr" && { found=1; break; }; sleep 0.25; done
  [ -n "$found" ] || { echo "FAIL: dashboard query returns nothing: $expr"; exit 1; }
done
echo "all ${#EXPRS[@]} dashboard queries have data"
nand_series=$(query "count(strata_kernel_committed_events_total{job=\"strata-nand\",sim_job=\"$ID\"})")
[ "$nand_series" = 2 ] || { echo "FAIL: expected one kernel series per nand partition (2), got '$nand_series'"; exit 1; }

for s in coordinator nand1 controller host; do
  curl -fsS "http://127.0.0.1:$(metrics_port_of $s)/metrics" >"$WORK/$s.prom"
  promtool check metrics <"$WORK/$s.prom" || { echo "FAIL: promtool rejects $s's /metrics"; exit 1; }
done
"$BIN/strata" cancel "$ID" --server="$SERVER" >/dev/null
# The ended job's series leave every process after the 1 s linger.
for s in coordinator nand1 nand2 controller host; do
  gone=""
  for _ in $(seq 100); do
    curl -fsS "http://127.0.0.1:$(metrics_port_of $s)/metrics" | grep -q "sim_job=\"$ID\"" || { gone=1; break; }
    sleep 0.1
  done
  [ -n "$gone" ] || { echo "FAIL: $s still exports the series of the ended job $ID"; exit 1; }
done
echo "the ended job's series left every process"
stop_all
echo PASS
