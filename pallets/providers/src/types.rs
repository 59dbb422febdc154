//! The registry's records, and the view of a provider its runtime API returns.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use core::fmt::Debug;
use crucible_primitives::providers::{AttestationKey, Endpoint, HardwareProfile, Region};
use polkadot_sdk::{
	frame_support::{
		traits::fungible::Inspect, BoundedVec, CloneNoBound, DebugNoBound, EqNoBound,
		PartialEqNoBound,
	},
	frame_system::pallet_prelude::BlockNumberFor,
	sp_runtime::{traits::Saturating, Permill},
};
use scale_info::TypeInfo;

use crate::Config;

/// The balance type of the pallet's currency.
pub type BalanceOf<T> = <<T as Config>::Currency as Inspect<
	<T as polkadot_sdk::frame_system::Config>::AccountId,
>>::Balance;

/// Where a provider stands.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	TypeInfo,
	MaxEncodedLen,
)]
pub enum ProviderStatus {
	/// Registered, hardware not yet proven (proof-of-compute moves it to `Active`).
	Registered,
	/// Hardware proven; eligible for jobs.
	Active,
	/// Taking no new work, by the provider's choice.
	Paused,
	/// Barred from work by slashing policy or governance; only governance lifts it.
	Suspended,
	/// Deregistered: the bond is unbonding and the record goes when it is withdrawn.
	Leaving,
	/// Slashed below `MinBond`: out of work until `bond_extra` brings the bond back to
	/// `MinBond` (it is then `Registered`, to be proven again).
	Underbonded,
}

impl ProviderStatus {
	/// Whether the provider is in the pool that proof of compute challenges and that may be
	/// proven (`Registered`) or is proven (`Active`).
	pub fn is_challengeable(self) -> bool {
		matches!(self, Self::Registered | Self::Active)
	}

	/// The status changes that a judging pallet (proof of compute, the marketplace) may make
	/// through `ProviderMutate::set_status`: prove (`Registered` → `Active`), demote
	/// (`Active` → `Registered`), and suspend a provider that is not leaving and not already
	/// suspended. Lifting a suspension, overriding the provider's own pause, or re-admitting an
	/// underbonded provider is for governance and the provider alone.
	pub fn judge_may_move(self, to: Self) -> bool {
		use ProviderStatus::*;
		matches!(
			(self, to),
			(Registered, Active) |
				(Active, Registered) |
				(Registered | Active | Paused | Underbonded, Suspended)
		)
	}
}

/// A chunk of bond on its way out: `amount` becomes withdrawable at block `unlock_at`.
#[derive(
	Encode, Decode, DecodeWithMemTracking, Clone, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen,
)]
pub struct UnbondingChunk<Balance, BlockNumber> {
	/// How much.
	pub amount: Balance,
	/// From which block it may be withdrawn.
	pub unlock_at: BlockNumber,
}

/// A reputation score: `Permill` of a perfect record, decaying towards neutral (50%).
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	TypeInfo,
	MaxEncodedLen,
)]
pub struct Reputation<BlockNumber> {
	/// The score as of `updated_at`.
	pub score: Permill,
	/// When `score` was last written; decay since then is applied on read.
	pub updated_at: BlockNumber,
}

/// Everything the chain knows about one provider.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	CloneNoBound,
	PartialEqNoBound,
	EqNoBound,
	DebugNoBound,
	TypeInfo,
	MaxEncodedLen,
)]
#[scale_info(skip_type_params(T))]
pub struct ProviderRecord<T: Config> {
	/// Where it stands.
	pub status: ProviderStatus,
	/// The declared hardware.
	pub profile: HardwareProfile,
	/// The key its node signs proofs and attestations with.
	pub attestation_key: AttestationKey,
	/// Where developers reach its workloads.
	pub endpoint: Endpoint,
	/// Where the host is.
	pub region: Region,
	/// The active bond (held under `HoldReason::ProviderBond`).
	pub bond: BalanceOf<T>,
	/// Bond on its way out (also held until withdrawn).
	pub unbonding:
		BoundedVec<UnbondingChunk<BalanceOf<T>, BlockNumberFor<T>>, T::MaxUnbondingChunks>,
	/// Its track record.
	pub reputation: Reputation<BlockNumberFor<T>>,
	/// When it registered.
	pub registered_at: BlockNumberFor<T>,
	/// When `status` last changed (or registration) — but a move between `Registered` and
	/// `Active` (proven, demoted) keeps it: proof of compute challenges a provider in a period
	/// only if it has been in the challenge pool since the period began.
	pub status_since: BlockNumberFor<T>,
}

impl<T: Config> ProviderRecord<T> {
	/// Everything held for this provider: the active bond plus every unbonding chunk.
	pub fn total_bonded(&self) -> BalanceOf<T> {
		self.unbonding
			.iter()
			.fold(self.bond, |sum, chunk| sum.saturating_add(chunk.amount))
	}
}

/// A provider as the `ProvidersApi::provider` runtime API shows it (made for its callers, not
/// the storage record): the reputation as of the block asked about, and the bond totals summed.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug, TypeInfo)]
pub struct ProviderView<Balance, BlockNumber> {
	/// Where it stands.
	pub status: ProviderStatus,
	/// Since when (or since registration).
	pub status_since: BlockNumber,
	/// When it registered.
	pub registered_at: BlockNumber,
	/// The declared hardware.
	pub profile: HardwareProfile,
	/// The key its node signs proofs and attestations with.
	pub attestation_key: AttestationKey,
	/// Where developers reach its workloads.
	pub endpoint: Endpoint,
	/// Where the host is.
	pub region: Region,
	/// The active bond.
	pub bond: Balance,
	/// Everything held for it: the active bond and every unbonding chunk.
	pub total_bonded: Balance,
	/// Bond on its way out, oldest first.
	pub unbonding: alloc::vec::Vec<UnbondingChunk<Balance, BlockNumber>>,
	/// Its reputation now (decay towards neutral applied up to the block asked about).
	pub reputation: Permill,
}

impl<T: Config> ProviderRecord<T> {
	/// The view of this record with its reputation as of `reputation_now`.
	pub fn view(&self, reputation_now: Permill) -> ProviderView<BalanceOf<T>, BlockNumberFor<T>> {
		ProviderView {
			status: self.status,
			status_since: self.status_since,
			registered_at: self.registered_at,
			profile: self.profile.clone(),
			attestation_key: self.attestation_key.clone(),
			endpoint: self.endpoint.clone(),
			region: self.region,
			bond: self.bond,
			total_bonded: self.total_bonded(),
			unbonding: self.unbonding.to_vec(),
			reputation: reputation_now,
		}
	}
}
