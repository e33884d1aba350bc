#!/usr/bin/env bash
# End-to-end benchmark of `mmi batch` and `mmi whatif` on generated books (tools/gen_book.py).
#
#   bench/batch.sh                      # 100k cases, best of 3 runs each
#   MMI=build/cli/mmi POLICY=policies/us-tx.yaml SIZES="100000 1000000" REPEAT=3 bench/batch.sh
#
# Prints, per size: cases/s end to end (results to /dev/null, and to a file with -o), peak RSS
# (/usr/bin/time -v), --threads 1 vs 2, whatif (one --set variant) against one batch (issue 11:
# ≤ 1.1×), whatif with 2 measures and 2 --by against plain whatif (≤ 1.3×), a 100-variant grid
# read from a pipe (so the book is read once: a pipe cannot be read twice; < 200 MB), and
# --partial on 4 shards then --merge.
# Books are cached in $WORK (default /tmp/mmi-bench); generating 1M cases takes a few minutes.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MMI=${MMI:-$ROOT/build/cli/mmi}
POLICY=${POLICY:-$ROOT/policies/us-tx.yaml}
SIZES=${SIZES:-100000}
REPEAT=${REPEAT:-3}
THREADS=${THREADS:-2}
WORK=${WORK:-/tmp/mmi-batch-bench}
SET=${SET:-tx_statutory_period=100 weeks}
mkdir -p "$WORK"
[ -x "$MMI" ] || { echo "no mmi binary at $MMI (set MMI=)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install -y time)" >&2; exit 2; }

# best CMD...: runs CMD REPEAT times under /usr/bin/time -v; sets BEST_S (fastest wall seconds),
# BEST_CPU (user + system seconds of that run) and BEST_KB (its peak RSS).
best() {
  BEST_S="" BEST_KB="" BEST_CPU=""
  for ((i = 0; i < REPEAT; i++)); do
    /usr/bin/time -v -o "$WORK/time.txt" "$@" >/dev/null 2>"$WORK/stderr.txt" || { cat "$WORK/stderr.txt" >&2; exit 1; }
    local s kb cpu
    s=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); t = 0; for (k = 1; k <= n; k++) t = t * 60 + p[k]; print t }' "$WORK/time.txt")
    kb=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$WORK/time.txt")
    cpu=$(awk -F': ' '/(User|System) time/ { t += $2 } END { print t }' "$WORK/time.txt")
    if [ -z "$BEST_S" ] || awk "BEGIN { exit !($s < $BEST_S) }"; then BEST_S=$s BEST_KB=$kb BEST_CPU=$cpu; fi
  done
}

rate() { awk "BEGIN { if ($2 > 0) printf \"%d\", $1 / $2; else printf \"-\" }"; }
mib() { awk "BEGIN { printf \"%.1f\", $1 / 1024 }"; }

echo "mmi batch benchmark: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "policy $POLICY, best of $REPEAT runs; load average now: $(cut -d' ' -f1-3 /proc/loadavg)"
# cpu s: user + system time; on a busy machine, cases per CPU second shows what the cores could do.
printf '%-10s %-34s %8s %12s %8s %10s\n' cases run "wall s" "cases/s" "cpu s" "RSS MiB"
for n in $SIZES; do
  book=$WORK/book-$n.jsonl
  if [ ! -s "$book" ]; then
    echo "generating $n cases → $book" >&2
    python3 "$ROOT/tools/gen_book.py" "$n" --seed 1 -o "$book.tmp" && mv "$book.tmp" "$book"
  fi
  row() { printf '%-10s %-34s %8s %12s %8s %10s\n' "$n" "$1" "$BEST_S" "$(rate "$n" "$BEST_S")" "$BEST_CPU" "$(mib "$BEST_KB")"; }
  best "$MMI" batch -p "$POLICY" "$book" --threads "$THREADS"; row "batch --threads $THREADS > /dev/null"
  batch_s=$BEST_S
  best "$MMI" batch -p "$POLICY" "$book" --threads "$THREADS" -o "$WORK/results.jsonl"; row "batch --threads $THREADS -o FILE"
  rm -f "$WORK/results.jsonl"
  best "$MMI" batch -p "$POLICY" "$book" --threads 1; row "batch --threads 1"
  one_s=$BEST_S
  best "$MMI" whatif -p "$POLICY" "$book" --threads "$THREADS" --set "$SET" --format json; row "whatif --set (1 variant)"
  whatif_s=$BEST_S
  awk "BEGIN { printf \"%-10s threads %s vs 1: %.2fx   whatif / batch: %.2fx\n\", $n, $THREADS, $one_s / $batch_s, $whatif_s / $batch_s }"
  # What-if in money: two measures and two --by (target ≤ 1.3× the plain whatif), and a
  # 100-variant grid (10 × 10 values) that reads the book once (target < 200 MB).
  best "$MMI" whatif -p "$POLICY" "$book" --threads "$THREADS" --set "$SET" --format json \
    --measure "temporary_paid = days_between(benefits.disability_start, coverage_cutoff) * benefits.weekly_rate / 7" \
    --measure "days = coverage_cutoff - injury.date" --by injury.body_part --by "year(injury.date)"
  row "whatif + 2 measures + 2 --by"
  money_s=$BEST_S
  awk "BEGIN { printf \"%-10s measures and --by / plain whatif: %.2fx\n\", $n, $money_s / $whatif_s }"
  # The grid reads the book from a pipe: a pipe can only be read once, so a run that sees every
  # case read the book once for all 100 variants.
  best bash -c "cat '$book' | '$MMI' whatif -p '$POLICY' - --threads $THREADS --format json \
    --sweep 'tx_statutory_period=$(seq -s, -f '%g weeks' 95 104)' \
    --sweep 'tx_dispute_period=$(seq -s, -f '%g days' 86 95)' \
    --measure 'temporary_paid = days_between(benefits.disability_start, coverage_cutoff) * benefits.weekly_rate / 7'"
  row "whatif grid 10 × 10 + 1 measure, stdin"
  echo "           $(grep 'mmi whatif:' "$WORK/stderr.txt")"  # every case, 100 variants
  # Sharded: --partial per quarter of the book (one after the other here), then --merge.
  split -n l/4 -d --additional-suffix=.jsonl "$book" "$WORK/shard-"
  best bash -c "for s in '$WORK'/shard-0?.jsonl; do '$MMI' whatif -q -p '$POLICY' \$s --threads $THREADS \
    --set '$SET' --format json --partial -o \$s.partial; done"
  row "whatif --partial × 4 shards"
  best "$MMI" whatif --merge "$WORK"/shard-0?.jsonl.partial --format text
  row "whatif --merge of 4 partials"
  rm -f "$WORK"/shard-0?.jsonl "$WORK"/shard-0?.jsonl.partial
done
