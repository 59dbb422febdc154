//! What the calls and the block hook do. Split by feature:
//! - `auction`: posting, bids (open and sealed), closing, cancelling;
//! - `node_bid`: bids made by providers' nodes from their operators' policies (authorized);
//! - `offer`: providers' standing offers (authorized), their quotes and the bids' ceiling;
//! - `lease`: attestations (and their authorization), claims, disputes, settlement;
//! - `audit`: audits by re-execution, from the draw to the receipt;
//! - `timers`: the per-block timer queue;
//! - `views`: the runtime API's answers and the registry's work-in-flight hook;
//! - `invariants`: `do_try_state`.
//!
//! Money helpers live here: every movement is a hold, a release, a transfer on hold or a slash
//! of a hold, through `fungible`, and each uses what the currency reports it did.

mod auction;
mod audit;
mod invariants;
mod lease;
mod node_bid;
mod offer;
mod timers;
mod views;

pub use lease::invalid;
#[cfg(feature = "runtime-benchmarks")]
pub(crate) use timers::max_timer_steps;
#[cfg(any(feature = "runtime-benchmarks", test))]
pub(crate) use timers::TIMER_PROBES;

use crate::{pallet::*, traits::*, types::*, weights::WeightInfo};
use crucible_primitives::marketplace::JobId;
use polkadot_sdk::{
	frame_support::{
		defensive,
		traits::{
			fungible::hold::{Balanced as _, Mutate as _},
			tokens::{imbalance::Imbalance as _, Fortitude, Precision, Restriction},
			Get, OnUnbalanced,
		},
	},
	sp_runtime::{traits::Zero, DispatchResult, Saturating},
};

impl<T: Config> Pallet<T> {
	/// Holds `amount` from `who` for `reason`; a shortfall is `InsufficientFunds`.
	pub(crate) fn hold(
		reason: HoldReason,
		who: &T::AccountId,
		amount: BalanceOf<T>,
	) -> DispatchResult {
		if amount.is_zero() {
			return Ok(());
		}
		T::Currency::hold(&reason.into(), who, amount)
			.map_err(|_| Error::<T>::InsufficientFunds.into())
	}

	/// Releases up to `amount` held from `who` for `reason`; returns what was released.
	pub(crate) fn release(
		reason: HoldReason,
		who: &T::AccountId,
		amount: BalanceOf<T>,
	) -> BalanceOf<T> {
		if amount.is_zero() {
			return Zero::zero();
		}
		match T::Currency::release(&reason.into(), who, amount, Precision::BestEffort) {
			Ok(released) => {
				if released != amount {
					defensive!("a marketplace hold is smaller than its record");
				}
				released
			},
			Err(_) => {
				defensive!("a marketplace hold could not be released");
				Zero::zero()
			},
		}
	}

	/// Takes up to `amount` held from `who` for `reason` to the fee handler; returns what was
	/// taken.
	pub(crate) fn forfeit(
		reason: HoldReason,
		who: &T::AccountId,
		amount: BalanceOf<T>,
	) -> BalanceOf<T> {
		if amount.is_zero() {
			return Zero::zero();
		}
		let (credit, missing) = T::Currency::slash(&reason.into(), who, amount);
		if !missing.is_zero() {
			defensive!("a marketplace hold is smaller than its record");
		}
		let taken = credit.peek();
		T::FeeHandler::on_unbalanced(credit);
		taken
	}

	/// Moves up to `amount` held from `from` for `reason` to `to`'s free balance; returns what
	/// moved.
	pub(crate) fn transfer_held(
		reason: HoldReason,
		from: &T::AccountId,
		to: &T::AccountId,
		amount: BalanceOf<T>,
	) -> BalanceOf<T> {
		if amount.is_zero() {
			return Zero::zero();
		}
		match T::Currency::transfer_on_hold(
			&reason.into(),
			from,
			to,
			amount,
			Precision::BestEffort,
			Restriction::Free,
			Fortitude::Force,
		) {
			Ok(moved) => moved,
			Err(_) => {
				// The receiver cannot take it (a new account below the existential deposit):
				// it stays held, and the caller keeps it in the record.
				Zero::zero()
			},
		}
	}

	/// Pays the lease's provider `amount` out of the job's escrow: the protocol fee to the fee
	/// handler, the rest to the provider. Lowers `job.escrow` by what left it; returns
	/// (paid to the provider, fee). The fee is counted over the lease's payments
	/// (`ProtocolFee` of everything it paid out so far, `lease.claimed`, less what earlier
	/// payments took), so a lease's fees are exactly `ProtocolFee` of its total, however it is
	/// paid out: what emissions is told at settlement is what was taken.
	pub(crate) fn pay(
		id: JobId,
		job: &mut JobOf<T>,
		lease: &LeaseOf<T>,
		amount: BalanceOf<T>,
	) -> (BalanceOf<T>, BalanceOf<T>) {
		let amount = amount.min(job.escrow);
		if amount.is_zero() {
			return (Zero::zero(), Zero::zero());
		}
		let rate = T::ProtocolFee::get();
		let fee = rate
			.mul_floor(lease.claimed.saturating_add(amount))
			.saturating_sub(rate.mul_floor(lease.claimed))
			.min(amount);
		let provider = &lease.provider;
		let paid = Self::transfer_held(
			HoldReason::JobEscrow,
			&job.owner,
			provider,
			amount.saturating_sub(fee),
		);
		if paid.is_zero() && !amount.saturating_sub(fee).is_zero() {
			// The provider could not take it: it stays in escrow, and so does the fee.
			return (Zero::zero(), Zero::zero());
		}
		let fee = Self::forfeit(HoldReason::JobEscrow, &job.owner, fee);
		job.escrow = job.escrow.saturating_sub(paid.saturating_add(fee));
		Self::deposit_event(Event::Paid { job: id, provider: provider.clone(), amount: paid, fee });
		(paid, fee)
	}

	/// Ends a job: what is left of its escrow and its deposit go back to the owner; the job,
	/// its lease, access details and its place in the provider's leases are removed.
	pub(crate) fn end_job(id: JobId, job: JobOf<T>, end: JobEnd) {
		let refunded = Self::release(
			HoldReason::JobEscrow,
			&job.owner,
			job.escrow.saturating_add(job.deposit),
		);
		if let Some(lease) = Leases::<T>::take(id) {
			Self::release(HoldReason::AuditCollateral, &lease.provider, lease.collateral);
			let gpus = job.spec.requirement.min_gpu_count;
			LeasedGpus::<T>::mutate_exists(&lease.provider, |n| {
				let left = n.unwrap_or_default().saturating_sub(gpus);
				*n = (left > 0).then_some(left);
			});
			ProviderLeases::<T>::mutate_exists(&lease.provider, |leases| {
				if let Some(list) = leases {
					list.retain(|j| *j != id);
					if list.is_empty() {
						*leases = None;
					}
				}
			});
		}
		if let Some(at) = job.timer {
			Self::unschedule(id, at);
		}
		// Auditors still at work on the job are freed (after the audit they were already).
		if let Some(audit) = Audits::<T>::take(id) {
			if matches!(job.phase, crucible_primitives::marketplace::JobPhase::Verifying { .. }) {
				for a in &audit.auditors {
					Self::unassign(id, &job, &a.who);
				}
			}
		}
		Access::<T>::remove(id);
		Manifests::<T>::remove(id);
		Secrets::<T>::remove(id);
		Jobs::<T>::remove(id);
		Self::deposit_event(Event::JobEnded { job: id, end, refunded });
	}
}
