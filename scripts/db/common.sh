# Shared settings for the loopback test database servers (sourced, not run).
# Everything lives under one temp folder so a stop + rm -rf leaves the machine as it was, and
# nothing touches the system services (none run in CI containers; systemd is not needed).
SNOWFALL_DB_DIR="${SNOWFALL_DB_DIR:-${TMPDIR:-/tmp}/snowfall-wasm-db}"
SNOWFALL_PG_PORT="${SNOWFALL_PG_PORT:-25432}"
SNOWFALL_MARIADB_PORT="${SNOWFALL_MARIADB_PORT:-23306}"
SNOWFALL_REDIS_PORT="${SNOWFALL_REDIS_PORT:-26379}"
PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"

log() { printf '[db] %s\n' "$*" >&2; }

apt_install() {
  log "apt-get install $*"
  export DEBIAN_FRONTEND=noninteractive
  # Debian's postinst tries to start the system service; with no systemd/init that fails
  # harmlessly, and policy-rc.d 101 makes it skip the attempt altogether.
  local policy=/usr/sbin/policy-rc.d created=
  if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' >"$policy"; chmod +x "$policy"; created=1; fi
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "$@" >/dev/null
  [ -n "$created" ] && rm -f "$policy"
  return 0
}

# wait_for CMD... : retry a readiness probe for up to 30 s.
wait_for() {
  for _ in $(seq 1 150); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
  return 1
}

# lock_dir NAME: hold an exclusive lock (released when the script exits) so that parallel
# invocations do not both run initdb / start a second server on the same data directory.
# The servers are started with fd 9 closed, or they would hold the lock for their lifetime.
lock_dir() {
  mkdir -p "$SNOWFALL_DB_DIR"
  exec 9>"$SNOWFALL_DB_DIR/.lock-$1"
  flock -w 120 9 || { log "timed out waiting for $SNOWFALL_DB_DIR/.lock-$1"; exit 1; }
}
