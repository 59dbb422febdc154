//! Proof of compute's records and the messages providers' workers sign.
//!
//! **What a challenge is made of.** Time is cut into periods ([`PeriodIndex`], one
//! [`PeriodInfo`] each: its first block, whose VRF output fixes the period seed, the parameters
//! frozen for it, and the sample seed once fixed). In a period every provider that was
//! `Registered` or `Active` when it began is challenged: its challenge is the batch of int8
//! products derived from (period seed, provider, period), sized by its declared GPUs
//! (`ChallengeParams::shape_for`). Its node answers with a [`Commitment`] (the Merkle root of
//! the whole output, signed as a [`CommitmentPayload`] within the commit window); the VRF output
//! of the block after the window fixes which entries it must open; its [`OpeningPayload`] opens
//! them, and the chain recomputes each. The challenge ends in an outcome
//! (`crucible_primitives::proof_of_compute::Outcome`): passed (verified compute units, reputation,
//! `Active`), failed (a wrong or withheld opening: slashed) or missed (no commitment: found by
//! the sweep after the period, slashed lightly). A [`HeartbeatPayload`] once a period says the
//! node is alive and which backend it runs.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use core::fmt::Debug;
pub use crucible_primitives::proof_of_compute::PeriodIndex;
use crucible_primitives::{
	challenge::{Hash, Opening},
	proof_of_compute::{ChallengeParams, ChallengePhase},
};
use polkadot_sdk::{
	frame_support::{
		traits::Get, BoundedVec, CloneNoBound, DebugNoBound, EqNoBound, PartialEqNoBound,
	},
	sp_runtime::traits::{One, Saturating},
};
use scale_info::TypeInfo;

/// What a signature of a provider's worker is for: part of every signed message and of the
/// transaction pool's tag, so that nothing signed for one phase serves another.
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
pub enum Phase {
	/// A commitment (Merkle root).
	Commit,
	/// The openings of the sampled entries.
	Open,
	/// A liveness heartbeat.
	Heartbeat,
}

/// The domain tag of every message a worker signs.
pub const SIGNING_CONTEXT: &[u8] = b"crucible:poc:v1";

/// One challenge period: when it started, its seeds, and the parameters fixed for it.
#[derive(
	Encode, Decode, DecodeWithMemTracking, Clone, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen,
)]
pub struct PeriodInfo<BlockNumber> {
	/// The period's first block; the VRF outputs of the `SEED_BLOCKS` blocks up to it fixed
	/// `seed`.
	pub start: BlockNumber,
	/// The period seed: every provider's challenge derives from it.
	pub seed: Hash,
	/// The seed of the sample positions, fixed by the VRF outputs of the `SEED_BLOCKS` blocks
	/// after the commit window (`None` until the last of them).
	pub sample_seed: Option<Hash>,
	/// The parameters of this period (changes wait for the next one).
	pub params: ChallengeParams,
}

impl<BlockNumber: Copy + Saturating + One + PartialOrd + From<u32>> PeriodInfo<BlockNumber> {
	/// The last block that accepts commitments.
	pub fn commit_until(&self) -> BlockNumber {
		self.start.saturating_add(self.params.commit_window.into())
	}

	/// The block whose `on_finalize` fixes the sample seed: the last of the `SEED_BLOCKS`
	/// blocks after the commit deadline, whose VRF outputs it hashes.
	pub fn sample_at(&self) -> BlockNumber {
		self.commit_until().saturating_add(crate::SEED_BLOCKS.into())
	}

	/// The first block that accepts openings.
	pub fn open_from(&self) -> BlockNumber {
		self.sample_at().saturating_add(One::one())
	}

	/// The last block that accepts openings.
	pub fn open_until(&self) -> BlockNumber {
		self.start.saturating_add(self.params.open_window.into())
	}

	/// The first block of the next period.
	pub fn next_start(&self) -> BlockNumber {
		self.start.saturating_add(self.params.period.into())
	}

	/// Where the period stands at block `now` (a block of the period).
	pub fn phase_at(&self, now: BlockNumber) -> ChallengePhase {
		if now <= self.commit_until() {
			ChallengePhase::Commit
		} else if now < self.open_from() {
			ChallengePhase::Sampling
		} else if now <= self.open_until() {
			ChallengePhase::Open
		} else {
			ChallengePhase::Closed
		}
	}

	/// Whether a transaction in block `now` may commit: after the seed's block, to the end of
	/// the commit window.
	pub fn accepts_commitments(&self, now: BlockNumber) -> bool {
		now > self.start && now <= self.commit_until()
	}

	/// Whether a transaction in block `now` may open.
	pub fn accepts_openings(&self, now: BlockNumber) -> bool {
		self.sample_seed.is_some() && now >= self.open_from() && now <= self.open_until()
	}
}

/// A provider's commitment in a period.
#[derive(
	Encode, Decode, DecodeWithMemTracking, Clone, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen,
)]
pub struct Commitment<BlockNumber> {
	/// The period.
	pub period: PeriodIndex,
	/// The Merkle root of the whole output.
	pub root: Hash,
	/// The block that included it.
	pub at: BlockNumber,
}

/// Which compute backend a provider's node runs, as its heartbeat reports it.
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
pub enum Backend {
	/// No compute backend: the node cannot answer challenges.
	None,
	/// The portable multi-threaded CPU backend.
	Cpu,
	/// The CUDA backend.
	Cuda,
}

/// What a heartbeat says of the provider's node.
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
pub struct NodeReport {
	/// Its compute backend.
	pub backend: Backend,
	/// The runtime's `spec_version` its worker ran.
	pub spec_version: u32,
}

/// The last heartbeat of a provider.
#[derive(
	Encode, Decode, DecodeWithMemTracking, Clone, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen,
)]
pub struct HeartbeatRecord<BlockNumber> {
	/// The period it was for.
	pub period: PeriodIndex,
	/// The block that included it.
	pub at: BlockNumber,
	/// What it reported.
	pub report: NodeReport,
}

/// A commitment as the worker signs it.
#[derive(
	Encode, Decode, DecodeWithMemTracking, Clone, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen,
)]
pub struct CommitmentPayload<AccountId> {
	/// The provider (its attestation key signs).
	pub provider: AccountId,
	/// The period.
	pub period: PeriodIndex,
	/// The Merkle root of the challenge's output.
	pub root: Hash,
}

/// The openings of a challenge's samples, as the worker signs them.
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
#[scale_info(skip_type_params(MaxSamples))]
// The `NoBound` derives need the account's bounds spelled out, and `MaxSamples` has none to add.
#[allow(clippy::multiple_bound_locations)]
pub struct OpeningPayload<AccountId: Clone + PartialEq + Eq + Debug, MaxSamples: Get<u32>> {
	/// The provider.
	pub provider: AccountId,
	/// The period.
	pub period: PeriodIndex,
	/// One opening per sample, in the order of the sample positions.
	pub openings: BoundedVec<Opening, MaxSamples>,
}

/// A heartbeat as the worker signs it.
#[derive(
	Encode, Decode, DecodeWithMemTracking, Clone, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen,
)]
pub struct HeartbeatPayload<AccountId> {
	/// The provider.
	pub provider: AccountId,
	/// The period.
	pub period: PeriodIndex,
	/// What the node reports.
	pub report: NodeReport,
}

/// Where the sweep for missed challenges stands: it visits every registered provider, a few per
/// block, once the windows of `period` are over.
#[derive(
	Encode, Decode, DecodeWithMemTracking, Clone, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen,
)]
pub struct SweepState<AccountId> {
	/// The oldest period not fully swept.
	pub period: PeriodIndex,
	/// The last provider visited in it (`None`: from the start).
	pub cursor: Option<AccountId>,
}

impl<AccountId> Default for SweepState<AccountId> {
	fn default() -> Self {
		Self { period: 0, cursor: None }
	}
}

/// The message a worker signs for `payload` of `phase` on the chain with `genesis`:
/// `SCALE(SIGNING_CONTEXT, genesis, phase, payload)`.
pub fn signing_payload<P: Encode>(
	genesis: &[u8],
	phase: Phase,
	payload: &P,
) -> alloc::vec::Vec<u8> {
	(SIGNING_CONTEXT, genesis, phase, payload).encode()
}

/// Custom validity codes (`InvalidTransaction::Custom`) of refused submissions.
pub mod invalid {
	/// The provider is not registered, or is leaving.
	pub const NOT_REGISTERED: u8 = 1;
	/// The provider is not challenged in this period.
	pub const NOT_CHALLENGED: u8 = 2;
	/// There is no commitment of this period to open.
	pub const NO_COMMITMENT: u8 = 3;
	/// Not one opening per sample, or an opening of the wrong size.
	pub const MALFORMED: u8 = 4;
	/// A heartbeat of a provider outside the challenge pool (paused, suspended, underbonded).
	pub const NOT_CHALLENGEABLE: u8 = 5;
}
