//! The GPU compute pallets: the provider registry, proof of compute and the marketplace, and
//! how they report verified work to emissions.

use crate::{Balances, BlockNumber, ProofOfCompute, Runtime, RuntimeHoldReason};
use crucible_primitives::{
	challenge::MAX_INNER,
	currency::UNITS,
	time::{DAYS, MINUTES},
	Balance,
};
use polkadot_sdk::{
	frame_support::{
		parameter_types,
		traits::{ConstU32, EitherOf},
	},
	frame_system::EnsureRoot,
	pallet_babe,
	sp_runtime::{transaction_validity::TransactionPriority, Permill},
};

/// Root (the `root` track; sudo on development networks) or the `emissions_admin` track.
pub type GovernanceOrigin =
	EitherOf<EnsureRoot<crate::AccountId>, crate::governance::EmissionsAdmin>;

/// Credits proof of compute's verified units to the provider's work in the current era.
pub struct VerifiedComputeToEmissions;
impl pallet_proof_of_compute::OnVerifiedCompute<crate::AccountId> for VerifiedComputeToEmissions {
	fn on_verified_compute(provider: &crate::AccountId, _period: u32, units: u128) {
		crate::Emissions::note_work(provider, units, 0);
	}

	fn weight() -> polkadot_sdk::frame_support::weights::Weight {
		use pallet_emissions::WeightInfo;
		pallet_emissions::weights::SubstrateWeight::<Runtime>::note_work()
	}
}

/// Credits a settled lease's protocol fees to the provider's work in the current era (the
/// lease pool is weighted by them and capped at their sum).
pub struct SettledLeasesToEmissions;
impl pallet_marketplace::OnLeaseSettled<crate::AccountId, Balance> for SettledLeasesToEmissions {
	fn on_lease_settled(provider: &crate::AccountId, _value: Balance, fees: Balance) {
		crate::Emissions::note_work(provider, 0, fees);
	}

	fn weight() -> polkadot_sdk::frame_support::weights::Weight {
		use pallet_emissions::WeightInfo;
		pallet_emissions::weights::SubstrateWeight::<Runtime>::note_work()
	}
}

parameter_types! {
	/// The smallest provider bond: 100 CRU, well above the storage its record and its index
	/// entries take (checked in `tests.rs`).
	pub const ProviderMinBond: Balance = 100 * UNITS;
	/// Each declared GPU adds 25 CRU to the minimum bond: a 64-GPU host bonds at least
	/// 1,700 CRU, so the failure slash (a share of the bond) grows with what a lie could earn.
	pub const ProviderBondPerGpu: Balance = 25 * UNITS;
	/// A week until unbonded funds are free: long enough for the proof-of-compute and
	/// marketplace pallets to slash misbehaviour found after the fact.
	pub const ProviderUnbondingPeriod: BlockNumber = 7 * DAYS;
	/// Governance may lengthen the unbonding period to four weeks at most.
	pub const ProviderMaxUnbondingPeriod: BlockNumber = 28 * DAYS;
	/// Reputation forgives 5% of its distance to neutral per day.
	pub const ReputationDecay: Permill = Permill::from_percent(5);
	pub const ReputationDecayPeriod: BlockNumber = DAYS;
	/// Workers' free submissions go before ordinary transactions: a commitment that misses its
	/// window is slashed, however busy the chain is.
	pub const ProofPriority: TransactionPriority = TransactionPriority::MAX / 2;
	/// The most the challenge parameters may slash for one challenge.
	pub const ProofMaxSlash: Permill = Permill::from_percent(20);
	/// Node bids are free too, but go behind every proof and attestation (and still before
	/// ordinary transactions): a stream of bids cannot push a proof past its window.
	pub const NodeBidPriority: TransactionPriority = TransactionPriority::MAX / 4;

	/// Held from a developer per job (returned when it ends): its records and a stake that
	/// keeps the job queue from being flooded.
	pub const JobDeposit: Balance = UNITS;
	/// A manifest's storage: at most ~5.2 KB (`Manifest::max_encoded_len`), several times a
	/// job record's, hence three job deposits.
	pub const ManifestDeposit: Balance = 3 * UNITS;
	/// Held per bid (returned unless withdrawn or a sealed bid is not revealed).
	pub const BidDeposit: Balance = UNITS / 10;
	/// Held from a developer who disputes a result (to the provider if the dispute fails).
	pub const DisputeDeposit: Balance = 10 * UNITS;
	/// A dispute also stakes 10% of the escrow it holds back from the provider.
	pub const DisputeDepositRate: Permill = Permill::from_percent(10);
	/// The protocol's share of every payment to a provider (emissions' burn share burned, the
	/// rest to the treasury).
	pub const ProtocolFee: Permill = Permill::from_percent(5);
	/// A provider that abandons a lease loses 5% of its bond to the developer.
	pub const AbandonSlash: Permill = Permill::from_percent(5);
	/// A provider that loses a dispute loses 10% of its bond to the developer.
	pub const DisputeSlash: Permill = Permill::from_percent(10);
	/// The least a job may pay per block and per GPU: 1 µCRU.
	pub const DefaultMinPrice: Balance = UNITS / 1_000_000;
	/// An auditor that does not answer in time loses 1% of its bond (to the developer).
	pub const AuditorMissSlash: Permill = Permill::from_percent(1);
	/// An auditor whose root loses, or that does not open its answer, loses 10% of its bond.
	pub const AuditorSlash: Permill = Permill::from_percent(10);
	/// Audit rates from 1% to 100%; at least 10 CRU of collateral per audited lease.
	pub const DefaultAuditParams: pallet_marketplace::AuditParams<Balance> =
		pallet_marketplace::AuditParams {
			min_rate: Permill::from_percent(1),
			max_rate: Permill::from_percent(100),
			collateral_floor: 10 * UNITS,
		};
}

impl pallet_marketplace::Config for Runtime {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Providers = crate::Providers;
	/// Emissions' governed burn share is burned, the rest funds the treasury.
	type FeeHandler = pallet_emissions::FeeSplit<Runtime>;
	/// Emissions pays for settled leases, by their fees.
	type OnLeaseSettled = SettledLeasesToEmissions;
	/// Root, the `emissions_admin` track, or the small fast `disputes` track.
	type DisputeOrigin = EitherOf<GovernanceOrigin, crate::governance::DisputeResolver>;
	/// The minimum price is for the root track (a referendum with the strongest bar).
	type ParamsOrigin = EnsureRoot<crate::AccountId>;
	/// 1 µCRU per block and GPU (0.0144 CRU per GPU-day at 6-second blocks) until governance
	/// sets it: leases are never free.
	type DefaultMinPrice = DefaultMinPrice;
	type JobDeposit = JobDeposit;
	type ManifestDeposit = ManifestDeposit;
	type BidDeposit = BidDeposit;
	type DisputeDeposit = DisputeDeposit;
	type DisputeDepositRate = DisputeDepositRate;
	/// Two days for the dispute origin (the `disputes` track decides in one); then the
	/// provider is upheld.
	/// (ten minutes with development timings).
	type DisputeTimeout = crate::governance::Timed<{ 2 * DAYS }, { 10 * MINUTES }>;
	type ProtocolFee = ProtocolFee;
	type AbandonSlash = AbandonSlash;
	type DisputeSlash = DisputeSlash;
	/// Ten minutes of the lease's price.
	type CancellationBlocks = ConstU32<{ 10 * MINUTES }>;
	type MinBidWindow = ConstU32<2>;
	type MaxBidWindow = ConstU32<DAYS>;
	type MaxDuration = ConstU32<{ 30 * DAYS }>;
	type MaxBidsPerJob = ConstU32<32>;
	/// At most ~200 ms of the block (16 closes of 32 bids each, the worst case).
	type MaxClosesPerBlock = ConstU32<16>;
	/// No more than a block processes: the timer queue never grows a backlog.
	type MaxTimersPerBlock = ConstU32<16>;
	type MaxLeasesPerProvider = ConstU32<16>;
	/// A node attests each lease every minute.
	type AttestationInterval = ConstU32<MINUTES>;
	/// Five minutes of silence fail a lease.
	type GraceBlocks = ConstU32<{ 5 * MINUTES }>;
	/// Two minutes to dispute a result: short for a production network (where it becomes a
	/// governed parameter), long enough for a developer's tooling to check the result.
	type DisputeWindow = ConstU32<{ 2 * MINUTES }>;
	type LowEscrowBlocks = ConstU32<{ 5 * MINUTES }>;
	type UnsignedPriority = ProofPriority;
	type NodeBidPriority = NodeBidPriority;
	/// Proof of compute's: the hash of the last blocks' VRF outputs.
	type Randomness = pallet_proof_of_compute::RecentBlocksRandomness<Runtime>;
	/// The draw waits for the VRF outputs of the `SEED_BLOCKS` blocks after the completion.
	type AuditDrawDelay = ConstU32<{ pallet_proof_of_compute::SEED_BLOCKS + 1 }>;
	/// An auditor has the job's duration and ten minutes (to pull the image) to answer
	/// (five blocks with development timings).
	type AuditSlack = crate::governance::Timed<{ 10 * MINUTES }, 5>;
	/// Two minutes to open the roots once every auditor answered (eight blocks with
	/// development timings).
	type OpenWindow = crate::governance::Timed<{ 2 * MINUTES }, 8>;
	type AuditorMissSlash = AuditorMissSlash;
	type AuditorSlash = AuditorSlash;
	/// 16 providers read per draw.
	type MaxAuditCandidates = ConstU32<16>;
	/// The receipts of the last 100,000 jobs (~25 MB at most).
	type MaxReceipts = ConstU32<100_000>;
	type DefaultAuditParams = DefaultAuditParams;
	/// A provider's node may change its standing offer every ten minutes (five blocks with
	/// development timings).
	type OfferPeriod = crate::governance::Timed<{ 10 * MINUTES }, 5>;
	type WeightInfo = pallet_marketplace::weights::SubstrateWeight<Runtime>;
}

/// Dev and local networks unbond within a minute, so that the whole provider lifecycle can be
/// exercised (and tested end to end) in real time.
pub const DEV_UNBONDING_PERIOD: BlockNumber = MINUTES;

impl pallet_providers::Config for Runtime {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type MinBond = ProviderMinBond;
	type BondPerGpu = ProviderBondPerGpu;
	type DefaultUnbondingPeriod = ProviderUnbondingPeriod;
	type MaxUnbondingPeriod = ProviderMaxUnbondingPeriod;
	type MaxUnbondingChunks = ConstU32<16>;
	type ReputationDecay = ReputationDecay;
	/// One node's workers act for at most 16 providers whose keys its keystore holds.
	type MaxLocalKeys = ConstU32<16>;
	type ReputationDecayPeriod = ReputationDecayPeriod;
	/// Open challenges keep a provider from leaving or stepping out; leases from leaving.
	type WorkInFlight = (ProofOfCompute, crate::Marketplace);
	/// Slashed bond goes to the treasury.
	type OnSlash = pallet_emissions::SlashToTreasury<Runtime>;
	/// Root or the `emissions_admin` track.
	type ForceOrigin = GovernanceOrigin;
	type WeightInfo = pallet_providers::weights::SubstrateWeight<Runtime>;
}

impl pallet_proof_of_compute::Config for Runtime {
	type Providers = crate::Providers;
	/// BABE's VRF output; in `on_finalize` (where the pallet reads it) it is this block's.
	type Randomness = pallet_babe::ParentBlockRandomness<Runtime>;
	type Verifier = pallet_proof_of_compute::SpotCheckedMatmul;
	/// The challenge parameters (windows, sizes, slashes) are for the root track only: a
	/// 1-block window or a large slash on the lighter `emissions_admin` track could slash
	/// every bond at once.
	type ParamsOrigin = EnsureRoot<crate::AccountId>;
	/// Emissions pays for verified compute units.
	type OnVerifiedCompute = VerifiedComputeToEmissions;
	type MaxSamples = ConstU32<32>;
	/// At most a fifth of a bond per failed or missed challenge, whatever the parameters.
	type MaxSlash = ProofMaxSlash;
	type MaxInner = ConstU32<MAX_INNER>;
	type MaxLeafSize = ConstU32<64>;
	/// A day.
	type MaxPeriod = ConstU32<DAYS>;
	type MaxUnsweptPeriods = ConstU32<4>;
	type MaxSweepPerBlock = ConstU32<512>;
	type UnsignedPriority = ProofPriority;
	type WeightInfo = pallet_proof_of_compute::weights::SubstrateWeight<Runtime>;
}
