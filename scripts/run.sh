#!/usr/bin/env bash
# The main job: installs what it needs, builds, and runs embedded LLM
# simulations (every component in one process): LLaMA-2-70B INT8 decoding
# on a DRAM-only desktop, on an A800 that streams weights over PCIe, and on
# NVLLM (FFN computed inside 3D NAND); seconds in all once built.
# Each prints a results table; JSON and CSV land in results/.
# Extra arguments go to `strata run` (e.g. --partitions=2 --sync=null).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh Release
mkdir -p results
for job in llama-2-70b-in-memory llama-2-70b-a800 llama-2-70b-nvllm; do
  build/bin/strata run "configs/${job}.textproto" --output "results/${job}.json" --csv "results/${job}.csv" "$@"
done
echo
echo "results written to results/*.json and results/*.csv"
