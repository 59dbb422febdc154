#![doc = include_str!("../README.md")]
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

mod impls;
pub mod offchain;
/// Random calls for the runtime's property test (the `testing` feature), and the fixtures the
/// unit tests share with it.
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod traits;
pub mod types;
pub mod weights;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_audit;
#[cfg(test)]
mod tests_offer;

pub use impls::invalid;
pub use pallet::*;
pub use traits::*;
pub use types::*;
pub use weights::WeightInfo;

// The pallet macros' generated code (storage info, metadata, error encoding) calls `expect`;
// the calls here only check the origin and hand over to `impls`, where the lint applies.
#[allow(clippy::expect_used)]
#[polkadot_sdk::frame_support::pallet]
pub mod pallet {
	use super::*;
	use crucible_primitives::{
		audit::AuditOutcome,
		marketplace::{
			AccessDetails, DisputeReason, JobId, Manifest, SealedSecrets, Usage, RECENT_PRICES,
		},
		proof_of_compute::GpuClass,
		providers::AttestationSignature,
	};
	use pallet_providers::{ProviderInspect, ProviderSlash, SlashReason};
	use polkadot_sdk::{
		frame_support::{
			dispatch::WithPostDispatchInfo,
			pallet_prelude::*,
			traits::{
				fungible::{self, Credit},
				EnsureOrigin, OnUnbalanced, Randomness,
			},
		},
		frame_system::{offchain::CreateAuthorizedTransaction, pallet_prelude::*},
		sp_core::H256,
		sp_runtime::{transaction_validity::TransactionPriority, Permill},
	};

	/// Storage layout version.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	/// Why funds are held.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// A job's escrow and deposit, held from its developer.
		#[codec(index = 0)]
		JobEscrow,
		/// A bid's deposit, held from the bidding provider.
		#[codec(index = 1)]
		BidDeposit,
		/// A dispute's deposit, held from the developer.
		#[codec(index = 2)]
		DisputeDeposit,
		/// An audited lease's collateral, held from its provider until the audit ends.
		#[codec(index = 3)]
		AuditCollateral,
	}

	#[pallet::config]
	pub trait Config:
		CreateAuthorizedTransaction<Call<Self>> + polkadot_sdk::frame_system::Config
	{
		/// The token jobs are paid in.
		type Currency: fungible::Inspect<Self::AccountId>
			+ fungible::Mutate<Self::AccountId>
			+ fungible::hold::Mutate<Self::AccountId, Reason = Self::RuntimeHoldReason>
			+ fungible::hold::Balanced<Self::AccountId>;

		/// The runtime's hold reasons, which include this pallet's.
		type RuntimeHoldReason: From<HoldReason>;

		/// The provider registry: who may bid (`Active` and meeting the requirement), with
		/// which key its node attests, and the bonds abandoned leases are slashed from.
		type Providers: ProviderInspect<Self::AccountId, BlockNumber = BlockNumberFor<Self>>
			+ ProviderSlash<Self::AccountId, Balance = BalanceOf<Self>>;

		/// Where the protocol fee of every payment, withdrawn bids' and unrevealed commitments'
		/// deposits go (in the runtime: emissions' `FeeSplit`, burned by its governed share, the
		/// rest to the treasury).
		type FeeHandler: OnUnbalanced<Credit<Self::AccountId, Self::Currency>>;

		/// Told of what every settled lease paid and its fees (emissions pays for them).
		type OnLeaseSettled: OnLeaseSettled<Self::AccountId, BalanceOf<Self>>;

		/// Who resolves disputes (in the runtime: Root or the `emissions_admin` track).
		type DisputeOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// Who sets the minimum price per GPU-block (in the runtime: Root, the root track).
		type ParamsOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// The minimum price per block and per GPU asked for, until `set_min_price` changes it.
		#[pallet::constant]
		type DefaultMinPrice: Get<BalanceOf<Self>>;

		/// The deposit held from a developer per job (storage, and the stake of a dispute).
		#[pallet::constant]
		type JobDeposit: Get<BalanceOf<Self>>;

		/// The deposit held, beside `JobDeposit`, from a developer who posts a job with a
		/// manifest (its storage: `Manifest::max_encoded_len()` bytes at most).
		#[pallet::constant]
		type ManifestDeposit: Get<BalanceOf<Self>>;

		/// The deposit held from a provider per bid (returned unless the bid is withdrawn or
		/// a sealed bid is not revealed).
		#[pallet::constant]
		type BidDeposit: Get<BalanceOf<Self>>;

		/// The deposit held from a developer who disputes a result (to the provider if the
		/// dispute fails), plus `DisputeDepositRate` of the escrow at stake.
		#[pallet::constant]
		type DisputeDeposit: Get<BalanceOf<Self>>;

		/// The share of the job's unpaid escrow added to `DisputeDeposit`: a dispute stakes in
		/// proportion to what it holds back from the provider.
		#[pallet::constant]
		type DisputeDepositRate: Get<Permill>;

		/// Blocks a dispute waits for `DisputeOrigin`; then it is resolved for the provider
		/// (the developer's deposit goes to it), so that disputes cannot lock a provider's pay
		/// and lease slots for as long as a referendum takes, or longer.
		#[pallet::constant]
		type DisputeTimeout: Get<BlockNumberFor<Self>>;

		/// The share of every payment to a provider that goes to `FeeHandler`.
		#[pallet::constant]
		type ProtocolFee: Get<Permill>;

		/// The share of its bond a provider loses for abandoning a lease (to the developer).
		#[pallet::constant]
		type AbandonSlash: Get<Permill>;

		/// The share of its bond a provider loses when a dispute goes to the developer (to the
		/// developer).
		#[pallet::constant]
		type DisputeSlash: Get<Permill>;

		/// A lease cancelled by its developer pays the provider this many blocks at its price
		/// (at most what is left in escrow) on top of what it earned.
		#[pallet::constant]
		type CancellationBlocks: Get<BlockNumberFor<Self>>;

		/// The fewest blocks a bid window may have.
		#[pallet::constant]
		type MinBidWindow: Get<BlockNumberFor<Self>>;

		/// The most blocks a bid (or reveal) window may have.
		#[pallet::constant]
		type MaxBidWindow: Get<BlockNumberFor<Self>>;

		/// The longest lease, in blocks.
		#[pallet::constant]
		type MaxDuration: Get<BlockNumberFor<Self>>;

		/// Most bids kept per job, best first; a better bid evicts the worst.
		#[pallet::constant]
		type MaxBidsPerJob: Get<u32>;

		/// Most job timers (auction closes, lease checks, settlements) processed per block;
		/// at least `MaxTimersPerBlock`, so that a block's queue is processed in its block.
		#[pallet::constant]
		type MaxClosesPerBlock: Get<u32>;

		/// Most job timers falling due in one block (at most `MaxClosesPerBlock`); a job whose
		/// block is full goes to the next block with room.
		#[pallet::constant]
		type MaxTimersPerBlock: Get<u32>;

		/// Most leases one provider holds at once.
		#[pallet::constant]
		type MaxLeasesPerProvider: Get<u32>;

		/// A provider's node attests each lease at least this often (in blocks); an attestation
		/// covers at least this many blocks unless it reaches the lease's end.
		#[pallet::constant]
		type AttestationInterval: Get<BlockNumberFor<Self>>;

		/// A lease with no attestation for this many blocks is abandoned.
		#[pallet::constant]
		type GraceBlocks: Get<BlockNumberFor<Self>>;

		/// Blocks after completion in which the developer may dispute.
		#[pallet::constant]
		type DisputeWindow: Get<BlockNumberFor<Self>>;

		/// `EscrowLow` and `LeaseEnding` are told when fewer than this many blocks of the
		/// lease (and of its escrow) are left.
		#[pallet::constant]
		type LowEscrowBlocks: Get<BlockNumberFor<Self>>;

		/// The transaction-pool priority of workers' attestations.
		#[pallet::constant]
		type UnsignedPriority: Get<TransactionPriority>;

		/// The transaction-pool priority of node bids: below `UnsignedPriority` and proof of
		/// compute's proofs, so that no stream of bids (free, like them) delays a proof or an
		/// attestation past its window.
		#[pallet::constant]
		type NodeBidPriority: Get<TransactionPriority>;

		/// The randomness audits are drawn from (in the runtime: proof of compute's, the hash of
		/// the last blocks' VRF outputs, which no one block author knows in advance).
		type Randomness: Randomness<H256, BlockNumberFor<Self>>;

		/// Blocks from a completion attestation (or an auditor's answer that disagrees, or a
		/// missed answer) to the draw: the randomness of the blocks in between decides, so that
		/// it was unknown when the provider attested.
		#[pallet::constant]
		type AuditDrawDelay: Get<BlockNumberFor<Self>>;

		/// Blocks an auditor has beyond the job's duration to re-run it and answer.
		#[pallet::constant]
		type AuditSlack: Get<BlockNumberFor<Self>>;

		/// Blocks every party of an audit has to open its root once the auditors answered.
		#[pallet::constant]
		type OpenWindow: Get<BlockNumberFor<Self>>;

		/// The share of its bond an auditor loses for not answering in time (to the developer);
		/// it is replaced.
		#[pallet::constant]
		type AuditorMissSlash: Get<Permill>;

		/// The share of its bond an auditor loses for a root the majority did not confirm, or
		/// for an answer it did not open (to the auditor that confirmed the result, else the
		/// developer).
		#[pallet::constant]
		type AuditorSlash: Get<Permill>;

		/// Providers looked at per draw of an auditor (from a random place in the registry's
		/// order), of which one is picked weighted by reputation.
		#[pallet::constant]
		type MaxAuditCandidates: Get<u32>;

		/// Receipts kept: those of the last `MaxReceipts` job ids.
		#[pallet::constant]
		type MaxReceipts: Get<u32>;

		/// The audit bounds until `set_audit_params` changes them.
		type DefaultAuditParams: Get<AuditParams<BalanceOf<Self>>>;

		/// The fewest blocks between two standing offers of one provider (each is free: this,
		/// with one offer per provider in the pool, is what keeps them from being spammed).
		#[pallet::constant]
		type OfferPeriod: Get<BlockNumberFor<Self>>;

		/// Weights, generated by the benchmark CLI.
		type WeightInfo: WeightInfo;
	}

	/// The next job's number. Written by `post_job`.
	#[pallet::storage]
	pub type NextJobId<T: Config> = StorageValue<_, JobId, ValueQuery>;

	/// Every job from posting until it ends. Written by every transition; removed when the job
	/// expires, is cancelled, fails or settles.
	#[pallet::storage]
	pub type Jobs<T: Config> = CountedStorageMap<_, Twox64Concat, JobId, JobOf<T>, OptionQuery>;

	/// The live public (or revealed) bids of each job, best first: lowest price, then higher
	/// reputation, then earlier. Written by the bid calls; removed at the close.
	#[pallet::storage]
	pub type Bids<T: Config> =
		StorageMap<_, Twox64Concat, JobId, BoundedVec<BidOf<T>, T::MaxBidsPerJob>, ValueQuery>;

	/// Sealed commitments not revealed yet, by job and provider (at most `MaxBidsPerJob` per
	/// job, counted in the job's `sealed`). Written by `commit_bid`; removed by `reveal_bid`
	/// and at the close.
	#[pallet::storage]
	pub type SealedBids<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		JobId,
		Blake2_128Concat,
		T::AccountId,
		SealedBid<BalanceOf<T>>,
		OptionQuery,
	>;

	/// The lease of each awarded job. Written at the award and by attestations and claims;
	/// removed when the job ends.
	#[pallet::storage]
	pub type Leases<T: Config> = StorageMap<_, Twox64Concat, JobId, LeaseOf<T>, OptionQuery>;

	/// The jobs leased to each provider (what its node runs; a provider with one may not
	/// deregister). Written at the award; an entry leaves when its job ends.
	#[pallet::storage]
	pub type ProviderLeases<T: Config> = StorageMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		BoundedVec<JobId, T::MaxLeasesPerProvider>,
		ValueQuery,
	>;

	/// The jobs whose timer falls due at each block (auction close, reveal close, lease check,
	/// end of the dispute window, a dispute's timeout). Each live job is in exactly one queue,
	/// at its `timer` block (none when its timer was dropped: `TimerDropped`). Written when a job
	/// is posted or moves on; a block's queue is removed once processed.
	#[pallet::storage]
	pub type Timers<T: Config> = StorageMap<
		_,
		Twox64Concat,
		BlockNumberFor<T>,
		BoundedVec<JobId, T::MaxTimersPerBlock>,
		ValueQuery,
	>;

	/// The oldest block whose timer queue may still hold jobs. Written by `on_initialize`.
	#[pallet::storage]
	pub type TimerCursor<T: Config> = StorageValue<_, BlockNumberFor<T>, OptionQuery>;

	/// The container manifest a job was posted with (what a container runner runs; its hash is
	/// the spec's `workload.manifest`). Written by `post_job`; removed when the job ends.
	#[pallet::storage]
	pub type Manifests<T: Config> = StorageMap<_, Twox64Concat, JobId, Manifest, OptionQuery>;

	/// A running job's secrets, sealed to its provider's node. Written by `provide_secrets`;
	/// removed when the job ends.
	#[pallet::storage]
	pub type Secrets<T: Config> = StorageMap<_, Twox64Concat, JobId, SealedSecrets, OptionQuery>;

	/// Access details the provider published for the developer, per job. Written by an
	/// attestation; removed when the job ends.
	#[pallet::storage]
	pub type Access<T: Config> = StorageMap<_, Twox64Concat, JobId, AccessDetails, OptionQuery>;

	/// Open disputes, per job. Written by `dispute`; removed by `resolve_dispute`.
	#[pallet::storage]
	pub type Disputes<T: Config> =
		StorageMap<_, Twox64Concat, JobId, Dispute<BalanceOf<T>>, OptionQuery>;

	/// The lowest price per block and per GPU a job may offer or a bid ask (a lease is real
	/// work, never free: a zero-price lease would hold a provider's GPUs for nothing). Written
	/// by `set_min_price`.
	#[pallet::storage]
	pub type MinPrice<T: Config> = StorageValue<_, BalanceOf<T>, ValueQuery, T::DefaultMinPrice>;

	/// The GPUs each provider's leases take (the sum of their jobs' GPU counts), at most its
	/// declared GPUs: leases take GPUs, they do not share them. Written at the award and when a
	/// lease ends; removed at 0.
	#[pallet::storage]
	pub type LeasedGpus<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, u32, ValueQuery>;

	/// How many bids each provider has withdrawn; a node bid signs the count it saw
	/// (`NodeBid::withdrawals`), so a withdrawal voids the provider's signed node bids. Written
	/// by `withdraw_bid`; removed with the provider's registry record (at most one per
	/// provider).
	#[pallet::storage]
	pub type BidWithdrawals<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, u32, ValueQuery>;

	/// The last `RECENT_PRICES` lease prices per block and per GPU asked for, of each GPU
	/// class (of the winner's first GPU), oldest first. Written at each award; read by the
	/// `estimate` runtime API.
	#[pallet::storage]
	pub type RecentPrices<T: Config> = StorageMap<
		_,
		Twox64Concat,
		GpuClass,
		BoundedVec<BalanceOf<T>, ConstU32<RECENT_PRICES>>,
		ValueQuery,
	>;

	/// The audit of each audited job, from its completion attestation until it ends. Written by
	/// the completion attestation, the audit timers and `audit`; removed when the job ends.
	#[pallet::storage]
	pub type Audits<T: Config> = StorageMap<_, Twox64Concat, JobId, AuditOf<T>, OptionQuery>;

	/// The jobs each provider audits now (what its node re-runs; their GPUs are in its
	/// `LeasedGpus`). Written when an auditor is drawn; an entry leaves when its audit ends for
	/// it.
	#[pallet::storage]
	pub type Assignments<T: Config> = StorageMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		BoundedVec<JobId, T::MaxLeasesPerProvider>,
		ValueQuery,
	>;

	/// The receipt of each finished job that had a result, for the last `MaxReceipts` job ids:
	/// what a third party checks from a storage proof. Written when the job settles (or its
	/// audit ends); removed when job id `id + MaxReceipts` is posted.
	#[pallet::storage]
	pub type Receipts<T: Config> = StorageMap<_, Twox64Concat, JobId, ReceiptOf<T>, OptionQuery>;

	/// The audit rates a job may ask for and the least collateral. Written by
	/// `set_audit_params`.
	#[pallet::storage]
	pub type AuditBounds<T: Config> =
		StorageValue<_, AuditParams<BalanceOf<T>>, ValueQuery, T::DefaultAuditParams>;

	/// Each provider's standing offer, as its node published it (`publish_offer`): at most one
	/// per registered provider, removed with its record or withdrawn by its node.
	#[pallet::storage]
	pub type Offers<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, StandingOfferOf<T>, OptionQuery>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A job was posted; `escrow` and `deposit` are held from its owner.
		JobPosted {
			job: JobId,
			owner: T::AccountId,
			escrow: BalanceOf<T>,
			deposit: BalanceOf<T>,
			closes_at: BlockNumberFor<T>,
		},
		/// A provider bid (or lowered its bid).
		BidPlaced { job: JobId, provider: T::AccountId, price: BalanceOf<T> },
		/// A worse bid was pushed out of a full list; its deposit was returned.
		BidEvicted { job: JobId, provider: T::AccountId },
		/// A provider withdrew its bid; its deposit went to the fee handler.
		BidWithdrawn { job: JobId, provider: T::AccountId, forfeited: BalanceOf<T> },
		/// A provider committed a sealed bid.
		BidCommitted { job: JobId, provider: T::AccountId },
		/// A provider revealed its sealed bid.
		BidRevealed { job: JobId, provider: T::AccountId, price: BalanceOf<T> },
		/// A bid that would have won was forfeited: its provider made itself ineligible before
		/// the close (paused, left, or changed its hardware or region); the deposit went to the
		/// fee handler.
		BidForfeited { job: JobId, provider: T::AccountId, forfeited: BalanceOf<T> },
		/// A sealed commitment was not revealed; its deposit went to the fee handler.
		CommitmentForfeited { job: JobId, provider: T::AccountId, forfeited: BalanceOf<T> },
		/// A sealed auction's bid window ended: reveals until `closes_at`.
		RevealStarted { job: JobId, closes_at: BlockNumberFor<T> },
		/// The auction closed with a winner: the lease runs from `start` to `end`; the escrow
		/// shrank to `escrow`.
		LeaseStarted {
			job: JobId,
			provider: T::AccountId,
			price_per_block: BalanceOf<T>,
			start: BlockNumberFor<T>,
			end: BlockNumberFor<T>,
			escrow: BalanceOf<T>,
		},
		/// A provider's node attested blocks `from` (exclusive) to `to`; `earned` accrued.
		WorkAttested {
			job: JobId,
			provider: T::AccountId,
			from: BlockNumberFor<T>,
			to: BlockNumberFor<T>,
			earned: BalanceOf<T>,
			accrued: BalanceOf<T>,
			/// What the workload used since it started, as the provider's runner measured it.
			usage: Usage,
		},
		/// The provider published access details for the developer.
		AccessPublished { job: JobId },
		/// The developer provided the job's sealed secrets.
		SecretsProvided { job: JobId },
		/// Less than `LowEscrowBlocks` of payment is left in escrow.
		EscrowLow { job: JobId, escrow: BalanceOf<T> },
		/// The lease ends within `LowEscrowBlocks`.
		LeaseEnding { job: JobId, end: BlockNumberFor<T> },
		/// A provider was paid `amount`; `fee` of it went to the fee handler.
		Paid { job: JobId, provider: T::AccountId, amount: BalanceOf<T>, fee: BalanceOf<T> },
		/// The provider attested the result; disputes are taken until `dispute_until`.
		JobCompleted { job: JobId, result: H256, dispute_until: BlockNumberFor<T> },
		/// The developer disputed the result.
		JobDisputed { job: JobId, reason: DisputeReason },
		/// The dispute origin decided (or, `timed_out`, nobody did in `DisputeTimeout` and the
		/// provider was upheld).
		DisputeResolved { job: JobId, verdict: Verdict, timed_out: bool },
		/// Every timer queue ahead of the job's next check was full: its timer was dropped. A
		/// running lease's next attestation re-arms it; anyone may run the check meanwhile
		/// (`close_auction`).
		TimerDropped { job: JobId },
		/// The provider was slashed for the job; `compensation` went to the developer.
		ProviderSlashed {
			job: JobId,
			provider: T::AccountId,
			compensation: BalanceOf<T>,
			reason: SlashReason,
		},
		/// A job ended: `refunded` (escrow and deposits) went back to its owner.
		JobEnded { job: JobId, end: JobEnd, refunded: BalanceOf<T> },
		/// The minimum price per block and per GPU changed.
		MinPriceSet { price: BalanceOf<T> },
		/// An audited lease started: `collateral` is held from its provider until the audit
		/// ends.
		CollateralHeld { job: JobId, provider: T::AccountId, collateral: BalanceOf<T> },
		/// The randomness of the blocks after the completion attestation decided whether the
		/// job is audited.
		AuditDrawn { job: JobId, audited: bool },
		/// An auditor was drawn: its node re-runs the job and answers by `until`.
		AuditorAssigned { job: JobId, auditor: T::AccountId, until: BlockNumberFor<T> },
		/// No eligible provider could audit the job (none free, or none but the provider's and
		/// the developer's own).
		AuditUnavailable { job: JobId },
		/// An auditor answered; `agrees`: its digest is the provider's.
		AuditAnswered { job: JobId, auditor: T::AccountId, agrees: bool },
		/// An auditor did not answer by its deadline: slashed `AuditorMissSlash` (`slashed`, to
		/// the developer) and replaced.
		AuditorMissed { job: JobId, auditor: T::AccountId, slashed: BalanceOf<T> },
		/// Every auditor answered: the parties open their roots by `until`.
		OpeningStarted { job: JobId, until: BlockNumberFor<T> },
		/// A party opened its result root.
		ResultOpened { job: JobId, who: T::AccountId, root: H256 },
		/// An auditor was slashed `AuditorSlash` (`slashed`, to `to`): its root lost, or it
		/// did not open its answer.
		AuditorSlashed {
			job: JobId,
			auditor: T::AccountId,
			slashed: BalanceOf<T>,
			to: T::AccountId,
		},
		/// An auditor was paid its fee.
		AuditorPaid { job: JobId, auditor: T::AccountId, amount: BalanceOf<T> },
		/// The provider's collateral was taken (its result was wrong or never opened):
		/// `to_auditors` paid the auditors, `to_owner` went to the developer.
		CollateralSlashed {
			job: JobId,
			provider: T::AccountId,
			to_auditors: BalanceOf<T>,
			to_owner: BalanceOf<T>,
		},
		/// The audit ended with `outcome`.
		AuditConcluded { job: JobId, outcome: AuditOutcome },
		/// A finished job's receipt (also in `Receipts`, for storage proofs).
		JobReceipt { job: JobId, receipt: ReceiptOf<T> },
		/// The audit bounds changed.
		AuditParamsSet { params: AuditParams<BalanceOf<T>> },
		/// A provider's node published its standing offer (`None`: withdrew it).
		OfferPublished { provider: T::AccountId, offer: Option<OfferOf<T>> },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// No such job.
		UnknownJob,
		/// The job is not taking bids.
		JobNotOpen,
		/// The job's bid (or reveal) window has ended.
		AuctionClosed,
		/// The job's window has not ended yet.
		AuctionNotDue,
		/// The call is for the other auction kind.
		WrongAuctionKind,
		/// The bidder is not an `Active` provider meeting the job's hardware requirement.
		NotEligible,
		/// The bidder's reputation is below the job's minimum.
		ReputationTooLow,
		/// The price is above the job's maximum price per block.
		BidAboveMaxPrice,
		/// The bid list is full and the bid is not better than the worst one.
		BidNotCompetitive,
		/// The provider already bid (or committed) on this job.
		AlreadyBid,
		/// The provider has no bid (or commitment) on this job.
		NoBid,
		/// A bid may only be lowered.
		BidNotLower,
		/// The job has `MaxBidsPerJob` sealed commitments already.
		TooManyBids,
		/// The revealed price and salt do not hash to the commitment.
		RevealMismatch,
		/// Not enough free balance for the escrow and deposit (or the bid or dispute deposit).
		InsufficientFunds,
		/// The duration is 0 or above `MaxDuration`.
		InvalidDuration,
		/// The bid (or reveal) window is below `MinBidWindow` or above `MaxBidWindow`.
		InvalidBidWindow,
		/// The maximum price per block is 0.
		ZeroPrice,
		/// Maximum price × duration does not fit the balance type.
		CostOverflow,
		/// The requirement asks for more GPUs than a host may have.
		InvalidRequirement,
		/// Every timer queue for the next blocks is full: try again later.
		TimersFull,
		/// The caller does not own the job.
		NotOwner,
		/// The caller is not the lease's provider.
		NotLeaseProvider,
		/// The job is not in a phase that allows this.
		WrongPhase,
		/// The attestation's blocks do not follow the last attestation, are not over yet, go
		/// past the lease's end, or do not fit its report.
		BadStretch,
		/// Nothing has accrued.
		NothingToClaim,
		/// The dispute window has closed.
		DisputeWindowClosed,
		/// The job is not disputed.
		NotDisputed,
		/// A node bid's `valid_until` has passed (or is too far ahead).
		BidExpired,
		/// The job's maximum price per block is below `MinPrice` × its GPUs.
		PriceBelowMinimum,
		/// The bid is below `MinPrice` × the job's GPUs.
		BidBelowMinimum,
		/// The manifest is malformed (`Manifest::is_well_formed`).
		BadManifest,
		/// The manifest does not hash to the spec's `workload.manifest`.
		ManifestMismatch,
		/// The job's manifest declares no secrets.
		NoSecretsDeclared,
		/// The job's secrets were provided already.
		SecretsAlreadyProvided,
		/// The audit rate is outside the governed bounds.
		InvalidAuditRate,
		/// An audited job needs a manifest marked deterministic, without egress.
		NotDeterministic,
		/// An audited job's manifest may not declare secrets or a private registry (an auditor
		/// has no sealed copy of them).
		AuditNeedsPublicManifest,
		/// The bidder cannot hold the audited lease's collateral.
		InsufficientCollateral,
		/// An audited lease is paid when its audit ends, not before.
		PaidAtSettlement,
		/// The caller is not a party of the audit that may say this now.
		NotAuditParty,
		/// The audit is not at the stage this needs.
		WrongAuditStage,
		/// The opening is inconsistent, or does not match the party's digest or commitment.
		BadOpening,
		/// The audit bounds are invalid (a minimum rate of 0, or above the maximum).
		InvalidAuditParams,
		/// The provider's last standing offer is less than `OfferPeriod` blocks old.
		OfferTooSoon,
		/// The offer is the one on chain (or withdraws an offer that is not there).
		OfferUnchanged,
		/// The offer has a price below `MinPrice`, no leases, or a maximum duration of 0.
		BadOffer,
		/// A node bid above its provider's standing offer for the job's GPUs.
		AboveOffer,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			Self::process_timers(now)
		}

		fn offchain_worker(now: BlockNumberFor<T>) {
			offchain::run::<T>(now);
		}

		fn integrity_test() {
			assert!(T::MaxBidsPerJob::get() > 0, "MaxBidsPerJob is 0");
			assert!(T::MaxClosesPerBlock::get() > 0, "MaxClosesPerBlock is 0");
			// Admission ≤ processing: a block's whole queue is processed in that block.
			assert!(
				T::MaxTimersPerBlock::get() <= T::MaxClosesPerBlock::get(),
				"MaxTimersPerBlock above MaxClosesPerBlock: timers would pile up"
			);
			assert!(T::MaxLeasesPerProvider::get() > 0, "MaxLeasesPerProvider is 0");
			assert!(!T::AttestationInterval::get().is_zero(), "AttestationInterval is 0");
			assert!(
				T::GraceBlocks::get() > T::AttestationInterval::get(),
				"GraceBlocks must exceed AttestationInterval"
			);
			assert!(!T::MinBidWindow::get().is_zero(), "MinBidWindow is 0");
			// A timer is always for a later block than the one scheduling it: the cursor has
			// passed the current one.
			assert!(!T::DisputeTimeout::get().is_zero(), "DisputeTimeout is 0");
			assert!(
				T::NodeBidPriority::get() < T::UnsignedPriority::get(),
				"node bids must queue behind attestations"
			);
			assert!(T::MinBidWindow::get() <= T::MaxBidWindow::get(), "bid windows inverted");
			assert!(
				T::AuditDrawDelay::get() > BlockNumberFor::<T>::zero(),
				"audits must be drawn after the completion attestation's block"
			);
			assert!(!T::OpenWindow::get().is_zero(), "OpenWindow is 0");
			assert!(T::MaxAuditCandidates::get() > 0, "MaxAuditCandidates is 0");
			assert!(T::MaxReceipts::get() > 0, "MaxReceipts is 0");
			assert!(
				Pallet::<T>::validate_audit_params(&T::DefaultAuditParams::get()).is_ok(),
				"invalid default audit parameters"
			);
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(
			_n: BlockNumberFor<T>,
		) -> Result<(), polkadot_sdk::sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call(weight(<T as Config>::WeightInfo))]
	impl<T: Config> Pallet<T> {
		/// Posts a job: `max_price_per_block × duration` is held as escrow, with the job
		/// deposit (and the manifest deposit), and the auction opens until `bid_window` blocks
		/// from now.
		///
		/// - `origin`: signed, the developer.
		/// - `spec`: requirement (`min_gpu_count` 0: a CPU-only job, priced as one GPU), minimum
		///   reputation, workload reference, duration, maximum price per block, bid window, auction
		///   kind.
		/// - `manifest`: the container to run (a container runner needs one), hashing to
		///   `spec.workload.manifest`; `None` for an operator-mapped (`exec`) workload.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::post_job().max(T::WeightInfo::post_job_audited()))]
		pub fn post_job(
			origin: OriginFor<T>,
			spec: JobSpecOf<T>,
			manifest: Option<Manifest>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_post_job(who, spec, manifest)
		}

		/// Bids on an open auction; the bid deposit is held. A full list takes the bid only if
		/// it beats the worst bid, which is evicted (its deposit returned).
		///
		/// - `origin`: signed, an `Active` provider meeting the requirement and the minimum
		///   reputation.
		/// - `job`: the job.
		/// - `price`: per block, at most the job's maximum.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::place_bid(T::MaxBidsPerJob::get()))]
		pub fn place_bid(origin: OriginFor<T>, job: JobId, price: BalanceOf<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_place_bid(who, job, price)
		}

		/// Lowers a bid (never raises it); it counts as placed now for the tie-break.
		///
		/// - `origin`: signed, the bidder.
		/// - `job`: the job.
		/// - `price`: the new price, below the current one.
		#[pallet::call_index(2)]
		pub fn lower_bid(origin: OriginFor<T>, job: JobId, price: BalanceOf<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_lower_bid(who, job, price)
		}

		/// Withdraws a bid before the close; its deposit is kept as a fee.
		///
		/// - `origin`: signed, the bidder.
		/// - `job`: the job.
		#[pallet::call_index(3)]
		pub fn withdraw_bid(origin: OriginFor<T>, job: JobId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_withdraw_bid(who, job)
		}

		/// Commits a sealed bid in the bid window; the bid deposit is held.
		///
		/// - `origin`: signed, an eligible provider (as for `place_bid`).
		/// - `job`: a sealed-auction job.
		/// - `commitment`: `bid_commitment(job, provider, price, salt)`.
		#[pallet::call_index(4)]
		pub fn commit_bid(origin: OriginFor<T>, job: JobId, commitment: H256) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_commit_bid(who, job, commitment)
		}

		/// Reveals a sealed bid in the reveal window.
		///
		/// - `origin`: signed, the committer, still eligible.
		/// - `job`: the job.
		/// - `price`, `salt`: what was committed to.
		#[pallet::call_index(5)]
		pub fn reveal_bid(
			origin: OriginFor<T>,
			job: JobId,
			price: BalanceOf<T>,
			salt: [u8; 32],
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_reveal_bid(who, job, price, salt)
		}

		/// Closes an auction whose window has ended before the timer queue reaches it, or runs
		/// the due check of a job whose timer was dropped (`TimerDropped`: every queue ahead
		/// was full) — abandons a silent lease, settles a completed job past its dispute
		/// window, or puts the job back in a queue. A refused call pays only for its read.
		///
		/// - `origin`: signed, anyone.
		/// - `job`: the job.
		#[pallet::call_index(6)]
		#[pallet::weight(Pallet::<T>::max_timer_weight())]
		pub fn close_auction(origin: OriginFor<T>, job: JobId) -> DispatchResultWithPostInfo {
			ensure_signed(origin)?;
			Self::do_close_auction(job)
				.map(|()| ().into())
				.map_err(|e| e.with_weight(T::WeightInfo::job_call_refused()))
		}

		/// Cancels a job. Before the award: everything is returned. While running: the
		/// provider is paid what it earned and `CancellationBlocks` at its price, the rest is
		/// returned. A refused call pays only for its reads.
		///
		/// - `origin`: signed, the job's owner.
		/// - `job`: the job.
		#[pallet::call_index(7)]
		#[pallet::weight(T::WeightInfo::cancel_job_bidding().max(T::WeightInfo::cancel_job_running()))]
		pub fn cancel_job(origin: OriginFor<T>, job: JobId) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			Self::do_cancel_job(who, job)
				.map(|()| ().into())
				.map_err(|e| e.with_weight(T::WeightInfo::job_call_refused()))
		}

		/// A provider node's workload attestation for a lease: the blocks after `from` up to
		/// `to`, with usage, and at the end the result. Free, once per stretch.
		///
		/// - `origin`: authorized (the job is `Running`, `from` is where the last attestation
		///   ended, `to` is not in the future nor past the end, the stretch is long enough, then
		///   the provider's attestation key's signature): it cannot fail in the block.
		/// - `attestation`: provider, job, blocks and report.
		/// - `signature`: the attestation key over `signing_payload(genesis, attestation)`.
		#[pallet::call_index(8)]
		#[pallet::weight(T::WeightInfo::attest_running().max(T::WeightInfo::attest_completed()).max(T::WeightInfo::attest_completed_audited()).max(T::WeightInfo::attest_refused()))]
		#[pallet::weight_of_authorize(T::WeightInfo::authorize_attest())]
		#[pallet::authorize(Pallet::<T>::authorize_attest)]
		pub fn attest(
			origin: OriginFor<T>,
			attestation: AttestationOf<T>,
			signature: AttestationSignature,
		) -> DispatchResult {
			polkadot_sdk::frame_system::ensure_authorized(origin)?;
			let _ = signature;
			Self::do_attest(attestation)
		}

		/// Pays the lease's provider what it earned so far (less the protocol fee).
		///
		/// - `origin`: signed, the lease's provider.
		/// - `job`: a running job.
		#[pallet::call_index(9)]
		pub fn claim(origin: OriginFor<T>, job: JobId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_claim(who, job)
		}

		/// Disputes a completed job's result in its dispute window; the dispute deposit
		/// (`DisputeDeposit` + `DisputeDepositRate` of the unpaid escrow) is held and the job
		/// waits for the dispute origin, at most `DisputeTimeout` blocks (then the provider is
		/// upheld).
		///
		/// - `origin`: signed, the job's owner.
		/// - `job`: a completed job.
		/// - `reason`: why, at most `MAX_REASON_LEN` bytes.
		#[pallet::call_index(10)]
		pub fn dispute(origin: OriginFor<T>, job: JobId, reason: DisputeReason) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_dispute(who, job, reason)
		}

		/// Resolves a dispute.
		///
		/// - `origin`: `DisputeOrigin`.
		/// - `job`: a disputed job.
		/// - `verdict`: `Developer` (refund the unpaid escrow, slash the provider to the developer)
		///   or `Provider` (pay it, with the dispute deposit).
		#[pallet::call_index(11)]
		#[pallet::weight(T::WeightInfo::resolve_dispute_developer().max(T::WeightInfo::resolve_dispute_provider().saturating_add(T::OnLeaseSettled::weight())))]
		pub fn resolve_dispute(
			origin: OriginFor<T>,
			job: JobId,
			verdict: Verdict,
		) -> DispatchResult {
			T::DisputeOrigin::ensure_origin(origin)?;
			Self::do_resolve_dispute(job, verdict)
		}

		/// A bid (open), commitment or reveal (sealed) made by a provider's node from its
		/// operator's bid policy, signed by the provider's attestation key; the deposit is held
		/// from the provider's account as for `place_bid` / `commit_bid`. Free, once.
		///
		/// - `origin`: authorized: `valid_until` is at most `NODE_BID_LIFETIME` blocks ahead and
		///   `withdrawals` is the provider's count, every check of `place_bid` / `commit_bid` /
		///   `reveal_bid` passes (so the call cannot fail in the block), then the attestation key's
		///   signature. Priority `NodeBidPriority`, below proofs and attestations.
		/// - `bid`: provider, job, action, last valid block.
		/// - `signature`: the attestation key over `node_bid_payload(genesis, bid)`.
		#[pallet::call_index(12)]
		#[pallet::weight(T::WeightInfo::place_bid(T::MaxBidsPerJob::get()).max(T::WeightInfo::commit_bid()).max(T::WeightInfo::reveal_bid()))]
		#[pallet::weight_of_authorize(T::WeightInfo::authorize_node_bid())]
		#[pallet::authorize(Pallet::<T>::authorize_node_bid)]
		pub fn bid_from_node(
			origin: OriginFor<T>,
			bid: NodeBidOf<T>,
			signature: AttestationSignature,
		) -> DispatchResult {
			polkadot_sdk::frame_system::ensure_authorized(origin)?;
			let _ = signature;
			Self::do_node_bid(bid)
		}

		/// Sets the minimum price per block and per GPU (`MinPrice`) for jobs posted and bids
		/// made from now on.
		///
		/// - `origin`: `ParamsOrigin`.
		/// - `price`: the new minimum.
		#[pallet::call_index(13)]
		pub fn set_min_price(origin: OriginFor<T>, price: BalanceOf<T>) -> DispatchResult {
			T::ParamsOrigin::ensure_origin(origin)?;
			MinPrice::<T>::put(price);
			Self::deposit_event(Event::MinPriceSet { price });
			Ok(())
		}

		/// Gives the provider's node the job's secrets (the manifest's secret environment
		/// values, registry credentials), sealed to the key its node published in the access
		/// details: stored sealed, readable by that node only, removed when the job ends. Once
		/// per job; the container starts when the node reads them.
		///
		/// - `origin`: signed, the job's owner.
		/// - `job`: a running job whose manifest declares secrets.
		/// - `sealed`: the sealed secrets (`SealedSecrets`).
		#[pallet::call_index(14)]
		pub fn provide_secrets(
			origin: OriginFor<T>,
			job: JobId,
			sealed: SealedSecrets,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_provide_secrets(who, job, sealed)
		}

		/// A provider's or an auditor's node in an audit: an auditor's answer (the digest of
		/// its result root and its commitment), or a party's opened root. Free, once per step.
		///
		/// - `origin`: authorized: every check of the step passes (the job is being verified, the
		///   audit is at the step's stage, `who` may take it, an opening matches its digest and
		///   commitment and hashes up to its root), then `who`'s attestation key's signature.
		/// - `report`: who, job and step.
		/// - `signature`: the attestation key over `audit_payload(genesis, report)`.
		#[pallet::call_index(15)]
		#[pallet::weight(T::WeightInfo::audit_answer().max(T::WeightInfo::audit_open()).saturating_add(T::OnLeaseSettled::weight()))]
		#[pallet::weight_of_authorize(T::WeightInfo::authorize_audit())]
		#[pallet::authorize(Pallet::<T>::authorize_audit)]
		pub fn audit(
			origin: OriginFor<T>,
			report: AuditReportOf<T>,
			signature: AttestationSignature,
		) -> DispatchResult {
			polkadot_sdk::frame_system::ensure_authorized(origin)?;
			let _ = signature;
			Self::do_audit(report)
		}

		/// Sets the audit bounds (`AuditBounds`) for jobs posted from now on.
		///
		/// - `origin`: `ParamsOrigin`.
		/// - `params`: the lowest and highest audit rate (0 < min ≤ max) and the least collateral.
		#[pallet::call_index(16)]
		pub fn set_audit_params(
			origin: OriginFor<T>,
			params: AuditParams<BalanceOf<T>>,
		) -> DispatchResult {
			T::ParamsOrigin::ensure_origin(origin)?;
			Self::validate_audit_params(&params)?;
			AuditBounds::<T>::put(params);
			Self::deposit_event(Event::AuditParamsSet { params });
			Ok(())
		}

		/// A provider node's standing offer — its price per GPU and block, most leases, longest
		/// lease — published from its operator's bid policy when it changes, or withdrawn; what
		/// `estimate` quotes to developers and the ceiling of the node's bids. Free.
		///
		/// - `origin`: authorized: the provider is registered, `valid_until` is at most
		///   `NODE_BID_LIFETIME` blocks ahead, its last offer is at least `OfferPeriod` blocks old,
		///   the offer differs from it and is well formed (so the call cannot fail in the block),
		///   then the attestation key's signature; one offer per provider in the pool.
		/// - `offer`: provider, offer (`None` to withdraw), last valid block.
		/// - `signature`: the attestation key over `node_offer_payload(genesis, offer)`.
		#[pallet::call_index(17)]
		#[pallet::weight_of_authorize(T::WeightInfo::authorize_offer())]
		#[pallet::authorize(Pallet::<T>::authorize_offer)]
		pub fn publish_offer(
			origin: OriginFor<T>,
			offer: NodeOfferOf<T>,
			signature: AttestationSignature,
		) -> DispatchResult {
			polkadot_sdk::frame_system::ensure_authorized(origin)?;
			let _ = signature;
			Self::do_publish_offer(offer)
		}
	}
}
