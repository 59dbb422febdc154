//! Benchmarks of emissions' calls and block hook, each at its worst case.

use super::*;
use crate::pallet::{
	BlockBurned, CurrentEra, EraStart, Eras, OldestEra, Params, ProviderWork, Totals,
};
use polkadot_sdk::{
	frame_benchmarking::v2::*,
	frame_support::{
		traits::{EnsureOrigin, Get, Hooks},
		BoundedVec,
	},
	frame_system::{self, pallet_prelude::BlockNumberFor, RawOrigin},
	sp_runtime::{traits::Saturating, Perbill},
};

fn account_of<T: Config>(i: u32) -> T::AccountId {
	account("provider", i, 0)
}

/// Every one of `providers` providers worked in the current era (compute and leases); the era
/// is closed, so its pools are minted and claimable.
fn closed_era_with<T: Config>(providers: u32) -> u32 {
	let era = CurrentEra::<T>::get();
	for i in 0..providers {
		let who = account_of::<T>(i);
		Pallet::<T>::note_work(&who, 1_000u128.saturating_add(i.into()), 10);
	}
	let now = EraStart::<T>::get().saturating_add(T::EraLength::get());
	frame_system::Pallet::<T>::set_block_number(now);
	Pallet::<T>::close_era(now);
	era
}

#[benchmarks]
mod benchmarks {
	use super::*;

	/// A claim reads the era's record and the caller's own list: `p` (registered providers who
	/// worked in the era) must not change its cost.
	#[benchmark]
	fn claim(p: Linear<1, 10_000>) {
		let era = closed_era_with::<T>(p);
		let who = account_of::<T>(p.saturating_sub(1));
		assert!(Pallet::<T>::claimable(&who, era) > 0);

		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), era);

		assert!(ProviderWork::<T>::get(&who).is_empty());
	}

	/// A bounded change through the governance origin (every bound checked).
	#[benchmark]
	fn set_params() -> Result<(), BenchmarkError> {
		let origin =
			T::GovernanceOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		let mut params = Params::<T>::get();
		params.decay = params.decay.saturating_add(Perbill::from_parts(100_000));
		params.initial = params.initial.saturating_add(params.initial.saturating_div(20));

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, params.clone());

		assert_eq!(Params::<T>::get(), params);
		Ok(())
	}

	/// A block that neither closes nor expires an era.
	#[benchmark]
	fn on_initialize_idle() {
		let now: BlockNumberFor<T> = EraStart::<T>::get().saturating_add(1u32.into());

		#[block]
		{
			Pallet::<T>::on_initialize(now);
		}

		assert_eq!(CurrentEra::<T>::get(), 0);
	}

	/// Closing an era with both kinds of work: the validators', treasury's and providers'
	/// mints.
	#[benchmark]
	fn close_era() {
		for i in 0..2 {
			Pallet::<T>::note_work(&account_of::<T>(i), 1_000, 10);
		}
		let now = EraStart::<T>::get().saturating_add(T::EraLength::get());
		frame_system::Pallet::<T>::set_block_number(now);

		#[block]
		{
			Pallet::<T>::close_era(now);
		}

		assert_eq!(CurrentEra::<T>::get(), 1);
		let record = Eras::<T>::get(0).unwrap_or_default();
		assert!(record.compute_pool > 0 && record.lease_pool > 0);
	}

	/// Expiring an era whose pools were not claimed: they move to the treasury.
	#[benchmark]
	fn expire_era() {
		let era = closed_era_with::<T>(1);
		let pools = Eras::<T>::get(era)
			.map(|r| r.compute_pool.saturating_add(r.lease_pool))
			.unwrap_or_default();
		assert!(pools > 0);

		#[block]
		{
			Pallet::<T>::expire_era(era);
		}

		assert_eq!(OldestEra::<T>::get(), era.saturating_add(1));
		assert!(Eras::<T>::get(era).is_none());
	}

	/// The block's burns added to `Totals` in `on_finalize`.
	#[benchmark]
	fn fold_burned() {
		let now: BlockNumberFor<T> = EraStart::<T>::get().saturating_add(1u32.into());
		BlockBurned::<T>::put(1_000);
		let before = Totals::<T>::get().burned;

		#[block]
		{
			Pallet::<T>::on_finalize(now);
		}

		assert_eq!(Totals::<T>::get().burned, before.saturating_add(1_000));
	}

	/// The hook proof of compute and the marketplace call for a provider's work, at its worst:
	/// the provider's list holds a record for every other live era (kept, none dropped) and
	/// gains one for the current era.
	#[benchmark]
	fn note_work() {
		let bound = crate::types::WorkRecordsBound::<T>::get();
		let current = bound.saturating_sub(1);
		CurrentEra::<T>::put(current);
		let who = account_of::<T>(0);
		let records: alloc::vec::Vec<WorkRecord> = (0..current)
			.map(|era| WorkRecord { era, compute_units: 1, lease_fees: 1 })
			.collect();
		ProviderWork::<T>::insert(&who, BoundedVec::truncate_from(records));

		#[block]
		{
			Pallet::<T>::note_work(&who, 1_000, 10);
		}

		assert_eq!(ProviderWork::<T>::get(&who).len() as u32, bound);
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
