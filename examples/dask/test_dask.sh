#!/usr/bin/env bash
# examples/dask on a LocalCluster of 2 workers: a sharded book (400 cases, 5% bad lines, 4
# shards) through run_book.py gives byte for byte the results of one `mmi batch` over the book.
#   test_dask.sh MMI SOURCE_DIR      (exit 77: dask.distributed missing, the test is skipped)
set -euo pipefail
MMI=$1 SRC=$2
/usr/bin/python3 -c 'import dask.distributed' 2>/dev/null || { echo "skipped: no dask.distributed"; exit 77; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
python3 "$SRC/tools/gen_book.py" 400 --seed 5 --bad-rate 0.05 -o "$WORK/book.jsonl" 2>/dev/null
split -l 100 -d --additional-suffix=.jsonl "$WORK/book.jsonl" "$WORK/shard-"
"$MMI" batch -q -p "$SRC/policies/us-tx.yaml" "$WORK/book.jsonl" --threads 1 >"$WORK/single.jsonl"
/usr/bin/python3 "$SRC/examples/dask/run_book.py" --mmi "$MMI" --policy "$SRC/policies/us-tx.yaml" \
  --workers 2 -o "$WORK/merged.jsonl" "$WORK"/shard-*.jsonl
[ "$(wc -l <"$WORK/merged.jsonl")" -eq 400 ] || { echo "FAIL: expected 400 results"; exit 1; }
grep -q '"status":"error"' "$WORK/merged.jsonl" || { echo "FAIL: no error result for the bad lines"; exit 1; }
cmp "$WORK/single.jsonl" "$WORK/merged.jsonl" || { echo "FAIL: merged results differ from one run"; exit 1; }
echo "ok: 4 shards on 2 dask workers, merged results identical to one run"
