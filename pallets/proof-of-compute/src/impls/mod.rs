//! Proof of compute's logic. `dispatchable` holds what the calls do and how free submissions
//! are authorized; `tick` the period schedule and the sweep for missed challenges; this module
//! what both share: who is challenged, how a challenge is settled, the views of the runtime
//! API, the parameters' bounds and the invariants.

mod dispatchable;
mod tick;

use crate::{pallet::*, traits::*, types::*};
use crucible_primitives::{
	challenge::{challenge_seed, sample_positions, Hash, Opening, Shape, INNER_ALIGN, MAX_BATCH},
	proof_of_compute::{ChallengeParams, ChallengeView, Outcome, OutcomeRecord},
	providers::MAX_GPUS,
};
use pallet_providers::{
	ProviderInspect, ProviderMutate, ProviderSlash, ProviderStatus, ProviderWorkInFlight,
	SlashReason,
};
use polkadot_sdk::{
	frame_support::{pallet_prelude::*, traits::Get},
	frame_system::{self, pallet_prelude::BlockNumberFor},
	sp_runtime::traits::{Saturating, Zero},
};

/// The log target of the pallet and its off-chain worker.
pub(crate) const LOG_TARGET: &str = "proof-of-compute";

impl<T: Config> Pallet<T> {
	/// Whether a provider in `status` since `since` is challenged in a period that started at
	/// `start`: it must be `Registered` or `Active` since the period's first block at the
	/// latest (a provider that joins mid-period is challenged from the next one).
	pub(crate) fn is_challenged(
		status: ProviderStatus,
		since: BlockNumberFor<T>,
		start: BlockNumberFor<T>,
	) -> bool {
		status.is_challengeable() && since <= start
	}

	/// The hash of block 0, which every signed message binds.
	pub(crate) fn genesis_hash() -> T::Hash {
		frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::zero())
	}

	/// The current period and its record.
	pub fn current() -> Option<(PeriodIndex, PeriodInfo<BlockNumberFor<T>>)> {
		CurrentPeriod::<T>::get()
	}

	/// The current period's index.
	pub fn current_index() -> Option<PeriodIndex> {
		CurrentPeriod::<T>::get().map(|(period, _)| period)
	}

	/// The record of `period`: the current one, or a finished one not yet swept.
	pub fn period_info(period: PeriodIndex) -> Option<PeriodInfo<BlockNumberFor<T>>> {
		match CurrentPeriod::<T>::get() {
			Some((current, info)) if current == period => Some(info),
			_ => Periods::<T>::get(period),
		}
	}

	/// The weight of an opening of `samples` samples at inner dimension `inner` with paths of at
	/// most `path`: the call's own costs, and each sample's check (they add up per sample).
	pub fn opening_weight(samples: u32, inner: u32, path: u32) -> Weight {
		use crate::weights::WeightInfo;
		let per_sample = T::WeightInfo::verify_sample(inner / INNER_ALIGN, path);
		T::WeightInfo::submit_opening(samples)
			.saturating_add(per_sample.saturating_mul(u64::from(samples)))
			.saturating_add(T::OnVerifiedCompute::weight())
	}

	/// The longest path among openings (what their weight depends on).
	pub fn longest_path(openings: &[Opening]) -> u32 {
		openings.iter().map(|o| o.path.len() as u32).max().unwrap_or(0)
	}

	/// Whether `provider`'s challenge of `period` is settled.
	pub(crate) fn has_outcome(provider: &T::AccountId, period: PeriodIndex) -> bool {
		Outcomes::<T>::get(provider).iter().any(|o| o.period == period)
	}

	/// The seed of `provider`'s challenge in `period`.
	pub(crate) fn provider_seed(
		info: &PeriodInfo<BlockNumberFor<T>>,
		provider: &T::AccountId,
		period: PeriodIndex,
	) -> Hash {
		challenge_seed(&info.seed, provider, period)
	}

	/// Settles `provider`'s challenge of `period`: records the outcome, then applies it through
	/// the registry (reputation, status, slash).
	pub(crate) fn settle(
		provider: &T::AccountId,
		period: PeriodIndex,
		params: &ChallengeParams,
		outcome: Outcome,
	) {
		Self::record_outcome(provider, period, outcome);
		let result = match outcome {
			Outcome::Passed { .. } => T::Providers::note_success(provider, params.pass_reputation)
				.and_then(|()| {
					if T::Providers::status(provider) == Some(ProviderStatus::Registered) {
						T::Providers::set_status(provider, ProviderStatus::Active)
					} else {
						Ok(())
					}
				}),
			Outcome::Failed(_) => Self::punish(
				provider,
				params.failed_slash,
				SlashReason::FailedChallenge,
				params.fail_reputation,
			),
			Outcome::Missed => Self::punish(
				provider,
				params.missed_slash,
				SlashReason::MissedChallenge,
				params.miss_reputation,
			),
		};
		if let Err(e) = result {
			// The provider was challenged, so it is registered: the registry has no reason to
			// refuse. Should it, the outcome stands on record here.
			log::error!(target: LOG_TARGET, "registry refused the outcome of {period}: {e:?}");
		}
	}

	/// This pallet's part of settling: the outcome in the provider's history, verified compute
	/// units counted and reported, the event.
	pub(crate) fn record_outcome(provider: &T::AccountId, period: PeriodIndex, outcome: Outcome) {
		let at = frame_system::Pallet::<T>::block_number();
		Outcomes::<T>::mutate(provider, |recent| {
			// In period order: the sweep may settle a missed period after the provider's next
			// challenge was already settled by its opening. When full, the oldest goes.
			let index = recent.iter().position(|o| o.period > period).unwrap_or(recent.len());
			if recent
				.force_insert_keep_right(index, OutcomeRecord { period, at, outcome })
				.is_err()
			{
				// Older than every kept outcome of a full list: the sweep lags at most
				// `MaxUnsweptPeriods` periods, fewer than `RECENT_OUTCOMES` (`integrity_test`).
				polkadot_sdk::frame_support::defensive!("an outcome older than every kept one");
			}
		});
		match outcome {
			Outcome::Passed { units } => {
				PeriodUnits::<T>::mutate(period, |u| *u = u.saturating_add(units));
				ProviderUnits::<T>::mutate(provider, |u| *u = u.saturating_add(units));
				T::OnVerifiedCompute::on_verified_compute(provider, period, units);
				Self::deposit_event(Event::ChallengePassed {
					provider: provider.clone(),
					period,
					units,
				});
			},
			Outcome::Failed(reason) => Self::deposit_event(Event::ChallengeFailed {
				provider: provider.clone(),
				period,
				reason,
			}),
			Outcome::Missed =>
				Self::deposit_event(Event::ChallengeMissed { provider: provider.clone(), period }),
		}
	}

	/// Slashes, lowers the reputation and takes an `Active` provider back to `Registered`.
	fn punish(
		provider: &T::AccountId,
		share: polkadot_sdk::sp_runtime::Permill,
		reason: SlashReason,
		reputation: polkadot_sdk::sp_runtime::Permill,
	) -> DispatchResult {
		T::Providers::slash(provider, share, reason)?;
		T::Providers::note_failure(provider, reputation)?;
		if T::Providers::status(provider) == Some(ProviderStatus::Active) {
			T::Providers::set_status(provider, ProviderStatus::Registered)?;
		}
		Ok(())
	}

	/// Whether `who` owes a challenge it has not given: one of the current period, or of a
	/// finished period the sweep has not settled yet; or it holds a commitment not yet opened
	/// or cleared by the sweep.
	pub(crate) fn owes_a_challenge(who: &T::AccountId) -> bool {
		if Commitments::<T>::contains_key(who) {
			return true;
		}
		let Some(current) = Self::current_index() else { return false };
		let Some(prover) = T::Providers::prover_info(who) else { return false };
		if !prover.status.is_challengeable() {
			return false;
		}
		let outcomes = Outcomes::<T>::get(who);
		(Sweep::<T>::get().period..=current).any(|period| {
			Self::period_info(period).is_some_and(|info| {
				Self::is_challenged(prover.status, prover.status_since, info.start) &&
					!outcomes.iter().any(|o| o.period == period)
			})
		})
	}

	/// Checks parameters against the bounds: windows that fit the period, a valid product
	/// shape, and batches that stay valid for a host of the most GPUs.
	pub fn validate_params(params: &ChallengeParams) -> Result<(), Error<T>> {
		ensure!(
			params.period > 0 &&
				params.period <= T::MaxPeriod::get() &&
				params.commit_window > 0 &&
				// The sample seed's blocks, then at least one block to open in.
				params.commit_window.saturating_add(SEED_BLOCKS).saturating_add(1) <=
					params.open_window &&
				params.open_window <= params.period,
			Error::<T>::InvalidWindows
		);
		ensure!(
			params.samples > 0 && params.samples <= T::MaxSamples::get(),
			Error::<T>::InvalidSamples
		);
		ensure!(params.inner <= T::MaxInner::get(), Error::<T>::InnerTooLarge);
		ensure!(
			params.failed_slash <= T::MaxSlash::get() && params.missed_slash <= T::MaxSlash::get(),
			Error::<T>::SlashTooLarge
		);
		ensure!(params.leaf_size <= T::MaxLeafSize::get(), Error::<T>::LeafTooLarge);
		let one = Shape { batch: 1, rows: params.rows, inner: params.inner, cols: params.cols };
		ensure!(one.validate(params.leaf_size).is_ok(), Error::<T>::InvalidShape);
		let largest = params.batches.max().saturating_mul(MAX_GPUS);
		ensure!(
			params.batches.min() > 0 &&
				largest <= MAX_BATCH &&
				Shape { batch: largest, ..one }.validate(params.leaf_size).is_ok(),
			Error::<T>::InvalidBatch
		);
		Ok(())
	}

	/// `provider`'s challenge in the current period, for the runtime API: what to compute,
	/// the windows, and how far it got.
	pub fn challenge_view(provider: &T::AccountId) -> Option<ChallengeView<BlockNumberFor<T>>> {
		let (period, info) = Self::current()?;
		let prover = T::Providers::prover_info(provider)?;
		let outcome = Outcomes::<T>::get(provider)
			.iter()
			.find(|o| o.period == period)
			.map(|o| o.outcome);
		let committed =
			Commitments::<T>::get(provider).filter(|c| c.period == period).map(|c| c.root);
		if !Self::is_challenged(prover.status, prover.status_since, info.start) &&
			outcome.is_none() &&
			committed.is_none()
		{
			return None;
		}
		let shape = info.params.shape_for(&prover.profile);
		let positions = match (&info.sample_seed, committed) {
			(Some(sample_seed), Some(_)) =>
				sample_positions(sample_seed, provider, period, &shape, info.params.samples),
			_ => Default::default(),
		};
		let now = frame_system::Pallet::<T>::block_number();
		Some(ChallengeView {
			period,
			period_start: info.start,
			seed: Self::provider_seed(&info, provider, period),
			shape,
			leaf_size: info.params.leaf_size,
			samples: info.params.samples,
			commit_until: info.commit_until(),
			sample_at: info.sample_at(),
			open_until: info.open_until(),
			phase: info.phase_at(now),
			committed,
			positions,
			outcome,
		})
	}

	/// `provider`'s recent outcomes, oldest first, for the runtime API.
	pub fn recent_outcomes(
		provider: &T::AccountId,
	) -> alloc::vec::Vec<OutcomeRecord<BlockNumberFor<T>>> {
		Outcomes::<T>::get(provider).into_inner()
	}

	/// The parameters of the current period (or, before the first, the next ones).
	pub fn params_in_force() -> ChallengeParams {
		Self::current().map(|(_, info)| info.params).unwrap_or_else(Params::<T>::get)
	}

	/// Proof of compute's invariants, each a named check:
	/// - `try_state_periods`: the finished periods kept are exactly those from the sweep's period
	///   up to the current one (excluded), at most `MaxUnsweptPeriods`; every kept record (and the
	///   current one) has valid parameters, and a sample seed once its block is finalized and never
	///   before;
	/// - `try_state_commitments`: every commitment is of a registered provider, not settled, and of
	///   a kept period (or of one dropped unswept, which the sweep clears on its next visit);
	/// - `try_state_outcomes`: outcomes, heartbeats and lifetime units only of providers with a
	///   registry record; each provider's outcomes are in increasing period order, none after the
	///   current period;
	/// - `try_state_units`: for each of the last `RECENT_OUTCOMES` periods, the units of passed
	///   outcomes sum to `PeriodUnits` (less those of providers whose record is gone);
	/// - `try_state_heartbeats`: no heartbeat is for a future period.
	#[cfg(any(feature = "try-runtime", feature = "std"))]
	pub fn do_try_state() -> Result<(), polkadot_sdk::sp_runtime::TryRuntimeError> {
		Self::try_state_periods()?;
		Self::try_state_commitments()?;
		Self::try_state_outcomes()?;
		Self::try_state_units()?;
		Self::try_state_heartbeats()
	}

	#[cfg(any(feature = "try-runtime", feature = "std"))]
	fn try_state_periods() -> Result<(), polkadot_sdk::sp_runtime::TryRuntimeError> {
		let Some((current, current_info)) = CurrentPeriod::<T>::get() else {
			ensure!(Periods::<T>::iter_keys().next().is_none(), "periods before the first one");
			return Ok(());
		};
		let sweep = Sweep::<T>::get().period;
		ensure!(sweep <= current.saturating_add(1), "the sweep is ahead of the periods");
		let now = frame_system::Pallet::<T>::block_number();
		let mut kept = 0u32;
		let check = |info: &PeriodInfo<BlockNumberFor<T>>| -> Result<(), &'static str> {
			ensure!(Self::validate_params(&info.params).is_ok(), "a period with invalid params");
			// Fixed in `on_finalize` of `sample_at`: during that block it may or may not be set.
			ensure!(
				info.sample_seed.is_none() || now >= info.sample_at(),
				"sample seed set before its block"
			);
			ensure!(
				info.sample_seed.is_some() || now <= info.sample_at(),
				"sample seed missing after its block"
			);
			Ok(())
		};
		check(&current_info)?;
		ensure!(current_info.start <= now, "the current period starts in the future");
		for (period, info) in Periods::<T>::iter() {
			kept = kept.saturating_add(1);
			ensure!(period < current, "a finished period record that is not finished");
			ensure!(period >= sweep, "a swept period is still kept");
			check(&info)?;
		}
		ensure!(kept <= T::MaxUnsweptPeriods::get(), "too many period records");
		for period in sweep..current {
			ensure!(Periods::<T>::contains_key(period), "an unswept period has no record");
		}
		Ok(())
	}

	#[cfg(any(feature = "try-runtime", feature = "std"))]
	fn try_state_commitments() -> Result<(), polkadot_sdk::sp_runtime::TryRuntimeError> {
		let sweep = Sweep::<T>::get().period;
		let current = Self::current_index().unwrap_or_default();
		for (who, commitment) in Commitments::<T>::iter() {
			ensure!(commitment.period <= current, "a commitment from the future");
			ensure!(
				Self::period_info(commitment.period).is_some() || commitment.period < sweep,
				"a commitment of a lost period"
			);
			ensure!(T::Providers::status(&who).is_some(), "a commitment of an unknown provider");
			ensure!(!Self::has_outcome(&who, commitment.period), "a settled commitment is kept");
		}
		Ok(())
	}

	#[cfg(any(feature = "try-runtime", feature = "std"))]
	fn try_state_outcomes() -> Result<(), polkadot_sdk::sp_runtime::TryRuntimeError> {
		let current = Self::current_index().unwrap_or_default();
		let known = |who: &T::AccountId| T::Providers::status(who).is_some();
		ensure!(Outcomes::<T>::iter_keys().all(|w| known(&w)), "outcomes of an unknown provider");
		ensure!(
			Heartbeats::<T>::iter_keys().all(|w| known(&w)),
			"a heartbeat of an unknown provider"
		);
		ensure!(ProviderUnits::<T>::iter_keys().all(|w| known(&w)), "units of an unknown provider");
		for (_, outcomes) in Outcomes::<T>::iter() {
			ensure!(
				outcomes
					.windows(2)
					.all(|w| w.first().map(|a| a.period) < w.get(1).map(|b| b.period)),
				"outcomes out of order"
			);
			ensure!(outcomes.iter().all(|o| o.period <= current), "an outcome from the future");
		}
		Ok(())
	}

	#[cfg(any(feature = "try-runtime", feature = "std"))]
	fn try_state_units() -> Result<(), polkadot_sdk::sp_runtime::TryRuntimeError> {
		let Some(current) = Self::current_index() else { return Ok(()) };
		let oldest = current.saturating_sub(RECENT_OUTCOMES.saturating_sub(1));
		for period in oldest..=current {
			let sum = Outcomes::<T>::iter_values()
				.flat_map(|o| o.into_iter())
				.filter(|o| o.period == period)
				.fold(0u128, |sum, o| match o.outcome {
					Outcome::Passed { units } => sum.saturating_add(units),
					_ => sum,
				});
			// Equal but for the outcomes of providers whose record is gone (they left with it).
			ensure!(sum <= PeriodUnits::<T>::get(period), "period units below the outcomes");
		}
		Ok(())
	}

	#[cfg(any(feature = "try-runtime", feature = "std"))]
	fn try_state_heartbeats() -> Result<(), polkadot_sdk::sp_runtime::TryRuntimeError> {
		let current = Self::current_index().unwrap_or_default();
		ensure!(
			Heartbeats::<T>::iter_values().all(|h| h.period <= current),
			"a heartbeat from the future"
		);
		Ok(())
	}
}

impl<T: Config> ProviderWorkInFlight<T::AccountId> for Pallet<T> {
	fn has_work_in_flight(provider: &T::AccountId) -> bool {
		Self::owes_a_challenge(provider)
	}
	fn has_open_challenge(provider: &T::AccountId) -> bool {
		Self::owes_a_challenge(provider)
	}
	/// Its outcomes, heartbeat and lifetime units go with its record (emissions keeps the
	/// work it was credited).
	fn on_provider_removed(provider: &T::AccountId) {
		Outcomes::<T>::remove(provider);
		Heartbeats::<T>::remove(provider);
		ProviderUnits::<T>::remove(provider);
	}
}

impl<T: Config> VerifiedComputeInspect<T::AccountId> for Pallet<T> {
	fn current_period() -> Option<PeriodIndex> {
		Self::current_index()
	}
	fn units_in(provider: &T::AccountId, period: PeriodIndex) -> u128 {
		Outcomes::<T>::get(provider)
			.iter()
			.find(|o| o.period == period)
			.map(|o| match o.outcome {
				Outcome::Passed { units } => units,
				_ => 0,
			})
			.unwrap_or(0)
	}
	fn period_units(period: PeriodIndex) -> u128 {
		PeriodUnits::<T>::get(period)
	}
	fn lifetime_units(provider: &T::AccountId) -> u128 {
		ProviderUnits::<T>::get(provider)
	}
}

// Used by `tick`: the registry's weights for what settling a challenge asks of it.
pub(crate) fn registry_settle_weight<T: Config>() -> Weight {
	<T::Providers as ProviderSlash<T::AccountId>>::slash_weight()
		.saturating_add(<T::Providers as ProviderMutate<T::AccountId>>::note_outcome_weight())
		.saturating_add(<T::Providers as ProviderMutate<T::AccountId>>::set_status_weight())
}
