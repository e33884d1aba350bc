#!/usr/bin/env bash
# mmi against the streaming floor of the peer benchmark (a harness outside this repository):
# runs the peers' harness twice on the same book — `mmi batch --threads 1`, then `--threads 2` —
# each time beside the reference oracle and the floor, and prints the ratios issue 11 asks for.
#
#   PEERS=/work/shared/peers bench/compare.sh [N]        # N cases, default 300000
#   MMI=build-rel/cli/mmi POLICY=bench/policies/tx-statutory-v1.yaml PEERS=… bench/compare.sh 100000
#
# Every run checks each engine's results against the oracle (report.py); a mismatch fails here.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
N=${1:-300000}
MMI=$(realpath "${MMI:-$ROOT/build-rel/cli/mmi}")
POLICY=$(realpath "${POLICY:-$ROOT/bench/policies/tx-statutory-v1.yaml}")
PEERS=${PEERS:?set PEERS to the peer benchmark directory (the one with run.sh and floor.cpp)}
WORK=${WORK:-/tmp/mmi-compare}
export WORK
mkdir -p "$WORK"
[ -x "$MMI" ] || { echo "no mmi binary at $MMI (set MMI=)" >&2; exit 2; }

# wall seconds and peak RSS (KiB) of a /usr/bin/time -v file
wall() { awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' "$1"; }
cpu() { awk -F': ' '/(User|System) time/ { t += $2 } END { print t }' "$1"; }
rss() { awk -F': ' '/Maximum resident set size/ { print $2 }' "$1"; }

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for threads in 1 2; do
  MMI="$MMI" POLICY="$POLICY" MMI_ARGS="--threads $threads" ENGINES="reference floor" \
    "$PEERS/run.sh" "$N" >"$WORK/report-t$threads.txt" 2>"$WORK/run-t$threads.log" ||
    { cat "$WORK/run-t$threads.log" "$WORK/report-t$threads.txt" >&2; exit 1; }
  # the table's last column counts each engine's results that differ from the oracle
  if ! awk -F'|' '/^\| [a-z]/ && !/^\| engine/ { n = $(NF - 1); gsub(/ /, "", n); rows++; if (n != "0") bad = 1 }
                  END { exit bad || rows < 3 }' "$WORK/report-t$threads.txt"; then
    cat "$WORK/report-t$threads.txt" >&2
    echo "results differ from the oracle (above)" >&2
    exit 1
  fi
  cp "$WORK/mmi.time" "$WORK/mmi-t$threads.time"
  cp "$WORK/floor.time" "$WORK/floor-t$threads.time"
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

cat "$WORK/report-t1.txt"
echo
echo "load average before: $load_before, after: $load_after ($(nproc) cores)"
printf '%-22s %8s %8s %12s %14s %9s\n' run "wall s" "cpu s" "cases/s" "cases/cpu-s" "RSS MiB"
row() {
  local s c
  s=$(wall "$2") c=$(cpu "$2")
  printf '%-22s %8s %8s %12d %14d %9.1f\n' "$1" "$s" "$c" "$(awk "BEGIN { print int($N / $s) }")" \
    "$(awk "BEGIN { print ($c > 0) ? int($N / $c) : 0 }")" "$(awk "BEGIN { print $(rss "$2") / 1024 }")"
}
row "floor (run 1)" "$WORK/floor-t1.time"
row "floor (run 2)" "$WORK/floor-t2.time"
row "mmi --threads 1" "$WORK/mmi-t1.time"
row "mmi --threads 2" "$WORK/mmi-t2.time"
floor_s=$(awk "BEGIN { a = $(wall "$WORK/floor-t1.time"); b = $(wall "$WORK/floor-t2.time"); print (a < b) ? a : b }")
t1=$(wall "$WORK/mmi-t1.time") t2=$(wall "$WORK/mmi-t2.time")
awk "BEGIN {
  printf \"mmi --threads 1 / floor (cases/s): %.1f %%   (target >= 50 %%)\n\", 100 * $floor_s / $t1
  printf \"mmi --threads 2 / --threads 1:     %.2fx    (target >= 1.6x on an idle machine)\n\", $t1 / $t2
  printf \"mmi --threads 1 peak RSS:          %.1f MiB (target < 50 MiB)\n\", $(rss "$WORK/mmi-t1.time") / 1024
}"
