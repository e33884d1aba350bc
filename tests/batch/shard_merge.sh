#!/usr/bin/env bash
# Runs the shard-and-merge example of docs/scaling.md exactly as written there.
#   shard_merge.sh MMI SOURCE_DIR
set -euo pipefail
export MMI=$1
SRC=$2
export POLICY=$SRC/policies/us-tx.yaml
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export BOOK=$WORK/book.jsonl LINES=1000
python3 "$SRC/tools/gen_book.py" 3500 --seed 5 --bad-rate 0.01 -o "$BOOK" 2>/dev/null
# The script is the first ```sh block after the marker in the doc.
awk '/<!-- shard-merge-example -->/ { found = 1 } found && /^```sh/ { on = 1; next } on && /^```/ { exit } on' \
  "$SRC/docs/scaling.md" >"$WORK/example.sh"
[ -s "$WORK/example.sh" ] || { echo "FAIL: no example found in docs/scaling.md"; exit 1; }
cd "$WORK"
bash -euo pipefail example.sh
shards=$(ls shard-*.jsonl | wc -l)
[ "$shards" -eq 4 ] || { echo "FAIL: expected 4 shards, got $shards"; exit 1; }
[ "$(wc -l <results.jsonl)" -eq 3500 ] || { echo "FAIL: expected 3500 results"; exit 1; }
grep -q '"status":"error"' results.jsonl || { echo "FAIL: the bad lines should give error results"; exit 1; }
echo "ok: $shards shards merged into $(wc -l <results.jsonl) results, identical to one run"
