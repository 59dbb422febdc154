//! The registry's interface for the other pallets (proof-of-compute, marketplace, emissions),
//! which the runtime wires together. They never read this pallet's storage directly.

use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use core::fmt::Debug;
use crucible_primitives::providers::{
	AttestationKey, HardwareProfile, HardwareRequirement, Region,
};
use polkadot_sdk::{
	frame_support::weights::Weight,
	sp_runtime::{DispatchError, DispatchResult, Permill},
};
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
	/// A dispute over a job's result went to the developer.
	LostDispute,
	/// An auditor did not answer an audit in time.
	MissedAudit,
	/// An auditor's root lost to the majority, or it did not open its answer.
	WrongAudit,
}

/// Answers whether a provider has work in flight; asked before it may leave or stop.
pub trait ProviderWorkInFlight<AccountId> {
	/// Whether `provider` has leases, open challenges or anything else that must finish before
	/// it may deregister.
	fn has_work_in_flight(provider: &AccountId) -> bool;

	/// Whether `provider` owes a proof it has not given yet (a challenge of this period, or of
	/// a past one not yet settled): until it is settled the provider may not pause or change
	/// its hardware, so that nobody escapes a challenge by stepping out of it.
	fn has_open_challenge(_provider: &AccountId) -> bool {
		false
	}

	/// The provider's record is gone (it left and withdrew, or was slashed to nothing while
	/// leaving): forget what was kept of it, so that nothing orphaned stays in storage. At
	/// most a few removals (its weight is part of the registry's benchmarks, which run with the
	/// runtime's answerers).
	fn on_provider_removed(_provider: &AccountId) {}
}

impl<AccountId> ProviderWorkInFlight<AccountId> for () {
	fn has_work_in_flight(_: &AccountId) -> bool {
		false
	}
}

/// Several answerers: work is in flight if any of them says so.
impl<AccountId, A, B> ProviderWorkInFlight<AccountId> for (A, B)
where
	A: ProviderWorkInFlight<AccountId>,
	B: ProviderWorkInFlight<AccountId>,
{
	fn has_work_in_flight(provider: &AccountId) -> bool {
		A::has_work_in_flight(provider) || B::has_work_in_flight(provider)
	}
	fn has_open_challenge(provider: &AccountId) -> bool {
		A::has_open_challenge(provider) || B::has_open_challenge(provider)
	}
	fn on_provider_removed(provider: &AccountId) {
		A::on_provider_removed(provider);
		B::on_provider_removed(provider);
	}
}

/// What a judging pallet needs of a provider, in one read.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct ProverInfo<BlockNumber> {
	/// Where it stands.
	pub status: ProviderStatus,
	/// Since when (or since registration).
	pub status_since: BlockNumber,
	/// The key its node signs with.
	pub attestation_key: AttestationKey,
	/// Its declared hardware.
	pub profile: HardwareProfile,
}

/// Read access to the registry.
pub trait ProviderInspect<AccountId> {
	/// The bond's balance type.
	type Balance;
	/// The block number type.
	type BlockNumber;

	/// The provider's status, if it is registered.
	fn status(provider: &AccountId) -> Option<ProviderStatus>;
	/// The provider's status and the block it entered it (or registered).
	fn status_since(provider: &AccountId) -> Option<(ProviderStatus, Self::BlockNumber)>;
	/// Status, its start, attestation key and profile, in one read.
	fn prover_info(provider: &AccountId) -> Option<ProverInfo<Self::BlockNumber>>;
	/// The provider's hardware profile and region.
	fn profile(provider: &AccountId) -> Option<(HardwareProfile, Region)>;
	/// The provider's attestation key, unless it is leaving.
	fn attestation_key(provider: &AccountId) -> Option<AttestationKey>;
	/// The provider whose attestation key this is.
	fn provider_of_key(key: &AttestationKey) -> Option<AccountId>;
	/// The provider's active bond.
	fn bond(provider: &AccountId) -> Option<Self::Balance>;
	/// The provider's reputation now (decay applied).
	fn reputation(provider: &AccountId) -> Option<Permill>;
	/// The reputation now of a provider that is `Active` and meets `requirement` (one read),
	/// or `None`: what a marketplace asks of a bidder.
	fn eligibility(provider: &AccountId, requirement: &HardwareRequirement) -> Option<Permill>;
	/// The reputation now and the declared GPU count of a provider that is `Active` and meets
	/// `requirement` (one read), or `None`: what a marketplace asks of an auction's winner,
	/// whose leases may take at most its GPUs.
	fn capacity(provider: &AccountId, requirement: &HardwareRequirement) -> Option<(Permill, u32)>;
	/// Whether an `Active` provider meets `requirement`.
	fn is_eligible(provider: &AccountId, requirement: &HardwareRequirement) -> bool {
		Self::eligibility(provider, requirement).is_some()
	}
	/// Up to `limit` registered providers after `after` (from the first when `None`), in the
	/// registry's storage order, which does not change while a walk goes on: for pallets that
	/// visit every provider a few per block.
	fn providers_after(after: Option<&AccountId>, limit: u32) -> Vec<AccountId>;
	/// The weight of `providers_after` for `limit` providers.
	fn providers_after_weight(limit: u32) -> Weight;
	/// Off-chain workers only: the registered providers whose current attestation key is in
	/// this node's keystore, in key order, at most the runtime's `MaxLocalKeys`
	/// ([`crate::offchain::local_provers`]).
	fn local_provers() -> Vec<crate::offchain::LocalProver<AccountId, Self::BlockNumber>>;
}

/// Write access for the pallets that judge providers.
pub trait ProviderMutate<AccountId> {
	/// Moves a provider to `status`, if the status machine lets a judge make that move
	/// ([`ProviderStatus::judge_may_move`]): `Registered` → `Active` (proven), `Active` →
	/// `Registered` (demoted), or to `Suspended`. Anything else is `InvalidStatus`.
	fn set_status(provider: &AccountId, status: ProviderStatus) -> DispatchResult;
	/// Raises the provider's reputation by `weight` of the distance to 100%.
	fn note_success(provider: &AccountId, weight: Permill) -> DispatchResult;
	/// Lowers the provider's reputation by `weight` of the distance to 0%.
	fn note_failure(provider: &AccountId, weight: Permill) -> DispatchResult;

	/// The weight of `set_status`, for the callers to charge.
	fn set_status_weight() -> Weight;
	/// The weight of `note_success` or `note_failure`, whichever is heavier.
	fn note_outcome_weight() -> Weight;
}

/// Slashing of bonds.
pub trait ProviderSlash<AccountId> {
	/// The bond's balance type.
	type Balance;

	/// Slashes `share` of everything the provider has bonded, taking the same share of the
	/// active bond and of each unbonding chunk, to the configured sink; returns what was
	/// slashed. A provider left below `MinBond` is taken out of work (`Underbonded`); a leaving
	/// one with nothing left is removed.
	fn slash(
		provider: &AccountId,
		share: Permill,
		reason: SlashReason,
	) -> Result<Self::Balance, DispatchError>;

	/// As `slash`, but what is slashed goes to `beneficiary` (a developer whose lease was
	/// abandoned), or to the sink if `beneficiary` cannot take it.
	fn slash_to(
		provider: &AccountId,
		share: Permill,
		reason: SlashReason,
		beneficiary: &AccountId,
	) -> Result<Self::Balance, DispatchError>;

	/// The weight of `slash` or `slash_to`, for the callers to charge.
	fn slash_weight() -> Weight;
}
