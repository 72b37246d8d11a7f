#!/usr/bin/env bash
# npm test: the whole suite on a fresh machine. Installs what is missing (scripts/setup.sh --tests:
# Chromium, chromedriver, PostgreSQL, MariaDB, the wasm toolchain, npm packages), builds pkg/, then:
#   1. native Rust tests (unit, property, doc tests)
#   2. wasm-bindgen-test in Node and in headless Chromium
#   3. node:test suites against the packed, installed package (API, runtimes, databases)
set -euo pipefail
cd "$(dirname "$0")/.."
log() { printf '\n\033[1m[test] %s\033[0m\n' "$*"; }

log "set-up"
bash scripts/setup.sh --tests
log "build"
node scripts/build.mjs
log "cargo test (native)"
cargo test --quiet
log "wasm-bindgen-test (Node, Chromium)"
bash scripts/test-wasm.sh
log "node:test suites against the installed package"
suites=(tests/js/*.test.mjs tests/runtimes/*.test.mjs)
# No test may hang the run: each gets at most 5 minutes (the slowest takes about one).
node --test --test-concurrency=1 --test-timeout=300000 "${suites[@]}"
