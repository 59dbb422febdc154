//! The pallets whose benchmarks `crucible-node benchmark pallet` runs (`scripts/benchmark.sh`),
//! and what their benchmarks need of this runtime.

polkadot_sdk::frame_benchmarking::define_benchmarks!(
	[frame_system, SystemBench::<Runtime>]
	[pallet_balances, Balances]
	[pallet_timestamp, Timestamp]
	[pallet_utility, Utility]
	[pallet_sudo, Sudo]
	[pallet_collator_selection, CollatorSelection]
	[pallet_providers, Providers]
	[pallet_proof_of_compute, ProofOfCompute]
	[pallet_marketplace, Marketplace]
	[pallet_emissions, Emissions]
);

use super::{AccountId, Runtime, SessionKeys};
use alloc::vec::Vec;
use codec::Encode;

impl polkadot_sdk::frame_system_benchmarking::Config for Runtime {}

// Collator-selection's candidacy benchmarks set real session keys first, so they need keys
// whose ownership proof the session pallet accepts.
impl polkadot_sdk::cumulus_pallet_session_benchmarking::Config for Runtime {
	fn generate_session_keys_and_proof(owner: AccountId) -> (SessionKeys, Vec<u8>) {
		let generated = SessionKeys::generate(&owner.encode(), None);
		(generated.keys, generated.proof.encode())
	}
}
