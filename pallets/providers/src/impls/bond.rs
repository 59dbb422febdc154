//! Bonding more, unbonding and withdrawing; the governed unbonding period.

use crate::{pallet::*, types::*};
use polkadot_sdk::{
	frame_support::{
		defensive_assert, ensure,
		traits::{fungible::hold::Mutate as _, tokens::Precision, Get},
	},
	frame_system::{self, pallet_prelude::BlockNumberFor},
	sp_runtime::{
		traits::{CheckedAdd, CheckedSub, Saturating, Zero},
		ArithmeticError, DispatchResult,
	},
};

impl<T: Config> Pallet<T> {
	pub(crate) fn do_bond_extra(who: T::AccountId, amount: BalanceOf<T>) -> DispatchResult {
		let mut record = Self::listed(&who)?;
		ensure!(!amount.is_zero(), Error::<T>::InsufficientBond);
		record.bond = record.bond.checked_add(&amount).ok_or(ArithmeticError::Overflow)?;
		T::Currency::hold(&HoldReason::ProviderBond.into(), &who, amount)
			.map_err(|_| Error::<T>::InsufficientBalance)?;
		let from = record.status;
		if from == ProviderStatus::Underbonded && record.bond >= Self::min_bond(&record.profile) {
			// Back above the minimum: listed again, to be proven again.
			record.status = ProviderStatus::Registered;
			record.status_since = frame_system::Pallet::<T>::block_number();
		}
		let to = record.status;
		Providers::<T>::insert(&who, record);
		Self::deposit_event(Event::Bonded { provider: who.clone(), amount });
		if from != to {
			Self::deposit_event(Event::StatusChanged { provider: who, from, to });
		}
		Ok(())
	}

	pub(crate) fn do_unbond(who: T::AccountId, amount: BalanceOf<T>) -> DispatchResult {
		let mut record = Self::listed(&who)?;
		ensure!(!amount.is_zero(), Error::<T>::InsufficientBond);
		let remaining = record.bond.checked_sub(&amount).ok_or(Error::<T>::InsufficientBond)?;
		ensure!(remaining >= Self::min_bond(&record.profile), Error::<T>::BondTooLow);
		let unlock_at = Self::unlock_at_for_new_chunk();
		record
			.unbonding
			.try_push(UnbondingChunk { amount, unlock_at })
			.map_err(|_| Error::<T>::TooManyUnbondingChunks)?;
		record.bond = remaining;
		Providers::<T>::insert(&who, record);
		Self::deposit_event(Event::Unbonding { provider: who, amount, unlock_at });
		Ok(())
	}

	pub(crate) fn do_withdraw_unbonded(who: T::AccountId) -> DispatchResult {
		let mut record = Providers::<T>::get(&who).ok_or(Error::<T>::NotRegistered)?;
		let now = frame_system::Pallet::<T>::block_number();
		let mut released = BalanceOf::<T>::zero();
		record.unbonding.retain(|chunk| {
			if chunk.unlock_at <= now {
				released = released.saturating_add(chunk.amount);
				false
			} else {
				true
			}
		});
		ensure!(!released.is_zero(), Error::<T>::NothingToWithdraw);
		let freed = T::Currency::release(
			&HoldReason::ProviderBond.into(),
			&who,
			released,
			Precision::BestEffort,
		)?;
		// The hold always covers the chunks (an invariant); if it ever did not, report and
		// record what really moved rather than what the chunks said.
		defensive_assert!(freed == released, "the bond hold is smaller than the ripe chunks");
		Self::deposit_event(Event::Withdrawn { provider: who.clone(), amount: freed });
		if record.status == ProviderStatus::Leaving && record.unbonding.is_empty() {
			Self::remove_record(&who);
		} else {
			Providers::<T>::insert(&who, record);
		}
		Ok(())
	}

	/// When bond unbonded now may be withdrawn.
	pub(crate) fn unlock_at_for_new_chunk() -> BlockNumberFor<T> {
		frame_system::Pallet::<T>::block_number().saturating_add(UnbondingPeriod::<T>::get())
	}

	pub(crate) fn do_set_unbonding_period(blocks: BlockNumberFor<T>) -> DispatchResult {
		ensure!(blocks <= T::MaxUnbondingPeriod::get(), Error::<T>::UnbondingPeriodTooLong);
		UnbondingPeriod::<T>::put(blocks);
		Self::deposit_event(Event::UnbondingPeriodSet { blocks });
		Ok(())
	}
}
