#!/usr/bin/env bash
# wasm-bindgen-test: the crate's wasm tests (lib + tests/*.rs) compiled for wasm32-unknown-unknown.
#   pass 1, Node:     every test binary not configured `run_in_browser` (tests/wasm.rs, the lib's)
#   pass 2, Chromium: the `run_in_browser` binaries (tests/wasm_browser.rs) in headless Chromium
#                     through /usr/bin/chromedriver (Debian's chromium-driver)
#   --all-browser:    pass 2 also runs the Node binaries in Chromium (WASM_BINDGEN_USE_BROWSER)
# Needs scripts/setup.sh (the wasm-bindgen-test-runner matching Cargo.lock in .tools/bin) and, for
# pass 2, `scripts/setup.sh --tests` (apt chromium + chromium-driver). Extra args go to cargo test
# (e.g. `scripts/test-wasm.sh -- some_test_name`). A pass in which no test ran fails (ALLOW_EMPTY=1 to allow).
set -euo pipefail
cd "$(dirname "$0")/.."

all_browser=0
if [ "${1:-}" = "--all-browser" ]; then all_browser=1; shift; fi

runner="$PWD/.tools/bin/wasm-bindgen-test-runner"
if [ ! -x "$runner" ]; then
  echo "test-wasm: $runner is missing: run scripts/setup.sh first" >&2
  exit 1
fi
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  echo "test-wasm: the wasm32-unknown-unknown target is missing: run scripts/setup.sh first" >&2
  exit 1
fi
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER="$runner"
# Browser binaries of a run must not be picked up by a chromedriver found on PATH in the Node pass.
unset CHROMEDRIVER GECKODRIVER SAFARIDRIVER WASM_BINDGEN_USE_BROWSER WASM_BINDGEN_TEST_ONLY_WEB WASM_BINDGEN_TEST_ONLY_NODE

log() { printf '\033[1m[test-wasm]\033[0m %s\n' "$*"; }

# Runs one cargo test pass and fails it if no test ran at all (the runner reports "no tests to
# run!" and exits 0 when, say, a test file is not compiled for wasm32 or lacks #[wasm_bindgen_test]).
run_pass() {
  local name="$1"; shift
  local out; out="$(mktemp)"
  set +e
  "$@" 2>&1 | tee "$out"
  local rc=${PIPESTATUS[0]}
  set -e
  local passed
  passed="$(sed -n 's/^test result: ok\. \([0-9][0-9]*\) passed.*/\1/p' "$out" | awk '{s+=$1} END {print s+0}')"
  rm -f "$out"
  if [ "$rc" -ne 0 ]; then log "$name: FAILED (exit $rc)"; exit "$rc"; fi
  if [ "$passed" -eq 0 ] && [ "${ALLOW_EMPTY:-0}" != 1 ]; then
    log "$name: no test ran (expected wasm tests, e.g. tests/wasm.rs / tests/wasm_browser.rs)"; exit 1
  fi
  log "$name: $passed passed"
}

log "pass 1: Node ($(node --version))"
run_pass "Node" env WASM_BINDGEN_TEST_ONLY_NODE=1 cargo test --target wasm32-unknown-unknown --lib --tests "$@"

chromedriver="${CHROMEDRIVER_PATH:-/usr/bin/chromedriver}"
if [ ! -x "$chromedriver" ] || [ ! -x /usr/bin/chromium ]; then
  echo "test-wasm: chromium/chromedriver missing: run scripts/setup.sh --tests" >&2
  exit 1
fi
export CHROMEDRIVER="$chromedriver"
export WASM_BINDGEN_TEST_WEBDRIVER_JSON="$PWD/tests/runtimes/webdriver.json"
if [ "$all_browser" = 1 ]; then
  log "pass 2: headless Chromium, every test binary ($(/usr/bin/chromium --version 2>/dev/null))"
  run_pass "Chromium" env WASM_BINDGEN_USE_BROWSER=1 cargo test --target wasm32-unknown-unknown --lib --tests "$@"
else
  log "pass 2: headless Chromium, run_in_browser binaries ($(/usr/bin/chromium --version 2>/dev/null))"
  run_pass "Chromium" env WASM_BINDGEN_TEST_ONLY_WEB=1 cargo test --target wasm32-unknown-unknown --lib --tests "$@"
fi
log "ok"
