#!/usr/bin/env bash
# Start a throwaway redis-server on 127.0.0.1:$SNOWFALL_REDIS_PORT with its own directory and no
# persistence. Idempotent: installs the package if missing, starts only if not running.
# Prints the connection URL on stdout (logs go to stderr).
set -euo pipefail
. "$(dirname "$0")/common.sh"

command -v redis-server >/dev/null || apt_install redis-server
dir="$SNOWFALL_DB_DIR/redis"
mkdir -p "$dir"
lock_dir redis
if ! redis-cli -h 127.0.0.1 -p "$SNOWFALL_REDIS_PORT" ping >/dev/null 2>&1; then
  log "starting redis on port $SNOWFALL_REDIS_PORT"
  redis-server --bind 127.0.0.1 --port "$SNOWFALL_REDIS_PORT" --dir "$dir" --save '' --appendonly no \
    --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/server.log" 9>&-
fi
wait_for redis-cli -h 127.0.0.1 -p "$SNOWFALL_REDIS_PORT" ping
echo "redis://127.0.0.1:$SNOWFALL_REDIS_PORT"
