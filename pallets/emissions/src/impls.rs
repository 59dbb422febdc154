//! The pallet's logic: eras, the mint and its split, claims, expiry, the burn and slash
//! handlers, bounded parameter changes, the `tokenomics` view and the invariants.

use crate::{pallet::*, IssuanceTotals, ParamsOf, WeightInfo, WorkRecord};
use core::marker::PhantomData;
use crucible_primitives::{
	emissions::{EraIndex, EraRecord, Tokenomics},
	Balance,
};
use polkadot_sdk::{
	frame_support::{
		defensive,
		pallet_prelude::*,
		traits::{
			fungible::{Balanced, Credit, Inspect, Mutate},
			tokens::{imbalance::Imbalance as _, Fortitude, Preservation},
			OnUnbalanced,
		},
	},
	frame_system::pallet_prelude::BlockNumberFor,
	sp_runtime::{
		helpers_128bit::multiply_by_rational_with_rounding,
		traits::{AccountIdConversion, Saturating, Zero},
		Permill,
	},
};

#[cfg(any(feature = "try-runtime", feature = "std", test))]
use polkadot_sdk::sp_runtime::TryRuntimeError;

const LOG_TARGET: &str = "runtime::emissions";

/// `pool × part / total`, rounded down; 0 when `total` is 0.
fn pro_rata(pool: Balance, part: u128, total: u128) -> Balance {
	if total == 0 {
		return 0;
	}
	multiply_by_rational_with_rounding(pool, part, total, polkadot_sdk::sp_runtime::Rounding::Down)
		.unwrap_or(0)
}

/// Whether `new` is within `max_change` of `old` (relative), or within `min_step` (absolute).
fn within(old: u128, new: u128, max_change: Permill, min_step: u128) -> bool {
	let allowed = max_change.mul_floor(old).max(min_step);
	old.abs_diff(new) <= allowed
}

/// One percentage point of a `Permill`.
const SHARE_STEP: u128 = 10_000;
/// 0.01 percentage points of a `Perbill`.
const DECAY_STEP: u128 = 100_000;

impl<T: Config> Pallet<T> {
	/// The account of the providers' rewards pot.
	pub fn pot() -> T::AccountId {
		T::PalletId::get().into_account_truncating()
	}

	/// Genesis: the pot and the treasury exist, era 0 starts, the issuance is recorded.
	pub(crate) fn start_at_genesis() {
		let ed = T::Currency::minimum_balance();
		for account in [Self::pot(), T::TreasuryAccount::get()] {
			if T::Currency::balance(&account) < ed {
				let _ = T::Currency::mint_into(&account, ed);
			}
		}
		CurrentEra::<T>::put(0);
		EraStart::<T>::put(BlockNumberFor::<T>::zero());
		OldestEra::<T>::put(0);
		Eras::<T>::insert(0, EraRecord::default());
		Totals::<T>::put(IssuanceTotals {
			genesis: T::Currency::total_issuance(),
			..Default::default()
		});
	}

	pub(crate) fn do_on_initialize(now: BlockNumberFor<T>) -> Weight {
		let mut weight =
			T::WeightInfo::on_initialize_idle().saturating_add(T::WeightInfo::fold_burned());
		let start = EraStart::<T>::get();
		if now.saturating_sub(start) >= T::EraLength::get() {
			Self::close_era(now);
			weight.saturating_accrue(T::WeightInfo::close_era());
		}
		let oldest = OldestEra::<T>::get();
		let window = Params::<T>::get().claim_window;
		if oldest.saturating_add(window) < CurrentEra::<T>::get() {
			Self::expire_era(oldest);
			weight.saturating_accrue(T::WeightInfo::expire_era());
		}
		weight
	}

	/// What the current era mints at its close, after the supply cap.
	pub fn next_emission() -> Balance {
		Self::capped_emission(&Params::<T>::get(), CurrentEra::<T>::get())
	}

	/// `params`' emission for `era`, capped at what is left below `MaxSupply`.
	fn capped_emission(params: &ParamsOf, era: EraIndex) -> Balance {
		let room = T::MaxSupply::get().saturating_sub(T::Currency::total_issuance());
		params.emission(era).min(room)
	}

	/// Closes the current era: mints its emission, split among the providers' pools (only for
	/// work verified in it), the validators and the treasury; starts the next era.
	pub(crate) fn close_era(now: BlockNumberFor<T>) {
		let era = CurrentEra::<T>::get();
		let params = Params::<T>::get();
		let emission = Self::capped_emission(&params, era);
		let mut record = Eras::<T>::get(era).unwrap_or_default();

		let validators = params.validators.mul_floor(emission);
		let treasury = params.treasury.mul_floor(emission);
		let providers = emission.saturating_sub(validators).saturating_sub(treasury);
		// The lease pool is at most the era's lease fees: whoever leases to itself (or to an
		// account it owns) earns back at most the fees it paid. The rest of the market's part
		// goes to verified compute, or is not minted when there is none.
		let lease_cap = record.lease_fees;
		let (compute_pool, lease_pool) = match (record.compute_units > 0, record.lease_fees > 0) {
			(true, true) => {
				let lease = params.market_weight.mul_floor(providers).min(lease_cap);
				(providers.saturating_sub(lease), lease)
			},
			(true, false) => (providers, 0),
			(false, true) => (0, providers.min(lease_cap)),
			// No verified work: the providers' share is not minted.
			(false, false) => (0, 0),
		};

		let mut minted: Balance = 0;
		if !validators.is_zero() {
			let credit = T::Currency::issue(validators);
			minted.saturating_accrue(credit.peek());
			T::ValidatorRewards::on_unbalanced(credit);
		}
		let treasury_paid = T::Currency::mint_into(&T::TreasuryAccount::get(), treasury)
			.unwrap_or_else(|_| Zero::zero());
		minted.saturating_accrue(treasury_paid);
		let pools = compute_pool.saturating_add(lease_pool);
		let (compute_pool, lease_pool) = match T::Currency::mint_into(&Self::pot(), pools) {
			Ok(_) => {
				minted.saturating_accrue(pools);
				(compute_pool, lease_pool)
			},
			Err(e) => {
				defensive!("the rewards pot refused the mint");
				log::error!(target: LOG_TARGET, "pot mint failed: {e:?}");
				(0, 0)
			},
		};

		let mut totals = Self::take_totals();
		totals.minted.saturating_accrue(minted);
		record.minted = minted;
		record.compute_pool = compute_pool;
		record.lease_pool = lease_pool;
		(record.burned, record.slashed) = totals.this_era();
		totals.burned_at_era_start = totals.burned;
		totals.slashed_at_era_start = totals.slashed;
		Totals::<T>::put(totals);
		Eras::<T>::insert(era, record);

		let next = era.saturating_add(1);
		EraBaseline::<T>::kill();
		CurrentEra::<T>::put(next);
		EraStart::<T>::put(now);
		Eras::<T>::insert(next, EraRecord::default());
		Self::deposit_event(Event::EraClosed {
			era,
			minted,
			compute_pool,
			lease_pool,
			validators,
			treasury: treasury_paid,
		});
	}

	/// Ends `era`'s claim window: what its pools still hold goes to the treasury.
	pub(crate) fn expire_era(era: EraIndex) {
		let record = Eras::<T>::take(era).unwrap_or_default();
		let unclaimed = record
			.compute_pool
			.saturating_add(record.lease_pool)
			.saturating_sub(record.claimed);
		let moved = if unclaimed.is_zero() {
			0
		} else {
			T::Currency::transfer(
				&Self::pot(),
				&T::TreasuryAccount::get(),
				unclaimed,
				Preservation::Preserve,
			)
			.unwrap_or_else(|e| {
				defensive!("the pot could not pay an expired era to the treasury");
				log::error!(target: LOG_TARGET, "expiry of era {era} failed: {e:?}");
				0
			})
		};
		OldestEra::<T>::put(era.saturating_add(1));
		Self::deposit_event(Event::EraExpired { era, to_treasury: moved });
	}

	/// Credits `provider` with work in the current era: `compute_units` from proof of
	/// compute, `lease_fees` (the protocol fees of its settled leases) from the marketplace.
	/// Constant cost: the era's running sums and the provider's own list.
	pub fn note_work(provider: &T::AccountId, compute_units: u128, lease_fees: Balance) {
		if compute_units == 0 && lease_fees == 0 {
			return;
		}
		let era = CurrentEra::<T>::get();
		let oldest = OldestEra::<T>::get();
		let credited = ProviderWork::<T>::mutate(provider, |list| {
			list.retain(|r| r.era >= oldest);
			if let Some(last) = list.last_mut().filter(|r| r.era == era) {
				last.compute_units.saturating_accrue(compute_units);
				last.lease_fees.saturating_accrue(lease_fees);
				return true;
			}
			list.try_push(WorkRecord { era, compute_units, lease_fees }).is_ok()
		});
		if !credited {
			defensive!("a provider's work records are full");
			return;
		}
		Eras::<T>::mutate(era, |record| {
			let record = record.get_or_insert_with(Default::default);
			record.compute_units.saturating_accrue(compute_units);
			record.lease_fees.saturating_accrue(lease_fees);
		});
	}

	/// What `provider` may claim for `era` now, and its work record's place in its list.
	fn claimable_at(
		provider: &T::AccountId,
		era: EraIndex,
	) -> Result<(Balance, usize, WorkRecord), Error<T>> {
		let current = CurrentEra::<T>::get();
		ensure!(era < current, Error::<T>::EraNotClosed);
		let window = Params::<T>::get().claim_window;
		ensure!(
			era >= OldestEra::<T>::get() && era.saturating_add(window) >= current,
			Error::<T>::ClaimExpired
		);
		let record = Eras::<T>::get(era).ok_or(Error::<T>::ClaimExpired)?;
		let list = ProviderWork::<T>::get(provider);
		let (index, work) = list
			.iter()
			.enumerate()
			.find(|(_, r)| r.era == era)
			.map(|(i, r)| (i, r.clone()))
			.ok_or(Error::<T>::NothingToClaim)?;
		let amount = pro_rata(record.compute_pool, work.compute_units, record.compute_units)
			.saturating_add(pro_rata(record.lease_pool, work.lease_fees, record.lease_fees));
		Ok((amount, index, work))
	}

	/// What `provider` may claim for `era` now (0 if nothing).
	pub fn claimable(provider: &T::AccountId, era: EraIndex) -> Balance {
		Self::claimable_at(provider, era).map(|(amount, _, _)| amount).unwrap_or(0)
	}

	pub(crate) fn do_claim(provider: &T::AccountId, era: EraIndex) -> DispatchResult {
		let (amount, index, work) = Self::claimable_at(provider, era)?;
		if !amount.is_zero() {
			T::Currency::transfer(&Self::pot(), provider, amount, Preservation::Preserve)
				.map_err(|_| Error::<T>::PotExhausted)?;
		}
		ProviderWork::<T>::mutate_exists(provider, |list| {
			if let Some(l) = list {
				if index < l.len() {
					l.remove(index);
				}
				if l.is_empty() {
					*list = None;
				}
			}
		});
		Eras::<T>::mutate(era, |record| {
			if let Some(r) = record {
				r.claimed.saturating_accrue(amount);
				r.claimed_units.saturating_accrue(work.compute_units);
				r.claimed_lease_fees.saturating_accrue(work.lease_fees);
			}
		});
		Self::deposit_event(Event::Claimed { provider: provider.clone(), era, amount });
		Ok(())
	}

	/// Checks the parameters on their own: shares whole, claim window in range.
	pub fn validate(params: &ParamsOf) -> Result<(), Error<T>> {
		ensure!(params.shares_sum_to_one(), Error::<T>::SharesNotWhole);
		ensure!(
			params.claim_window >= 1 && params.claim_window <= T::MaxClaimWindow::get(),
			Error::<T>::InvalidClaimWindow
		);
		Ok(())
	}

	/// Checks that every parameter moves within the bound from `old` to `new`.
	pub fn check_bounds(old: &ParamsOf, new: &ParamsOf) -> Result<(), Error<T>> {
		let max = T::MaxChange::get();
		let share = |a: Permill, b: Permill| {
			within(a.deconstruct().into(), b.deconstruct().into(), max, SHARE_STEP)
		};
		ensure!(within(old.initial, new.initial, max, 0), Error::<T>::InitialChangeTooLarge);
		ensure!(
			within(old.decay.deconstruct().into(), new.decay.deconstruct().into(), max, DECAY_STEP),
			Error::<T>::DecayChangeTooLarge
		);
		ensure!(
			within(old.floor, new.floor, max, Permill::from_percent(1).mul_floor(old.initial)),
			Error::<T>::FloorChangeTooLarge
		);
		ensure!(
			share(old.providers, new.providers) &&
				share(old.validators, new.validators) &&
				share(old.treasury, new.treasury),
			Error::<T>::ShareChangeTooLarge
		);
		ensure!(
			share(old.market_weight, new.market_weight),
			Error::<T>::MarketWeightChangeTooLarge
		);
		ensure!(share(old.burn_share, new.burn_share), Error::<T>::BurnShareChangeTooLarge);
		ensure!(
			within(old.claim_window.into(), new.claim_window.into(), max, 1),
			Error::<T>::ClaimWindowChangeTooLarge
		);
		Ok(())
	}

	pub(crate) fn do_set_params(params: ParamsOf, bounded: bool) -> DispatchResult {
		Self::validate(&params)?;
		if bounded {
			// Against the era's start, not the last change: one bounded step per era in all.
			let baseline = EraBaseline::<T>::get().unwrap_or_else(Params::<T>::get);
			Self::check_bounds(&baseline, &params)?;
			EraBaseline::<T>::put(baseline);
		} else {
			// Root sets a new baseline for the rest of the era.
			EraBaseline::<T>::put(params.clone());
		}
		Params::<T>::put(params.clone());
		Self::deposit_event(Event::ParamsSet { params });
		Ok(())
	}

	/// Records a burn (the credit is dropped by the caller): in the block's sum, which
	/// `on_finalize` adds to `Totals`.
	pub(crate) fn note_burned(amount: Balance) {
		if !amount.is_zero() {
			BlockBurned::<T>::mutate(|b| b.saturating_accrue(amount));
		}
	}

	/// Records funds slashed to the treasury.
	pub(crate) fn note_slashed(amount: Balance) {
		if !amount.is_zero() {
			let mut totals = Self::take_totals();
			totals.slashed.saturating_accrue(amount);
			Totals::<T>::put(totals);
		}
	}

	/// The totals with this block's burns so far.
	pub fn totals() -> IssuanceTotals {
		let mut totals = Totals::<T>::get();
		totals.burned.saturating_accrue(BlockBurned::<T>::get());
		totals
	}

	/// The totals with this block's burns moved into them (for a caller that writes them).
	fn take_totals() -> IssuanceTotals {
		let mut totals = Totals::<T>::get();
		totals.burned.saturating_accrue(BlockBurned::<T>::take());
		totals
	}

	/// Adds the block's burns to `Totals` (`on_finalize`).
	pub(crate) fn fold_burned() {
		let burned = BlockBurned::<T>::take();
		if !burned.is_zero() {
			Totals::<T>::mutate(|t| t.burned.saturating_accrue(burned));
		}
	}

	/// Puts `credit` in the treasury; burns it (recorded) if the treasury cannot take it.
	fn to_treasury(credit: Credit<T::AccountId, T::Currency>) {
		if let Err(rest) = T::Currency::resolve(&T::TreasuryAccount::get(), credit) {
			Self::note_burned(rest.peek());
			drop(rest);
		}
	}

	/// The burn-and-mint balance.
	pub fn tokenomics() -> Tokenomics<Balance, BlockNumberFor<T>> {
		let totals = Self::totals();
		let era = CurrentEra::<T>::get();
		let mut current = Eras::<T>::get(era).unwrap_or_default();
		(current.burned, current.slashed) = totals.this_era();
		Tokenomics {
			era,
			era_start: EraStart::<T>::get(),
			era_length: T::EraLength::get(),
			next_emission: Self::next_emission(),
			genesis_issuance: totals.genesis,
			minted: totals.minted,
			burned: totals.burned,
			slashed: totals.slashed,
			supply: T::Currency::total_issuance(),
			max_supply: T::MaxSupply::get(),
			current,
			params: Params::<T>::get(),
		}
	}

	/// A live era's record.
	pub fn era_record(era: EraIndex) -> Option<EraRecord<Balance>> {
		Eras::<T>::get(era)
	}

	/// Emissions' invariants, each a named check:
	/// - `try_state_issuance`: the total issuance is `genesis + minted − burned` (nothing mints or
	///   burns unseen);
	/// - `try_state_params`: the parameters are valid;
	/// - `try_state_eras`: records live exactly for the eras `OldestEra..=CurrentEra`, no more than
	///   `MaxClaimWindow + 2` of them; each paid out no more than its pools, its pools are within
	///   its mint, its lease pool within its lease fees (the market pool pays only for what was
	///   paid), and its claimed work within its work;
	/// - `try_state_pot`: the rewards pot holds every unclaimed pool;
	/// - `try_state_work`: each live era's work equals its providers' unclaimed work records plus
	///   what was claimed, and no provider has a record of an era without one.
	#[cfg(any(feature = "try-runtime", feature = "std", test))]
	pub fn do_try_state() -> Result<(), TryRuntimeError> {
		Self::try_state_issuance()?;
		Self::try_state_params()?;
		Self::try_state_eras()?;
		Self::try_state_pot()?;
		Self::try_state_work()
	}

	#[cfg(any(feature = "try-runtime", feature = "std", test))]
	fn try_state_issuance() -> Result<(), TryRuntimeError> {
		let totals = Self::totals();
		ensure!(
			T::Currency::total_issuance() ==
				totals.genesis.saturating_add(totals.minted).saturating_sub(totals.burned),
			"total issuance != genesis + minted - burned"
		);
		Ok(())
	}

	#[cfg(any(feature = "try-runtime", feature = "std", test))]
	fn try_state_params() -> Result<(), TryRuntimeError> {
		Self::validate(&Params::<T>::get()).map_err(|_| "invalid parameters")?;
		Ok(())
	}

	#[cfg(any(feature = "try-runtime", feature = "std", test))]
	fn try_state_eras() -> Result<(), TryRuntimeError> {
		let (oldest, current) = (OldestEra::<T>::get(), CurrentEra::<T>::get());
		ensure!(oldest <= current, "oldest era after the current one");
		let mut live = 0u32;
		for (era, record) in Eras::<T>::iter() {
			ensure!(era >= oldest && era <= current, "an era record outside the live range");
			live.saturating_inc();
			let pools = record.compute_pool.saturating_add(record.lease_pool);
			ensure!(record.claimed <= pools, "an era paid more than its pools");
			ensure!(pools <= record.minted, "an era's pools exceed its mint");
			ensure!(record.claimed_units <= record.compute_units, "claimed units above the era's");
			ensure!(
				record.claimed_lease_fees <= record.lease_fees,
				"claimed lease fees above the era's"
			);
			// The market pool pays for what was paid: never more than the era's lease fees.
			ensure!(record.lease_pool <= record.lease_fees, "a lease pool above the era's fees");
		}
		ensure!(
			live == current.saturating_sub(oldest).saturating_add(1),
			"a live era has no record"
		);
		ensure!(live <= T::MaxClaimWindow::get().saturating_add(2), "too many live eras");
		Ok(())
	}

	#[cfg(any(feature = "try-runtime", feature = "std", test))]
	fn try_state_pot() -> Result<(), TryRuntimeError> {
		let unclaimed = Eras::<T>::iter_values().fold(0 as Balance, |sum, record| {
			let pools = record.compute_pool.saturating_add(record.lease_pool);
			sum.saturating_add(pools.saturating_sub(record.claimed))
		});
		ensure!(
			T::Currency::reducible_balance(&Self::pot(), Preservation::Preserve, Fortitude::Polite) >=
				unclaimed,
			"the pot holds less than the unclaimed pools"
		);
		Ok(())
	}

	#[cfg(any(feature = "try-runtime", feature = "std", test))]
	fn try_state_work() -> Result<(), TryRuntimeError> {
		use alloc::collections::BTreeMap;
		let oldest = OldestEra::<T>::get();
		let mut sums: BTreeMap<EraIndex, (u128, u128)> = BTreeMap::new();
		for (_, list) in ProviderWork::<T>::iter() {
			ensure!(!list.is_empty(), "an empty work list is stored");
			for r in list.iter().filter(|r| r.era >= oldest) {
				let entry = sums.entry(r.era).or_default();
				entry.0.saturating_accrue(r.compute_units);
				entry.1.saturating_accrue(r.lease_fees);
			}
		}
		for (era, record) in Eras::<T>::iter() {
			let (units, fees) = sums.remove(&era).unwrap_or_default();
			ensure!(
				units.saturating_add(record.claimed_units) == record.compute_units,
				"an era's compute units disagree with its providers'"
			);
			ensure!(
				fees.saturating_add(record.claimed_lease_fees) == record.lease_fees,
				"an era's lease fees disagree with its providers'"
			);
		}
		ensure!(sums.is_empty(), "work records of an era without a record");
		Ok(())
	}
}

/// The protocol fee's handler (the marketplace's `FeeHandler`): the governed `burn_share`
/// is burned, the rest goes to the treasury.
pub struct FeeSplit<T>(PhantomData<T>);
impl<T: Config> OnUnbalanced<Credit<T::AccountId, T::Currency>> for FeeSplit<T> {
	fn on_nonzero_unbalanced(credit: Credit<T::AccountId, T::Currency>) {
		let burn = Params::<T>::get().burn_share.mul_floor(credit.peek());
		let (burned, rest) = credit.split(burn);
		Pallet::<T>::note_burned(burned.peek());
		drop(burned);
		Pallet::<T>::to_treasury(rest);
	}
}

/// Burns a credit and records it (the burned share of transaction fees, dust).
pub struct Burn<T>(PhantomData<T>);
impl<T: Config> OnUnbalanced<Credit<T::AccountId, T::Currency>> for Burn<T> {
	fn on_nonzero_unbalanced(credit: Credit<T::AccountId, T::Currency>) {
		Pallet::<T>::note_burned(credit.peek());
		drop(credit);
	}
}

/// Slashed funds go to the treasury (recorded as slashed).
pub struct SlashToTreasury<T>(PhantomData<T>);
impl<T: Config> OnUnbalanced<Credit<T::AccountId, T::Currency>> for SlashToTreasury<T> {
	fn on_nonzero_unbalanced(credit: Credit<T::AccountId, T::Currency>) {
		Pallet::<T>::note_slashed(credit.peek());
		Pallet::<T>::to_treasury(credit);
	}
}
