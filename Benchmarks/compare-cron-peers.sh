#!/bin/bash
# The Kairos cron benchmarks and the peer cron evaluators, back to back in one session, so that
# the figures can be put side by side (this machine is noisy: compare within one run).
# Usage: Benchmarks/compare-cron-peers.sh [PEER_STEPS]   (PEER_BENCHMARKS overrides the peer dir)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
peers=${PEER_BENCHMARKS:-}
for candidate in "$here/../../shared/peer-benchmarks" "$here/../../../shared/peer-benchmarks"; do
  [[ -z $peers && -x $candidate/cron/run.sh ]] && peers=$(cd "$candidate" && pwd)
done
[[ -n $peers ]] || { echo "set PEER_BENCHMARKS to the peer-benchmarks directory" >&2; exit 2; }
echo "== Kairos (swift package benchmark --target CronBenchmarks)"
(cd "$here" && swift package benchmark --target CronBenchmarks --no-progress 2>&1) |
  awk -F'│' '/^Cron\./ { name = $0 } /Time \(wall clock\)/ { gsub(/ /, ""); printf "%-55s p50 %s ns  p90 %s ns\n", name, $5, $7 }'
echo "== peers ($peers/cron/run.sh ${1:-2000})"
"$peers/cron/run.sh" "${1:-2000}"
