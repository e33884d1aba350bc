#!/usr/bin/env bash
# Load test of `mmi serve` on loopback with wrk: keep-alive clients at 1, 8 and 32 connections
# posting one case each to /v1/policies/us-tx/evaluate. Bounded: DURATION seconds per level.
#
#   bench/serve_load.sh                         # 10 s per level
#   MMI=build/cli/mmi DURATION=5 LEVELS="1 8 32" SERVER_THREADS=2 WRK_THREADS=1 bench/serve_load.sh
#
# Prints per level: requests/s, p50 and p99 latency, errors (non-2xx and socket errors), and the
# server's RSS after the level (flat RSS = no growth across levels). Needs wrk (Debian: wrk).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MMI=${MMI:-$ROOT/build/cli/mmi}
DURATION=${DURATION:-10}
LEVELS=${LEVELS:-1 8 32}
SERVER_THREADS=${SERVER_THREADS:-2}
WRK_THREADS=${WRK_THREADS:-1}
POLICY=${POLICY:-us-tx}
EXTRA=${EXTRA:-}  # more `mmi serve` flags, e.g. "--decision-log /tmp/decisions.jsonl"
command -v wrk >/dev/null || { echo "needs wrk (apt-get install -y wrk)" >&2; exit 2; }
[ -x "$MMI" ] || { echo "no mmi binary at $MMI (set MMI=)" >&2; exit 2; }
WORK=$(mktemp -d /tmp/mmi-serve-load.XXXXXX)
trap 'kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; rm -rf "$WORK"' EXIT

python3 "$ROOT/tools/gen_book.py" 1 --seed 3 -o "$WORK/case.json" >/dev/null
# shellcheck disable=SC2086
"$MMI" serve --policies "$ROOT/policies" --listen 127.0.0.1:0 --threads "$SERVER_THREADS" $EXTRA \
  2>"$WORK/server.log" &
SERVER=$!
for _ in $(seq 1 200); do
  PORT=$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$WORK/server.log" | grep -o '[0-9]*$' || true)
  [ -n "$PORT" ] && break
  sleep 0.05
done
[ -n "$PORT" ] || { cat "$WORK/server.log" >&2; exit 1; }

cat >"$WORK/post.lua" <<LUA
local f = io.open("$WORK/case.json", "rb")
wrk.method = "POST"
wrk.body = f:read("*a"):gsub("%s+$", "")
f:close()
wrk.headers["Content-Type"] = "application/json"
LUA
URL="http://127.0.0.1:$PORT/v1/policies/$POLICY/evaluate"
curl -sf -o /dev/null --data-binary @"$WORK/case.json" "$URL" || { echo "evaluate failed" >&2; exit 1; }

rss() { awk '/VmRSS/ { print $2 " kB" }' "/proc/$SERVER/status"; }
printf '%-12s %12s %10s %10s %8s %12s\n' connections requests/s p50 p99 errors server-RSS
echo "(before)                                                      $(rss)"
for c in $LEVELS; do
  t=$WRK_THREADS; ((t > c)) && t=$c
  wrk -t"$t" -c"$c" -d"${DURATION}s" --latency -s "$WORK/post.lua" "$URL" >"$WORK/wrk.txt"
  rps=$(awk '/^Requests\/sec/ { print $2 }' "$WORK/wrk.txt")
  p50=$(awk '$1 == "50%" { print $2 }' "$WORK/wrk.txt")
  p99=$(awk '$1 == "99%" { print $2 }' "$WORK/wrk.txt")
  non2xx=$(awk '/Non-2xx/ { print $NF }' "$WORK/wrk.txt")
  sockerr=$(awk '/Socket errors/ { s = 0; for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+,?$/) s += $i; print s }' "$WORK/wrk.txt")
  printf '%-12s %12s %10s %10s %8s %12s\n' "$c" "$rps" "$p50" "$p99" "$(( ${non2xx:-0} + ${sockerr:-0} ))" "$(rss)"
done
