#!/usr/bin/env bash
# kairos-server under wrk on loopback (issue 14), in a release build, beside the framework's floor:
#
#   floor          GET /                   kairos-http-floor, a plain Hummingbird hello-world
#   get            GET /v1/schedules/{id}  authenticated, one schedule, its next 5 fire times
#   create         POST /v1/schedules      durable (state file), a new schedule per request
#   create+key     POST /v1/schedules      the same with an Idempotency-Key per request
#   store          kairos-store-commit-rate: the same declarations straight on the state file, from
#                  as many threads as wrk has connections (what the server could reach at best)
#
#   Scripts/wrk-benchmarks.sh            (WRK_THREADS=2 WRK_CONNECTIONS=32 WRK_DURATION=10s
#                                         WRK_WARMUP=2s STORE_COUNT=4000 change the defaults)
#
# Each server is a new process on a free loopback port with a new temporary state file and token,
# warmed up by a short wrk run, then measured. The servers are stopped (SIGTERM) however the
# script ends. Prints a Markdown table: requests/s, p50, p99, and the non-2xx responses.
set -euo pipefail
cd "$(dirname "$0")/.."
threads=${WRK_THREADS:-2}
connections=${WRK_CONNECTIONS:-32}
duration=${WRK_DURATION:-10s}
warmup=${WRK_WARMUP:-2s}
store_count=${STORE_COUNT:-4000}

for product in kairos-server KairosHTTPFloor KairosStoreCommitRate; do
  swift build -c release --product "$product" 2>&1 | tail -1
done
bin=$(swift build -c release --show-bin-path)
for executable in kairos-server KairosHTTPFloor KairosStoreCommitRate; do
  [[ -x $bin/$executable ]] || { echo "error: $bin/$executable was not built" >&2; exit 1; }
done

work=$(mktemp -d)
token=bench-$RANDOM$RANDOM
servers=()
stop_servers() {
  for pid in "${servers[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  servers=()
}
trap 'stop_servers; rm -rf "$work"' EXIT

source Scripts/listening-port.sh
# start NAME COMMAND...: starts a server logging to $work/NAME.log, sets $port once it listens.
start() {
  local log=$work/$1.log
  shift
  "$@" >"$log" 2>&1 &
  servers+=($!)
  port=$(listening_port "$log" $!)
}

start_kairos() {
  mkdir -p "$work/$1"
  start "$1" "$bin/kairos-server" --state "$work/$1/state.json" --port 0 --token "$token" --disable-webhooks
}

rows=()
# measure NAME URL [wrk options...]: a warm-up run, then the measured one, as a table row.
measure() {
  local name=$1 url=$2
  shift 2
  wrk -t"$threads" -c"$connections" -d"$warmup" "$url" "$@" >/dev/null
  local out
  out=$(wrk -t"$threads" -c"$connections" -d"$duration" --latency "$url" "$@")
  local rate p50 p99 errors
  rate=$(awk '/^Requests\/sec:/ { printf "%d", $2 }' <<<"$out")
  p50=$(awk '$1 == "50%" { print $2 }' <<<"$out")
  p99=$(awk '$1 == "99%" { print $2 }' <<<"$out")
  errors=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' <<<"$out")
  rows+=("| $name | $rate | $p50 | $p99 | ${errors:-0} |")
}

start floor "$bin/KairosHTTPFloor" 0
measure "floor: Hummingbird hello-world, GET /" "http://127.0.0.1:$port/"
stop_servers

start_kairos get
schedule='{"name": "bench", "trigger": {"type": "cron", "expression": "0 3 * * *", "timeZone": "Europe/Paris"}, "action": {"type": "shell", "command": "true"}}'
id=$(curl -sf -X POST -H "Authorization: Bearer $token" -H "Content-Type: application/json" -d "$schedule" \
  "http://127.0.0.1:$port/v1/schedules" | sed -n 's/.*"id" *: *"\([^"]*\)".*/\1/p')
[[ -n $id ]] || { echo "error: could not create the schedule to read" >&2; exit 1; }
measure "GET /v1/schedules/{id} (bearer token)" "http://127.0.0.1:$port/v1/schedules/$id" -H "Authorization: Bearer $token"
stop_servers

run=$(date +%s)
start_kairos create
measure "POST /v1/schedules (durable)" "http://127.0.0.1:$port/v1/schedules" -H "Authorization: Bearer $token" \
  -s Scripts/wrk-create.lua -- "$run"
stop_servers

start_kairos keyed
measure "POST /v1/schedules + Idempotency-Key (durable)" "http://127.0.0.1:$port/v1/schedules" -H "Authorization: Bearer $token" \
  -s Scripts/wrk-create.lua -- "$run" keyed
stop_servers

store_keyed=$("$bin/KairosStoreCommitRate" "$work/store-keyed.json" "$store_count" "$connections" keyed)
store_unkeyed=$("$bin/KairosStoreCommitRate" "$work/store-unkeyed.json" "$store_count" "$connections" unkeyed)

echo
echo "$(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . || echo ' + changes'),"
echo "load average $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores; wrk -t$threads -c$connections -d$duration --latency after a $warmup warm-up"
echo
echo "| run | requests/s | p50 | p99 | non-2xx |"
echo "|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
echo
echo "state file alone, $store_keyed"
echo "state file alone, $store_unkeyed"
