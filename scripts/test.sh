#!/usr/bin/env bash
# Configures, builds and runs every test (unit tests, policy suites, CLI goldens, docs examples).
# The build lives in build-test/ (override with MMI_TEST_BUILD_DIR); MMI_JOBS sets parallelism.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${MMI_TEST_BUILD_DIR:-$root/build-test}
jobs=${MMI_JOBS:-2}
# Dependencies first (a no-op when they are installed), so this works on a fresh machine too.
"$root/scripts/setup.sh"
cmake -S "$root" -B "$build" -G Ninja -DMMI_TESTS=ON "$@" >/dev/null
cmake --build "$build" -j "$jobs"
# ctest's summary ("100% tests passed, 0 tests failed out of N") is the last thing printed.
exec ctest --test-dir "$build" --output-on-failure -j "$jobs"
