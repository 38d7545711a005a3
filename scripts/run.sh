#!/usr/bin/env bash
# The main job: installs what it needs, builds, and runs the embedded
# simulation with every component in one process.
# Today that is the kernel benchmark (PHOLD, 1024 LPs x 16 events, 10%
# remote, on 1 and then 2 partitions); the LLM simulation (`strata run`)
# replaces it when it lands. Extra arguments go to strata-phold.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh Release
echo "== PHOLD on 1 partition"
build/bin/strata-phold --lps=1024 --events_per_lp=16 --remote=0.1 --partitions=1 "$@"
echo
echo "== the same job on 2 partitions (threads), window sync: same digest, more events/s"
build/bin/strata-phold --lps=1024 --events_per_lp=16 --remote=0.1 --partitions=2 --sync=window "$@"
