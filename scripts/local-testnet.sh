#!/usr/bin/env bash
# Runs the 4-validator local network (`--chain local`) on loopback without Docker: Alice, Bob,
# Charlie and Dave, each with its own base path under .local/testnet. Ctrl-C stops all four.
# Alice's RPC: ws://127.0.0.1:9944; Bob 9945, Charlie 9946, Dave 9947.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/crucible/target}"
cargo build --locked -p crucible-node
bin="$CARGO_TARGET_DIR/debug/crucible-node"
# Fixed, public node keys: fine on loopback, never on a real network (there, run
# `crucible-node key generate-node-key --chain <spec> --base-path <path>` once per node).
alice_peer=12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait' EXIT INT TERM
i=0
for who in alice bob charlie dave; do
	args=(--chain local "--$who" --validator --base-path ".local/testnet/$who"
		--port $((30333 + i)) --rpc-port $((9944 + i)) --prometheus-port $((9615 + i))
		--node-key "$(printf '%064x' $((i + 1)))")
	[ "$who" = alice ] || args+=(--bootnodes "/ip4/127.0.0.1/tcp/30333/p2p/$alice_peer")
	mkdir -p .local/testnet
	"$bin" "${args[@]}" >".local/testnet/$who.log" 2>&1 &
	pids+=($!)
	echo "$who: ws://127.0.0.1:$((9944 + i))  log .local/testnet/$who.log"
	i=$((i + 1))
done
wait
