//! The period schedule (`on_finalize`: O(1) per block) and the sweep for missed challenges
//! (`on_idle`: a bounded number of providers per block, with the weight left).

use super::*;
use crate::weights::WeightInfo;
use crucible_primitives::proof_of_compute::FailureReason;
use polkadot_sdk::{
	frame_support::traits::Randomness, sp_io::hashing::blake2_256, sp_runtime::traits::One,
};

impl<T: Config> Pallet<T> {
	/// The weight of what `tick` will do at `now`, charged in `on_initialize`.
	pub(crate) fn tick_weight(now: BlockNumberFor<T>) -> Weight {
		match Self::current() {
			Some((_, info)) if now < info.next_start() =>
				if now == info.sample_at() {
					T::WeightInfo::fix_samples()
				} else {
					T::WeightInfo::tick_quiet()
				},
			_ => T::WeightInfo::start_period(),
		}
	}

	/// Notes this block's randomness; starts a period, or fixes the current one's sample seed,
	/// when `now` is their block. Runs in `on_finalize`, where the randomness is this block's
	/// VRF output.
	pub(crate) fn tick(now: BlockNumberFor<T>) {
		Self::note_randomness();
		match Self::current() {
			Some((period, mut info)) if now < info.next_start() => {
				if now == info.sample_at() && info.sample_seed.is_none() {
					info.sample_seed = Some(Self::seed(b"crucible:poc:samples", period));
					CurrentPeriod::<T>::put((period, info));
					Self::deposit_event(Event::SamplesFixed { period });
				}
			},
			_ => Self::start_period(now),
		}
	}

	/// Appends this block's randomness to the last `SEED_BLOCKS` blocks'; without BABE (tests,
	/// benchmarks, the genesis block) the parent hash stands in.
	fn note_randomness() {
		let (random, _) = T::Randomness::random(b"crucible:poc:block");
		let this = match random {
			Some(r) => blake2_256(r.as_ref()),
			None => blake2_256(frame_system::Pallet::<T>::parent_hash().as_ref()),
		};
		RecentRandomness::<T>::mutate(|recent| {
			if recent.is_full() {
				recent.remove(0);
			}
			let _ = recent.try_push(this);
		});
	}

	/// The seed for `subject` and `period`: the hash of the last `SEED_BLOCKS` blocks'
	/// randomness (this block's last), so that it is known only once the last of them is
	/// built, and no one author chose it.
	fn seed(subject: &[u8], period: PeriodIndex) -> Hash {
		blake2_256(&(subject, period, RecentRandomness::<T>::get()).encode())
	}

	pub(crate) fn start_period(now: BlockNumberFor<T>) {
		let previous = Self::current();
		let period = previous.as_ref().map_or(0, |(p, _)| p.saturating_add(1));
		let info = PeriodInfo {
			start: now,
			seed: Self::seed(b"crucible:poc:period", period),
			sample_seed: None,
			params: Params::<T>::get(),
		};
		let seed = info.seed;
		CurrentPeriod::<T>::put((period, info));

		let mut sweep = Sweep::<T>::get();
		// The previous period waits for the sweep, unless the sweep is already past it.
		if let Some((previous, previous_info)) = previous {
			if sweep.period <= previous {
				Periods::<T>::insert(previous, previous_info);
			}
		}
		// Keep at most `MaxUnsweptPeriods` finished periods waiting for the sweep.
		if period.saturating_sub(sweep.period) > T::MaxUnsweptPeriods::get() {
			Periods::<T>::remove(sweep.period);
			Self::deposit_event(Event::SweepSkipped { period: sweep.period });
			sweep = SweepState { period: sweep.period.saturating_add(1), cursor: None };
			Sweep::<T>::put(&sweep);
		}
		if let Some(old) = period.checked_sub(UNITS_RETENTION) {
			PeriodUnits::<T>::remove(old);
		}
		Self::deposit_event(Event::PeriodStarted { period, start: now, seed });
	}

	/// The weight of visiting one provider in the sweep, and of settling its challenge.
	fn sweep_step_weights() -> (Weight, Weight) {
		let visit =
			T::WeightInfo::sweep_visit().saturating_add(T::Providers::providers_after_weight(1));
		let settle = T::WeightInfo::record_outcome().saturating_add(registry_settle_weight::<T>());
		(visit, settle)
	}

	/// Visits providers of the oldest finished period not yet swept, with the weight left in
	/// the block (and at most `MaxSweepPerBlock`): settles, as missed or failed, each challenged
	/// provider that neither passed nor failed; forgets leaving providers. Returns the weight
	/// used.
	pub(crate) fn sweep(now: BlockNumberFor<T>, remaining: Weight) -> Weight {
		let base = T::WeightInfo::sweep_base();
		if remaining.any_lt(base) {
			return Weight::zero();
		}
		let mut used = base;
		let Some(current) = Self::current_index() else { return used };
		let mut state = Sweep::<T>::get();
		if state.period > current {
			return used;
		}
		let Some(info) = Self::period_info(state.period) else {
			// Defensive: a period without a record cannot be swept; go on with the next.
			state = SweepState { period: state.period.saturating_add(1), cursor: None };
			Sweep::<T>::put(state);
			return used;
		};
		if now <= info.open_until() {
			// Its windows are not over yet.
			return used;
		}
		let (visit, settle) = Self::sweep_step_weights();
		let step = visit.saturating_add(settle);
		let mut visited = 0u32;
		while visited < T::MaxSweepPerBlock::get() && used.saturating_add(step).all_lte(remaining) {
			used = used.saturating_add(visit);
			let Some(who) =
				T::Providers::providers_after(state.cursor.as_ref(), 1).into_iter().next()
			else {
				// Every provider visited: the period is done.
				if state.period < current {
					Periods::<T>::remove(state.period);
				}
				state = SweepState { period: state.period.saturating_add(1), cursor: None };
				break;
			};
			if Self::sweep_one(&who, state.period, &info, current) {
				used = used.saturating_add(settle);
			}
			state.cursor = Some(who);
			visited = visited.saturating_add(1);
		}
		Sweep::<T>::put(state);
		used
	}

	/// One provider of the sweep of `period`: settles its challenge if it owed one and gave
	/// nothing (missed) or committed without opening (failed). A provider no longer challenged
	/// (suspended, underbonded, leaving) is not punished, and a commitment it left is dropped.
	/// Returns whether it settled.
	pub(crate) fn sweep_one(
		who: &T::AccountId,
		period: PeriodIndex,
		info: &PeriodInfo<BlockNumberFor<T>>,
		current: u32,
	) -> bool {
		let stale = Commitments::<T>::get(who).filter(|c| c.period <= period);
		let prover = T::Providers::prover_info(who);
		let owed = prover.as_ref().is_some_and(|p| {
			Self::is_challenged(p.status, p.status_since, info.start) &&
				!Self::has_outcome(who, period)
		});
		if !owed {
			if stale.is_some() {
				Commitments::<T>::remove(who);
			}
			if prover.is_some_and(|p| p.status == ProviderStatus::Leaving) {
				Self::forget_if_idle(who, current);
			}
			return false;
		}
		let outcome = match stale {
			Some(c) if c.period == period => {
				Commitments::<T>::remove(who);
				Outcome::Failed(FailureReason::Unopened)
			},
			Some(_) => {
				// Of a period dropped unswept: nobody can judge it any more.
				Commitments::<T>::remove(who);
				Outcome::Missed
			},
			None => Outcome::Missed,
		};
		Self::settle(who, period, &info.params, outcome);
		true
	}

	/// Removes what this pallet keeps of a leaving provider once its last outcome is older
	/// than the outcomes anybody reads (`RECENT_OUTCOMES` periods).
	fn forget_if_idle(who: &T::AccountId, current: u32) {
		let last = Outcomes::<T>::get(who).last().map(|o| o.period);
		let idle = last.is_none_or(|p| p.saturating_add(RECENT_OUTCOMES) <= current);
		if idle {
			Outcomes::<T>::remove(who);
			Heartbeats::<T>::remove(who);
			ProviderUnits::<T>::remove(who);
			Commitments::<T>::remove(who);
		}
	}

	/// The weight budget the sweep needs to make progress: used by the benchmarks and the
	/// integrity test.
	pub fn sweep_step_weight() -> Weight {
		let (visit, settle) = Self::sweep_step_weights();
		visit.saturating_add(settle)
	}
}

// `One` is used by the period arithmetic of `PeriodInfo`.
#[allow(unused_imports)]
use One as _;
