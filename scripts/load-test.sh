#!/usr/bin/env bash
# Floods a release dev node with proof-of-compute heartbeats from many registered providers and,
# in the same blocks, with balance transfers, and prints how many of each every block included
# (goal: at least 3,000 heartbeats in a block, and never fewer heartbeats than transfers).
#
# Usage: scripts/load-test.sh [--providers N] [--transfers N]     (defaults: 4000 and 4000)
# Env:   PROFILE (release)
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/crucible/target}"
unset SKIP_WASM_BUILD
PROFILE="${PROFILE:-release}"
cargo build --locked --profile "$PROFILE" -p crucible-node
cd scripts/e2e
exec node load/heartbeats.mjs --node "$CARGO_TARGET_DIR/$PROFILE/crucible-node" "$@"
