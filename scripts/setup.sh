#!/usr/bin/env bash
# Installs every build and test dependency from Debian 12 packages, then
# configures and builds strata. Idempotent: a second run only rebuilds what
# changed. Usage: scripts/setup.sh [Release|Debug]   (default Release)
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD_TYPE="${1:-Release}"
BUILD_DIR="${STRATA_BUILD_DIR:-build}"

# Debian package names; see shared BUILDING-DEPS.md for why each is here.
PACKAGES=(
  cmake g++ make pkg-config ccache curl ca-certificates git
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler grpc-proto
  libabsl-dev prometheus-cpp-dev prometheus
  libgtest-dev libgmock-dev googletest libbenchmark-dev
  libsqlite3-dev sqlite3 gnuplot-nox iproute2 python3 python3-yaml docker-compose
  openssl  # tests make their TLS certificates with it (docs/security.md)
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  # --no-install-recommends keeps prometheus from pulling node-exporter & co.
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

LAUNCHER=()
command -v ccache >/dev/null && LAUNCHER=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
WERROR=OFF; [ "${CI:-}" = "true" ] && WERROR=ON

cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE="$BUILD_TYPE" -DSTRATA_WERROR="$WERROR" "${LAUNCHER[@]}" >/dev/null
cmake --build "$BUILD_DIR" -j "${STRATA_JOBS:-2}"
