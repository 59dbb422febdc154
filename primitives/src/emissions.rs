//! Emissions: the governed parameters of the token's mint and burn, and the `tokenomics()` view
//! of minted, burned and supply (for polkadot.js and dashboards).

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use polkadot_sdk::sp_runtime::{traits::Saturating, Perbill, Permill};
use scale_info::TypeInfo;

/// An era's index: era 0 starts at genesis.
pub type EraIndex = u32;

/// The governed parameters of emissions. Each changes only through the emissions governance
/// origin (bounded per change) or Root.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	Clone,
	PartialEq,
	Eq,
	Debug,
	TypeInfo,
	MaxEncodedLen,
	serde::Serialize,
	serde::Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub struct EmissionParams<Balance> {
	/// E0: what era 0 mints.
	pub initial: Balance,
	/// How much smaller each era's emission is than the one before.
	pub decay: Perbill,
	/// No era mints less than this (while the supply cap allows).
	pub floor: Balance,
	/// The providers' share of an era's emission, paid for verified work.
	pub providers: Permill,
	/// The validators' share (to the block-author reward pot).
	pub validators: Permill,
	/// The treasury's share. The three shares sum to 100%.
	pub treasury: Permill,
	/// The part of the providers' share paid for leased GPU-blocks that the marketplace settled;
	/// the rest is paid for proof-of-compute's verified compute units.
	pub market_weight: Permill,
	/// The share of every protocol fee that is burned; the rest goes to the treasury.
	pub burn_share: Permill,
	/// Eras after its end during which an era's rewards may be claimed; what is left then
	/// goes to the treasury.
	pub claim_window: EraIndex,
}

impl<Balance: Copy + polkadot_sdk::sp_runtime::traits::AtLeast32BitUnsigned>
	EmissionParams<Balance>
{
	/// E(era) = max(floor, initial · (1 − decay)^era), before the supply cap.
	pub fn emission(&self, era: EraIndex) -> Balance {
		let kept = Perbill::one().saturating_sub(self.decay);
		let factor = kept.saturating_pow(usize::try_from(era).unwrap_or(usize::MAX));
		factor.mul_floor(self.initial).max(self.floor)
	}

	/// Whether the shares sum to exactly 100%.
	pub fn shares_sum_to_one(&self) -> bool {
		u64::from(self.providers.deconstruct())
			.saturating_add(self.validators.deconstruct().into())
			.saturating_add(self.treasury.deconstruct().into()) ==
			u64::from(Permill::one().deconstruct())
	}
}

/// What an era minted, burned and paid, and the work it paid for.
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
	serde::Serialize,
	serde::Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub struct EraRecord<Balance> {
	/// Verified compute units proof of compute credited in the era.
	pub compute_units: u128,
	/// Protocol fees of the leases the marketplace settled in the era: the weight of the lease
	/// pool's claims, and its cap (the pool is never more than what was paid in fees, so that
	/// a wash lease earns back at most its fees).
	pub lease_fees: Balance,
	/// Minted when the era closed (all shares).
	pub minted: Balance,
	/// The providers' pool for compute units (set when the era closes).
	pub compute_pool: Balance,
	/// The providers' pool for settled leases (set when the era closes; at most `lease_fees`).
	pub lease_pool: Balance,
	/// Paid out of the two pools so far.
	pub claimed: Balance,
	/// Compute units whose rewards were claimed.
	pub claimed_units: u128,
	/// Lease fees whose rewards were claimed.
	pub claimed_lease_fees: Balance,
	/// Burned during the era (fees' burn share, transaction fees' burn share, dust).
	pub burned: Balance,
	/// Slashed to the treasury during the era.
	pub slashed: Balance,
}

/// The burn-and-mint balance, for `EmissionsApi::tokenomics`.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	Clone,
	PartialEq,
	Eq,
	Debug,
	TypeInfo,
	serde::Serialize,
	serde::Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub struct Tokenomics<Balance, BlockNumber> {
	/// The era running now.
	pub era: EraIndex,
	/// The block it started.
	pub era_start: BlockNumber,
	/// Blocks per era.
	pub era_length: BlockNumber,
	/// What the running era mints when it closes (if providers' work was verified in it; the
	/// providers' share is minted only for work), after the supply cap.
	pub next_emission: Balance,
	/// The issuance at genesis.
	pub genesis_issuance: Balance,
	/// Minted since genesis.
	pub minted: Balance,
	/// Burned since genesis.
	pub burned: Balance,
	/// Slashed to the treasury since genesis.
	pub slashed: Balance,
	/// The total issuance now: `genesis_issuance + minted − burned`.
	pub supply: Balance,
	/// The supply no mint goes past.
	pub max_supply: Balance,
	/// The running era so far.
	pub current: EraRecord<Balance>,
	/// The parameters in force.
	pub params: EmissionParams<Balance>,
}

polkadot_sdk::sp_api::decl_runtime_apis! {
	/// The token's mint and burn, for polkadot.js (`api.call.emissionsApi`).
	pub trait EmissionsApi<Balance, BlockNumber>
	where
		Balance: codec::Codec,
		BlockNumber: codec::Codec,
	{
		/// The current era, its next emission, cumulative minted and burned, the supply.
		fn tokenomics() -> Tokenomics<Balance, BlockNumber>;
		/// A closed era's record (kept while its rewards may be claimed).
		fn era(era: EraIndex) -> Option<EraRecord<Balance>>;
		/// What `provider` may claim for `era` now (0 if nothing).
		fn claimable(provider: crate::AccountId, era: EraIndex) -> Balance;
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	fn params() -> EmissionParams<u128> {
		EmissionParams {
			initial: 1_000_000,
			decay: Perbill::from_percent(10),
			floor: 100_000,
			providers: Permill::from_percent(70),
			validators: Permill::from_percent(20),
			treasury: Permill::from_percent(10),
			market_weight: Permill::from_percent(50),
			burn_share: Permill::from_percent(50),
			claim_window: 4,
		}
	}

	#[test]
	fn emission_decays_geometrically_down_to_the_floor() {
		let p = params();
		assert_eq!(p.emission(0), 1_000_000);
		assert_eq!(p.emission(1), 900_000);
		assert_eq!(p.emission(2), 810_000);
		// 0.9^21 ≈ 0.109, 0.9^22 ≈ 0.098: the floor takes over at era 22.
		assert_eq!(p.emission(21), 109_418);
		assert_eq!(p.emission(22), 100_000);
		assert_eq!(p.emission(u32::MAX), 100_000);
		assert!(p.shares_sum_to_one());
		let mut q = p;
		q.treasury = Permill::from_percent(11);
		assert!(!q.shares_sum_to_one());
	}
}
