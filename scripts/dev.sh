#!/usr/bin/env bash
# Builds the node if needed and runs a development chain: Alice validates alone, blocks every 6 s,
# state kept in .local/dev-chain (delete it, or pass --purge, for a fresh chain).
# Usage: scripts/dev.sh [--release] [--purge] [extra crucible-node flags...]
set -euo pipefail
cd "$(dirname "$0")/.."

profile=debug
purge=0
extra=()
for arg in "$@"; do
	case "$arg" in
		--release) profile=release ;;
		--purge) purge=1 ;;
		*) extra+=("$arg") ;;
	esac
done

bash scripts/setup.sh
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/crucible/target}"
unset SKIP_WASM_BUILD

if [ "$profile" = release ]; then
	cargo build --locked --release -p crucible-node
else
	cargo build --locked -p crucible-node
fi
node_bin="$CARGO_TARGET_DIR/$profile/crucible-node"
base_path="$PWD/.local/dev-chain"
if [ "$purge" = 1 ]; then
	"$node_bin" purge-chain --dev --base-path "$base_path" -y
fi
mkdir -p "$base_path"

cat <<MSG

  Crucible dev chain
  RPC:          ws://127.0.0.1:9944
  polkadot.js:  https://polkadot.js.org/apps/?rpc=ws%3A%2F%2F127.0.0.1%3A9944#/explorer
  Prometheus:   http://127.0.0.1:9615/metrics
  State:        $base_path   (scripts/dev.sh --purge starts afresh)

MSG
exec "$node_bin" --dev --base-path "$base_path" --rpc-port 9944 --rpc-cors all "${extra[@]}"
