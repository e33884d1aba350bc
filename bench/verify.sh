#!/usr/bin/env bash
# Wall and CPU time of `mmi verify` per shipped policy (default bounds, --timeout 10), and its exit
# status; the CPU time is the steadier figure on a shared machine (the solver's timeouts are wall
# time). docs/verify.md records the figures. usage: bench/verify.sh [MMI]
set -uo pipefail
mmi=${1:-build/cli/mmi}
times=$(mktemp)
trap 'rm -f "$times"' EXIT
for policy in policies/us-*.yaml policies/examples/*.yaml; do
  /usr/bin/time -o "$times" -f '%e %U' "$mmi" verify "$policy" --format json >/dev/null 2>&1
  code=$?
  read -r wall cpu < <(tail -1 "$times")  # after a "Command exited with" line on failure
  printf '%-45s %6.2f s wall %6.2f s CPU  exit %d\n' "$policy" "$wall" "$cpu" "$code"
done
