#!/usr/bin/env bash
# The what-if report renders its charts in headless Chromium without script errors.
#   report_chromium.sh MMI SOURCE_DIR
# The page marks <html data-status="rendered" data-charts="N"> once drawn, or data-status="error"
# (with the message in #errors) when a script failed; console messages are captured too.
set -euo pipefail
MMI=$1 SRC=$2
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] || { echo "skipped: no $CHROMIUM"; exit 77; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
python3 "$SRC/tools/gen_book.py" 400 --seed 11 -o "$WORK/book.jsonl"

render() {  # render FILE.html → prints the DOM; console lines go to $WORK/console.log
  local profile
  profile=$(mktemp -d -p "$WORK")
  timeout 90 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-background-networking \
    --disable-component-update --disable-sync --no-first-run --user-data-dir="$profile" \
    --enable-logging=stderr --v=0 --dump-dom "file://$1" 2>"$WORK/chromium.log"
  grep -a 'CONSOLE' "$WORK/chromium.log" >"$WORK/console.log" || true
}

expect() {  # expect FILE.html STATUS CHARTS
  local dom
  dom=$(render "$1")
  printf '%s' "$dom" >"$WORK/last-dom.html"
  grep -q "<html[^>]*data-status=\"$2\"" <<<"$dom" || { echo "FAIL: $1: expected data-status=$2"; grep -o '<html[^>]*>' <<<"$dom"; grep -o '<pre id="errors"[^<]*' <<<"$dom"; cat "$WORK/console.log"; exit 1; }
  if [ "$2" = rendered ]; then
    grep -q "data-charts=\"$3\"" <<<"$dom" || { echo "FAIL: $1: expected $3 charts"; grep -o '<html[^>]*>' <<<"$dom"; exit 1; }
    local svgs
    svgs=$(grep -o '<svg[^>]*data-chart=' <<<"$dom" | wc -l)
    [ "$svgs" -eq "$3" ] || { echo "FAIL: $1: $svgs <svg> charts in the DOM, expected $3"; exit 1; }
    grep -q '<rect' <<<"$dom" || { echo "FAIL: $1: no bars drawn"; exit 1; }
    [ ! -s "$WORK/console.log" ] || { echo "FAIL: $1: console output"; cat "$WORK/console.log"; exit 1; }
  fi
  echo "ok: $(basename "$1"): $2 $3"
}

# A single variant: the shift histogram.
"$MMI" whatif -q -p "$SRC/policies/us-tx.yaml" "$WORK/book.jsonl" --set 'tx_statutory_period=100 weeks' \
  --report "$WORK/single.html" --format json >/dev/null
expect "$WORK/single.html" rendered 1

# A sweep of three values: covered days per value plus one histogram per value.
"$MMI" whatif -q -p "$SRC/policies/us-tx.yaml" "$WORK/book.jsonl" \
  --sweep 'tx_statutory_period=96 weeks,104 weeks,112 weeks' --report "$WORK/sweep.html" --format json >/dev/null
expect "$WORK/sweep.html" rendered 4
grep -q 'data-chart="covered-days"' "$WORK/last-dom.html" || { echo "FAIL: no covered-days chart"; exit 1; }

# The check itself catches a script error.
sed 's/root.setAttribute(.data-charts./no_such_function();&/' "$WORK/sweep.html" >"$WORK/broken.html"
expect "$WORK/broken.html" error 0
