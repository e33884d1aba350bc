#!/usr/bin/env bash
# examples/dask on a LocalCluster of 2 workers: a sharded book (400 cases, 5% bad lines, 4
# shards) through run_book.py gives byte for byte the results of one `mmi batch` over the book,
# and the what-if partials merged on the cluster give byte for byte one `mmi whatif`'s summary
# (text, JSON and the HTML page; a measure, a segment and a 1-D sweep).
#   test_dask.sh MMI SOURCE_DIR      (exit 77: dask.distributed missing, the test is skipped)
set -euo pipefail
MMI=$1 SRC=$2
/usr/bin/python3 -c 'import dask.distributed' 2>/dev/null || { echo "skipped: no dask.distributed"; exit 77; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
POLICY=$SRC/policies/us-tx.yaml
python3 "$SRC/tools/gen_book.py" 400 --seed 5 --bad-rate 0.05 -o "$WORK/book.jsonl" 2>/dev/null
split -l 100 -d --additional-suffix=.jsonl "$WORK/book.jsonl" "$WORK/shard-"
WHATIF=(--sweep "tx_statutory_period=78 weeks,130 weeks" --by injury.body_part --top 10
        --measure "paid = days_between(benefits.disability_start, coverage_cutoff) * benefits.weekly_rate / 7")
"$MMI" batch -q -p "$POLICY" "$WORK/book.jsonl" --threads 1 >"$WORK/single.jsonl"
for fmt in text json html; do
  "$MMI" whatif -q --no-progress -p "$POLICY" "$WORK/book.jsonl" "${WHATIF[@]}" --format $fmt \
    -o "$WORK/single-whatif.$fmt"
done
# The what-if flags as one string, the way a shell user passes them.
FLAGS=$(printf '%q ' "${WHATIF[@]}")
/usr/bin/python3 "$SRC/examples/dask/run_book.py" --mmi "$MMI" --policy "$POLICY" \
  --workers 2 -o "$WORK/merged.jsonl" --whatif "$FLAGS" --whatif-output "$WORK/merged-whatif.txt" \
  --whatif-output "$WORK/merged-whatif.json" --whatif-output "$WORK/merged-whatif.html" \
  "$WORK"/shard-*.jsonl
[ "$(wc -l <"$WORK/merged.jsonl")" -eq 400 ] || { echo "FAIL: expected 400 results"; exit 1; }
grep -q '"status":"error"' "$WORK/merged.jsonl" || { echo "FAIL: no error result for the bad lines"; exit 1; }
cmp "$WORK/single.jsonl" "$WORK/merged.jsonl" || { echo "FAIL: merged results differ from one run"; exit 1; }
grep -q '"cases":400,' "$WORK/merged-whatif.json" || { echo "FAIL: the what-if did not see 400 cases"; exit 1; }
for fmt in text json html; do
  ext=$fmt; [ $fmt = text ] && ext=txt
  cmp "$WORK/single-whatif.$fmt" "$WORK/merged-whatif.$ext" ||
    { echo "FAIL: merged what-if ($fmt) differs from one run"; exit 1; }
done
echo "ok: 4 shards on 2 dask workers; batch results and what-if summaries identical to one run"
