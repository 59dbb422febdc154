//! Worst-case benchmarks of every call (frame-benchmarking v2). `scripts/benchmark.sh` turns them
//! into `weights.rs`.

use super::*;
use crate::{testing, Pallet as Providers};
use crucible_primitives::providers::MAX_GPUS;
use polkadot_sdk::{
	frame_benchmarking::v2::*,
	frame_support::traits::{fungible::Mutate, EnsureOrigin, Get},
	frame_system::{Pallet as System, RawOrigin},
	sp_runtime::{traits::Saturating, Permill},
};

/// An account with enough for a hundred minimum bonds.
fn funded<T: Config>(name: &'static str, index: u32) -> T::AccountId {
	let who: T::AccountId = account(name, index, 0);
	let amount = T::MinBond::get().saturating_mul(100u32.into());
	T::Currency::set_balance(&who, amount);
	who
}

/// Registers a provider with `gpus` GPUs and a bond of the largest host's minimum plus ten
/// `MinBond`s.
fn registered<T: Config>(index: u32, gpus: u32) -> Result<T::AccountId, BenchmarkError> {
	let who = funded::<T>("provider", index);
	let (key, proof) = testing::keystore_key::<T>(&who)?;
	let profile = testing::largest_profile(index, gpus);
	// Enough for any profile it may change to (the minimum grows with the GPUs).
	let bond = Providers::<T>::min_bond(&testing::largest_profile(index, MAX_GPUS))
		.saturating_add(T::MinBond::get().saturating_mul(10u32.into()));
	Providers::<T>::do_register(
		who.clone(),
		profile,
		key,
		proof,
		testing::longest_endpoint(),
		testing::region(),
		bond,
	)?;
	Ok(who)
}

/// Fills the unbonding queue up to `chunks`, each ripe `UnbondingPeriod` from now.
fn unbond_chunks<T: Config>(who: &T::AccountId, chunks: u32) -> Result<(), BenchmarkError> {
	for _ in 0..chunks {
		Providers::<T>::do_unbond(who.clone(), 1u32.into())?;
	}
	Ok(())
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn register(g: Linear<1, MAX_GPUS>) -> Result<(), BenchmarkError> {
		let who = funded::<T>("provider", 0);
		let (key, proof) = testing::keystore_key::<T>(&who)?;
		let bond = Providers::<T>::min_bond(&testing::largest_profile(0, g));

		#[extrinsic_call]
		_(
			RawOrigin::Signed(who.clone()),
			testing::largest_profile(0, g),
			key,
			proof,
			testing::longest_endpoint(),
			testing::region(),
			bond,
		);

		assert_eq!(Providers::<T>::status(&who), Some(ProviderStatus::Registered));
		Ok(())
	}

	#[benchmark]
	fn update_profile(
		o: Linear<1, MAX_GPUS>,
		n: Linear<1, MAX_GPUS>,
	) -> Result<(), BenchmarkError> {
		let who = registered::<T>(0, o)?;
		// Active, so that the hardware change also changes the status.
		Providers::<T>::do_set_status(&who, ProviderStatus::Active)?;
		// All new cards: every old index entry goes, every new one is written.
		let new = testing::largest_profile(1, n);

		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), new, testing::longest_endpoint(), testing::region());

		assert_eq!(Providers::<T>::status(&who), Some(ProviderStatus::Registered));
		Ok(())
	}

	#[benchmark]
	fn rotate_attestation_key() -> Result<(), BenchmarkError> {
		let who = registered::<T>(0, 1)?;
		let (key, proof) = testing::keystore_key::<T>(&who)?;

		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), key.clone(), proof);

		assert_eq!(AttestationKeyOwner::<T>::get(&key), Some(who));
		Ok(())
	}

	#[benchmark]
	fn bond_extra() -> Result<(), BenchmarkError> {
		let who = registered::<T>(0, MAX_GPUS)?;
		let before = Providers::<T>::bond(&who);
		let amount = T::MinBond::get();

		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), amount);

		assert_eq!(Providers::<T>::bond(&who), before.map(|b| b.saturating_add(amount)));
		Ok(())
	}

	#[benchmark]
	fn unbond() -> Result<(), BenchmarkError> {
		let who = registered::<T>(0, MAX_GPUS)?;
		// The last free slot of the queue.
		unbond_chunks::<T>(&who, T::MaxUnbondingChunks::get().saturating_sub(1))?;

		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), 1u32.into());

		let record = crate::Providers::<T>::get(&who).ok_or(BenchmarkError::Stop("gone"))?;
		assert_eq!(record.unbonding.len() as u32, T::MaxUnbondingChunks::get());
		Ok(())
	}

	#[benchmark]
	fn withdraw_unbonded(
		c: Linear<1, { T::MaxUnbondingChunks::get() }>,
	) -> Result<(), BenchmarkError> {
		let who = registered::<T>(0, MAX_GPUS)?;
		unbond_chunks::<T>(&who, c.saturating_sub(1))?;
		// Leaving, so the last withdrawal also removes the record: the heaviest path.
		Providers::<T>::do_deregister(who.clone())?;
		let later = System::<T>::block_number().saturating_add(UnbondingPeriod::<T>::get());
		System::<T>::set_block_number(later);

		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()));

		assert!(crate::Providers::<T>::get(&who).is_none());
		Ok(())
	}

	#[benchmark]
	fn pause() -> Result<(), BenchmarkError> {
		let who = registered::<T>(0, MAX_GPUS)?;
		Providers::<T>::do_set_status(&who, ProviderStatus::Active)?;

		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()));

		assert_eq!(Providers::<T>::status(&who), Some(ProviderStatus::Paused));
		Ok(())
	}

	#[benchmark]
	fn resume() -> Result<(), BenchmarkError> {
		let who = registered::<T>(0, MAX_GPUS)?;
		Providers::<T>::do_pause(who.clone())?;

		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()));

		assert_eq!(Providers::<T>::status(&who), Some(ProviderStatus::Registered));
		Ok(())
	}

	#[benchmark]
	fn deregister(g: Linear<1, MAX_GPUS>) -> Result<(), BenchmarkError> {
		let who = registered::<T>(0, g)?;
		unbond_chunks::<T>(&who, T::MaxUnbondingChunks::get())?;

		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()));

		assert_eq!(Providers::<T>::status(&who), Some(ProviderStatus::Leaving));
		Ok(())
	}

	#[benchmark]
	fn force_suspend() -> Result<(), BenchmarkError> {
		let who = registered::<T>(0, MAX_GPUS)?;
		let origin =
			T::ForceOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, who.clone());

		assert_eq!(Providers::<T>::status(&who), Some(ProviderStatus::Suspended));
		Ok(())
	}

	#[benchmark]
	fn force_resume() -> Result<(), BenchmarkError> {
		let who = registered::<T>(0, MAX_GPUS)?;
		Providers::<T>::do_force_suspend(&who)?;
		let origin =
			T::ForceOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, who.clone());

		assert_eq!(Providers::<T>::status(&who), Some(ProviderStatus::Registered));
		Ok(())
	}

	#[benchmark]
	fn force_deregister(g: Linear<1, MAX_GPUS>) -> Result<(), BenchmarkError> {
		let who = registered::<T>(0, g)?;
		unbond_chunks::<T>(&who, T::MaxUnbondingChunks::get())?;
		let origin =
			T::ForceOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, who.clone());

		assert_eq!(Providers::<T>::status(&who), Some(ProviderStatus::Leaving));
		Ok(())
	}

	#[benchmark]
	fn set_unbonding_period() -> Result<(), BenchmarkError> {
		let origin =
			T::ForceOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		let blocks = T::MaxUnbondingPeriod::get();

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, blocks);

		assert_eq!(UnbondingPeriod::<T>::get(), blocks);
		Ok(())
	}

	// What the judging pallets call (through `ProviderSlash` and `ProviderMutate`), so that they
	// can charge for it.

	#[benchmark]
	fn slash() -> Result<(), BenchmarkError> {
		// Every chunk of a full queue is cut, the provider falls below `MinBond`, and what is
		// slashed is paid to a beneficiary (`slash_to`: an account write more than the sink).
		let who = registered::<T>(0, MAX_GPUS)?;
		let beneficiary: T::AccountId = account("beneficiary", 0, 0);
		unbond_chunks::<T>(&who, T::MaxUnbondingChunks::get())?;

		#[block]
		{
			Providers::<T>::do_slash(
				&who,
				Permill::from_percent(95),
				SlashReason::FailedChallenge,
				Some(&beneficiary),
			)?;
		}

		assert_eq!(Providers::<T>::status(&who), Some(ProviderStatus::Underbonded));
		Ok(())
	}

	#[benchmark]
	fn note_success() -> Result<(), BenchmarkError> {
		let who = registered::<T>(0, MAX_GPUS)?;

		#[block]
		{
			<Providers<T> as ProviderMutate<_>>::note_success(&who, Permill::from_percent(5))?;
		}

		assert!(Providers::<T>::reputation(&who) > Some(Permill::from_percent(50)));
		Ok(())
	}

	#[benchmark]
	fn note_failure() -> Result<(), BenchmarkError> {
		let who = registered::<T>(0, MAX_GPUS)?;

		#[block]
		{
			<Providers<T> as ProviderMutate<_>>::note_failure(&who, Permill::from_percent(30))?;
		}

		assert!(Providers::<T>::reputation(&who) < Some(Permill::from_percent(50)));
		Ok(())
	}

	#[benchmark]
	fn set_status() -> Result<(), BenchmarkError> {
		let who = registered::<T>(0, MAX_GPUS)?;

		#[block]
		{
			<Providers<T> as ProviderMutate<_>>::set_status(&who, ProviderStatus::Active)?;
		}

		assert_eq!(Providers::<T>::status(&who), Some(ProviderStatus::Active));
		Ok(())
	}

	impl_benchmark_test_suite!(Providers, crate::mock::new_test_ext(), crate::mock::Test);
}
