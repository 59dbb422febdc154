//! The registry's interface for the other pallets (proof-of-compute, marketplace, emissions),
//! which the runtime wires together. They never read this pallet's storage directly.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use core::fmt::Debug;
use crucible_primitives::providers::{
	AttestationKey, HardwareProfile, HardwareRequirement, Region,
};
use polkadot_sdk::sp_runtime::{DispatchError, DispatchResult, Permill};
use scale_info::TypeInfo;

use crate::ProviderStatus;

/// Why a bond was slashed.
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
pub enum SlashReason {
	/// A proof-of-compute challenge was failed.
	FailedChallenge,
	/// A challenge was not answered before its deadline.
	MissedChallenge,
	/// A lease was abandoned (no attestations past the grace period).
	AbandonedLease,
	/// Governance decided.
	Governance,
}

/// Answers whether a provider has work in flight; asked before it may deregister.
pub trait ProviderWorkInFlight<AccountId> {
	/// Whether `provider` has leases, open challenges or anything else that must finish first.
	fn has_work_in_flight(provider: &AccountId) -> bool;
}

impl<AccountId> ProviderWorkInFlight<AccountId> for () {
	fn has_work_in_flight(_: &AccountId) -> bool {
		false
	}
}

/// Read access to the registry.
pub trait ProviderInspect<AccountId> {
	/// The bond's balance type.
	type Balance;

	/// The provider's status, if it is registered.
	fn status(provider: &AccountId) -> Option<ProviderStatus>;
	/// The provider's hardware profile and region.
	fn profile(provider: &AccountId) -> Option<(HardwareProfile, Region)>;
	/// The provider's attestation key.
	fn attestation_key(provider: &AccountId) -> Option<AttestationKey>;
	/// The provider whose attestation key this is.
	fn provider_of_key(key: &AttestationKey) -> Option<AccountId>;
	/// The provider's active bond.
	fn bond(provider: &AccountId) -> Option<Self::Balance>;
	/// The provider's reputation now (decay applied).
	fn reputation(provider: &AccountId) -> Option<Permill>;
	/// Whether an `Active` provider meets `requirement`.
	fn is_eligible(provider: &AccountId, requirement: &HardwareRequirement) -> bool;
}

/// Write access for the pallets that judge providers.
pub trait ProviderMutate<AccountId> {
	/// Moves a provider to `status` (e.g. proof-of-compute: `Registered` → `Active`).
	fn set_status(provider: &AccountId, status: ProviderStatus) -> DispatchResult;
	/// Raises the provider's reputation by `weight` of the distance to 100%.
	fn note_success(provider: &AccountId, weight: Permill) -> DispatchResult;
	/// Lowers the provider's reputation by `weight` of the distance to 0%.
	fn note_failure(provider: &AccountId, weight: Permill) -> DispatchResult;
}

/// Slashing of bonds.
pub trait ProviderSlash<AccountId> {
	/// The bond's balance type.
	type Balance;

	/// Slashes `share` of the provider's bond (active first, then unbonding chunks) to the
	/// configured sink; returns what was slashed.
	fn slash(
		provider: &AccountId,
		share: Permill,
		reason: SlashReason,
	) -> Result<Self::Balance, DispatchError>;
}
