#!/usr/bin/env bash
# Start a throwaway PostgreSQL on 127.0.0.1:$SNOWFALL_PG_PORT with its own data directory.
# Idempotent: installs the package if missing, initialises once, starts only if not running.
# Prints the connection URL on stdout (logs go to stderr).
set -euo pipefail
. "$(dirname "$0")/common.sh"

[ -x "$PG_BIN/postgres" ] || apt_install postgresql
[ -x "$PG_BIN/postgres" ] || PG_BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)"

dir="$SNOWFALL_DB_DIR/postgres"
# initdb and postgres refuse to run as root: run them as the package's `postgres` user.
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

mkdir -p "$SNOWFALL_DB_DIR"; chmod 755 "$SNOWFALL_DB_DIR"
lock_dir postgres  # concurrent test processes: one initialises/starts, the others wait
if [ ! -s "$dir/data/PG_VERSION" ]; then
  log "initdb $dir/data"
  mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown postgres: "$dir"
  as_pg "$PG_BIN/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --no-sync >/dev/null
fi
if ! as_pg "$PG_BIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
  log "starting postgres on port $SNOWFALL_PG_PORT"
  # fsync off: a test server, speed over durability. max_connections: 8 processes x a pool each.
  as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start -o \
    "-h 127.0.0.1 -p $SNOWFALL_PG_PORT -k $dir -c fsync=off -c synchronous_commit=off -c max_connections=300" >/dev/null 9>&-
fi
wait_for "$PG_BIN/pg_isready" -h 127.0.0.1 -p "$SNOWFALL_PG_PORT"
echo "postgres://postgres@127.0.0.1:$SNOWFALL_PG_PORT/postgres"
