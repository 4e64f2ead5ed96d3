#!/usr/bin/env bash
# Three Kairos nodes sharing one schedule on a throwaway PostgreSQL:
#
#   Integrations/KairosPostgres/Scripts/three-node-example.sh [JOBS [SECONDS]]
#
# Builds kairos-cluster-node, starts a PostgreSQL 15 (with-postgres.sh; or uses $KAIROS_POSTGRES_URL),
# creates the ledger, stores JOBS jobs (default 20) firing every second for SECONDS seconds (default
# 10), starts nodes n1 n2 n3, kills n2 with SIGKILL half-way, stops the others with SIGTERM after the
# last slot, and prints who ran what: every slot once, n2's unfinished work taken over by the others.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
package=$(dirname "$here")
jobs=${1:-20}
seconds=${2:-10}

if [[ -z ${KAIROS_POSTGRES_URL:-} ]]; then
  (cd "$package" && swift build --product kairos-cluster-node 2>&1 | grep -E "error|warning: .*\.swift" || true)
  exec "$here/with-postgres.sh" "$0" "$@"
fi

node=${KAIROS_CLUSTER_NODE:-$(cd "$package" && swift build --show-bin-path)/kairos-cluster-node}
psql_() { psql "$KAIROS_POSTGRES_URL" -X -q -At -v ON_ERROR_STOP=1 "$@"; }
psql_ <<'SQL'
CREATE TABLE ledger (id bigserial PRIMARY KEY, job_id text NOT NULL, due timestamptz NOT NULL,
  node text NOT NULL, started timestamptz NOT NULL, recorded timestamptz NOT NULL DEFAULT clock_timestamp(),
  idempotency_key text, attempt integer);
CREATE TABLE marks (what text NOT NULL, node text, pid integer, info text, ts timestamptz NOT NULL DEFAULT clock_timestamp());
SQL

first=$(( $(date +%s%3N) + 3000 ))
"$node" --url "$KAIROS_POSTGRES_URL" setup recurring "$jobs" "$seconds" "$first"
pids=()
trap 'kill -KILL "${pids[@]}" 2>/dev/null || true' EXIT
for n in n1 n2 n3; do
  "$node" --url "$KAIROS_POSTGRES_URL" --node "$n" >"${TMPDIR:-/tmp}/kairos-example-$n.log" 2>&1 &
  pids+=($!)
done
echo "3 nodes started; $jobs jobs fire every second for $seconds s from $(date -d @$((first / 1000)) +%T)"
sleep $(( seconds / 2 + 3 ))
kill -KILL "${pids[1]}"; wait "${pids[1]}" 2>/dev/null || true; echo "killed n2 (SIGKILL)"
slots=$(( jobs * seconds ))
until (( $(psql_ -c "SELECT count(DISTINCT (job_id, due)) FROM ledger") >= slots )); do sleep 0.2; done
kill -TERM "${pids[0]}" "${pids[2]}"; wait "${pids[0]}" "${pids[2]}" || true
echo "slots expected $slots; per node: runs, first and last slot"
psql_ -F ' ' -c "SELECT node, count(*), min(due)::time, max(due)::time FROM ledger GROUP BY node ORDER BY node"
psql_ -F ' ' -c "SELECT 'distinct slots', count(DISTINCT (job_id, due)), 'runs', count(*),
  're-runs (same key, higher attempt)', count(*) - count(DISTINCT (job_id, due)) FROM ledger"
