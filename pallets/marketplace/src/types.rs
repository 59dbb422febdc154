//! The marketplace's records. The shapes polkadot.js and the node also read (specs, bids,
//! leases, attestations) live in `crucible_primitives::marketplace`.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use crucible_primitives::{
	audit::{ResultOpening, MAX_AUDITORS, MAX_REPLACED},
	marketplace::{self, DisputeReason, JobPhase, JobSpec},
};
use polkadot_sdk::{
	frame_support::{traits::fungible, BoundedVec},
	frame_system::pallet_prelude::BlockNumberFor,
	sp_core::{ConstU32, H256},
	sp_runtime::Permill,
};
use scale_info::TypeInfo;

use crate::Config;

/// The balance type of the marketplace's currency.
pub type BalanceOf<T> = <<T as Config>::Currency as fungible::Inspect<
	<T as polkadot_sdk::frame_system::Config>::AccountId,
>>::Balance;

/// A job's spec with the runtime's types.
pub type JobSpecOf<T> = JobSpec<BalanceOf<T>, BlockNumberFor<T>>;
/// A bid with the runtime's types.
pub type BidOf<T> = marketplace::Bid<
	<T as polkadot_sdk::frame_system::Config>::AccountId,
	BalanceOf<T>,
	BlockNumberFor<T>,
>;
/// A lease with the runtime's types.
pub type LeaseOf<T> = marketplace::Lease<
	<T as polkadot_sdk::frame_system::Config>::AccountId,
	BalanceOf<T>,
	BlockNumberFor<T>,
>;
/// A workload attestation with the runtime's types.
pub type AttestationOf<T> = marketplace::WorkAttestation<
	<T as polkadot_sdk::frame_system::Config>::AccountId,
	BlockNumberFor<T>,
>;
/// A standing offer, as the pallet stores it.
pub type OfferOf<T> = marketplace::Offer<BalanceOf<T>, BlockNumberFor<T>>;
/// A standing offer with its block.
pub type StandingOfferOf<T> = marketplace::StandingOffer<BalanceOf<T>, BlockNumberFor<T>>;
/// A node's signed standing offer.
pub type NodeOfferOf<T> = marketplace::NodeOffer<
	<T as polkadot_sdk::frame_system::Config>::AccountId,
	BalanceOf<T>,
	BlockNumberFor<T>,
>;
/// A provider's quote in `estimate`.
pub type OfferQuoteOf<T> = marketplace::OfferQuote<
	<T as polkadot_sdk::frame_system::Config>::AccountId,
	BalanceOf<T>,
	BlockNumberFor<T>,
>;
/// A node bid with the runtime's types.
pub type NodeBidOf<T> = marketplace::NodeBid<
	<T as polkadot_sdk::frame_system::Config>::AccountId,
	BalanceOf<T>,
	BlockNumberFor<T>,
>;
/// An audit with the runtime's types.
pub type AuditOf<T> =
	Audit<<T as polkadot_sdk::frame_system::Config>::AccountId, BlockNumberFor<T>>;
/// A receipt with the runtime's types.
pub type ReceiptOf<T> = crucible_primitives::audit::Receipt<
	<T as polkadot_sdk::frame_system::Config>::AccountId,
	BlockNumberFor<T>,
>;
/// An audit report with the runtime's types.
pub type AuditReportOf<T> =
	crucible_primitives::audit::AuditReport<<T as polkadot_sdk::frame_system::Config>::AccountId>;
/// A job record with the runtime's types.
pub type JobOf<T> =
	Job<<T as polkadot_sdk::frame_system::Config>::AccountId, BalanceOf<T>, BlockNumberFor<T>>;

/// A posted job, from posting until it ends (expired, cancelled, failed or settled: then it is
/// removed and the events tell how it ended).
#[derive(
	Encode, Decode, DecodeWithMemTracking, Clone, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen,
)]
pub struct Job<AccountId, Balance, BlockNumber> {
	/// The developer who posted it and pays for it.
	pub owner: AccountId,
	/// What was posted.
	pub spec: JobSpec<Balance, BlockNumber>,
	/// Where it stands.
	pub phase: JobPhase<BlockNumber>,
	/// The block whose timer queue holds the job (`None` while disputed: only the dispute
	/// origin moves it then).
	pub timer: Option<BlockNumber>,
	/// Escrow held from the owner for payment and not paid out yet: `max price × duration`
	/// until the award, `price × duration` after it, less what was paid.
	pub escrow: Balance,
	/// The job deposit held from the owner (returned when the job ends, unless it is lost in
	/// a dispute).
	pub deposit: Balance,
	/// Sealed commitments not revealed yet.
	pub sealed: u32,
}

/// A sealed bid's commitment and its deposit.
#[derive(
	Encode, Decode, DecodeWithMemTracking, Clone, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen,
)]
pub struct SealedBid<Balance> {
	/// `bid_commitment(job, provider, price, salt)`.
	pub commitment: H256,
	/// The deposit held for it (forfeited unless revealed).
	pub deposit: Balance,
}

/// An open dispute.
#[derive(
	Encode, Decode, DecodeWithMemTracking, Clone, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen,
)]
pub struct Dispute<Balance> {
	/// Why, as the developer wrote it.
	pub reason: DisputeReason,
	/// The deposit held from the developer.
	pub deposit: Balance,
}

/// How the dispute origin settles a dispute.
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
pub enum Verdict {
	/// The developer was right: unpaid escrow refunded, the provider slashed `DisputeSlash`
	/// to the developer, the dispute deposit returned.
	Developer,
	/// The provider was right: it is paid what it earned and receives the dispute deposit.
	Provider,
}

/// How a job ended (in `JobEnded`).
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
pub enum JobEnd {
	/// No qualifying bid: everything returned.
	Expired,
	/// Cancelled by its owner.
	Cancelled,
	/// The provider's node refused the workload, or it failed (`reason`): what was attested
	/// is paid, the rest refunded.
	Refused { reason: marketplace::Refusal },
	/// The provider went silent past the grace period: slashed, the rest refunded.
	Abandoned,
	/// Completed and undisputed (or the dispute went to the provider): paid out.
	Settled,
	/// The dispute went to the developer.
	Refunded,
	/// The audit found the provider's result wrong (or the provider never opened it): nothing
	/// paid to it, its collateral paid the auditors and the developer, the escrow refunded.
	AuditFailed,
}

/// What a timer did, for its weight.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum TimerWork {
	/// The job was gone (nothing to do).
	Stale,
	/// An auction closed (or moved to its reveal window).
	Close,
	/// A lease was checked and is still attended, or a completed job is still in its
	/// dispute window: the timer moved (or, every queue ahead full, was dropped).
	Reschedule,
	/// A lease was abandoned: slash and refund.
	Abandon,
	/// A completed job settled.
	Settle,
	/// A dispute nobody decided in `DisputeTimeout`: resolved for the provider.
	Resolve,
	/// An audit's draw: whether it is audited, and an auditor picked.
	Draw,
	/// An auditor did not answer in time: slashed lightly, a replacement drawn.
	AuditorMissed,
	/// An audit's opening window ended: concluded.
	Conclude,
}

/// The governed bounds of audits.
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
pub struct AuditParams<Balance> {
	/// The lowest audit rate a job may ask for (above 0).
	pub min_rate: Permill,
	/// The highest audit rate a job may ask for.
	pub max_rate: Permill,
	/// The least collateral of an audited lease, whatever its price.
	pub collateral_floor: Balance,
}

/// Where an audit stands.
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
pub enum AuditStage<BlockNumber> {
	/// Waiting for the randomness of the blocks up to `at` (exclusive), which decides whether
	/// the job is audited and who audits it.
	Draw { at: BlockNumber },
	/// The last auditor re-runs the job and submits its digest and commitment by `until`.
	Run { until: BlockNumber },
	/// Every party that gave a digest opens its root by `until`.
	Open { until: BlockNumber },
}

/// One auditor of a job.
#[derive(
	Encode, Decode, DecodeWithMemTracking, Clone, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen,
)]
pub struct AuditorRecord<AccountId> {
	/// The auditor (an `Active` provider).
	pub who: AccountId,
	/// Its digest and commitment, once it answered.
	pub answer: Option<(H256, H256)>,
	/// Its root, once opened.
	pub opened: Option<ResultOpening>,
}

/// An audited job's audit, from the provider's completion attestation to the job's end.
#[derive(
	Encode, Decode, DecodeWithMemTracking, Clone, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen,
)]
pub struct Audit<AccountId, BlockNumber> {
	/// The provider's digest (its completion attestation's result).
	pub digest: H256,
	/// The provider's root, once opened.
	pub opened: Option<ResultOpening>,
	/// Whether the draw chose the job for an audit (`None` until it is drawn).
	pub audited: Option<bool>,
	/// The auditors that are answering or answered, in order (the second breaks a tie).
	pub auditors: BoundedVec<AuditorRecord<AccountId>, ConstU32<MAX_AUDITORS>>,
	/// Auditors replaced for not answering (never drawn again for this job).
	pub replaced: BoundedVec<AccountId, ConstU32<MAX_REPLACED>>,
	/// Where it stands (its deadline is the job's timer).
	pub stage: AuditStage<BlockNumber>,
}
