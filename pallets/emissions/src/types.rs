//! The pallet's domain types.

use crate::Config;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use crucible_primitives::{
	emissions::{EmissionParams, EraIndex},
	Balance,
};
use polkadot_sdk::frame_support::traits::Get;
use scale_info::TypeInfo;

/// The emission parameters, in the chain's balance.
pub type ParamsOf = EmissionParams<Balance>;

/// A provider's work in one era, not yet claimed.
#[derive(
	Encode, Decode, DecodeWithMemTracking, Clone, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen,
)]
pub struct WorkRecord {
	/// The era the work was credited in.
	pub era: EraIndex,
	/// Verified compute units (proof of compute).
	pub compute_units: u128,
	/// Protocol fees of settled leases (the marketplace).
	pub lease_fees: Balance,
}

/// How many eras a provider's unclaimed work may span: the claim window, the current era, and
/// one era expiring.
pub struct WorkRecordsBound<T>(core::marker::PhantomData<T>);
impl<T: Config> Get<u32> for WorkRecordsBound<T> {
	fn get() -> u32 {
		T::MaxClaimWindow::get().saturating_add(2)
	}
}

/// Cumulative issuance changes since genesis. The total issuance is always
/// `genesis + minted − burned`; slashes move funds to the treasury without changing it.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	Clone,
	PartialEq,
	Eq,
	Debug,
	Default,
	TypeInfo,
	MaxEncodedLen,
)]
pub struct IssuanceTotals {
	/// The total issuance when the chain started.
	pub genesis: Balance,
	/// Minted since genesis.
	pub minted: Balance,
	/// Burned since genesis.
	pub burned: Balance,
	/// Slashed to the treasury since genesis.
	pub slashed: Balance,
	/// `burned` when the current era started (the era's burn is the difference).
	pub burned_at_era_start: Balance,
	/// `slashed` when the current era started.
	pub slashed_at_era_start: Balance,
}

impl IssuanceTotals {
	/// Burned and slashed since the current era started.
	pub fn this_era(&self) -> (Balance, Balance) {
		(
			self.burned.saturating_sub(self.burned_at_era_start),
			self.slashed.saturating_sub(self.slashed_at_era_start),
		)
	}
}
