//! The marketplace's invariants, checked after every unit test, every block of the property
//! test, and by try-runtime.

#![cfg(any(feature = "try-runtime", feature = "std", test))]

use super::*;
use alloc::{collections::btree_map::BTreeMap, vec::Vec};
use crucible_primitives::marketplace::{manifest_hash, AuctionKind, JobPhase};
use pallet_providers::ProviderInspect;
use polkadot_sdk::{
	frame_support::traits::{fungible::hold::Inspect as _, Get},
	frame_system::pallet_prelude::BlockNumberFor,
	sp_runtime::TryRuntimeError,
};

type Sums<T> = BTreeMap<<T as polkadot_sdk::frame_system::Config>::AccountId, BalanceOf<T>>;

fn add<T: Config>(sums: &mut Sums<T>, who: &T::AccountId, amount: BalanceOf<T>) {
	let entry = sums.entry(who.clone()).or_insert_with(Zero::zero);
	*entry = entry.saturating_add(amount);
}

fn check(ok: bool, what: &'static str) -> Result<(), TryRuntimeError> {
	if ok {
		Ok(())
	} else {
		Err(TryRuntimeError::Other(what))
	}
}

impl<T: Config> Pallet<T> {
	/// The invariants:
	/// - `escrow`: each account's `JobEscrow` hold = Σ (escrow + deposit) of its jobs, and a
	///   lease's accrued payment is within its job's escrow;
	/// - `bid deposits`: each account's `BidDeposit` hold = Σ deposits of its live bids and sealed
	///   commitments;
	/// - `dispute deposits`: each account's `DisputeDeposit` hold = Σ its open disputes' deposits,
	///   and a dispute exists exactly for each disputed job;
	/// - `bids`: ordered (price, reputation, time), one per provider, only on jobs taking bids or
	///   reveals; sealed commitments counted in their job's `sealed`, at most `MaxBidsPerJob`, only
	///   on sealed jobs;
	/// - `leases`: a lease exactly for each running, completed or disputed job, its provider
	///   registered, listed once in `ProviderLeases`, and nothing else listed there;
	/// - `timers`: each live job (a disputed one too, until its timeout) is in exactly one queue,
	///   the one at its `timer`, or — a lease's or completed job's dropped timer — in none; queues
	///   hold only live jobs, none behind the cursor (the cursor never passes a job); no job id at
	///   or above `NextJobId`;
	/// - `withdrawals`: a withdrawal count only for a provider with a registry record;
	/// - `offers`: a standing offer only for a provider with a registry record, with a price and at
	///   least one lease, published no later than now;
	/// - `manifests`: a manifest only for a live job, hashing to its spec's `workload.manifest`,
	///   well formed; sealed secrets only for a leased job whose manifest declares them;
	/// - `leased GPUs`: each provider's `LeasedGpus` is the sum of its leases' and its audits' GPU
	///   counts, at most the GPUs it declared (leases and audits take GPUs, they do not share
	///   them);
	/// - `collateral`: each provider's `AuditCollateral` hold = Σ collateral of its leases (the
	///   audited jobs in flight), and only an audited job's lease has collateral;
	/// - `audits`: a job being verified has an audit, an audit is of an audited job; no auditor is
	///   the job's provider or developer, or drawn twice; while the job is verified each of its
	///   auditors has it in `Assignments`, and `Assignments` lists nothing else;
	/// - `receipts`: only of the last `MaxReceipts` job ids.
	pub fn do_try_state() -> Result<(), TryRuntimeError> {
		Self::try_state_money()?;
		Self::try_state_bids()?;
		Self::try_state_leases()?;
		Self::try_state_timers()?;
		check(
			Manifests::<T>::iter().all(|(id, manifest)| {
				Jobs::<T>::get(id).is_some_and(|job| {
					manifest_hash(&manifest) == job.spec.workload.manifest &&
						manifest.is_well_formed()
				})
			}),
			"manifests: one of no live job, or not the spec's",
		)?;
		check(
			Secrets::<T>::iter_keys().all(|id| {
				Leases::<T>::contains_key(id) &&
					Manifests::<T>::get(id).is_some_and(|m| m.needs_secrets())
			}),
			"secrets: of no leased job whose manifest declares them",
		)?;
		Self::try_state_audits()?;
		check(
			BidWithdrawals::<T>::iter_keys().all(|who| T::Providers::status(&who).is_some()),
			"withdrawals: a count of a provider with no record",
		)?;
		check(
			Offers::<T>::iter().all(|(who, standing)| {
				T::Providers::status(&who).is_some() &&
					!standing.offer.price_per_gpu.is_zero() &&
					standing.offer.max_leases > 0 &&
					standing.updated_at <= Self::now()
			}),
			"offers: of a provider with no record, malformed, or from the future",
		)
	}

	fn try_state_audits() -> Result<(), TryRuntimeError> {
		let mut collateral = Sums::<T>::new();
		for (id, lease) in Leases::<T>::iter() {
			let audited = Jobs::<T>::get(id).is_some_and(|j| Self::audit_rate(&j.spec).is_some());
			check(audited || lease.collateral.is_zero(), "collateral: on a job not audited")?;
			add::<T>(&mut collateral, &lease.provider, lease.collateral);
		}
		for (who, sum) in collateral.iter() {
			check(
				T::Currency::balance_on_hold(&HoldReason::AuditCollateral.into(), who) == *sum,
				"collateral: hold differs from the audited leases",
			)?;
		}
		let mut assigned = BTreeMap::<T::AccountId, Vec<JobId>>::new();
		for (id, job) in Jobs::<T>::iter() {
			let verifying = matches!(job.phase, JobPhase::Verifying { .. });
			let audit = Audits::<T>::get(id);
			check(!verifying || audit.is_some(), "audits: a job verified without its audit")?;
			let Some(audit) = audit else { continue };
			check(Self::audit_rate(&job.spec).is_some(), "audits: of a job not audited")?;
			let provider = Leases::<T>::get(id).map(|l| l.provider);
			for (i, a) in audit.auditors.iter().enumerate() {
				check(
					Some(&a.who) != provider.as_ref() && a.who != job.owner,
					"audits: the provider or the developer audits the job",
				)?;
				check(
					audit.auditors.iter().skip(i.saturating_add(1)).all(|b| b.who != a.who) &&
						!audit.replaced.contains(&a.who),
					"audits: an auditor drawn twice",
				)?;
				if verifying {
					assigned.entry(a.who.clone()).or_default().push(id);
				}
			}
		}
		check(Audits::<T>::iter_keys().all(Jobs::<T>::contains_key), "audits: of no live job")?;
		for (who, jobs) in Assignments::<T>::iter() {
			let mut jobs = jobs.into_inner();
			jobs.sort();
			let mut expected = assigned.remove(&who).unwrap_or_default();
			expected.sort();
			check(jobs == expected, "audits: Assignments disagree with the audits")?;
		}
		check(assigned.is_empty(), "audits: an auditor at work without its assignment")?;
		let next = NextJobId::<T>::get();
		let window = u64::from(T::MaxReceipts::get());
		check(
			Receipts::<T>::iter_keys().all(|id| id < next && id.saturating_add(window) >= next),
			"receipts: one outside the kept window",
		)
	}

	fn try_state_money() -> Result<(), TryRuntimeError> {
		let mut escrow = Sums::<T>::new();
		let mut bids = Sums::<T>::new();
		let mut disputes = Sums::<T>::new();
		for (id, job) in Jobs::<T>::iter() {
			add::<T>(&mut escrow, &job.owner, job.escrow.saturating_add(job.deposit));
			if let Some(lease) = Leases::<T>::get(id) {
				check(lease.accrued <= job.escrow, "escrow: accrued above the escrow")?;
			}
			let disputed = matches!(job.phase, JobPhase::Disputed { .. });
			match Disputes::<T>::get(id) {
				Some(d) => {
					check(disputed, "dispute deposits: a dispute on a job not disputed")?;
					add::<T>(&mut disputes, &job.owner, d.deposit);
				},
				None => check(!disputed, "dispute deposits: a disputed job without a dispute")?,
			}
			for bid in Bids::<T>::get(id) {
				add::<T>(&mut bids, &bid.provider, bid.deposit);
			}
		}
		for (_, provider, sealed) in SealedBids::<T>::iter() {
			add::<T>(&mut bids, &provider, sealed.deposit);
		}
		for (reason, sums, what) in [
			(HoldReason::JobEscrow, &escrow, "escrow: hold differs from the jobs"),
			(HoldReason::BidDeposit, &bids, "bid deposits: hold differs from the bids"),
			(HoldReason::DisputeDeposit, &disputes, "dispute deposits: hold differs"),
		] {
			for (who, sum) in sums.iter() {
				check(T::Currency::balance_on_hold(&reason.into(), who) == *sum, what)?;
			}
		}
		Ok(())
	}

	fn try_state_bids() -> Result<(), TryRuntimeError> {
		for (id, bids) in Bids::<T>::iter() {
			let job = Jobs::<T>::get(id).ok_or(TryRuntimeError::Other("bids: on no job"))?;
			check(
				matches!(job.phase, JobPhase::Bidding { .. } | JobPhase::Revealing { .. }),
				"bids: on a job not taking bids",
			)?;
			let ordered = bids.windows(2).all(|w| match w {
				[a, b] =>
					(a.price, core::cmp::Reverse(a.reputation), a.placed_at) <=
						(b.price, core::cmp::Reverse(b.reputation), b.placed_at),
				_ => true,
			});
			check(ordered, "bids: out of order")?;
			let mut providers: Vec<_> = bids.iter().map(|b| b.provider.clone()).collect();
			providers.sort();
			providers.dedup();
			check(providers.len() == bids.len(), "bids: two from one provider")?;
		}
		for (id, job) in Jobs::<T>::iter() {
			let count = SealedBids::<T>::iter_prefix(id).count() as u32;
			check(count == job.sealed, "bids: sealed commitments miscounted")?;
			check(count <= T::MaxBidsPerJob::get(), "bids: too many sealed commitments")?;
			if count > 0 {
				check(
					matches!(job.spec.auction, AuctionKind::Sealed { .. }),
					"bids: commitments on an open auction",
				)?;
			}
		}
		for (id, _, _) in SealedBids::<T>::iter() {
			check(Jobs::<T>::contains_key(id), "bids: a commitment on no job")?;
		}
		Ok(())
	}

	fn try_state_leases() -> Result<(), TryRuntimeError> {
		for (id, job) in Jobs::<T>::iter() {
			let leased = matches!(
				job.phase,
				JobPhase::Running |
					JobPhase::Completed { .. } |
					JobPhase::Disputed { .. } |
					JobPhase::Verifying { .. }
			);
			check(Leases::<T>::contains_key(id) == leased, "leases: lease and phase disagree")?;
		}
		let mut listed = 0usize;
		let mut gpus_of = BTreeMap::<T::AccountId, u32>::new();
		for (provider, jobs) in ProviderLeases::<T>::iter() {
			check(!jobs.is_empty(), "leases: an empty list kept")?;
			let mut gpus = 0u32;
			for id in jobs.iter() {
				let lease = Leases::<T>::get(id)
					.ok_or(TryRuntimeError::Other("leases: listed job without lease"))?;
				check(lease.provider == provider, "leases: listed under another provider")?;
				let job = Jobs::<T>::get(id)
					.ok_or(TryRuntimeError::Other("leases: listed job without a job"))?;
				gpus = gpus.saturating_add(job.spec.requirement.min_gpu_count);
				listed = listed.saturating_add(1);
			}
			let declared =
				T::Providers::profile(&provider).map(|(p, _)| p.gpu_count()).unwrap_or_default();
			check(gpus <= declared, "leased GPUs: more than the provider declared")?;
			gpus_of.insert(provider, gpus);
		}
		for (auditor, jobs) in Assignments::<T>::iter() {
			let mut gpus = gpus_of.get(&auditor).copied().unwrap_or_default();
			for id in jobs.iter() {
				let job = Jobs::<T>::get(id)
					.ok_or(TryRuntimeError::Other("audits: an assignment of no job"))?;
				gpus = gpus.saturating_add(job.spec.requirement.min_gpu_count);
			}
			let declared =
				T::Providers::profile(&auditor).map(|(p, _)| p.gpu_count()).unwrap_or_default();
			check(gpus <= declared, "leased GPUs: more than the auditor declared")?;
			gpus_of.insert(auditor, gpus);
		}
		for (provider, gpus) in LeasedGpus::<T>::iter() {
			check(gpus > 0, "leased GPUs: a zero count kept")?;
			check(
				gpus_of.remove(&provider) == Some(gpus),
				"leased GPUs: the count disagrees with the leases",
			)?;
		}
		check(gpus_of.values().all(|g| *g == 0), "leased GPUs: leases whose GPUs are not counted")?;
		let mut leases = 0usize;
		for (_, lease) in Leases::<T>::iter() {
			leases = leases.saturating_add(1);
			check(
				T::Providers::status(&lease.provider).is_some(),
				"leases: provider not registered",
			)?;
			check(lease.attested_through <= lease.end, "leases: attested past the end")?;
		}
		check(listed == leases, "leases: ProviderLeases and Leases disagree")
	}

	fn try_state_timers() -> Result<(), TryRuntimeError> {
		let mut seen = BTreeMap::<JobId, BlockNumberFor<T>>::new();
		let cursor = TimerCursor::<T>::get();
		for (block, queue) in Timers::<T>::iter() {
			check(!queue.is_empty(), "timers: an empty queue kept")?;
			check(cursor.is_none_or(|c| block >= c), "timers: a queue behind the cursor")?;
			for id in queue {
				check(seen.insert(id, block).is_none(), "timers: a job queued twice")?;
			}
		}
		let next = NextJobId::<T>::get();
		for (id, job) in Jobs::<T>::iter() {
			check(id < next, "timers: a job id not assigned yet")?;
			let queued = seen.remove(&id);
			check(queued == job.timer, "timers: a live job not at its timer")?;
			check(
				job.timer.is_some() ||
					matches!(
						job.phase,
						JobPhase::Running | JobPhase::Completed { .. } | JobPhase::Verifying { .. }
					),
				"timers: only a lease's or a completed job's timer may be dropped",
			)?;
		}
		check(seen.is_empty(), "timers: a queue holds a job that ended")
	}
}
