//! Proof of compute's domain types, shared by `pallet-proof-of-compute`, its runtime API, the
//! off-chain worker and the node's compute service: GPU classes, the governed challenge
//! parameters, outcomes, and the messages between the worker and the compute service.
//!
//! Every type is bounded and described by metadata, so polkadot.js encodes it without custom
//! type definitions.

use crate::{
	challenge::{Hash, Opening, Position, Shape, MAX_SAMPLES},
	providers::{GpuVendor, HardwareProfile},
};
use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use polkadot_sdk::sp_runtime::{traits::ConstU32, BoundedVec, Permill};
use scale_info::TypeInfo;

/// A challenge period's index: period 0 starts at the first block (an era of emissions is an
/// `emissions::EraIndex`).
pub type PeriodIndex = u32;

/// Performance classes of GPUs: a challenge is sized per class so that the claimed card needs
/// a few seconds and a card several times slower misses the deadline.
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
pub enum GpuClass {
	/// Hopper: H100, H200, H800, GH200 (dense int8 ~1,979 TOPS SXM, ~1,513 PCIe).
	H100,
	/// Ampere datacenter: A100, A800 (~624 TOPS).
	A100,
	/// Ada at the top: RTX 4090, L40, L40S, RTX 6000 Ada (~660–733 TOPS).
	Rtx4090,
	/// Ada inference: L4 (~242 TOPS).
	L4,
	/// Any other model (and every non-NVIDIA GPU): proven at the baseline size.
	Other,
}

impl GpuClass {
	/// The class of a GPU model, from the words of its name as the driver reports it
	/// (`"NVIDIA H100 80GB HBM3"`, `"NVIDIA A100-SXM4-80GB"`, `"NVIDIA GeForce RTX 4090"`).
	pub fn of(vendor: GpuVendor, model: &[u8]) -> Self {
		if vendor != GpuVendor::Nvidia {
			return Self::Other;
		}
		let mut class = Self::Other;
		for word in model.split(|c| *c == b' ' || *c == b'-' || *c == b'_') {
			let upper: Vec<u8> = word.iter().map(u8::to_ascii_uppercase).collect();
			class = match upper.as_slice() {
				b"H100" | b"H200" | b"H800" | b"GH200" => return Self::H100,
				b"A100" | b"A800" => return Self::A100,
				b"4090" | b"L40" | b"L40S" => return Self::Rtx4090,
				b"L4" => Self::L4,
				_ => class,
			};
		}
		class
	}
}

/// Batch entries of a challenge per GPU of each class.
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
	Default,
	serde::Serialize,
	serde::Deserialize,
)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClassBatches {
	/// Per H100-class GPU.
	pub h100: u32,
	/// Per A100-class GPU.
	pub a100: u32,
	/// Per RTX 4090-class GPU.
	pub rtx4090: u32,
	/// Per L4-class GPU.
	pub l4: u32,
	/// Per GPU of any other model.
	pub other: u32,
}

impl ClassBatches {
	/// The batch per GPU of `class`.
	pub fn of(&self, class: GpuClass) -> u32 {
		match class {
			GpuClass::H100 => self.h100,
			GpuClass::A100 => self.a100,
			GpuClass::Rtx4090 => self.rtx4090,
			GpuClass::L4 => self.l4,
			GpuClass::Other => self.other,
		}
	}

	/// The largest batch per GPU of any class.
	pub fn max(&self) -> u32 {
		self.h100.max(self.a100).max(self.rtx4090).max(self.l4).max(self.other)
	}

	/// The smallest batch per GPU of any class.
	pub fn min(&self) -> u32 {
		self.h100.min(self.a100).min(self.rtx4090).min(self.l4).min(self.other)
	}
}

/// The governed parameters of proof of compute. Set at genesis and by `ParamsOrigin`
/// (`proofOfCompute.setParams`); a change takes effect at the next period.
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
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChallengeParams {
	/// Blocks per challenge period: every eligible provider is challenged once per period.
	pub period: u32,
	/// Commitments are accepted in the `commit_window` blocks after the period's first block
	/// (whose VRF output fixes the seed).
	pub commit_window: u32,
	/// Openings are accepted until `open_window` blocks after the period's first block, from
	/// the second block after the commit window (the first one fixes the sample seed).
	pub open_window: u32,
	/// Rows of each product (a power of two).
	pub rows: u32,
	/// The inner dimension (a multiple of 64).
	pub inner: u32,
	/// Columns of each product (a power of two).
	pub cols: u32,
	/// Products per claimed GPU, by class: the host's batch is the sum over its GPUs.
	pub batches: ClassBatches,
	/// Entries per Merkle leaf (a power of two).
	pub leaf_size: u32,
	/// Entries sampled and opened per challenge (`s`).
	pub samples: u32,
	/// Share of the bond slashed for a wrong or withheld opening.
	pub failed_slash: Permill,
	/// Share of the bond slashed for a missed commitment.
	pub missed_slash: Permill,
	/// Reputation gained per passed challenge (share of the distance to 100%).
	pub pass_reputation: Permill,
	/// Reputation lost per failed challenge (share of the distance to 0%).
	pub fail_reputation: Permill,
	/// Reputation lost per missed challenge.
	pub miss_reputation: Permill,
}

impl ChallengeParams {
	/// The shape of the challenge of a host with `profile`: the common product size, with a
	/// batch summed over its GPUs by class (saturating).
	pub fn shape_for(&self, profile: &HardwareProfile) -> Shape {
		let batch = profile.gpus.iter().fold(0u32, |sum, gpu| {
			let per_gpu = self.batches.of(GpuClass::of(gpu.vendor, &gpu.model));
			sum.saturating_add(per_gpu.saturating_mul(gpu.count))
		});
		Shape { batch, rows: self.rows, inner: self.inner, cols: self.cols }
	}

	/// Development chains: periods of 10 blocks and tiny products that a CPU computes in
	/// milliseconds, so that a provider's node proves itself within a minute.
	pub fn development() -> Self {
		Self {
			period: 10,
			commit_window: 3,
			// The sample seed from the 3 blocks after the commit window, then 3 to open in.
			open_window: 9,
			rows: 64,
			inner: 512,
			cols: 64,
			batches: ClassBatches { h100: 2, a100: 2, rtx4090: 2, l4: 1, other: 1 },
			leaf_size: 16,
			samples: 8,
			failed_slash: Permill::from_percent(10),
			missed_slash: Permill::from_percent(1),
			pass_reputation: Permill::from_percent(5),
			fail_reputation: Permill::from_percent(30),
			miss_reputation: Permill::from_percent(10),
		}
	}

	/// Production sizes (the local testnet and the documented mainnet preset): a one-hour
	/// period; a 10-block commit window (60 s, 1.7× the claimed card's time); products of
	/// 8192 × 65536 × 8192 (8.8·10¹² int8 operations each), batched per GPU so that the claimed
	/// card needs about 35 s at 60% of its dense int8 peak; 12 samples. The arithmetic is in the
	/// pallet's README.
	pub fn mainnet() -> Self {
		Self {
			period: 600,
			commit_window: 10,
			open_window: 40,
			rows: 8192,
			inner: 65_536,
			cols: 8192,
			// ~35 s at 60% of peak: 1,979 / 624 / 660 / 242 TOPS dense int8.
			batches: ClassBatches { h100: 4_800, a100: 1_500, rtx4090: 1_600, l4: 600, other: 600 },
			leaf_size: 32,
			// 12 samples keep a host's hour within the scale budget (the runtime's test
			// `proving_fifty_thousand_hosts_an_hour_fits_a_quarter_of_the_blocks`); a host that
			// left a quarter of its output wrong is still caught 97% of the time.
			samples: 12,
			failed_slash: Permill::from_percent(10),
			missed_slash: Permill::from_percent(1),
			pass_reputation: Permill::from_percent(2),
			fail_reputation: Permill::from_percent(30),
			miss_reputation: Permill::from_percent(10),
		}
	}
}

/// Where a provider's challenge of the current period stands.
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
pub enum ChallengePhase {
	/// Commitments are accepted.
	Commit,
	/// The commit window is over; the block that fixes the sample seed comes next.
	Sampling,
	/// Openings are accepted.
	Open,
	/// Both windows are over.
	Closed,
}

/// Why a challenge failed.
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
pub enum FailureReason {
	/// An opened entry is not the product's.
	WrongEntry,
	/// An opening does not lead to the committed root.
	WrongPath,
	/// An opening has the wrong number of entries or path length.
	Malformed,
	/// The commitment was never opened.
	Unopened,
}

/// How a challenge ended.
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
pub enum Outcome {
	/// Every opening checked: `units` verified compute units (int8 operations) were earned.
	Passed {
		/// `2 · batch · rows · inner · cols`.
		units: u128,
	},
	/// A wrong or withheld opening; the bond was slashed by `failed_slash`.
	Failed(FailureReason),
	/// No commitment before the deadline; the bond was slashed by `missed_slash`.
	Missed,
}

/// One settled challenge.
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
pub struct OutcomeRecord<BlockNumber> {
	/// The challenge period.
	pub period: PeriodIndex,
	/// When it was settled.
	pub at: BlockNumber,
	/// How it ended.
	pub outcome: Outcome,
}

/// A provider's challenge in the current period, as the runtime API shows it.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug, TypeInfo)]
pub struct ChallengeView<BlockNumber> {
	/// The period.
	pub period: PeriodIndex,
	/// Its first block (whose VRF output fixed `period_seed`).
	pub period_start: BlockNumber,
	/// The seed of this provider's challenge (derived from the period seed, the provider and
	/// the period): what the compute service is given.
	pub seed: Hash,
	/// What to compute.
	pub shape: Shape,
	/// Entries per leaf.
	pub leaf_size: u32,
	/// Entries that will be sampled.
	pub samples: u32,
	/// The last block that accepts the commitment.
	pub commit_until: BlockNumber,
	/// The block whose VRF output fixes the sample positions.
	pub sample_at: BlockNumber,
	/// The last block that accepts the opening.
	pub open_until: BlockNumber,
	/// Where the period stands now.
	pub phase: ChallengePhase,
	/// The committed root, once committed.
	pub committed: Option<Hash>,
	/// The entries to open, once the sample seed is fixed and a root committed.
	pub positions: Vec<Position>,
	/// How it ended, once settled.
	pub outcome: Option<Outcome>,
}

polkadot_sdk::sp_api::decl_runtime_apis! {
	/// A provider's current challenge and recent outcomes; for polkadot.js
	/// (`api.call.proofOfComputeApi`) and for operators' tooling.
	pub trait ProofOfComputeApi<AccountId, BlockNumber>
	where
		AccountId: codec::Codec,
		BlockNumber: codec::Codec,
	{
		/// The provider's challenge in the current period, if it is challenged in it.
		fn challenge(provider: AccountId) -> Option<ChallengeView<BlockNumber>>;
		/// The provider's most recent settled challenges, oldest first.
		fn recent_outcomes(provider: AccountId) -> Vec<OutcomeRecord<BlockNumber>>;
		/// The parameters in force (the current period's).
		fn params() -> ChallengeParams;
	}
}

/// The off-chain worker's requests to the node's compute service (HTTP on loopback, SCALE
/// bodies): `POST /v1/commit` with a [`ComputeRequest`] answers a [`CommitResponse`];
/// `POST /v1/open` with an [`OpenRequest`] answers an [`OpenResponse`].
pub mod service {
	use super::*;

	/// The path of commit requests.
	pub const COMMIT_PATH: &str = "/v1/commit";
	/// The path of open requests.
	pub const OPEN_PATH: &str = "/v1/open";

	/// One challenge to compute.
	#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug, TypeInfo)]
	pub struct ComputeRequest {
		/// The challenge seed ([`crate::challenge::challenge_seed`]).
		pub seed: Hash,
		/// What to compute.
		pub shape: Shape,
		/// Entries per leaf.
		pub leaf_size: u32,
	}

	/// The commitment to a computed challenge.
	#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug, TypeInfo)]
	pub struct CommitResponse {
		/// The Merkle root of the whole output.
		pub root: Hash,
		/// Milliseconds the service spent (generation, products, hashing).
		pub compute_ms: u64,
	}

	/// The openings of sampled entries of a challenge computed before.
	#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug, TypeInfo)]
	pub struct OpenRequest {
		/// The challenge.
		pub challenge: ComputeRequest,
		/// The sampled entries, in order.
		pub positions: BoundedVec<Position, ConstU32<MAX_SAMPLES>>,
	}

	/// One opening per requested position, in order.
	#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug, TypeInfo)]
	pub struct OpenResponse {
		/// The openings.
		pub openings: BoundedVec<Opening, ConstU32<MAX_SAMPLES>>,
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn model_names_map_to_classes() {
		let nv = GpuVendor::Nvidia;
		assert_eq!(GpuClass::of(nv, b"NVIDIA H100 80GB HBM3"), GpuClass::H100);
		assert_eq!(GpuClass::of(nv, b"NVIDIA H100 PCIe"), GpuClass::H100);
		assert_eq!(GpuClass::of(nv, b"NVIDIA H200"), GpuClass::H100);
		assert_eq!(GpuClass::of(nv, b"NVIDIA A100-SXM4-80GB"), GpuClass::A100);
		assert_eq!(GpuClass::of(nv, b"NVIDIA GeForce RTX 4090"), GpuClass::Rtx4090);
		assert_eq!(GpuClass::of(nv, b"NVIDIA L40S"), GpuClass::Rtx4090);
		assert_eq!(GpuClass::of(nv, b"NVIDIA L4"), GpuClass::L4);
		assert_eq!(GpuClass::of(nv, b"nvidia l4"), GpuClass::L4);
		assert_eq!(GpuClass::of(nv, b"NVIDIA GeForce RTX 3060"), GpuClass::Other);
		assert_eq!(GpuClass::of(nv, b"NVIDIA L4X"), GpuClass::Other);
		assert_eq!(GpuClass::of(GpuVendor::Amd, b"AMD Instinct MI300X H100"), GpuClass::Other);
	}

	#[test]
	fn presets_are_valid_shapes() {
		for params in [ChallengeParams::development(), ChallengeParams::mainnet()] {
			let one = Shape {
				batch: params.batches.max(),
				rows: params.rows,
				inner: params.inner,
				cols: params.cols,
			};
			assert_eq!(one.validate(params.leaf_size), Ok(()));
			assert!(params.commit_window + 2 <= params.open_window);
			assert!(params.open_window <= params.period);
		}
	}

	#[test]
	fn the_mainnet_h100_challenge_takes_tens_of_seconds_at_sixty_percent_of_peak() {
		let p = ChallengeParams::mainnet();
		let shape = Shape { batch: p.batches.h100, rows: p.rows, inner: p.inner, cols: p.cols };
		let seconds = shape.ops() as f64 / (0.6 * 1_979e12);
		assert!((30.0..50.0).contains(&seconds), "{seconds} s");
	}
}
