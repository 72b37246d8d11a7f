#!/usr/bin/env bash
# Stop the loopback test servers started by start-*.sh (by their own pid files, nothing broader).
#   scripts/db/stop.sh [postgres|mariadb|redis|all] [--clean]   --clean also deletes their data.
set -euo pipefail
. "$(dirname "$0")/common.sh"
which="${1:-all}"; clean="${2:-}"; [ "$which" = --clean ] && { which=all; clean=--clean; }

if [ "$which" = all ] || [ "$which" = postgres ]; then
  d="$SNOWFALL_DB_DIR/postgres/data"
  if [ -s "$d/postmaster.pid" ]; then
    log "stopping postgres"
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$d" -m fast -w stop >/dev/null || true
    else "$PG_BIN/pg_ctl" -D "$d" -m fast -w stop >/dev/null || true; fi
  fi
  [ "$clean" = --clean ] && rm -rf "$SNOWFALL_DB_DIR/postgres"
fi
# stop_by_pidfile NAME: stop the server whose pid file is $SNOWFALL_DB_DIR/NAME/*.pid, then --clean.
stop_by_pidfile() {
  local pidf="$SNOWFALL_DB_DIR/$1/$1.pid"
  if [ -s "$pidf" ]; then
    local pid; pid="$(cat "$pidf")"
    log "stopping $1 (pid $pid)"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  fi
  [ "$clean" = --clean ] && rm -rf "${SNOWFALL_DB_DIR:?}/$1"
  return 0
}
for name in mariadb redis; do
  if [ "$which" = all ] || [ "$which" = "$name" ]; then stop_by_pidfile "$name"; fi
done
exit 0
