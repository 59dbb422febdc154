//! Worst-case benchmarks of every call, `authorize` and the timer hook's steps
//! (frame-benchmarking v2). `scripts/benchmark.sh` turns them into `weights.rs`.
//!
//! Bidders are registered through the registry's own call with a keystore attestation key and
//! proven (`Active`) through its judge interface, as proof of compute does; the runtime's
//! `Providers` must therefore be `pallet_providers`.

use super::*;
use crate::Pallet as Marketplace;
use alloc::{vec, vec::Vec};
use codec::Encode;
use crucible_primitives::{
	audit::{
		audit_commitment, audit_payload, opening_of, result_digest, AuditReport, AuditStep,
		ResultOpening, Verification,
	},
	marketplace::{
		bid_commitment, manifest_hash, node_bid_payload, node_offer_payload, signing_payload,
		AuctionKind, JobId, JobPhase, JobSpec, Manifest, NodeBid, NodeBidAction, NodeOffer, Offer,
		Refusal, SealedSecrets, StandingOffer, Usage, WorkAttestation, WorkReport, Workload,
		MAX_ACCESS_LEN, MAX_REASON_LEN, MAX_SEALED_SECRETS,
	},
	providers::{AttestationKey, GpuVendor, HardwareRequirement},
};
use pallet_providers::{testing, ProviderMutate, ProviderStatus};
use polkadot_sdk::{
	frame_benchmarking::v2::*,
	frame_support::{
		pallet_prelude::TransactionSource,
		traits::{fungible::Mutate, Authorize, EnsureOrigin, Get},
	},
	frame_system::{pallet_prelude::BlockNumberFor, Pallet as System, RawOrigin},
	sp_core::H256,
	sp_runtime::{
		traits::{One, Saturating},
		Permill, RuntimeAppPublic,
	},
};

/// Enough for every deposit many times over, and the largest escrow the benchmarks post.
fn fund<T: Config>(who: &T::AccountId) {
	let deposits = T::JobDeposit::get()
		.saturating_add(T::BidDeposit::get())
		.saturating_add(T::DisputeDeposit::get());
	let escrow = BalanceOf::<T>::from(u32::MAX).saturating_mul(1_000u32.into());
	let _ = T::Currency::set_balance(
		who,
		deposits.saturating_mul(1_000u32.into()).saturating_add(escrow),
	);
}

/// A proven (`Active`) provider of one H100 with a keystore key.
fn provider<T: Config + pallet_providers::Config>(
	index: u32,
) -> Result<(T::AccountId, AttestationKey), BenchmarkError> {
	let who: T::AccountId = account("provider", index, 0);
	fund::<T>(&who);
	let key = testing::register_funded::<T>(&who, testing::h100_profile(index, 1))?;
	testing::prove::<T>(&who)?;
	Ok((who, key))
}

fn developer<T: Config>() -> T::AccountId {
	let who: T::AccountId = account("developer", 0, 0);
	fund::<T>(&who);
	who
}

fn spec<T: Config>(auction: AuctionKind<BlockNumberFor<T>>) -> JobSpecOf<T> {
	JobSpec {
		requirement: HardwareRequirement {
			min_vram_mib: 40_000,
			min_gpu_count: 1,
			vendor: Some(GpuVendor::Nvidia),
			model: Some(b"NVIDIA H100 80GB HBM3".to_vec().try_into().unwrap_or_default()),
			country: Some(*b"DE"),
		},
		min_reputation: Permill::zero(),
		workload: Workload {
			image: H256::repeat_byte(0xaa),
			manifest: H256::repeat_byte(0xbb),
			access_key: [7u8; 32],
		},
		duration: T::MaxDuration::get(),
		max_price_per_block: 1_000u32.into(),
		bid_window: T::MinBidWindow::get(),
		auction,
		verification: Default::default(),
	}
}

/// The largest manifest: every bound filled.
fn largest_manifest() -> Manifest {
	use crucible_primitives::marketplace::{
		EnvVar, MAX_COMMAND_WORDS, MAX_ENV, MAX_ENV_NAME, MAX_PORTS, MAX_REPOSITORY_LEN,
		MAX_SECRETS, MAX_WORD_LEN,
	};
	let word = |c: u8| vec![c; MAX_WORD_LEN as usize].try_into().unwrap_or_default();
	Manifest {
		repository: vec![b'a'; MAX_REPOSITORY_LEN as usize].try_into().unwrap_or_default(),
		command: (0..MAX_COMMAND_WORDS)
			.map(|_| word(b'x'))
			.collect::<Vec<_>>()
			.try_into()
			.unwrap_or_default(),
		env: (0..MAX_ENV)
			.map(|i| {
				let mut name = vec![b'V'; MAX_ENV_NAME as usize];
				if let Some(last) = name.last_mut() {
					*last = b'A'.saturating_add(i as u8);
				}
				EnvVar { name: name.try_into().unwrap_or_default(), value: word(b'y') }
			})
			.collect::<Vec<_>>()
			.try_into()
			.unwrap_or_default(),
		ports: (1..=MAX_PORTS as u16).collect::<Vec<_>>().try_into().unwrap_or_default(),
		memory_mib: 1_024,
		shm_mib: 64,
		disk_mib: 1_024,
		egress: true,
		secrets: (0..MAX_SECRETS)
			.map(|i| {
				let mut name = vec![b'S'; MAX_ENV_NAME as usize];
				if let Some(last) = name.last_mut() {
					*last = b'A'.saturating_add(i as u8);
				}
				name.try_into().unwrap_or_default()
			})
			.collect::<Vec<_>>()
			.try_into()
			.unwrap_or_default(),
		private_registry: true,
		deterministic: false,
	}
}

fn sealed<T: Config>() -> AuctionKind<BlockNumberFor<T>> {
	AuctionKind::Sealed { reveal_window: T::MinBidWindow::get() }
}

fn post<T: Config>(auction: AuctionKind<BlockNumberFor<T>>) -> Result<JobId, BenchmarkError> {
	// The benchmarks' prices are small numbers; the floor is read (and checked) all the same.
	MinPrice::<T>::put(BalanceOf::<T>::from(1u32));
	let id = NextJobId::<T>::get();
	Marketplace::<T>::do_post_job(developer::<T>(), spec::<T>(auction), None)?;
	Ok(id)
}

/// `n` proven providers bidding on `id` (prices 500, 501, ...); returns them.
fn bids<T: Config + pallet_providers::Config>(
	id: JobId,
	n: u32,
	from: u32,
) -> Result<Vec<T::AccountId>, BenchmarkError> {
	let mut who = Vec::new();
	for i in 0..n {
		let (p, _) = provider::<T>(from.saturating_add(i))?;
		Marketplace::<T>::do_place_bid(p.clone(), id, (500u32.saturating_add(i)).into())?;
		who.push(p);
	}
	Ok(who)
}

fn commitments<T: Config + pallet_providers::Config>(
	id: JobId,
	n: u32,
) -> Result<Vec<T::AccountId>, BenchmarkError> {
	let mut who = Vec::new();
	for i in 0..n {
		let (p, _) = provider::<T>(i)?;
		let price: BalanceOf<T> = (500u32.saturating_add(i)).into();
		let c = bid_commitment(id, &p, &price, &[i as u8; 32]);
		Marketplace::<T>::do_commit_bid(p.clone(), id, c)?;
		who.push(p);
	}
	Ok(who)
}

/// A provider with a standing offer old enough to be replaced, and a new offer signed by its
/// attestation key (the worst case: the old offer is read, compared and overwritten).
fn offer_to_replace<T: Config + pallet_providers::Config>(
) -> Result<(NodeOfferOf<T>, crucible_primitives::providers::AttestationSignature), BenchmarkError>
{
	let (who, key) = provider::<T>(10_000)?;
	// Prices the governed minimum takes.
	let price = MinPrice::<T>::get().saturating_add(100u32.into());
	let old = Offer {
		price_per_gpu: price.saturating_mul(2u32.into()),
		max_leases: 1,
		max_duration: None,
	};
	Offers::<T>::insert(
		&who,
		StandingOffer { offer: old, updated_at: System::<T>::block_number() },
	);
	to_block::<T>(System::<T>::block_number().saturating_add(T::OfferPeriod::get()));
	let offer = NodeOffer {
		provider: who,
		offer: Some(Offer {
			price_per_gpu: price,
			max_leases: 8,
			max_duration: Some(1_000u32.into()),
		}),
		valid_until: System::<T>::block_number().saturating_add(5u32.into()),
	};
	let genesis = System::<T>::block_hash(BlockNumberFor::<T>::zero());
	let signature = key
		.sign(&node_offer_payload(genesis.as_ref(), &offer))
		.ok_or(BenchmarkError::Stop("no keystore"))?;
	Ok((offer, signature))
}

fn to_block<T: Config>(n: BlockNumberFor<T>) {
	System::<T>::set_block_number(n);
}

fn closes_at<T: Config>(id: JobId) -> BlockNumberFor<T> {
	match Jobs::<T>::get(id).map(|j| j.phase) {
		Some(JobPhase::Bidding { closes_at }) | Some(JobPhase::Revealing { closes_at }) =>
			closes_at,
		_ => Zero::zero(),
	}
}

/// A running lease of a proven provider; returns the job, the provider and its key.
fn leased<T: Config + pallet_providers::Config>(
) -> Result<(JobId, T::AccountId, AttestationKey), BenchmarkError> {
	let id = post::<T>(AuctionKind::Open)?;
	let (p, key) = provider::<T>(1_000)?;
	Marketplace::<T>::do_place_bid(p.clone(), id, 500u32.into())?;
	to_block::<T>(closes_at::<T>(id));
	Marketplace::<T>::do_close_auction(id)?;
	Ok((id, p, key))
}

fn attestation<T: Config>(
	id: JobId,
	who: &T::AccountId,
	to: BlockNumberFor<T>,
	report: WorkReport,
) -> AttestationOf<T> {
	let from = Leases::<T>::get(id).map(|l| l.attested_through).unwrap_or_default();
	WorkAttestation { provider: who.clone(), job: id, from, to, report }
}

fn running(access: bool) -> WorkReport {
	WorkReport::Running {
		usage: Usage { gpu_seconds: 1_000, cpu_seconds: 1_000, peak_memory_mib: 1_024 },
		status: H256::repeat_byte(1),
		access: access.then(|| vec![0xEE; MAX_ACCESS_LEN as usize].try_into().unwrap_or_default()),
	}
}

fn completed() -> WorkReport {
	WorkReport::Completed {
		usage: Usage { gpu_seconds: 1_000, cpu_seconds: 1_000, peak_memory_mib: 1_024 },
		status: H256::repeat_byte(1),
		result: H256::repeat_byte(2),
	}
}

/// Attests the lease up to `to` and moves there.
fn attend<T: Config>(
	id: JobId,
	who: &T::AccountId,
	to: BlockNumberFor<T>,
) -> Result<(), BenchmarkError> {
	to_block::<T>(to);
	Marketplace::<T>::do_attest(attestation::<T>(id, who, to, running(false)))?;
	Ok(())
}

/// A completed lease, in its dispute window.
fn completed_lease<T: Config + pallet_providers::Config>(
) -> Result<(JobId, T::AccountId), BenchmarkError> {
	let (id, p, _) = leased::<T>()?;
	let end = Leases::<T>::get(id).map(|l| l.end).unwrap_or_default();
	attend::<T>(id, &p, end.saturating_sub(One::one()))?;
	to_block::<T>(end);
	Marketplace::<T>::do_attest(attestation::<T>(id, &p, end, completed()))?;
	Ok((id, p))
}

/// Fills the timer queues of `TIMER_PROBES - 1` blocks from `from`, so that a job scheduled
/// there probes every one of them.
fn fill_timers<T: Config>(from: BlockNumberFor<T>) {
	fill_queues::<T>(from, crate::impls::TIMER_PROBES.saturating_sub(1));
}

/// Fills the timer queues of `n` blocks from `from`.
fn fill_queues<T: Config>(from: BlockNumberFor<T>, n: u32) {
	let full: Vec<JobId> = (0..T::MaxTimersPerBlock::get())
		.map(|i| u64::MAX.saturating_sub(u64::from(i)))
		.collect();
	let mut block = from;
	for _ in 0..n {
		Timers::<T>::insert(block, BoundedVec::truncate_from(full.clone()));
		block = block.saturating_add(One::one());
	}
}

/// Takes job `id` out of its queue and drops its timer (as `fire` does when every queue ahead
/// is full).
fn drop_timer<T: Config>(id: JobId) {
	if let Some(mut job) = Jobs::<T>::get(id) {
		if let Some(at) = job.timer.take() {
			Marketplace::<T>::unschedule(id, at);
		}
		Jobs::<T>::insert(id, job);
	}
}

fn clear_timers<T: Config>(from: BlockNumberFor<T>) {
	let mut block = from;
	for _ in 1..crate::impls::TIMER_PROBES {
		Timers::<T>::mutate_exists(block, |q| {
			if let Some(list) = q {
				list.retain(|j| *j < 1u64 << 63);
				if list.is_empty() {
					*q = None;
				}
			}
		});
		block = block.saturating_add(One::one());
	}
}

/// A deterministic manifest (what an audited job needs), its command filled.
fn audited_manifest() -> Manifest {
	Manifest {
		egress: false,
		secrets: Default::default(),
		private_registry: false,
		deterministic: true,
		..largest_manifest()
	}
}

/// An audited job (at 100%) leased to a proven provider; returns the job and the provider.
fn audited_lease<T: Config + pallet_providers::Config>(
) -> Result<(JobId, T::AccountId), BenchmarkError> {
	MinPrice::<T>::put(BalanceOf::<T>::from(1u32));
	let id = NextJobId::<T>::get();
	let manifest = audited_manifest();
	let mut s = spec::<T>(AuctionKind::Open);
	s.workload.manifest = manifest_hash(&manifest);
	s.verification = Verification::Audited { rate: Permill::one() };
	Marketplace::<T>::do_post_job(developer::<T>(), s, Some(manifest))?;
	let (p, _) = provider::<T>(1_000)?;
	Marketplace::<T>::do_place_bid(p.clone(), id, 500u32.into())?;
	to_block::<T>(closes_at::<T>(id));
	Marketplace::<T>::do_close_auction(id)?;
	Ok((id, p))
}

/// An output of 4,096 chunks' leaves: its opening has a full frontier (`MAX_FRONTIER` nodes).
fn big_output(byte: u8) -> ResultOpening {
	let leaves: Vec<[u8; 32]> = (0..4_096u32)
		.map(|i| polkadot_sdk::sp_io::hashing::blake2_256(&(byte, i).encode()))
		.collect();
	opening_of(&leaves)
}

/// Completes the audited lease with the digest of `root`: the job is being verified.
fn verifying<T: Config>(id: JobId, p: &T::AccountId, root: H256) -> Result<(), BenchmarkError> {
	let end = Leases::<T>::get(id).map(|l| l.end).unwrap_or_default();
	attend::<T>(id, p, end.saturating_sub(One::one()))?;
	to_block::<T>(end);
	let report = WorkReport::Completed {
		usage: Usage::default(),
		status: H256::repeat_byte(1),
		result: result_digest(id, &root),
	};
	Marketplace::<T>::do_attest(attestation::<T>(id, p, end, report))?;
	Ok(())
}

/// Runs the audit's due draw (at its block); returns the auditor drawn.
fn draw<T: Config>(id: JobId) -> Result<T::AccountId, BenchmarkError> {
	let at = match Audits::<T>::get(id).map(|a| a.stage) {
		Some(AuditStage::Draw { at }) => at,
		_ => return Err(BenchmarkError::Stop("not drawing")),
	};
	to_block::<T>(at);
	drop_timer::<T>(id);
	Marketplace::<T>::fire(id, at);
	Audits::<T>::get(id)
		.and_then(|a| a.auditors.last().map(|r| r.who.clone()))
		.ok_or(BenchmarkError::Stop("no auditor drawn"))
}

fn answer<T: Config>(id: JobId, who: &T::AccountId, root: H256) -> AuditReportOf<T> {
	AuditReport {
		who: who.clone(),
		job: id,
		step: AuditStep::Submit {
			digest: result_digest(id, &root),
			commitment: audit_commitment(id, who, &root),
		},
	}
}

fn opening<T: Config>(id: JobId, who: &T::AccountId, opening: &ResultOpening) -> AuditReportOf<T> {
	AuditReport { who: who.clone(), job: id, step: AuditStep::Open { opening: opening.clone() } }
}

/// An audit after a tie-break: the provider's root `truth`, the first auditor's `other`, the
/// second auditor's `second`, every answer given (nothing opened); returns the two auditors.
fn tie_broken<T: Config + pallet_providers::Config>(
	id: JobId,
	first_root: H256,
	second_root: H256,
) -> Result<(T::AccountId, T::AccountId), BenchmarkError> {
	let a = draw::<T>(id)?;
	Marketplace::<T>::do_audit(answer::<T>(id, &a, first_root))?;
	let b = draw::<T>(id)?;
	Marketplace::<T>::do_audit(answer::<T>(id, &b, second_root))?;
	Ok((a, b))
}

use polkadot_sdk::{frame_support::BoundedVec, sp_runtime::traits::Zero};

#[benchmarks(where T: pallet_providers::Config)]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn post_job() {
		// The worst case: the largest manifest, checked, hashed and stored.
		MinPrice::<T>::put(BalanceOf::<T>::from(1u32));
		let who = developer::<T>();
		let manifest = largest_manifest();
		assert!(manifest.is_well_formed());
		let mut s = spec::<T>(AuctionKind::Open);
		s.workload.manifest = manifest_hash(&manifest);
		let due = System::<T>::block_number().saturating_add(s.bid_window);
		fill_timers::<T>(due);

		#[extrinsic_call]
		_(RawOrigin::Signed(who), s, Some(manifest));

		assert_eq!(NextJobId::<T>::get(), 1);
		assert!(Manifests::<T>::contains_key(0));
		clear_timers::<T>(due);
	}

	#[benchmark]
	fn place_bid(b: Linear<0, { T::MaxBidsPerJob::get() }>) -> Result<(), BenchmarkError> {
		// `b` bids already; at `MaxBidsPerJob` the list is full and the new bid (the best)
		// evicts the worst.
		let id = post::<T>(AuctionKind::Open)?;
		bids::<T>(id, b, 0)?;
		let (who, _) = provider::<T>(10_000)?;

		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), id, 100u32.into());

		assert_eq!(Bids::<T>::get(id).first().map(|b| b.provider.clone()), Some(who));
		Ok(())
	}

	#[benchmark]
	fn lower_bid() -> Result<(), BenchmarkError> {
		let id = post::<T>(AuctionKind::Open)?;
		let who = bids::<T>(id, T::MaxBidsPerJob::get(), 0)?;
		let last = who.last().cloned().ok_or(BenchmarkError::Stop("no bids"))?;

		#[extrinsic_call]
		_(RawOrigin::Signed(last.clone()), id, 100u32.into());

		assert_eq!(Bids::<T>::get(id).first().map(|b| b.provider.clone()), Some(last));
		Ok(())
	}

	#[benchmark]
	fn withdraw_bid() -> Result<(), BenchmarkError> {
		let id = post::<T>(AuctionKind::Open)?;
		let who = bids::<T>(id, T::MaxBidsPerJob::get(), 0)?;
		let first = who.first().cloned().ok_or(BenchmarkError::Stop("no bids"))?;

		#[extrinsic_call]
		_(RawOrigin::Signed(first), id);

		assert_eq!(Bids::<T>::get(id).len() as u32, T::MaxBidsPerJob::get().saturating_sub(1));
		Ok(())
	}

	#[benchmark]
	fn commit_bid() -> Result<(), BenchmarkError> {
		let id = post::<T>(sealed::<T>())?;
		commitments::<T>(id, T::MaxBidsPerJob::get().saturating_sub(1))?;
		let (who, _) = provider::<T>(10_000)?;

		#[extrinsic_call]
		_(RawOrigin::Signed(who), id, H256::repeat_byte(1));

		assert_eq!(Jobs::<T>::get(id).map(|j| j.sealed), Some(T::MaxBidsPerJob::get()));
		Ok(())
	}

	#[benchmark]
	fn reveal_bid() -> Result<(), BenchmarkError> {
		// Every other commitment revealed already; the last reveals the best price.
		let n = T::MaxBidsPerJob::get();
		let id = post::<T>(sealed::<T>())?;
		let who = commitments::<T>(id, n)?;
		to_block::<T>(closes_at::<T>(id));
		Marketplace::<T>::do_close_auction(id)?;
		for (i, p) in who.iter().enumerate().skip(1) {
			Marketplace::<T>::do_reveal_bid(
				p.clone(),
				id,
				(500u32.saturating_add(i as u32)).into(),
				[i as u8; 32],
			)?;
		}
		let first = who.first().cloned().ok_or(BenchmarkError::Stop("no bids"))?;

		#[extrinsic_call]
		_(RawOrigin::Signed(first), id, 500u32.into(), [0u8; 32]);

		assert_eq!(Bids::<T>::get(id).len() as u32, n);
		Ok(())
	}

	#[benchmark]
	fn close_auction() -> Result<(), BenchmarkError> {
		// A full list whose bidders but the last are no longer proven: every one is checked,
		// every deposit returned, the last wins.
		let n = T::MaxBidsPerJob::get();
		let id = post::<T>(AuctionKind::Open)?;
		let who = bids::<T>(id, n, 0)?;
		for p in who.iter().take(n.saturating_sub(1) as usize) {
			pallet_providers::Pallet::<T>::set_status(p, ProviderStatus::Registered)
				.map_err(|_| BenchmarkError::Stop("demote"))?;
		}
		to_block::<T>(closes_at::<T>(id));
		let caller: T::AccountId = whitelisted_caller();

		#[extrinsic_call]
		_(RawOrigin::Signed(caller), id);

		assert_eq!(Leases::<T>::get(id).map(|l| l.provider), who.last().cloned());
		Ok(())
	}

	#[benchmark]
	fn close_unrevealed() -> Result<(), BenchmarkError> {
		// A sealed auction whose `MaxBidsPerJob` commitments are never revealed: every deposit
		// forfeited, the job expires.
		let id = post::<T>(sealed::<T>())?;
		commitments::<T>(id, T::MaxBidsPerJob::get())?;
		to_block::<T>(closes_at::<T>(id));
		Marketplace::<T>::do_close_auction(id)?;
		to_block::<T>(closes_at::<T>(id));

		#[block]
		{
			Marketplace::<T>::do_close_auction(id)?;
		}

		assert!(Jobs::<T>::get(id).is_none());
		Ok(())
	}

	#[benchmark]
	fn cancel_job_bidding() -> Result<(), BenchmarkError> {
		let id = post::<T>(sealed::<T>())?;
		commitments::<T>(id, T::MaxBidsPerJob::get())?;
		let owner = Jobs::<T>::get(id).map(|j| j.owner).ok_or(BenchmarkError::Stop("no job"))?;

		#[extrinsic_call]
		cancel_job(RawOrigin::Signed(owner), id);

		assert!(Jobs::<T>::get(id).is_none());
		Ok(())
	}

	#[benchmark]
	fn cancel_job_running() -> Result<(), BenchmarkError> {
		let (id, p, _) = leased::<T>()?;
		let next = System::<T>::block_number().saturating_add(T::AttestationInterval::get());
		attend::<T>(id, &p, next)?;
		let owner = Jobs::<T>::get(id).map(|j| j.owner).ok_or(BenchmarkError::Stop("no job"))?;

		#[extrinsic_call]
		cancel_job(RawOrigin::Signed(owner), id);

		assert!(Jobs::<T>::get(id).is_none());
		Ok(())
	}

	#[benchmark]
	fn provide_secrets() -> Result<(), BenchmarkError> {
		// A running job whose (largest) manifest declares secrets; the largest sealed secrets.
		let (id, _, _) = leased::<T>()?;
		let manifest = largest_manifest();
		assert!(manifest.needs_secrets());
		Jobs::<T>::mutate(id, |job| {
			if let Some(job) = job {
				job.spec.workload.manifest = manifest_hash(&manifest);
			}
		});
		Manifests::<T>::insert(id, manifest);
		let sealed: SealedSecrets =
			vec![0x5e; MAX_SEALED_SECRETS as usize].try_into().unwrap_or_default();

		#[extrinsic_call]
		_(RawOrigin::Signed(developer::<T>()), id, sealed);

		assert!(Secrets::<T>::contains_key(id));
		Ok(())
	}

	#[benchmark]
	fn attest_running() -> Result<(), BenchmarkError> {
		// With the largest access details, crossing the low-escrow threshold, and re-arming a
		// dropped timer past full queues.
		let (id, p, _) = leased::<T>()?;
		let end = Leases::<T>::get(id).map(|l| l.end).unwrap_or_default();
		let to = end.saturating_sub(One::one());
		to_block::<T>(to);
		drop_timer::<T>(id);
		fill_timers::<T>(to.saturating_add(T::GraceBlocks::get()));
		let a = attestation::<T>(id, &p, to, running(true));

		#[block]
		{
			Marketplace::<T>::do_attest(a)?;
		}

		assert!(Access::<T>::contains_key(id));
		assert!(Jobs::<T>::get(id).and_then(|j| j.timer).is_some());
		Ok(())
	}

	#[benchmark]
	fn attest_completed() -> Result<(), BenchmarkError> {
		// Re-arming a dropped timer at the dispute window's end, past full queues.
		let (id, p, _) = leased::<T>()?;
		let end = Leases::<T>::get(id).map(|l| l.end).unwrap_or_default();
		to_block::<T>(end);
		drop_timer::<T>(id);
		let until = end.saturating_add(T::DisputeWindow::get());
		fill_timers::<T>(until.saturating_add(One::one()));
		let a = attestation::<T>(id, &p, end, completed());

		#[block]
		{
			Marketplace::<T>::do_attest(a)?;
		}

		assert!(matches!(Jobs::<T>::get(id).map(|j| j.phase), Some(JobPhase::Completed { .. })));
		Ok(())
	}

	#[benchmark]
	fn attest_completed_audited() -> Result<(), BenchmarkError> {
		// An audited job's completion: the audit stored, its draw scheduled past full queues.
		let (id, p) = audited_lease::<T>()?;
		let end = Leases::<T>::get(id).map(|l| l.end).unwrap_or_default();
		to_block::<T>(end);
		let at = end.saturating_add(T::AuditDrawDelay::get());
		fill_timers::<T>(at);
		let report = WorkReport::Completed {
			usage: Usage::default(),
			status: H256::repeat_byte(1),
			result: result_digest(id, &big_output(1).root),
		};
		let a = attestation::<T>(id, &p, end, report);

		#[block]
		{
			Marketplace::<T>::do_attest(a)?;
		}

		assert!(Audits::<T>::contains_key(id));
		clear_timers::<T>(at);
		Ok(())
	}

	#[benchmark]
	fn attest_refused() -> Result<(), BenchmarkError> {
		let (id, p, _) = leased::<T>()?;
		let now = System::<T>::block_number();
		let a =
			attestation::<T>(id, &p, now, WorkReport::Refused { reason: Refusal::UnknownWorkload });

		#[block]
		{
			Marketplace::<T>::do_attest(a)?;
		}

		assert!(Jobs::<T>::get(id).is_none());
		Ok(())
	}

	#[benchmark]
	fn authorize_attest() -> Result<(), BenchmarkError> {
		let (id, p, key) = leased::<T>()?;
		let end = Leases::<T>::get(id).map(|l| l.end).unwrap_or_default();
		let to = end.saturating_sub(One::one());
		to_block::<T>(to);
		let attestation = attestation::<T>(id, &p, to, running(true));
		let genesis = System::<T>::block_hash(BlockNumberFor::<T>::zero());
		let signature = key
			.sign(&signing_payload(genesis.as_ref(), &attestation))
			.ok_or(BenchmarkError::Stop("no keystore"))?;
		let call = Call::<T>::attest { attestation, signature };

		#[block]
		{
			call.authorize(TransactionSource::External)
				.ok_or(BenchmarkError::Stop("no authorize"))?
				.map_err(|_| BenchmarkError::Stop("refused"))?;
		}

		Ok(())
	}

	#[benchmark]
	fn authorize_node_bid() -> Result<(), BenchmarkError> {
		// The worst case: an open bid checked against a full list of bids (read whole).
		let id = post::<T>(AuctionKind::Open)?;
		bids::<T>(id, T::MaxBidsPerJob::get(), 0)?;
		let (who, key) = provider::<T>(10_000)?;
		let withdrawals = BidWithdrawals::<T>::get(&who);
		let bid = NodeBid {
			provider: who,
			job: id,
			action: NodeBidAction::Place { price: 100u32.into() },
			// Within the lifetime whichever block the measurement runs in.
			valid_until: System::<T>::block_number().saturating_add(5u32.into()),
			withdrawals,
		};
		let genesis = System::<T>::block_hash(BlockNumberFor::<T>::zero());
		let signature = key
			.sign(&node_bid_payload(genesis.as_ref(), &bid))
			.ok_or(BenchmarkError::Stop("no keystore"))?;
		let call = Call::<T>::bid_from_node { bid, signature };

		#[block]
		{
			call.authorize(TransactionSource::External)
				.ok_or(BenchmarkError::Stop("no authorize"))?
				.map_err(|_| BenchmarkError::Stop("refused"))?;
		}

		Ok(())
	}

	#[benchmark]
	fn claim() -> Result<(), BenchmarkError> {
		// After the longest stretch: one attestation covering all but the last block.
		let (id, p, _) = leased::<T>()?;
		let end = Leases::<T>::get(id).map(|l| l.end).unwrap_or_default();
		attend::<T>(id, &p, end.saturating_sub(One::one()))?;

		#[extrinsic_call]
		_(RawOrigin::Signed(p), id);

		assert_eq!(Leases::<T>::get(id).map(|l| l.accrued), Some(Zero::zero()));
		Ok(())
	}

	#[benchmark]
	fn dispute() -> Result<(), BenchmarkError> {
		let (id, _) = completed_lease::<T>()?;
		let owner = Jobs::<T>::get(id).map(|j| j.owner).ok_or(BenchmarkError::Stop("no job"))?;
		let reason = vec![b'r'; MAX_REASON_LEN as usize].try_into().unwrap_or_default();

		#[extrinsic_call]
		_(RawOrigin::Signed(owner), id, reason);

		assert!(Disputes::<T>::contains_key(id));
		Ok(())
	}

	#[benchmark]
	fn resolve_dispute_developer() -> Result<(), BenchmarkError> {
		let (id, _) = completed_lease::<T>()?;
		let owner = Jobs::<T>::get(id).map(|j| j.owner).ok_or(BenchmarkError::Stop("no job"))?;
		Marketplace::<T>::do_dispute(owner, id, Default::default())?;
		let origin =
			T::DisputeOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;

		#[extrinsic_call]
		resolve_dispute(origin as T::RuntimeOrigin, id, Verdict::Developer);

		assert!(Jobs::<T>::get(id).is_none());
		Ok(())
	}

	#[benchmark]
	fn resolve_dispute_provider() -> Result<(), BenchmarkError> {
		let (id, _) = completed_lease::<T>()?;
		let owner = Jobs::<T>::get(id).map(|j| j.owner).ok_or(BenchmarkError::Stop("no job"))?;
		Marketplace::<T>::do_dispute(owner, id, Default::default())?;
		let origin =
			T::DisputeOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;

		#[extrinsic_call]
		resolve_dispute(origin as T::RuntimeOrigin, id, Verdict::Provider);

		assert!(Jobs::<T>::get(id).is_none());
		Ok(())
	}

	#[benchmark]
	fn set_min_price() -> Result<(), BenchmarkError> {
		let origin =
			T::ParamsOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		let price: BalanceOf<T> = 7u32.into();

		#[extrinsic_call]
		set_min_price(origin as T::RuntimeOrigin, price);

		assert_eq!(MinPrice::<T>::get(), price);
		Ok(())
	}

	#[benchmark]
	fn timers_catch_up(s: Linear<1, 34>) {
		// `s` empty queues read by a cursor that lags: up to what one block of the runtime reads
		// (`max_timer_steps(16)` = 34; a larger budget extrapolates the measured line).
		let s = s.min(crate::impls::max_timer_steps(T::MaxClosesPerBlock::get()));
		let now = System::<T>::block_number().saturating_add(s.into());
		to_block::<T>(now);
		TimerCursor::<T>::put(now.saturating_add(One::one()).saturating_sub(s.into()));

		#[block]
		{
			Marketplace::<T>::process_timers(now);
		}

		assert_eq!(TimerCursor::<T>::get(), Some(now.saturating_add(One::one())));
	}

	#[benchmark]
	fn timer_stale() {
		let now = System::<T>::block_number();

		#[block]
		{
			Marketplace::<T>::fire(7, now);
		}

		assert!(Jobs::<T>::get(7).is_none());
	}

	#[benchmark]
	fn timer_reschedule() -> Result<(), BenchmarkError> {
		// An attended lease's check moves forward: every queue from its next deadline is full,
		// and the queues from the next block all but the last.
		let (id, p, _) = leased::<T>()?;
		let due = Jobs::<T>::get(id).and_then(|j| j.timer).unwrap_or_default();
		attend::<T>(id, &p, due)?;
		let deadline = due.saturating_add(T::GraceBlocks::get());
		fill_queues::<T>(deadline, crate::impls::TIMER_PROBES);
		fill_timers::<T>(due.saturating_add(One::one()));

		#[block]
		{
			Marketplace::<T>::fire(id, due);
		}

		// The last queue from the next block is free unless it is one of the deadline's (a
		// grace period shorter than the probes: then the timer is dropped).
		let last = due.saturating_add(crate::impls::TIMER_PROBES.into());
		let free = T::GraceBlocks::get() > crate::impls::TIMER_PROBES.into();
		assert_eq!(Jobs::<T>::get(id).and_then(|j| j.timer), free.then_some(last));
		Ok(())
	}

	#[benchmark]
	fn job_call_refused() -> Result<(), BenchmarkError> {
		// A call refused on its first read: cancelling a completed job.
		let (id, _) = completed_lease::<T>()?;
		let owner = Jobs::<T>::get(id).map(|j| j.owner).ok_or(BenchmarkError::Stop("no job"))?;
		let refused;

		#[block]
		{
			refused = Marketplace::<T>::do_cancel_job(owner, id);
		}

		assert_eq!(refused, Err(Error::<T>::WrongPhase.into()));
		Ok(())
	}

	#[benchmark]
	fn timer_abandon() -> Result<(), BenchmarkError> {
		let (id, p, _) = leased::<T>()?;
		let next = System::<T>::block_number().saturating_add(T::AttestationInterval::get());
		attend::<T>(id, &p, next)?;
		let due = next.saturating_add(T::GraceBlocks::get());
		to_block::<T>(due);

		#[block]
		{
			Marketplace::<T>::fire(id, due);
		}

		assert!(Jobs::<T>::get(id).is_none());
		Ok(())
	}

	#[benchmark]
	fn timer_settle() -> Result<(), BenchmarkError> {
		let (id, _) = completed_lease::<T>()?;
		let until = match Jobs::<T>::get(id).map(|j| j.phase) {
			Some(JobPhase::Completed { dispute_until, .. }) => dispute_until,
			_ => return Err(BenchmarkError::Stop("not completed")),
		};
		let due = until.saturating_add(One::one());
		to_block::<T>(due);

		#[block]
		{
			Marketplace::<T>::fire(id, due);
		}

		assert!(Jobs::<T>::get(id).is_none());
		Ok(())
	}

	#[benchmark]
	fn post_job_audited() {
		// An audited job: the rate checked against the bounds, a large deterministic manifest.
		MinPrice::<T>::put(BalanceOf::<T>::from(1u32));
		let who = developer::<T>();
		let manifest = audited_manifest();
		let mut s = spec::<T>(AuctionKind::Open);
		s.workload.manifest = manifest_hash(&manifest);
		s.verification = Verification::Audited { rate: Permill::from_percent(50) };
		let due = System::<T>::block_number().saturating_add(s.bid_window);
		fill_timers::<T>(due);

		#[extrinsic_call]
		post_job(RawOrigin::Signed(who), s, Some(manifest));

		assert_eq!(NextJobId::<T>::get(), 1);
		clear_timers::<T>(due);
	}

	#[benchmark]
	fn audit_answer() -> Result<(), BenchmarkError> {
		// The worst case: a first answer that disagrees, which schedules a tie-breaker's draw
		// past full queues.
		let (id, p) = audited_lease::<T>()?;
		provider::<T>(2_000)?;
		provider::<T>(2_001)?;
		verifying::<T>(id, &p, big_output(1).root)?;
		let auditor = draw::<T>(id)?;
		let at = System::<T>::block_number().saturating_add(T::AuditDrawDelay::get());
		fill_timers::<T>(at);
		let report = answer::<T>(id, &auditor, big_output(2).root);

		#[block]
		{
			Marketplace::<T>::do_audit(report)?;
		}

		assert!(matches!(Audits::<T>::get(id).map(|a| a.stage), Some(AuditStage::Draw { .. })));
		clear_timers::<T>(at);
		Ok(())
	}

	#[benchmark]
	fn audit_open() -> Result<(), BenchmarkError> {
		// The worst case: the last opening, after a tie-break, concluding for the provider: the
		// outvoted auditor slashed to the tie-breaker, the tie-breaker paid, the provider paid,
		// the receipt written, the job ended.
		let (id, p) = audited_lease::<T>()?;
		provider::<T>(2_000)?;
		provider::<T>(2_001)?;
		let (truth, wrong) = (big_output(1), big_output(2));
		verifying::<T>(id, &p, truth.root)?;
		let (a, b) = tie_broken::<T>(id, wrong.root, truth.root)?;
		Marketplace::<T>::do_audit(opening::<T>(id, &p, &truth))?;
		Marketplace::<T>::do_audit(opening::<T>(id, &a, &wrong))?;
		let report = opening::<T>(id, &b, &truth);

		#[block]
		{
			Marketplace::<T>::do_audit(report)?;
		}

		assert!(Jobs::<T>::get(id).is_none());
		assert!(Receipts::<T>::contains_key(id));
		Ok(())
	}

	#[benchmark]
	fn authorize_audit() -> Result<(), BenchmarkError> {
		// An auditor's opening of a full frontier: its consistency, digest and commitment
		// checked, then the signature.
		let (id, p) = audited_lease::<T>()?;
		let (auditor, key) = provider::<T>(2_000)?;
		let truth = big_output(1);
		verifying::<T>(id, &p, truth.root)?;
		if draw::<T>(id)? != auditor {
			return Err(BenchmarkError::Stop("another auditor drawn"));
		}
		Marketplace::<T>::do_audit(answer::<T>(id, &auditor, truth.root))?;
		let report = opening::<T>(id, &auditor, &truth);
		let genesis = System::<T>::block_hash(BlockNumberFor::<T>::zero());
		let signature = key
			.sign(&audit_payload(genesis.as_ref(), &report))
			.ok_or(BenchmarkError::Stop("no keystore"))?;
		let call = Call::<T>::audit { report, signature };

		#[block]
		{
			call.authorize(TransactionSource::External)
				.ok_or(BenchmarkError::Stop("no authorize"))?
				.map_err(|_| BenchmarkError::Stop("refused"))?;
		}

		Ok(())
	}

	#[benchmark]
	fn publish_offer() -> Result<(), BenchmarkError> {
		let (offer, signature) = offer_to_replace::<T>()?;
		let who = offer.provider.clone();
		let new = offer.offer.clone();

		#[extrinsic_call]
		_(RawOrigin::Authorized, offer, signature);

		assert_eq!(Offers::<T>::get(&who).map(|o| o.offer), new);
		Ok(())
	}

	#[benchmark]
	fn authorize_offer() -> Result<(), BenchmarkError> {
		let (offer, signature) = offer_to_replace::<T>()?;
		let call = Call::<T>::publish_offer { offer, signature };

		#[block]
		{
			call.authorize(TransactionSource::External)
				.ok_or(BenchmarkError::Stop("no authorize"))?
				.map_err(|_| BenchmarkError::Stop("refused"))?;
		}

		Ok(())
	}

	#[benchmark]
	fn set_audit_params() -> Result<(), BenchmarkError> {
		let origin =
			T::ParamsOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		let params = AuditParams {
			min_rate: Permill::from_percent(2),
			max_rate: Permill::from_percent(50),
			collateral_floor: 7u32.into(),
		};

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, params);

		assert_eq!(AuditBounds::<T>::get(), params);
		Ok(())
	}

	#[benchmark]
	fn timer_draw(c: Linear<1, { T::MaxAuditCandidates::get() }>) -> Result<(), BenchmarkError> {
		// `c` eligible providers read (and weighed) besides the job's own, one drawn.
		let (id, p) = audited_lease::<T>()?;
		for i in 0..c {
			provider::<T>(2_000u32.saturating_add(i))?;
		}
		verifying::<T>(id, &p, big_output(1).root)?;
		let at = match Audits::<T>::get(id).map(|a| a.stage) {
			Some(AuditStage::Draw { at }) => at,
			_ => return Err(BenchmarkError::Stop("not drawing")),
		};
		to_block::<T>(at);
		drop_timer::<T>(id);

		#[block]
		{
			Marketplace::<T>::fire(id, at);
		}

		assert!(matches!(Audits::<T>::get(id).map(|a| a.stage), Some(AuditStage::Run { .. })));
		Ok(())
	}

	#[benchmark]
	fn timer_auditor_missed() -> Result<(), BenchmarkError> {
		// A silent auditor slashed, freed and replaced by a draw scheduled past full queues.
		let (id, p) = audited_lease::<T>()?;
		provider::<T>(2_000)?;
		verifying::<T>(id, &p, big_output(1).root)?;
		draw::<T>(id)?;
		let until = match Audits::<T>::get(id).map(|a| a.stage) {
			Some(AuditStage::Run { until }) => until,
			_ => return Err(BenchmarkError::Stop("not running")),
		};
		to_block::<T>(until);
		drop_timer::<T>(id);
		let at = until.saturating_add(T::AuditDrawDelay::get());
		fill_timers::<T>(at);

		#[block]
		{
			Marketplace::<T>::fire(id, until);
		}

		assert_eq!(Audits::<T>::get(id).map(|a| a.replaced.len()), Some(1));
		clear_timers::<T>(at);
		Ok(())
	}

	#[benchmark]
	fn timer_conclude() -> Result<(), BenchmarkError> {
		// The opening window ends without the provider's root, both auditors' opened: its
		// collateral pays them and the developer, the escrow is refunded, the receipt written.
		let (id, p) = audited_lease::<T>()?;
		provider::<T>(2_000)?;
		provider::<T>(2_001)?;
		let (lie, truth) = (big_output(1), big_output(2));
		verifying::<T>(id, &p, lie.root)?;
		let (a, b) = tie_broken::<T>(id, truth.root, truth.root)?;
		Marketplace::<T>::do_audit(opening::<T>(id, &a, &truth))?;
		Marketplace::<T>::do_audit(opening::<T>(id, &b, &truth))?;
		let until = match Audits::<T>::get(id).map(|a| a.stage) {
			Some(AuditStage::Open { until }) => until,
			_ => return Err(BenchmarkError::Stop("not opening")),
		};
		to_block::<T>(until);
		drop_timer::<T>(id);

		#[block]
		{
			Marketplace::<T>::fire(id, until);
		}

		assert!(Jobs::<T>::get(id).is_none());
		Ok(())
	}

	impl_benchmark_test_suite!(Marketplace, crate::mock::new_test_ext(), crate::mock::Test);
}
