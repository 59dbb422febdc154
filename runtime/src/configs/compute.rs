//! The GPU compute pallets: the provider registry (later proof-of-compute, marketplace,
//! emissions).

use crate::{Balances, BlockNumber, Runtime, RuntimeHoldReason};
use crucible_primitives::{
	currency::UNITS,
	time::{DAYS, MINUTES},
	Balance,
};
use polkadot_sdk::{
	frame_support::{parameter_types, traits::ConstU32},
	frame_system::EnsureRoot,
	sp_runtime::Permill,
};

parameter_types! {
	/// The smallest provider bond: 100 CRU, well above the storage its record and its index
	/// entries take (checked in `tests.rs`).
	pub const ProviderMinBond: Balance = 100 * UNITS;
	/// A week until unbonded funds are free: long enough for the proof-of-compute and
	/// marketplace pallets to slash misbehaviour found after the fact.
	pub const ProviderUnbondingPeriod: BlockNumber = 7 * DAYS;
	/// Governance may lengthen the unbonding period to four weeks at most.
	pub const ProviderMaxUnbondingPeriod: BlockNumber = 28 * DAYS;
	/// Reputation forgives 5% of its distance to neutral per day.
	pub const ReputationDecay: Permill = Permill::from_percent(5);
	pub const ReputationDecayPeriod: BlockNumber = DAYS;
}

/// Dev and local networks unbond within a minute, so that the whole provider lifecycle can be
/// exercised (and tested end to end) in real time.
pub const DEV_UNBONDING_PERIOD: BlockNumber = MINUTES;

impl pallet_providers::Config for Runtime {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type MinBond = ProviderMinBond;
	type DefaultUnbondingPeriod = ProviderUnbondingPeriod;
	type MaxUnbondingPeriod = ProviderMaxUnbondingPeriod;
	type MaxUnbondingChunks = ConstU32<16>;
	type ReputationDecay = ReputationDecay;
	type ReputationDecayPeriod = ReputationDecayPeriod;
	/// Nothing can be in flight before the marketplace and proof-of-compute pallets exist.
	type WorkInFlight = ();
	/// Slashed bond is burned until the treasury exists.
	type OnSlash = ();
	/// Root (sudo on dev networks) until OpenGov has a track for it.
	type ForceOrigin = EnsureRoot<crate::AccountId>;
	type WeightInfo = pallet_providers::weights::SubstrateWeight<Runtime>;
}
