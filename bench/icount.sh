#!/usr/bin/env bash
# Instructions per case (callgrind) for load, evaluate and result JSON on mmi_bench's cases.
#   bench/icount.sh [build-dir]      # default build-rel (a Release build with -DMMI_BENCH=ON)
#   TOP=12 bench/icount.sh           # also each stage's 12 costliest functions (self, per case)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${1:-$ROOT/build-rel}
BIN=$BUILD/bench/mmi_icount
[ -x "$BIN" ] || { echo "no $BIN: build with -DMMI_BENCH=ON" >&2; exit 2; }
command -v valgrind >/dev/null || { echo "needs valgrind (apt-get install -y valgrind)" >&2; exit 2; }
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
valgrind --tool=callgrind --callgrind-out-file="$OUT/cg.out" "$BIN" >"$OUT/stdout" 2>"$OUT/stderr" ||
  { cat "$OUT/stderr" >&2; exit 1; }
rounds=$(awk '/rounds/ { print $3; exit }' "$OUT/stdout")
printf '%-10s %-10s %14s\n' case stage "instr/case"
# Each dump file names its stage ("desc: Trigger: Client Request: texas load") and its totals.
for f in "$OUT"/cg.out.*; do
  awk -v rounds="$rounds" '
    /^desc: Trigger: Client Request:/ { sub(/^desc: Trigger: Client Request: /, ""); what = $0 }
    /^(summary|totals):/ { total = $2 }
    END { if (what != "") { split(what, p, " "); printf "%-10s %-10s %14d\n", p[1], p[2], total / rounds } }' "$f"
done | sort -k1,1r -k2,2

# Where each stage's instructions go: self cost per case of its costliest functions.
if [ -n "${TOP:-}" ]; then
  for f in "$OUT"/cg.out.*; do
    echo
    echo "== $(sed -n 's/^desc: Trigger: Client Request: //p' "$f") (self instructions per case)"
    callgrind_annotate --threshold=100 "$f" 2>/dev/null |
      awk -v rounds="$rounds" -v top="$TOP" '
        /file:function/ { on = 1; next }
        on && /^ *[0-9,]+ / {
          n = $1; gsub(",", "", n); fn = $0
          sub(/^ *[0-9,]+ +\([ 0-9.%]+\) +/, "", fn); sub(/ \[.*$/, "", fn); sub(/^\?\?\?:/, "", fn)
          if (fn ~ /libc_start|below main|^0x|^main$/) next
          if (++shown > top) next  # read to the end: an early exit would fail the pipe
          printf "%10d  %s\n", n / rounds, substr(fn, 1, 110)
        }'
  done
fi
