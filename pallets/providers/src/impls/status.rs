//! The status machine (the provider's pause and resume, governance's suspension, the judging
//! pallets' moves) and reputation.

use super::NEUTRAL_REPUTATION;
use crate::{pallet::*, traits::*, types::*, weights::WeightInfo};
use polkadot_sdk::{
	frame_support::{ensure, pallet_prelude::*},
	frame_system::{self, pallet_prelude::BlockNumberFor},
	sp_runtime::{
		traits::{CheckedDiv, Saturating},
		DispatchError, DispatchResult, Permill,
	},
};

impl<T: Config> Pallet<T> {
	/// The record of a provider that has not deregistered.
	pub(crate) fn listed(who: &T::AccountId) -> Result<ProviderRecord<T>, DispatchError> {
		let record = Providers::<T>::get(who).ok_or(Error::<T>::NotRegistered)?;
		ensure!(record.status != ProviderStatus::Leaving, Error::<T>::InvalidStatus);
		Ok(record)
	}

	pub(crate) fn do_pause(who: T::AccountId) -> DispatchResult {
		// Nobody steps out of a challenge they are failing.
		ensure!(!T::WorkInFlight::has_open_challenge(&who), Error::<T>::ChallengeOpen);
		Self::transition(&who, ProviderStatus::Paused, |from| {
			matches!(from, ProviderStatus::Active | ProviderStatus::Registered)
		})
	}

	pub(crate) fn do_resume(who: T::AccountId) -> DispatchResult {
		// Resumed hardware is proven again before it earns.
		Self::transition(&who, ProviderStatus::Registered, |from| from == ProviderStatus::Paused)
	}

	pub(crate) fn do_force_suspend(who: &T::AccountId) -> DispatchResult {
		Self::transition(who, ProviderStatus::Suspended, |from| from != ProviderStatus::Suspended)
	}

	pub(crate) fn do_force_resume(who: &T::AccountId) -> DispatchResult {
		// Back to `Registered` (to be proven again), or to `Underbonded` if slashes took the bond
		// below the minimum meanwhile.
		let to = match Providers::<T>::get(who) {
			Some(record) if record.bond < Self::min_bond(&record.profile) =>
				ProviderStatus::Underbonded,
			_ => ProviderStatus::Registered,
		};
		Self::transition(who, to, |from| from == ProviderStatus::Suspended)
	}

	/// A judging pallet's status change: only the moves [`ProviderStatus::judge_may_move`]
	/// allows.
	pub(crate) fn do_set_status(who: &T::AccountId, to: ProviderStatus) -> DispatchResult {
		Self::transition(who, to, |from| from == to || from.judge_may_move(to))
	}

	/// Moves a listed provider to `to` if `allowed` accepts its current status (else
	/// `InvalidStatus`); nothing happens when it is there already. Only `deregister` makes a
	/// provider `Leaving`.
	fn transition(
		who: &T::AccountId,
		to: ProviderStatus,
		allowed: impl FnOnce(ProviderStatus) -> bool,
	) -> DispatchResult {
		let mut record = Self::listed(who)?;
		let from = record.status;
		ensure!(allowed(from), Error::<T>::InvalidStatus);
		if from == to {
			return Ok(());
		}
		record.status = to;
		// Proven or demoted, a provider stays in the challenge pool: its clock does not
		// restart, or a demotion (a late sweep's punishment) would skip its next challenge and a
		// pass would excuse a miss the sweep has not reached yet.
		if !(from.is_challengeable() && to.is_challengeable()) {
			record.status_since = frame_system::Pallet::<T>::block_number();
		}
		Providers::<T>::insert(who, record);
		Self::deposit_event(Event::StatusChanged { provider: who.clone(), from, to });
		Ok(())
	}

	/// The reputation as of the current block: the stored score with decay towards neutral
	/// applied for every whole `ReputationDecayPeriod` since it was written.
	pub(crate) fn reputation_now(
		rep: &Reputation<BlockNumberFor<T>>,
	) -> Reputation<BlockNumberFor<T>> {
		let now = frame_system::Pallet::<T>::block_number();
		let elapsed = now.saturating_sub(rep.updated_at);
		let period = T::ReputationDecayPeriod::get().max(1u32.into());
		let periods: u32 =
			elapsed.checked_div(&period).unwrap_or_default().try_into().unwrap_or(u32::MAX);
		let keep = (Permill::one().saturating_sub(T::ReputationDecay::get()))
			.saturating_pow(periods.min(10_000) as usize);
		let score = if rep.score >= NEUTRAL_REPUTATION {
			NEUTRAL_REPUTATION
				.saturating_add(keep.saturating_mul(rep.score.saturating_sub(NEUTRAL_REPUTATION)))
		} else {
			NEUTRAL_REPUTATION
				.saturating_sub(keep.saturating_mul(NEUTRAL_REPUTATION.saturating_sub(rep.score)))
		};
		Reputation { score, updated_at: now }
	}

	fn note_outcome(who: &T::AccountId, weight: Permill, success: bool) -> DispatchResult {
		let mut record = Providers::<T>::get(who).ok_or(Error::<T>::NotRegistered)?;
		let Reputation { score: current, updated_at } = Self::reputation_now(&record.reputation);
		let score = if success {
			current.saturating_add(weight.saturating_mul(Permill::one().saturating_sub(current)))
		} else {
			current.saturating_sub(weight.saturating_mul(current))
		};
		record.reputation = Reputation { score, updated_at };
		Providers::<T>::insert(who, record);
		Self::deposit_event(Event::ReputationChanged { provider: who.clone(), score });
		Ok(())
	}
}

impl<T: Config> ProviderMutate<T::AccountId> for Pallet<T> {
	fn set_status(provider: &T::AccountId, status: ProviderStatus) -> DispatchResult {
		Self::do_set_status(provider, status)
	}
	fn note_success(provider: &T::AccountId, weight: Permill) -> DispatchResult {
		Self::note_outcome(provider, weight, true)
	}
	fn note_failure(provider: &T::AccountId, weight: Permill) -> DispatchResult {
		Self::note_outcome(provider, weight, false)
	}
	fn set_status_weight() -> Weight {
		T::WeightInfo::set_status()
	}
	fn note_outcome_weight() -> Weight {
		T::WeightInfo::note_success().max(T::WeightInfo::note_failure())
	}
}
