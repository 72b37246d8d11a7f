#!/usr/bin/env bash
# Start a throwaway MariaDB on 127.0.0.1:$SNOWFALL_MARIADB_PORT with its own data directory.
# Idempotent: installs the package if missing, initialises once, starts only if not running.
# Prints the connection URL on stdout (logs go to stderr).
set -euo pipefail
. "$(dirname "$0")/common.sh"

command -v mariadbd >/dev/null || command -v mysqld >/dev/null || apt_install mariadb-server mariadb-client
server="$(command -v mariadbd || command -v mysqld)"
client="$(command -v mariadb || command -v mysql)"
dir="$SNOWFALL_DB_DIR/mariadb"
sock="$dir/mariadb.sock"
ping() { "$client" --protocol=socket -S "$sock" -uroot -e 'SELECT 1'; }

mkdir -p "$dir"
lock_dir mariadb  # concurrent test processes: one initialises/starts, the others wait
if [ ! -d "$dir/data/mysql" ]; then
  log "mariadb-install-db $dir/data"
  # normal auth: root with no password over TCP (loopback only), so drivers can connect as root.
  "$(command -v mariadb-install-db || command -v mysql_install_db)" --user="$(id -un)" \
    --datadir="$dir/data" --auth-root-authentication-method=normal --skip-test-db >"$dir/install.log" 2>&1
fi
if ! ping >/dev/null 2>&1; then
  log "starting mariadb on port $SNOWFALL_MARIADB_PORT"
  # --no-defaults: ignore /etc/mysql (the system instance's socket, port, pid file).
  nohup "$server" --no-defaults --user="$(id -un)" --datadir="$dir/data" --socket="$sock" \
    --pid-file="$dir/mariadb.pid" --port="$SNOWFALL_MARIADB_PORT" --bind-address=127.0.0.1 \
    --skip-name-resolve --max-connections=400 --innodb-flush-log-at-trx-commit=2 \
    --log-error="$dir/server.log" >/dev/null 2>&1 9>&- &
  wait_for ping || { log "mariadb did not start; see $dir/server.log"; tail -n 20 "$dir/server.log" >&2; exit 1; }
fi
"$client" --protocol=socket -S "$sock" -uroot -e 'CREATE DATABASE IF NOT EXISTS snowfall'
echo "mysql://root@127.0.0.1:$SNOWFALL_MARIADB_PORT/snowfall"
