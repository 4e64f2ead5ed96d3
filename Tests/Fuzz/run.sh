#!/usr/bin/env bash
# Builds a fuzz target with libFuzzer + AddressSanitizer and runs it.
#   Tests/Fuzz/run.sh [cron|state] [RUNS]    (default: cron, 3000000 inputs; extra libFuzzer flags may follow)
#     cron   the cron parser and engine (CronParserFuzz.swift)
#     state  the state-file snapshot and journal readers, stored triggers and options, and the
#            crontab parser of `kairos run` (StateFileFuzz.swift)
set -euo pipefail
cd "$(dirname "$0")"
ROOT=../..
TARGET=cron
if [[ ${1:-} == cron || ${1:-} == state ]]; then TARGET=$1; shift; fi
RUNS=${1:-3000000}
shift || true
case $TARGET in
  cron)  SOURCE=CronParserFuzz.swift; FLAGS=(-max_len=64 -dict=cron.dict) ;;
  state) SOURCE=StateFileFuzz.swift; FLAGS=(-max_len=2048) ;;
esac
mkdir -p .build "corpus/$TARGET"
cp -n "seeds/$TARGET"/* "corpus/$TARGET/" 2>/dev/null || true
# The library's modules are compiled as one module with the fuzz target (coverage instrumentation
# everywhere, one link): a copy of their sources without the imports between them.
SOURCES=.build/sources
rm -rf "$SOURCES" && mkdir -p "$SOURCES"
for module in KairosPlatform KairosCron Kairos KairosCLI; do
  for file in "$ROOT/Sources/$module"/*.swift "$ROOT/Sources/$module"/*/*.swift; do
    [[ -f $file ]] || continue
    sed -E '/^(@_exported )?import (KairosPlatform|KairosCron|Kairos|KairosCLI)$/d' "$file" > "$SOURCES/$module-$(basename "$file")"
  done
done
swiftc -O -swift-version 6 -sanitize=fuzzer,address -parse-as-library -module-name KairosFuzz -package-name Kairos \
    "$SOURCES"/*.swift "$SOURCE" -o ".build/$TARGET-fuzz"
"./.build/$TARGET-fuzz" -runs="$RUNS" "${FLAGS[@]}" "$@" "corpus/$TARGET"
