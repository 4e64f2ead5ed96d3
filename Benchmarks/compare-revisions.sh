#!/bin/bash
# Two revisions of Kairos side by side in one sitting: the peer scheduler workloads
# (SchedulerBenchmarks) alternating one run of each build per pair, then the package-benchmark
# micro-benchmarks of each revision back to back.
#
# Usage: compare-revisions.sh OLD NEW [PAIRS]     (revisions as git understands them; PAIRS default 5)
#   env: MICRO="SchedulerMicroBenchmarks CronBenchmarks" package-benchmark targets to run for both
#        (empty: none); WORK=/tmp/kairos-compare (worktrees and builds; removed at the end unless
#        KEEP=1, which also reuses a side's worktree and build when it is at the same revision, so
#        that the old side can be built ahead of the sitting)
set -euo pipefail
old=${1:?usage: compare-revisions.sh OLD NEW [PAIRS]}
new=${2:?usage: compare-revisions.sh OLD NEW [PAIRS]}
pairs=${3:-5}
micro=${MICRO-SchedulerMicroBenchmarks CronBenchmarks}
repo=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
work=${WORK:-/tmp/kairos-compare}

remove() { git -C "$repo" worktree remove --force "$work/$1" 2>/dev/null || rm -rf "${work:?}/$1"; }
cleanup() {
    for side in old new; do remove "$side"; done
    rm -rf "$work"
    git -C "$repo" worktree prune
}
[ "${KEEP:-0}" = 1 ] || { trap cleanup EXIT; cleanup; }
mkdir -p "$work"
for side in old new; do
    rev=${!side}
    if [ "$(git -C "$work/$side" rev-parse HEAD 2>/dev/null)" != "$(git -C "$repo" rev-parse "$rev^{commit}")" ]; then
        remove "$side"
        git -C "$repo" worktree prune
        git -C "$repo" worktree add --detach -q "$work/$side" "$rev"
    fi
    echo "# $side = $rev ($(git -C "$repo" rev-parse --short "$rev"))" >&2
    swift build -c release --package-path "$work/$side/Benchmarks" --product SchedulerBenchmarks >&2
done

echo "# $(date -u +%FT%TZ) pairs=$pairs load: $(cut -d' ' -f1-3 /proc/loadavg)"
for args in "throughput 1000000" "lateness 2000 1000000" "memory 1000000" "schedule 1000000"; do
    for ((p = 1; p <= pairs; p++)); do
        for side in old new; do
            # shellcheck disable=SC2086
            line=$(timeout 180 "$work/$side/Benchmarks/.build/release/SchedulerBenchmarks" $args |
                grep -E '^(jobs_per_s|lateness_us|bytes_per_job|schedule_ns) ' || echo "failed")
            printf '%-4s %-24s pair %d: %s\n' "$side" "$args" "$p" "$line"
        done
    done
done

for target in $micro; do
    for side in old new; do
        echo "# $side: swift package benchmark --target $target"
        (cd "$work/$side/Benchmarks" && swift package --disable-sandbox benchmark --target "$target" --no-progress 2>&1 |
            grep -vE '^(Building|Build complete|\[)' )
    done
done
