#!/usr/bin/env bash
# npm run demo: set up what is missing (toolchain target, wasm-bindgen CLI, npm packages), build the
# package, then make and decode ids with the in-memory default.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
node scripts/build.mjs
node examples/demo.mjs
