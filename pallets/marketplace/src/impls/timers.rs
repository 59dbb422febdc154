//! The timer queue: each live job waits in exactly one block's queue for its next deadline —
//! its auction's close, its reveal window's end, its lease's grace check, the end of its
//! dispute window, or its dispute's timeout. `on_initialize` processes at most `MaxClosesPerBlock`
//! due jobs, oldest block first; the rest wait for the next block (or for anyone's
//! `close_auction`). Nothing iterates jobs: a block's queue is bounded, and a lease's check
//! moves forward to `last attestation + GraceBlocks` each time it finds the lease attended.

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
			TimerWork::Stale => T::DbWeight::get().reads(1),
			TimerWork::Close =>
				T::WeightInfo::close_auction().max(T::WeightInfo::close_unrevealed()),
			TimerWork::Reschedule => T::WeightInfo::timer_reschedule(),
			TimerWork::Abandon => T::WeightInfo::timer_abandon(),
			TimerWork::Settle => T::WeightInfo::timer_settle(),
			TimerWork::Resolve => T::WeightInfo::resolve_dispute_provider(),
		}
	}

	/// Processes the due timers of blocks up to `now`, at most `MaxClosesPerBlock` of them;
	/// returns the weight used.
	pub(crate) fn process_timers(now: BlockNumberFor<T>) -> Weight {
		let mut weight = T::WeightInfo::timers_base();
		let mut cursor = TimerCursor::<T>::get().unwrap_or(now).min(now);
		let mut budget = T::MaxClosesPerBlock::get();
		// Each step is one queue read; a lagging cursor catches up by more than one block per
		// block, so it never falls further behind.
		let mut steps = budget.saturating_mul(2).saturating_add(2);
		while cursor <= now && budget > 0 && steps > 0 {
			steps = steps.saturating_sub(1);
			let mut queue = Timers::<T>::take(cursor);
			weight = weight.saturating_add(T::DbWeight::get().reads_writes(1, 1));
			let mut kept = alloc::vec::Vec::new();
			while budget > 0 && !queue.is_empty() {
				let id = queue.remove(0);
				budget = budget.saturating_sub(1);
				let (work, retry) = Self::fire(id, now);
				if retry {
					kept.push(id);
				}
				weight = weight.saturating_add(Self::timer_weight(work));
			}
			for id in kept {
				// There is room: `id` was taken out of this queue just now.
				let _ = queue.try_push(id);
			}
			if !queue.is_empty() {
				Timers::<T>::insert(cursor, queue);
				break;
			}
			cursor = cursor.saturating_add(One::one());
		}
		TimerCursor::<T>::put(cursor);
		weight
	}

	/// Does what job `id`'s due timer asks; says what it did, and whether the job must stay
	/// in the current queue (it could not be moved: every later queue was full).
	pub(crate) fn fire(id: JobId, now: BlockNumberFor<T>) -> (TimerWork, bool) {
		let Some(mut job) = Jobs::<T>::get(id) else { return (TimerWork::Stale, false) };
		job.timer = None;
		let next = match job.phase {
			JobPhase::Bidding { .. } | JobPhase::Revealing { .. } => {
				Self::close(id, job);
				return (TimerWork::Close, false);
			},
			JobPhase::Running => {
				let Some(lease) = Leases::<T>::get(id) else {
					defensive!("a running job without a lease");
					return (TimerWork::Stale, false);
				};
				let deadline = lease.last_seen.saturating_add(T::GraceBlocks::get());
				if now >= deadline {
					Self::abandon(id, job, lease);
					return (TimerWork::Abandon, false);
				}
				deadline
			},
			JobPhase::Completed { dispute_until, .. } => {
				if now > dispute_until {
					Self::settle(id, job);
					return (TimerWork::Settle, false);
				}
				dispute_until.saturating_add(One::one())
			},
			JobPhase::Disputed { .. } => {
				// Nobody decided in time: the provider is upheld.
				if Self::resolve(id, job, Verdict::Provider, true).is_err() {
					defensive!("a disputed job without its dispute or lease");
				}
				return (TimerWork::Resolve, false);
			},
		};
		match Self::schedule(id, next) {
			Ok(at) => {
				job.timer = Some(at);
				Jobs::<T>::insert(id, job);
				(TimerWork::Reschedule, false)
			},
			Err(_) => (TimerWork::Reschedule, true),
		}
	}
}
