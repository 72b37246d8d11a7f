#!/usr/bin/env bash
# One-shot, idempotent machine set-up for building and testing snowfall-wasm on a fresh
# Debian 12 machine (see ../shared/notes/toolchain.md for why each step is the way it is).
#   scripts/setup.sh            toolchain + npm packages (enough for `npm run demo`)
#   scripts/setup.sh --tests    also apt packages for the test suite (Chromium, PostgreSQL, MariaDB, Redis)
set -euo pipefail
cd "$(dirname "$0")/.."

WASM_BINDGEN_VERSION="$(sed -n 's/^wasm-bindgen = { version = "=\([0-9.]*\)".*/\1/p; s/^wasm-bindgen = "=\([0-9.]*\)"/\1/p' Cargo.toml | head -n1)"
: "${WASM_BINDGEN_VERSION:?could not read the pinned wasm-bindgen version from Cargo.toml}"
# The CLI must match the crate exactly; keep it outside the work tree so clones share it.
TOOLS_ROOT="${SNOWFALL_TOOLS:-$HOME/.cache/snowfall-wasm/tools/wasm-bindgen-$WASM_BINDGEN_VERSION}"

log() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

if [ "${1:-}" = "--tests" ]; then
  need=()
  command -v chromium >/dev/null || need+=(chromium)
  command -v chromedriver >/dev/null || need+=(chromium-driver)
  [ -x /usr/lib/postgresql/15/bin/postgres ] || need+=(postgresql)
  command -v mariadbd >/dev/null || command -v mysqld >/dev/null || need+=(mariadb-server)
  command -v redis-server >/dev/null || need+=(redis-server)
  if [ ${#need[@]} -gt 0 ]; then
    log "apt-get install ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  fi
  # Debian's packages start their system services where systemd exists; the tests run their
  # own servers on loopback with their own data directories, so stop nothing and need nothing.
fi

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

if ! "$TOOLS_ROOT/bin/wasm-bindgen" --version 2>/dev/null | grep -q " $WASM_BINDGEN_VERSION\$"; then
  log "cargo install wasm-bindgen-cli $WASM_BINDGEN_VERSION (a few minutes, once per machine)"
  cargo install --quiet --locked --root "$TOOLS_ROOT" wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi
mkdir -p .tools
ln -sfn "$TOOLS_ROOT/bin" .tools/bin

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi
# Node 22, Deno 2 and Bun 1 for tests/runtimes/other-runtimes.test.mjs, from npm, in a project of
# their own (the `node` package's bin would shadow Node 20 in the root project's npm scripts).
engines=tests/runtimes/engines
if [ "${1:-}" = "--tests" ] && { [ ! -d $engines/node_modules ] || [ $engines/package-lock.json -nt $engines/node_modules/.package-lock.json ]; }; then
  log "npm ci (test runtimes: Node 22, Deno, Bun)"
  npm ci --prefix $engines --no-audit --no-fund --loglevel=error
fi
log "ready"
