#!/usr/bin/env bash
# Everything CI runs: formatting; one build of the node and of every test target, in which clippy
# is the compiler of the workspace's own crates (so it is also the lint gate); the Rust tests of
# the whole workspace; the pallets' benchmarks run as tests; the console's build; then the e2e
# suite through @polkadot/api against the real node binary, the console's in headless Chromium.
# Usage: scripts/test.sh [--long]
#   --long: the runtime property test with 100,000 random calls (default 3,000)
set -euo pipefail
cd "$(dirname "$0")/.."

for arg in "$@"; do
	case "$arg" in
		--long) export CRUCIBLE_FUZZ_CALLS=100000 ;;
		*) echo "unknown argument: $arg" >&2; exit 2 ;;
	esac
done

bash scripts/setup.sh

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/crucible/target}"
# The e2e suite needs the real wasm runtime.
unset SKIP_WASM_BUILD

# Clippy compiles the workspace's crates, as `cargo clippy` has it do, but in a real build: its
# lints (-D warnings; runtime code may not panic: unwrap/expect/indexing/overflow are denied) and
# the binaries come from one compilation, and every dependency (the wasm runtime included) is
# compiled once instead of once for clippy and once more for the build.
export RUSTC_WORKSPACE_WRAPPER="$(rustc --print sysroot)/bin/clippy-driver"
export CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__"

t0=$(date +%s)
step() { printf '\n=== %s (%ss)\n' "$*" "$(($(date +%s) - t0))"; }

step "cargo +nightly fmt --check"
cargo +nightly fmt --all -- --check

step "cargo build --workspace --all-targets (node, test targets; clippy -D warnings on our crates)"
cargo build --locked --workspace --all-targets

step "cargo test --workspace"
cargo test --workspace --locked

step "benchmarks run as tests against the pallets' mocks (runtime-benchmarks)"
cargo test --locked -p pallet-providers -p pallet-proof-of-compute -p pallet-marketplace -p pallet-emissions --features runtime-benchmarks benchmark

step "console: build (Vite, the bundle the browser tests load)"
(cd console && npm run --silent build)

step "e2e (@polkadot/api against target/debug/crucible-node; the console in headless Chromium)"
export CRUCIBLE_NODE="$CARGO_TARGET_DIR/debug/crucible-node"
# The files run side by side (each starts its own nodes on free ports and base paths), the
# longest first so that the short ones fill in beside them; CRUCIBLE_E2E_CONCURRENCY files at
# once (default 3: what a 2-core machine runs without its nodes missing block slots).
(cd scripts/e2e && node run.mjs --concurrency "${CRUCIBLE_E2E_CONCURRENCY:-3}" \
	tests/marketplace.test.js tests/audits.test.js tests/containers.test.js tests/console.test.js \
	tests/proof-of-compute.test.js tests/governance.test.js)

step "all tests passed"
