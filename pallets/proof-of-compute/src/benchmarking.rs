//! Worst-case benchmarks of every call, every `authorize`, and the hooks' steps
//! (frame-benchmarking v2). `scripts/benchmark.sh` turns them into `weights.rs`.
//!
//! Submissions need a registered provider with an attestation key the benchmark can sign with
//! (a keystore key), a period in the right phase, and for openings a commitment whose sampled
//! entries are right: the chain recomputes only the sampled entry of each opened leaf and folds
//! one path per sample, so the setup computes exactly those entries (the other entries of an
//! opened leaf are zeros) and commits to a sparse tree in which every other leaf has the same
//! hash. The shape has one leaf of 64 entries (the largest leaf) per row and `2^d` rows in all,
//! so that paths are `d` long (up to 40, a 64-GPU host at the mainnet parameters); `k` sets the
//! inner dimension.

use super::*;
use crate::Pallet as ProofOfCompute;
use alloc::{vec, vec::Vec};
use crucible_primitives::{
	challenge::{node_hash, sample_positions, Hash, Keys, Opening, INNER_ALIGN},
	proof_of_compute::{ChallengeParams, ClassBatches, FailureReason, Outcome},
	providers::{AttestationKey, AttestationSignature},
};
use pallet_providers::{testing::h100_profile, ProviderInspect, ProviderStatus};
use polkadot_sdk::{
	frame_benchmarking::v2::*,
	frame_support::{
		pallet_prelude::TransactionSource,
		traits::{Authorize, EnsureOrigin, Get},
	},
	frame_system::{Pallet as System, RawOrigin},
	sp_runtime::{
		traits::{One, Saturating},
		Permill, RuntimeAppPublic,
	},
};

/// The benchmarks' parameters: `samples` samples, inner dimension `inner`, and a challenge of
/// `2^depth` rows of one 64-entry leaf for an H100-class host of one GPU (paths of `depth`).
fn params<T: Config>(samples: u32, inner: u32, depth: u32) -> ChallengeParams {
	let rows = 1u32 << depth.min(16);
	let batch = 1u32 << depth.saturating_sub(16).min(24);
	ChallengeParams {
		period: 20,
		commit_window: 4,
		open_window: 10,
		rows,
		inner,
		cols: T::MaxLeafSize::get(),
		batches: ClassBatches { h100: batch, a100: 1, rtx4090: 1, l4: 1, other: 1 },
		leaf_size: T::MaxLeafSize::get(),
		samples,
		failed_slash: Permill::from_percent(10),
		missed_slash: Permill::from_percent(1),
		pass_reputation: Permill::from_percent(5),
		fail_reputation: Permill::from_percent(30),
		miss_reputation: Permill::from_percent(10),
	}
}

/// A provider of `gpus` H100s with a keystore key, registered through the registry's own call.
fn provider<T: Config + pallet_providers::Config>(
	index: u32,
	gpus: u32,
) -> Result<(T::AccountId, AttestationKey), BenchmarkError> {
	let who: T::AccountId = account("provider", index, 0);
	let key = pallet_providers::testing::register_funded::<T>(&who, h100_profile(index, gpus))?;
	Ok((who, key))
}

/// Starts a period with `params` at the next block and moves to block `offset` of it (fixing
/// the sample seed on the way if the offset is past its block).
fn period_with<T: Config>(params: ChallengeParams, offset: u32) -> Result<u32, BenchmarkError> {
	Params::<T>::put(params);
	let start = System::<T>::block_number().saturating_add(One::one());
	System::<T>::set_block_number(start);
	ProofOfCompute::<T>::start_period(start);
	let (period, info) = ProofOfCompute::<T>::current().ok_or(BenchmarkError::Stop("no period"))?;
	let sample_at = info.sample_at();
	let target = start.saturating_add(offset.into());
	if target > sample_at {
		System::<T>::set_block_number(sample_at);
		ProofOfCompute::<T>::tick(sample_at);
	}
	System::<T>::set_block_number(target);
	Ok(period)
}

/// A sparse Merkle tree over `2^depth` leaves: the given leaves, and the same hash everywhere
/// else. Nodes are computed once each (only those above a given leaf differ from the default).
struct SparseTree {
	depth: u32,
	leaves: alloc::collections::BTreeMap<u64, Hash>,
	defaults: Vec<Hash>,
	memo: alloc::collections::BTreeMap<(u32, u64), Hash>,
}

impl SparseTree {
	fn new(depth: u32, leaves: alloc::collections::BTreeMap<u64, Hash>) -> Self {
		let mut defaults = vec![[0xABu8; 32]];
		for level in 0..depth as usize {
			let below = defaults.get(level).copied().unwrap_or_default();
			defaults.push(node_hash(&below, &below));
		}
		Self { depth, leaves, defaults, memo: Default::default() }
	}

	/// The node of height `height` over leaves `prefix << height .. (prefix + 1) << height`.
	fn node(&mut self, height: u32, prefix: u64) -> Hash {
		let lo = prefix << height;
		let hi = lo.saturating_add(1u64 << height);
		if self.leaves.range(lo..hi).next().is_none() {
			return self.defaults.get(height as usize).copied().unwrap_or_default();
		}
		if height == 0 {
			return self.leaves.get(&lo).copied().unwrap_or_default();
		}
		if let Some(h) = self.memo.get(&(height, prefix)) {
			return *h;
		}
		let left = self.node(height.saturating_sub(1), prefix << 1);
		let right = self.node(height.saturating_sub(1), (prefix << 1) | 1);
		let h = node_hash(&left, &right);
		self.memo.insert((height, prefix), h);
		h
	}

	fn root(&mut self) -> Hash {
		self.node(self.depth, 0)
	}

	fn path(&mut self, index: u64) -> Vec<Hash> {
		(0..self.depth).map(|height| self.node(height, (index >> height) ^ 1)).collect()
	}
}

/// A commitment under which the sampled entries are the product's, and their openings: each
/// sampled leaf holds the exact sampled entries and zeros elsewhere; every other leaf is the same
/// arbitrary hash. The chain checks paths and sampled entries only, so this passes.
fn honest<T: Config>(
	who: &T::AccountId,
	period: u32,
) -> Result<(Hash, Vec<Opening>), BenchmarkError> {
	use crucible_primitives::challenge::{entry, leaf_hash};
	let info = ProofOfCompute::<T>::period_info(period).ok_or(BenchmarkError::Stop("no period"))?;
	let prover_info = T::Providers::prover_info(who).ok_or(BenchmarkError::Stop("no provider"))?;
	let shape = info.params.shape_for(&prover_info.profile);
	let leaf = info.params.leaf_size;
	let keys = Keys::from_seed(&ProofOfCompute::<T>::provider_seed(&info, who, period));
	let sample_seed = info.sample_seed.ok_or(BenchmarkError::Stop("no sample seed"))?;
	let positions = sample_positions(&sample_seed, who, period, &shape, info.params.samples);
	let mut values: alloc::collections::BTreeMap<u64, Vec<i32>> = Default::default();
	for pos in positions.iter() {
		let (_, _, offset) = shape.locate(leaf, pos);
		let v = values
			.entry(shape.leaf_index(leaf, pos))
			.or_insert_with(|| vec![0i32; leaf as usize]);
		if let Some(slot) = v.get_mut(offset as usize) {
			*slot = entry(&keys, &shape, pos);
		}
	}
	let hashes = values.iter().map(|(i, v)| (*i, leaf_hash(v))).collect();
	let mut tree = SparseTree::new(shape.depth(leaf), hashes);
	let root = tree.root();
	let openings = positions
		.iter()
		.map(|pos| {
			let index = shape.leaf_index(leaf, pos);
			Opening {
				leaf: values
					.get(&index)
					.cloned()
					.unwrap_or_default()
					.try_into()
					.unwrap_or_default(),
				path: tree.path(index).try_into().unwrap_or_default(),
			}
		})
		.collect();
	Ok((root, openings))
}

#[benchmarks(where T: pallet_providers::Config)]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn submit_commitment() -> Result<(), BenchmarkError> {
		let (who, key) = provider::<T>(0, 1)?;
		// The worst case: an unopened commitment of the last period is failed first (a slash).
		let first = period_with::<T>(params::<T>(4, 64, 1), 1)?;
		Commitments::<T>::insert(
			&who,
			Commitment { period: first, root: [1u8; 32], at: System::<T>::block_number() },
		);
		let period = period_with::<T>(params::<T>(4, 64, 1), 1)?;
		let commitment = CommitmentPayload { provider: who.clone(), period, root: [2u8; 32] };
		let signature = sign_with::<T>(&key, Phase::Commit, &commitment)?;

		#[extrinsic_call]
		_(RawOrigin::Authorized, commitment, signature);

		assert_eq!(Commitments::<T>::get(&who).map(|c| c.period), Some(period));
		assert!(ProofOfCompute::<T>::has_outcome(&who, first));
		Ok(())
	}

	/// The call with `s` samples at the smallest inner dimension and path: its fixed and
	/// per-sample costs beyond verification (which `verify_sample` measures).
	#[benchmark]
	fn submit_opening(s: Linear<1, { T::MaxSamples::get() }>) -> Result<(), BenchmarkError> {
		let (who, key) = provider::<T>(0, 1)?;
		let period = period_with::<T>(params::<T>(s, INNER_ALIGN, 4), 8)?;
		let (root, openings) = honest::<T>(&who, period)?;
		Commitments::<T>::insert(&who, Commitment { period, root, at: One::one() });
		let opening = OpeningPayload {
			provider: who.clone(),
			period,
			openings: openings.try_into().map_err(|_| BenchmarkError::Stop("too many"))?,
		};
		let signature = sign_with::<T>(&key, Phase::Open, &opening)?;

		#[extrinsic_call]
		_(RawOrigin::Authorized, opening, signature);

		// Every opening was checked: the challenge passed, the provider is proven.
		assert!(matches!(
			Outcomes::<T>::get(&who).last().map(|o| o.outcome),
			Some(Outcome::Passed { .. })
		));
		assert_eq!(T::Providers::status(&who), Some(ProviderStatus::Active));
		Ok(())
	}

	/// The chain's check of one sample: its path of `d` nodes and the sampled entry recomputed
	/// over an inner dimension of `64·k`. Costs add up per sample, so an opening of `s` samples
	/// is charged `submit_opening(s) + s · verify_sample(k, d)`.
	#[benchmark]
	fn verify_sample(
		k: Linear<1, { T::MaxInner::get() / INNER_ALIGN }>,
		d: Linear<4, 40>,
	) -> Result<(), BenchmarkError> {
		let (who, _key) = provider::<T>(0, 1)?;
		let period = period_with::<T>(params::<T>(1, k.saturating_mul(INNER_ALIGN), d), 8)?;
		let (root, openings) = honest::<T>(&who, period)?;
		let info =
			ProofOfCompute::<T>::period_info(period).ok_or(BenchmarkError::Stop("no period"))?;
		let prover_info =
			T::Providers::prover_info(&who).ok_or(BenchmarkError::Stop("no provider"))?;
		let shape = info.params.shape_for(&prover_info.profile);
		let sample_seed = info.sample_seed.ok_or(BenchmarkError::Stop("no sample seed"))?;
		let positions = sample_positions(&sample_seed, &who, period, &shape, 1);
		let seed = ProofOfCompute::<T>::provider_seed(&info, &who, period);
		let leaf = info.params.leaf_size;
		let result;

		#[block]
		{
			result = <T::Verifier as ChallengeVerifier>::verify(
				&seed, &shape, leaf, &root, &positions, &openings,
			);
		}

		assert_eq!(result, Ok(()));
		Ok(())
	}

	#[benchmark]
	fn heartbeat() -> Result<(), BenchmarkError> {
		let (who, key) = provider::<T>(0, 1)?;
		let period = period_with::<T>(params::<T>(4, 64, 1), 1)?;
		let payload = HeartbeatPayload {
			provider: who.clone(),
			period,
			report: NodeReport { backend: Backend::Cuda, spec_version: 1 },
		};
		let signature = sign_with::<T>(&key, Phase::Heartbeat, &payload)?;

		#[extrinsic_call]
		heartbeat(RawOrigin::Authorized, payload, signature);

		assert_eq!(Heartbeats::<T>::get(&who).map(|h| h.period), Some(period));
		Ok(())
	}

	#[benchmark]
	fn set_params() -> Result<(), BenchmarkError> {
		let origin =
			T::ParamsOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		// Valid parameters (validation is the same work for any).
		let params =
			ChallengeParams { samples: T::MaxSamples::get(), ..ChallengeParams::mainnet() };

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, params.clone());

		assert_eq!(Params::<T>::get(), params);
		Ok(())
	}

	#[benchmark]
	fn authorize_submit_commitment() -> Result<(), BenchmarkError> {
		let (who, key) = provider::<T>(0, 1)?;
		let period = period_with::<T>(params::<T>(4, 64, 1), 1)?;
		let commitment = CommitmentPayload { provider: who, period, root: [2u8; 32] };
		let signature = sign_with::<T>(&key, Phase::Commit, &commitment)?;
		let call = Call::<T>::submit_commitment { commitment, signature };

		#[block]
		{
			call.authorize(TransactionSource::External)
				.ok_or("no authorize")?
				.map_err(|_| "refused")?;
		}
		Ok(())
	}

	/// Checking an opening of `s` samples with the longest paths (40): decoding, shape and the
	/// signature over the whole payload.
	#[benchmark]
	fn authorize_submit_opening(
		s: Linear<1, { T::MaxSamples::get() }>,
	) -> Result<(), BenchmarkError> {
		let (who, key) = provider::<T>(0, 1)?;
		let period = period_with::<T>(params::<T>(s, INNER_ALIGN, 40), 8)?;
		let (root, openings) = honest::<T>(&who, period)?;
		Commitments::<T>::insert(&who, Commitment { period, root, at: One::one() });
		let opening = OpeningPayload {
			provider: who,
			period,
			openings: openings.try_into().map_err(|_| BenchmarkError::Stop("too many"))?,
		};
		let signature = sign_with::<T>(&key, Phase::Open, &opening)?;
		let call = Call::<T>::submit_opening { opening, signature };

		#[block]
		{
			call.authorize(TransactionSource::External)
				.ok_or("no authorize")?
				.map_err(|_| "refused")?;
		}
		Ok(())
	}

	#[benchmark]
	fn authorize_heartbeat() -> Result<(), BenchmarkError> {
		let (who, key) = provider::<T>(0, 1)?;
		let period = period_with::<T>(params::<T>(4, 64, 1), 1)?;
		let payload = HeartbeatPayload {
			provider: who,
			period,
			report: NodeReport { backend: Backend::Cuda, spec_version: 1 },
		};
		let signature = sign_with::<T>(&key, Phase::Heartbeat, &payload)?;
		let call = Call::<T>::heartbeat { heartbeat: payload, signature };

		#[block]
		{
			call.authorize(TransactionSource::External)
				.ok_or("no authorize")?
				.map_err(|_| "refused")?;
		}
		Ok(())
	}

	#[benchmark]
	fn start_period() -> Result<(), BenchmarkError> {
		// Worst case: the previous period is dropped, an unswept one skipped, old units pruned.
		for _ in 0..=T::MaxUnsweptPeriods::get() {
			period_with::<T>(params::<T>(4, 64, 1), 0)?;
		}
		let now = ProofOfCompute::<T>::current()
			.map(|(_, info)| info.next_start())
			.ok_or(BenchmarkError::Stop("no period"))?;
		System::<T>::set_block_number(now);
		let before = ProofOfCompute::<T>::current_index();

		#[block]
		{
			ProofOfCompute::<T>::tick(now);
		}

		assert_eq!(ProofOfCompute::<T>::current_index(), before.map(|p| p.saturating_add(1)));
		Ok(())
	}

	#[benchmark]
	fn fix_samples() -> Result<(), BenchmarkError> {
		let period = period_with::<T>(params::<T>(4, 64, 1), 0)?;
		let info =
			ProofOfCompute::<T>::period_info(period).ok_or(BenchmarkError::Stop("no period"))?;
		let at = info.sample_at();
		System::<T>::set_block_number(at);

		#[block]
		{
			ProofOfCompute::<T>::tick(at);
		}

		assert!(ProofOfCompute::<T>::period_info(period).is_some_and(|i| i.sample_seed.is_some()));
		Ok(())
	}

	#[benchmark]
	fn tick_quiet() -> Result<(), BenchmarkError> {
		// What every other block pays: inside a period, neither its start nor its sample block.
		let period = period_with::<T>(params::<T>(4, 64, 1), 1)?;
		let before = ProofOfCompute::<T>::current();
		let now = System::<T>::block_number();
		assert!(before
			.as_ref()
			.is_some_and(|(_, i)| now != i.sample_at() && now < i.next_start()));

		#[block]
		{
			ProofOfCompute::<T>::tick(now);
		}

		assert_eq!(ProofOfCompute::<T>::current(), before);
		assert_eq!(ProofOfCompute::<T>::current_index(), Some(period));
		Ok(())
	}

	#[benchmark]
	fn sweep_base() -> Result<(), BenchmarkError> {
		// The reads before any provider is visited, with a period ready to sweep.
		let period = period_with::<T>(params::<T>(4, 64, 1), 11)?;
		Sweep::<T>::put(SweepState { period, cursor: None });
		let now = System::<T>::block_number();

		#[block]
		{
			// The budget of the base alone: no provider is visited.
			ProofOfCompute::<T>::sweep(now, <T as Config>::WeightInfo::sweep_base());
		}
		Ok(())
	}

	#[benchmark]
	fn sweep_visit() -> Result<(), BenchmarkError> {
		// The heaviest visit that settles nothing: a leaving provider whose records are
		// forgotten (registered after the period began, so it owes nothing and may leave).
		let period = period_with::<T>(params::<T>(4, 64, 1), 11)?;
		let (who, _key) = provider::<T>(0, 1)?;
		Outcomes::<T>::insert(&who, {
			let mut v = polkadot_sdk::frame_support::BoundedVec::new();
			let _ = v.try_push(crucible_primitives::proof_of_compute::OutcomeRecord {
				period: 0,
				at: One::one(),
				outcome: Outcome::Missed,
			});
			v
		});
		Heartbeats::<T>::insert(
			&who,
			HeartbeatRecord {
				period: 0,
				at: One::one(),
				report: NodeReport { backend: Backend::Cpu, spec_version: 1 },
			},
		);
		ProviderUnits::<T>::insert(&who, 1u128);
		pallet_providers::Pallet::<T>::deregister(RawOrigin::Signed(who.clone()).into())
			.map_err(|_| BenchmarkError::Stop("deregister failed"))?;
		let info =
			ProofOfCompute::<T>::period_info(period).ok_or(BenchmarkError::Stop("no period"))?;

		let current = period.saturating_add(RECENT_OUTCOMES);

		#[block]
		{
			ProofOfCompute::<T>::sweep_one(&who, period, &info, current);
		}

		assert!(Outcomes::<T>::get(&who).is_empty());
		Ok(())
	}

	#[benchmark]
	fn record_outcome() -> Result<(), BenchmarkError> {
		// This pallet's part of settling (the registry's part is charged with its weights):
		// a full outcome history, a commitment removed.
		let (who, _key) = provider::<T>(0, 1)?;
		let period = period_with::<T>(params::<T>(4, 64, 1), 11)?;
		Outcomes::<T>::insert(&who, {
			let mut v = polkadot_sdk::frame_support::BoundedVec::new();
			for p in 0..RECENT_OUTCOMES {
				let _ = v.try_push(crucible_primitives::proof_of_compute::OutcomeRecord {
					period: p,
					at: One::one(),
					outcome: Outcome::Failed(FailureReason::WrongEntry),
				});
			}
			v
		});

		let units = Outcome::Passed { units: u128::MAX / 2 };

		#[block]
		{
			ProofOfCompute::<T>::record_outcome(
				&who,
				period.saturating_add(RECENT_OUTCOMES),
				units,
			);
		}

		assert_eq!(Outcomes::<T>::get(&who).len() as u32, RECENT_OUTCOMES);
		Ok(())
	}

	impl_benchmark_test_suite!(ProofOfCompute, crate::mock::new_test_ext(), crate::mock::Test);
}

fn sign_with<T: Config>(
	key: &AttestationKey,
	phase: Phase,
	payload: &impl codec::Encode,
) -> Result<AttestationSignature, BenchmarkError> {
	key.sign(&signing_payload(ProofOfCompute::<T>::genesis_hash().as_ref(), phase, payload))
		.ok_or(BenchmarkError::Stop("cannot sign"))
}
