//! Slashing: a share of everything a provider has bonded, spread over its active bond and its
//! unbonding chunks, to a beneficiary or the slash sink.

use crate::{pallet::*, traits::*, types::*, weights::WeightInfo};
use polkadot_sdk::{
	frame_support::{
		defensive_assert,
		pallet_prelude::*,
		traits::{
			fungible::{hold::Balanced as _, Balanced as _},
			tokens::imbalance::Imbalance as _,
			OnUnbalanced,
		},
	},
	frame_system,
	sp_runtime::{
		traits::{Saturating, Zero},
		DispatchError, Perbill, Permill,
	},
};

impl<T: Config> Pallet<T> {
	/// Slashes `share` of everything `who` has bonded. What is slashed goes to `beneficiary`
	/// when there is one (and it can take it), to `OnSlash` otherwise.
	pub(crate) fn do_slash(
		who: &T::AccountId,
		share: Permill,
		reason: SlashReason,
		beneficiary: Option<&T::AccountId>,
	) -> Result<BalanceOf<T>, DispatchError> {
		let mut record = Providers::<T>::get(who).ok_or(Error::<T>::NotRegistered)?;
		let total = record.total_bonded();
		let due = share.mul_floor(total);
		if due.is_zero() {
			return Ok(Zero::zero());
		}
		let (credit, missing) = T::Currency::slash(&HoldReason::ProviderBond.into(), who, due);
		let slashed = credit.peek().min(total);
		defensive_assert!(missing.is_zero(), "the bond hold is smaller than the record");
		match beneficiary {
			Some(to) =>
				if let Err(credit) = T::Currency::resolve(to, credit) {
					T::OnSlash::on_unbalanced(credit);
				},
			None => T::OnSlash::on_unbalanced(credit),
		}
		Self::spread_slash(&mut record, slashed, total);

		let from = record.status;
		let leaving = from == ProviderStatus::Leaving;
		let emptied = record.bond.is_zero() && record.unbonding.is_empty();
		if !leaving &&
			record.bond < Self::min_bond(&record.profile) &&
			matches!(
				from,
				ProviderStatus::Registered | ProviderStatus::Active | ProviderStatus::Paused
			) {
			// Below the minimum: out of work until it bonds again.
			record.status = ProviderStatus::Underbonded;
			record.status_since = frame_system::Pallet::<T>::block_number();
		}
		let to = record.status;
		Providers::<T>::insert(who, record);
		Self::deposit_event(Event::Slashed { provider: who.clone(), amount: slashed, reason });
		if from != to {
			Self::deposit_event(Event::StatusChanged { provider: who.clone(), from, to });
		}
		if emptied && leaving {
			Self::remove_record(who);
		}
		Ok(slashed)
	}

	/// Takes `slashed` (at most `total`, everything bonded) from the active bond and the
	/// unbonding chunks in proportion to their size; the rounding remainder comes from the
	/// active bond first, then the newest chunks. Emptied chunks are dropped.
	fn spread_slash(record: &mut ProviderRecord<T>, slashed: BalanceOf<T>, total: BalanceOf<T>) {
		let ratio = Perbill::from_rational(slashed, total);
		let mut left = slashed;
		let mut take = |amount: &mut BalanceOf<T>, want: BalanceOf<T>| {
			let t = want.min(*amount).min(left);
			*amount = amount.saturating_sub(t);
			left = left.saturating_sub(t);
		};
		// The same share of every part (rounded down)...
		let share = ratio.mul_floor(record.bond);
		take(&mut record.bond, share);
		for chunk in record.unbonding.iter_mut() {
			let share = ratio.mul_floor(chunk.amount);
			take(&mut chunk.amount, share);
		}
		// ...and what rounding left, from the active bond, then the newest chunks.
		take(&mut record.bond, slashed);
		for chunk in record.unbonding.iter_mut().rev() {
			take(&mut chunk.amount, slashed);
		}
		defensive_assert!(left.is_zero(), "a slash larger than the bond");
		record.unbonding.retain(|chunk| !chunk.amount.is_zero());
	}
}

impl<T: Config> ProviderSlash<T::AccountId> for Pallet<T> {
	type Balance = BalanceOf<T>;

	fn slash(
		provider: &T::AccountId,
		share: Permill,
		reason: SlashReason,
	) -> Result<Self::Balance, DispatchError> {
		Self::do_slash(provider, share, reason, None)
	}
	fn slash_to(
		provider: &T::AccountId,
		share: Permill,
		reason: SlashReason,
		beneficiary: &T::AccountId,
	) -> Result<Self::Balance, DispatchError> {
		Self::do_slash(provider, share, reason, Some(beneficiary))
	}
	fn slash_weight() -> Weight {
		T::WeightInfo::slash()
	}
}
