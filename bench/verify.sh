#!/usr/bin/env bash
# Wall time of `mmi verify` per shipped policy (default bounds, --timeout 10). docs/verify.md
# records the figures. usage: bench/verify.sh [MMI]
set -uo pipefail
mmi=${1:-build/cli/mmi}
for policy in policies/us-*.yaml policies/examples/*.yaml; do
  start=$(date +%s.%N)
  "$mmi" verify "$policy" --format json >/dev/null 2>&1
  code=$?
  end=$(date +%s.%N)
  printf '%-45s %6.2f s  exit %d\n' "$policy" "$(echo "$end - $start" | bc)" "$code"
done
