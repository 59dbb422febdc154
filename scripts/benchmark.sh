#!/usr/bin/env bash
# Regenerates every weights file from the benchmarks, on this machine, with the benchmark CLI of
# a node built with `--features runtime-benchmarks`, and reports each of our calls' weight
# relative to `balances.transfer_keep_alive` measured in the same run.
#
# Usage: scripts/benchmark.sh [pallet ...]        (default: every Crucible pallet)
# Env:   PROFILE (release), STEPS (50), REPEAT (20)
#
# It also prints, from the fitted models, what an opening costs at the mainnet parameters: the
# call with 12 samples, one sample's check at inner 65,536 (k = 1024) with the path of an 8-GPU
# host (37), and authorizing 12 samples (an opening is charged call + 12 × sample).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/crucible/target}"
unset SKIP_WASM_BUILD
PROFILE="${PROFILE:-release}"
STEPS="${STEPS:-50}"
REPEAT="${REPEAT:-20}"
PALLETS=("$@")
[ ${#PALLETS[@]} -gt 0 ] || PALLETS=(pallet_providers pallet_proof_of_compute pallet_marketplace pallet_emissions)

cargo build --locked --profile "$PROFILE" --features runtime-benchmarks -p crucible-node
NODE="$CARGO_TARGET_DIR/$PROFILE/crucible-node"
OUT="$CARGO_TARGET_DIR/benchmarks"
mkdir -p "$OUT"

bench() { # pallet extrinsics [extra args...]
	local pallet=$1 extrinsics=$2
	shift 2
	"$NODE" benchmark pallet --chain dev --pallet "$pallet" --extrinsic "$extrinsics" \
		--steps "$STEPS" --repeat "$REPEAT" --wasm-execution compiled \
		--json-file "$OUT/$pallet.json" "$@"
}

# The yardstick: a plain transfer, measured in this same run.
bench pallet_balances transfer_keep_alive

for pallet in "${PALLETS[@]}"; do
	crate_dir="pallets/$(echo "${pallet#pallet_}" | tr _ -)"
	[ -d "$crate_dir" ] || { echo "no crate for $pallet at $crate_dir" >&2; exit 1; }
	bench "$pallet" '*' \
		--template scripts/benchmark/pallet-weights.hbs \
		--header scripts/benchmark/HEADER \
		--output "$crate_dir/src/weights.rs"
done

AT=()
for p in "${PALLETS[@]}"; do
	[ "$p" = pallet_proof_of_compute ] && AT+=(
		--at "pallet_proof_of_compute.submit_opening:s=12"
		--at "pallet_proof_of_compute.verify_sample:k=1024,d=37"
		--at "pallet_proof_of_compute.authorize_submit_opening:s=12"
	)
done
node scripts/benchmark/ratios.mjs "$OUT/pallet_balances.json" \
	$(for p in "${PALLETS[@]}"; do echo "$OUT/$p.json"; done) "${AT[@]}" | tee "$OUT/ratios.txt"
