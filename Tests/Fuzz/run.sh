#!/usr/bin/env bash
# Builds the cron parser fuzz target with libFuzzer + AddressSanitizer and runs it.
#   Tests/Fuzz/run.sh [RUNS]      (default 3000000 inputs; extra libFuzzer flags may follow)
set -euo pipefail
cd "$(dirname "$0")"
ROOT=../..
RUNS=${1:-3000000}
shift || true
mkdir -p .build corpus
cp -n seeds/* corpus/ 2>/dev/null || true
swiftc -O -sanitize=fuzzer,address -parse-as-library -module-name KairosFuzz -package-name Kairos \
    $(find "$ROOT/Sources/Kairos" -name '*.swift') CronParserFuzz.swift -o .build/cron-fuzz
./.build/cron-fuzz -runs="$RUNS" -max_len=64 -dict=cron.dict "$@" corpus
