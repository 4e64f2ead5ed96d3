#!/bin/bash
# Kairos and its peers on the four scheduler workloads of ../../shared/peer-benchmarks/scheduler,
# back to back in one session. Each figure is the per-field median of REPS runs (default 3), each
# run its own process, exactly as the peers' run.sh does.
#
# Usage: run-scheduler-peers.sh [PEER ...]     (default peers: java-stpe go-afterfunc swift-dispatch)
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
peers_dir=${PEERS_DIR:-$here/../../shared/peer-benchmarks/scheduler}
[[ -d $peers_dir ]] || peers_dir=/work/shared/peer-benchmarks/scheduler
reps=${REPS:-3}
peers=("$@")
((${#peers[@]})) || peers=(java-stpe go-afterfunc swift-dispatch)

swift build -c release --package-path "$here" --product SchedulerBenchmarks >&2 || exit 1
bench=$here/.build/release/SchedulerBenchmarks

median_line() {  # per-field median of numeric tokens, as the peers' run.sh
  local -a first; read -r -a first <<<"$1"
  local out=() i tok vals
  for i in "${!first[@]}"; do
    tok=${first[$i]}
    if [[ $tok =~ ^-?[0-9.]+$ ]]; then
      vals=$(for l in "$@"; do read -r -a f <<<"$l"; echo "${f[$i]}"; done | sort -g)
      out+=("$(sed -n "$(((($# + 1) / 2)))p" <<<"$vals")")
    else out+=("$tok"); fi
  done
  echo "${out[*]}"
}

echo "# $(date -u +%FT%TZ) reps=$reps load: $(cut -d' ' -f1-3 /proc/loadavg)"
for args in "throughput 1000000" "lateness 2000 1000000" "memory 1000000" "schedule 1000000"; do
  results=()
  for ((r = 1; r <= reps; r++)); do
    # shellcheck disable=SC2086
    line=$(timeout 120 "$bench" $args | grep -E '^(jobs_per_s|lateness_us|bytes_per_job|schedule_ns) ')
    echo "  kairos $args run $r: $line" >&2
    results+=("$line")
  done
  printf '%-15s %-24s %s\n' kairos "$args" "$(median_line "${results[@]}")"
done
REPS=$reps "$peers_dir/run.sh" "${peers[@]}"
