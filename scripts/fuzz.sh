#!/usr/bin/env bash
# Runs one libFuzzer target for a bounded time: scripts/fuzz.sh TARGET SECONDS
#   TARGET: expression_fuzz | policy_fuzz | case_fuzz
# Builds the clang fuzz build in build-fuzz/ if needed, replays the saved reproducers in
# fuzz/regressions/TARGET/ (each must now pass), then fuzzes from the committed seeds in
# fuzz/corpus/TARGET/ (read-only; new inputs go to build-fuzz/corpus/TARGET/). A crash is written
# to build-fuzz/artifacts/TARGET/: copy it into fuzz/regressions/TARGET/ and file a bug.
set -euo pipefail
if [ $# -ne 2 ]; then
  echo "usage: $0 TARGET SECONDS   (TARGET: expression_fuzz | policy_fuzz | case_fuzz)" >&2
  exit 2
fi
target=$1
seconds=$2
root=$(cd "$(dirname "$0")/.." && pwd)
build=${MMI_FUZZ_BUILD_DIR:-$root/build-fuzz}
case $target in
  expression_fuzz | policy_fuzz | case_fuzz) ;;
  *) echo "unknown fuzz target: $target" >&2; exit 2 ;;
esac

if [ ! -f "$build/build.ninja" ]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_COMPILER=clang++-14 -DMMI_FUZZ=ON -DMMI_TESTS=OFF -DMMI_BENCH=OFF >/dev/null
fi
ninja -C "$build" -j "${MMI_JOBS:-2}" "$target" >/dev/null

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
status=0

regressions=("$root/fuzz/regressions/$target"/*)
if [ -e "${regressions[0]}" ]; then
  echo "== $target: replaying ${#regressions[@]} saved reproducer(s)"
  for r in "${regressions[@]}"; do
    case $r in *.md) continue ;; esac
    if ! "$build/fuzz/$target" -timeout=25 -rss_limit_mb=2048 "$r" >"$build/$target.replay.log" 2>&1; then
      echo "   STILL FAILS: ${r#"$root"/} (log: $build/$target.replay.log)"
      status=1
    fi
  done
fi

mkdir -p "$build/corpus/$target" "$build/artifacts/$target"
echo "== $target: fuzzing for ${seconds}s"
if "$build/fuzz/$target" -max_total_time="$seconds" -timeout=25 -rss_limit_mb=2048 \
  -max_len=16384 -print_final_stats=1 -artifact_prefix="$build/artifacts/$target/" \
  "$build/corpus/$target" "$root/fuzz/corpus/$target" >"$build/$target.log" 2>&1; then
  grep -E '^stat::number_of_executed_units' "$build/$target.log" | sed 's/^/   /' || true
else
  echo "   FAILED — see $build/$target.log; reproducer(s):"
  ls "$build/artifacts/$target" | sed "s|^|   $build/artifacts/$target/|"
  grep -m3 -E 'ERROR: (AddressSanitizer|libFuzzer)|runtime error' "$build/$target.log" | sed 's/^/   /' || true
  status=1
fi
exit $status
