#!/usr/bin/env bash
# Installs what it needs, builds, and runs the whole test suite with ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh Release
ctest --test-dir build --output-on-failure -j "${STRATA_JOBS:-2}" --timeout 600
