#!/usr/bin/env bash
# Installs the Debian 12 packages mmi builds, tests and benchmarks with. Idempotent; run as root.
set -euo pipefail
packages=(
  cmake ninja-build g++ pkg-config git python3
  libyaml-cpp-dev libboost-dev libspdlog-dev libfmt-dev catch2 libcli11-dev
  nlohmann-json3-dev libsimdjson-dev libbenchmark-dev libvalijson-dev librapidcheck-dev
  libssl-dev clang-14 libclang-rt-14-dev clang-format wrk libz3-dev
  chromium python3-distributed
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
