//! The timer queue: each live job waits in one block's queue for its next deadline — its
//! auction's close, its reveal window's end, its lease's grace check, the end of its dispute
//! window, or its dispute's timeout. Nothing iterates jobs: a block's queue is bounded, and a
//! lease's check moves forward to `last attestation + GraceBlocks` each time it finds the lease
//! attended.
//!
//! The queue keeps up by construction: a block admits at most `MaxTimersPerBlock` timers and
//! `on_initialize` processes up to `MaxClosesPerBlock` ≥ that many (`integrity_test`), so the
//! queue of the current block always empties in its block, and a cursor left behind (after an
//! upgrade) catches up by more than a block per block. The cursor never waits on a job: a check
//! that must move on goes to the first queue with room from its next deadline, else from the
//! next block (an early check only moves on again), and when every one of those queues is full
//! the job's timer is dropped (`TimerDropped`) rather than kept: the next attestation re-arms a
//! running lease's timer, and anyone may run a timerless job's due check (`close_auction`).

use super::*;
use crucible_primitives::marketplace::JobPhase;
use polkadot_sdk::{
	frame_support::{traits::Get, weights::Weight},
	frame_system::pallet_prelude::BlockNumberFor,
	sp_runtime::traits::One,
};

/// How many blocks after its due block a job's timer may go when those blocks' queues are
/// full.
pub const TIMER_PROBES: u32 = 16;

/// The most queues one block's `on_initialize` reads for a cursor `budget` closes allow: two per
/// close and two more, so that a lagging cursor gains on the chain.
pub const fn max_timer_steps(budget: u32) -> u32 {
	budget.saturating_mul(2).saturating_add(2)
}

impl<T: Config> Pallet<T> {
	/// Puts `id` in the first queue with room from block `at` on; returns that block.
	pub(crate) fn schedule(
		id: JobId,
		at: BlockNumberFor<T>,
	) -> Result<BlockNumberFor<T>, Error<T>> {
		let mut block = at;
		for _ in 0..TIMER_PROBES {
			if Timers::<T>::try_mutate(block, |queue| queue.try_push(id)).is_ok() {
				return Ok(block);
			}
			block = block.saturating_add(One::one());
		}
		Err(Error::<T>::TimersFull)
	}

	/// Takes `id` out of block `at`'s queue.
	pub(crate) fn unschedule(id: JobId, at: BlockNumberFor<T>) {
		Timers::<T>::mutate_exists(at, |queue| {
			if let Some(q) = queue {
				q.retain(|j| *j != id);
				if q.is_empty() {
					*queue = None;
				}
			}
		});
	}

	/// The weight of one due job, by what it did.
	fn timer_weight(work: TimerWork) -> Weight {
		match work {
			TimerWork::Stale => T::WeightInfo::timer_stale(),
			TimerWork::Close =>
				T::WeightInfo::close_auction().max(T::WeightInfo::close_unrevealed()),
			TimerWork::Reschedule => T::WeightInfo::timer_reschedule(),
			TimerWork::Abandon => T::WeightInfo::timer_abandon(),
			TimerWork::Settle =>
				T::WeightInfo::timer_settle().saturating_add(T::OnLeaseSettled::weight()),
			TimerWork::Resolve => T::WeightInfo::resolve_dispute_provider()
				.saturating_add(T::OnLeaseSettled::weight()),
			TimerWork::Draw => T::WeightInfo::timer_draw(T::MaxAuditCandidates::get()),
			TimerWork::AuditorMissed => T::WeightInfo::timer_auditor_missed(),
			TimerWork::Conclude =>
				T::WeightInfo::timer_conclude().saturating_add(T::OnLeaseSettled::weight()),
		}
	}

	/// The most a due check of one job costs: an auction's close or any other timer's work
	/// (`close_auction`'s weight, which runs either).
	pub(crate) fn max_timer_weight() -> Weight {
		[
			TimerWork::Stale,
			TimerWork::Close,
			TimerWork::Reschedule,
			TimerWork::Abandon,
			TimerWork::Settle,
			TimerWork::Resolve,
			TimerWork::Draw,
			TimerWork::AuditorMissed,
			TimerWork::Conclude,
		]
		.into_iter()
		.fold(Weight::zero(), |w, work| w.max(Self::timer_weight(work)))
	}

	/// Processes the due timers of blocks up to `now`, at most `MaxClosesPerBlock` of them,
	/// reading at most `max_timer_steps` queues; returns the weight used.
	pub(crate) fn process_timers(now: BlockNumberFor<T>) -> Weight {
		let mut cursor = TimerCursor::<T>::get().unwrap_or(now).min(now);
		let mut budget = T::MaxClosesPerBlock::get();
		let steps = max_timer_steps(budget);
		let mut read = 0u32;
		let mut weight = Weight::zero();
		while cursor <= now && budget > 0 && read < steps {
			read = read.saturating_add(1);
			let mut queue = Timers::<T>::take(cursor);
			while budget > 0 && !queue.is_empty() {
				let id = queue.remove(0);
				budget = budget.saturating_sub(1);
				weight = weight.saturating_add(Self::timer_weight(Self::fire(id, now)));
			}
			if !queue.is_empty() {
				// The budget is spent: the rest of this queue goes first next block.
				Timers::<T>::insert(cursor, queue);
				break;
			}
			cursor = cursor.saturating_add(One::one());
		}
		TimerCursor::<T>::put(cursor);
		weight.saturating_add(T::WeightInfo::timers_catch_up(read))
	}

	/// Does what job `id`'s due timer asks (the job is out of its queue); says what it did.
	pub(crate) fn fire(id: JobId, now: BlockNumberFor<T>) -> TimerWork {
		let Some(mut job) = Jobs::<T>::get(id) else { return TimerWork::Stale };
		job.timer = None;
		let next = match job.phase {
			JobPhase::Bidding { .. } | JobPhase::Revealing { .. } => {
				Self::close(id, job);
				return TimerWork::Close;
			},
			JobPhase::Running => {
				let Some(lease) = Leases::<T>::get(id) else {
					defensive!("a running job without a lease");
					return TimerWork::Stale;
				};
				let deadline = lease.last_seen.saturating_add(T::GraceBlocks::get());
				if now >= deadline {
					Self::abandon(id, job, lease);
					return TimerWork::Abandon;
				}
				deadline
			},
			JobPhase::Completed { dispute_until, .. } => {
				if now > dispute_until {
					Self::settle(id, job);
					return TimerWork::Settle;
				}
				dispute_until.saturating_add(One::one())
			},
			JobPhase::Disputed { .. } => {
				// Nobody decided in time: the provider is upheld.
				if Self::resolve(id, job, Verdict::Provider, true).is_err() {
					defensive!("a disputed job without its dispute or lease");
				}
				return TimerWork::Resolve;
			},
			JobPhase::Verifying { .. } => return Self::audit_due(id, job, now),
		};
		// From the next deadline on, else from the next block: a check before its deadline
		// only moves on again.
		Self::move_timer(id, &mut job, next);
		Jobs::<T>::insert(id, job);
		TimerWork::Reschedule
	}

	/// Puts a timerless job back in a queue, from block `at` on (after an attestation); it
	/// stays timerless if the queues ahead are still full.
	pub(crate) fn rearm(id: JobId, job: &mut JobOf<T>, at: BlockNumberFor<T>) {
		if job.timer.is_none() {
			job.timer = Self::schedule(id, at).ok();
		}
	}
}
