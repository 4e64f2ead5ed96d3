# Sourced by the scripts that start a server on --port 0 (wrk-benchmarks.sh, fuzz-openapi.sh).
#
# listening_port LOG PID: waits until process PID writes "... listening on HOST:PORT" to LOG and
# prints PORT; if the process exits first, or has not listened after 20 s, prints LOG and fails.
listening_port() {
  local log=$1 pid=$2 port
  for _ in $(seq 1 400); do
    grep -q "listening on" "$log" && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  port=$(sed -n 's/^.* listening on .*:\([0-9]*\)$/\1/p' "$log" | head -1)
  [[ -n $port ]] || { cat "$log" >&2; echo "error: the server did not start (its log is above)" >&2; return 1; }
  echo "$port"
}
