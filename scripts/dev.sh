#!/usr/bin/env bash
# Builds the node if needed and runs a development chain: Alice validates alone, blocks every 6 s,
# state kept in .local/dev-chain (delete it, or pass --purge, for a fresh chain). With --console,
# the web console is built and served beside it (http://127.0.0.1:4173/, scripts/console.sh).
# Usage: scripts/dev.sh [--release] [--purge] [--console] [extra crucible-node flags...]
set -euo pipefail
cd "$(dirname "$0")/.."

profile=debug
purge=0
with_console=0
extra=()
for arg in "$@"; do
	case "$arg" in
		--release) profile=release ;;
		--purge) purge=1 ;;
		--console) with_console=1 ;;
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

if [ "$with_console" = 1 ]; then
	bash scripts/console.sh --build-only
	(cd console && exec ./node_modules/.bin/vite preview --port 4173 --strictPort >"$base_path/console.log" 2>&1) &
	console_pid=$!
	trap 'kill "$console_pid" 2>/dev/null || true' EXIT
fi

cat <<MSG

  Crucible dev chain
  RPC:          ws://127.0.0.1:9944
  polkadot.js:  https://polkadot.js.org/apps/?rpc=ws%3A%2F%2F127.0.0.1%3A9944#/explorer
  Prometheus:   http://127.0.0.1:9615/metrics
  Console:      $([ "$with_console" = 1 ] && echo "http://127.0.0.1:4173/  (dev accounts in the account menu)" || echo "scripts/dev.sh --console, or scripts/console.sh")
  State:        $base_path   (scripts/dev.sh --purge starts afresh)

MSG
if [ "$with_console" = 1 ]; then
	# Not exec: the trap stops the console when the chain stops.
	"$node_bin" --dev --base-path "$base_path" --rpc-port 9944 --rpc-cors all "${extra[@]}"
	exit $?
fi
exec "$node_bin" --dev --base-path "$base_path" --rpc-port 9944 --rpc-cors all "${extra[@]}"
