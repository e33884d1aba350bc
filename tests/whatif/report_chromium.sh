#!/usr/bin/env bash
# The what-if report with measures, segments and a 2-D grid renders in headless Chromium: a heat
# map of the grid, a segment table sortable in the page, a bar chart of the delta by segment.
#   report_chromium.sh MMI   (run in tests/whatif)
set -euo pipefail
MMI=$1
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] || { echo "skipped: no $CHROMIUM"; exit 77; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
PAID='paid = days_between(benefits.disability_start, coverage_cutoff) * benefits.weekly_rate / 7'
"$MMI" whatif -q -p policy.yaml book.jsonl --sweep 'statutory_period=100 days,120 days' \
  --sweep certification_allowed=true,false --measure "$PAID" --by injury.body_part \
  --report "$WORK/grid.html" --format json >/dev/null
timeout 90 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-background-networking \
  --disable-component-update --disable-sync --no-first-run --user-data-dir="$WORK/profile" \
  --enable-logging=stderr --v=0 --dump-dom "file://$WORK/grid.html" >"$WORK/dom.html" 2>"$WORK/log"
fail() { echo "FAIL: $1"; grep -o '<pre id="errors"[^<]*' "$WORK/dom.html" || true; exit 1; }
grep -q '<html[^>]*data-status="rendered" data-charts="10"' "$WORK/dom.html" ||
  fail "not rendered with 10 charts: $(grep -o '<html[^>]*>' "$WORK/dom.html")"
# 4 variants × (segment delta + shift histogram), the covered-days bars and the heat map.
[ "$(grep -o 'data-chart="grid-heatmap"' "$WORK/dom.html" | wc -l)" -eq 1 ] || fail "heat map"
[ "$(grep -o 'data-chart="segment-delta"' "$WORK/dom.html" | wc -l)" -eq 4 ] || fail "segment bars"
[ "$(grep -o '<table class="sortable"' "$WORK/dom.html" | wc -l)" -eq 4 ] || fail "sortable tables"
# The heat map's cell for 120 days without certification: paid 21600 → 45220, +23,620.
grep -q '<title>statutory_period=120 days, certification_allowed=false: +23,620</title>' \
  "$WORK/dom.html" || fail "heat map cell"
# Missing segment values read (missing).
grep -q '<td class="l">(missing)</td>' "$WORK/dom.html" || fail "(missing) segment"
# The shift histograms say which scale they use (one shift per variant here: linear).
grep -q '<text[^>]*class="scale">linear scale</text>' "$WORK/dom.html" || fail "scale note"
# The covered days per swept value start at zero: the lowest tick of that chart reads 0.
covered=$(perl -0ne 'print $1 if /data-chart="covered-days"(.*?)<\/svg>/s' "$WORK/dom.html")
[[ $covered =~ text-anchor=\"end\"\>([^<]*)\</text\> ]] && [ "${BASH_REMATCH[1]}" = 0 ] ||
  fail "covered days axis does not start at 0: ${BASH_REMATCH[1]:-no tick}"
echo ok
