#!/usr/bin/env bash
# Runs COMMAND with a throwaway PostgreSQL 15 server and KAIROS_POSTGRES_URL pointing at it:
#
#   Scripts/with-postgres.sh COMMAND [ARG...]
#
# The server is Debian's postgresql-15 (binaries in /usr/lib/postgresql/15/bin, or $KAIROS_POSTGRES_BIN),
# a fresh cluster from `initdb -A trust` in a temporary directory, listening on 127.0.0.1 on a free
# port with its unix socket in that directory. As root, the server runs as user `postgres` (initdb
# refuses root). At exit (also on error or Ctrl-C) the server is stopped with `-m immediate` and the
# directory removed. The same helper for tests is the library KairosPostgresTesting (TemporaryPostgres).
#
# Exported to COMMAND: KAIROS_POSTGRES_URL=postgres://postgres@127.0.0.1:PORT/postgres and the libpq
# variables PGHOST=127.0.0.1 PGPORT PGUSER=postgres PGDATABASE=postgres (psql, createdb work as is).
# Extra server settings: KAIROS_POSTGRES_SETTINGS="max_connections=300 fsync=off".
set -euo pipefail

if [[ $# -eq 0 ]]; then
  echo "usage: $0 COMMAND [ARG...]" >&2
  exit 64
fi

bin=${KAIROS_POSTGRES_BIN:-/usr/lib/postgresql/15/bin}
if [[ ! -x $bin/initdb ]]; then
  echo "error: no initdb in $bin: install postgresql-15 (apt-get install -y postgresql-15) or set KAIROS_POSTGRES_BIN" >&2
  exit 69
fi

as_postgres=()
if [[ $(id -u) -eq 0 ]]; then
  as_postgres=(runuser -u postgres --)
fi

dir=$(mktemp -d "${TMPDIR:-/tmp}/kairos-pg.XXXXXX")
cleanup() {
  "${as_postgres[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
if [[ ${#as_postgres[@]} -gt 0 ]]; then
  chown postgres: "$dir"
fi

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

"${as_postgres[@]}" "$bin/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 --no-sync >"$dir/initdb.log" 2>&1 \
  || { cat "$dir/initdb.log" >&2; exit 1; }

options="-c listen_addresses=127.0.0.1 -k $dir"
for setting in ${KAIROS_POSTGRES_SETTINGS:-}; do
  options+=" -c $setting"
done
started=""
for _ in 1 2 3; do  # a port found free can be taken before the server binds it
  port=$(free_port)
  if "${as_postgres[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-p $port $options" start >/dev/null; then
    started=yes
    break
  fi
done
if [[ -z $started ]]; then
  echo "error: PostgreSQL did not start; its log:" >&2
  cat "$dir/server.log" >&2
  exit 1
fi

export KAIROS_POSTGRES_URL="postgres://postgres@127.0.0.1:$port/postgres"
export PGHOST=127.0.0.1 PGPORT=$port PGUSER=postgres PGDATABASE=postgres
echo "# PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (data in $dir)" >&2
"$@"
