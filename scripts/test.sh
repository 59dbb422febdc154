#!/usr/bin/env bash
# Everything CI runs: formatting and lints, the Rust tests of the whole workspace, then the e2e
# suite through @polkadot/api against the real node binary. Usage: scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/crucible/target}"
# The e2e suite needs the real wasm runtime.
unset SKIP_WASM_BUILD

t0=$(date +%s)
step() { printf '\n=== %s (%ss)\n' "$*" "$(($(date +%s) - t0))"; }

step "cargo +nightly fmt --check"
cargo +nightly fmt --all -- --check

step "cargo clippy -D warnings (runtime code may not panic: unwrap/expect/indexing/overflow are denied)"
cargo clippy --locked --workspace --all-targets -- -D warnings

step "cargo build (node)"
cargo build --locked -p crucible-node

step "cargo test --workspace"
cargo test --workspace --locked

step "benchmarks run as tests against the pallets' mocks (runtime-benchmarks)"
cargo test --locked -p pallet-providers --features runtime-benchmarks benchmarking

step "e2e (@polkadot/api against target/debug/crucible-node)"
export CRUCIBLE_NODE="$CARGO_TARGET_DIR/debug/crucible-node"
(cd scripts/e2e && node --test --test-concurrency=1 --test-reporter=spec tests/)

step "all tests passed"
