//! The Crucible runtime.
//!
//! A solochain runtime: BABE produces blocks (its VRF output is the chain's randomness), GRANDPA
//! finalizes them, `pallet-session` rotates the validator set at BABE epoch boundaries, and
//! `pallet-collator-selection` chooses that set from governance-set invulnerables plus the
//! candidates with the highest bonds.
//!
//! The layout follows the polkadot-sdk templates: the runtime is declared here with
//! `#[frame_support::runtime]`, each pallet's configuration lives in [`configs`] (OpenGov's in
//! [`governance`], with its origins and tracks), runtime APIs in [`apis`], the benchmarked
//! pallets in `benchmarks.rs`, genesis presets in [`genesis_config_presets`], and the runtime's
//! tests under `tests/`.

#![cfg_attr(not(feature = "std"), no_std)]
// `construct_runtime`-generated code recurses deeply.
#![recursion_limit = "512"]

extern crate alloc;

#[cfg(feature = "std")]
include!(concat!(env!("OUT_DIR"), "/wasm_binary.rs"));

pub mod apis;
#[cfg(feature = "runtime-benchmarks")]
mod benchmarks;
pub mod configs;
pub mod genesis_config_presets;
pub mod governance;

// `impl_opaque_keys!` and `#[frame_support::runtime]` expand to code that names `Vec`.
use alloc::vec::Vec;
use polkadot_sdk::{
	frame_support::weights::{constants::WEIGHT_REF_TIME_PER_SECOND, Weight},
	sp_runtime::{generic, impl_opaque_keys},
	*,
};
use sp_version::{runtime_version, RuntimeVersion};

pub use crucible_primitives::{
	currency::*, time::*, AccountId, Balance, BlockNumber, Hash, Moment, Nonce, Signature,
};
pub use polkadot_sdk::sp_runtime::{Perbill, Permill};

/// Opaque types: what the node and light clients know of the runtime without knowing its calls.
pub mod opaque {
	use super::*;
	pub use crucible_primitives::{Block, Header};

	/// Opaque block identifier type.
	pub type BlockId = generic::BlockId<Block>;

	impl_opaque_keys! {
		/// The keys a validator registers through `session.setKeys`: BABE signs blocks and
		/// draws the VRF randomness, GRANDPA votes on finality.
		pub struct SessionKeys {
			pub babe: Babe,
			pub grandpa: Grandpa,
		}
	}
}
pub use opaque::SessionKeys;

/// The runtime's version. `spec_version` must be bumped on every change to runtime logic.
#[runtime_version]
pub const VERSION: RuntimeVersion = RuntimeVersion {
	spec_name: alloc::borrow::Cow::Borrowed("crucible"),
	impl_name: alloc::borrow::Cow::Borrowed("crucible-node"),
	authoring_version: 1,
	spec_version: 104,
	impl_version: 1,
	apis: apis::RUNTIME_API_VERSIONS,
	transaction_version: 1,
	system_version: 1,
};

/// The BABE epoch configuration used at genesis: primary slots with probability 1/4, secondary
/// VRF slots for the rest, so that every slot has an author and randomness.
pub const BABE_GENESIS_EPOCH_CONFIG: sp_consensus_babe::BabeEpochConfiguration =
	sp_consensus_babe::BabeEpochConfiguration {
		c: PRIMARY_PROBABILITY,
		allowed_slots: sp_consensus_babe::AllowedSlots::PrimaryAndSecondaryVRFSlots,
	};

/// A block's maximum weight: 2 seconds of compute in a 6-second slot.
pub const MAXIMUM_BLOCK_WEIGHT: Weight =
	Weight::from_parts(WEIGHT_REF_TIME_PER_SECOND.saturating_mul(2), u64::MAX);

/// The address format for describing accounts.
pub type Address = sp_runtime::MultiAddress<AccountId, ()>;

/// Block header type as expected by this runtime.
pub type Header = generic::Header<BlockNumber, sp_runtime::traits::BlakeTwo256>;

/// Block type as expected by this runtime.
pub type Block = generic::Block<Header, UncheckedExtrinsic>;

/// A block that has been signed and justified.
pub type SignedBlock = generic::SignedBlock<Block>;

/// The transaction extensions, checked in this order for every signed transaction.
pub type TxExtension = (
	frame_system::AuthorizeCall<Runtime>,
	frame_system::CheckNonZeroSender<Runtime>,
	frame_system::CheckSpecVersion<Runtime>,
	frame_system::CheckTxVersion<Runtime>,
	frame_system::CheckGenesis<Runtime>,
	frame_system::CheckEra<Runtime>,
	frame_system::CheckNonce<Runtime>,
	frame_system::CheckWeight<Runtime>,
	pallet_transaction_payment::ChargeTransactionPayment<Runtime>,
	frame_system::WeightReclaim<Runtime>,
);

/// Unchecked extrinsic type as expected by this runtime.
pub type UncheckedExtrinsic =
	generic::UncheckedExtrinsic<Address, RuntimeCall, Signature, TxExtension>;

/// The payload being signed in transactions.
pub type SignedPayload = generic::SignedPayload<RuntimeCall, TxExtension>;

/// The storage migrations of the next runtime upgrade, each run once (a versioned migration does
/// nothing on a chain already at its target version, such as one started from this runtime's
/// genesis).
type Migrations = (
	// spec 103: the registry's `Providers` counts its own records.
	pallet_providers::migrations::v1::MigrateToCountedProviders<Runtime>,
);

/// Executive: handles dispatch to the various pallets.
pub type Executive = frame_executive::Executive<
	Runtime,
	Block,
	frame_system::ChainContext<Runtime>,
	Runtime,
	AllPalletsWithSystem,
	Migrations,
>;

#[frame_support::runtime]
mod runtime {
	#[runtime::runtime]
	#[runtime::derive(
		RuntimeCall,
		RuntimeEvent,
		RuntimeError,
		RuntimeOrigin,
		RuntimeFreezeReason,
		RuntimeHoldReason,
		RuntimeSlashReason,
		RuntimeLockId,
		RuntimeTask,
		RuntimeViewFunction
	)]
	pub struct Runtime;

	#[runtime::pallet_index(0)]
	pub type System = frame_system;

	#[runtime::pallet_index(1)]
	pub type Babe = pallet_babe;

	#[runtime::pallet_index(2)]
	pub type Timestamp = pallet_timestamp;

	#[runtime::pallet_index(3)]
	pub type Balances = pallet_balances;

	#[runtime::pallet_index(4)]
	pub type TransactionPayment = pallet_transaction_payment;

	// Validator set. The order matters: authorship notes the block author before
	// collator-selection assembles the next set, which session then rotates in.
	#[runtime::pallet_index(10)]
	pub type Authorship = pallet_authorship;

	#[runtime::pallet_index(11)]
	pub type CollatorSelection = pallet_collator_selection;

	#[runtime::pallet_index(12)]
	pub type Session = pallet_session;

	#[runtime::pallet_index(13)]
	pub type Grandpa = pallet_grandpa;

	#[runtime::pallet_index(20)]
	pub type Utility = pallet_utility;

	/// Development networks only (the `development` preset sets a key): elsewhere Root is a
	/// referendum on the `root` track.
	#[runtime::pallet_index(30)]
	pub type Sudo = pallet_sudo;

	// GPU compute.
	#[runtime::pallet_index(40)]
	pub type Providers = pallet_providers;

	#[runtime::pallet_index(41)]
	pub type ProofOfCompute = pallet_proof_of_compute;

	#[runtime::pallet_index(42)]
	pub type Marketplace = pallet_marketplace;

	#[runtime::pallet_index(43)]
	pub type Emissions = pallet_emissions;

	#[runtime::pallet_index(50)]
	pub type Preimage = pallet_preimage;

	#[runtime::pallet_index(51)]
	pub type Scheduler = pallet_scheduler;

	#[runtime::pallet_index(52)]
	pub type Referenda = pallet_referenda;

	#[runtime::pallet_index(53)]
	pub type ConvictionVoting = pallet_conviction_voting;

	#[runtime::pallet_index(54)]
	pub type Origins = governance::pallet_custom_origins;

	#[runtime::pallet_index(55)]
	pub type Treasury = pallet_treasury;
}

#[cfg(test)]
mod tests;
