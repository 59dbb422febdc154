//! The runtime API's answers, and the registry's work-in-flight hook.

use super::*;
use alloc::vec::Vec;
use crucible_primitives::{
	marketplace::{ClassPrices, Estimate, JobPhase, JobView},
	proof_of_compute::GpuClass,
	providers::HardwareRequirement,
};
use pallet_providers::{ProviderInspect, ProviderWorkInFlight};
use polkadot_sdk::{
	frame_system::pallet_prelude::BlockNumberFor, sp_runtime::traits::SaturatedConversion,
};

/// Most jobs `open_jobs` looks at per call, and most providers `estimate` looks at.
pub const MAX_SCAN: u32 = 10_000;

/// An estimate as the runtime API shows it.
pub type EstimateOf<T> =
	Estimate<<T as polkadot_sdk::frame_system::Config>::AccountId, BalanceOf<T>, BlockNumberFor<T>>;

/// A job as the runtime API shows it.
pub type JobViewOf<T> =
	JobView<<T as polkadot_sdk::frame_system::Config>::AccountId, BalanceOf<T>, BlockNumberFor<T>>;

impl<T: Config> Pallet<T> {
	fn view(id: JobId, job: JobOf<T>) -> JobViewOf<T> {
		JobView {
			id,
			owner: job.owner,
			spec: job.spec,
			phase: job.phase,
			escrow: job.escrow,
			deposit: job.deposit,
			bids: Bids::<T>::get(id).into_inner(),
			sealed_bids: job.sealed,
			lease: Leases::<T>::get(id),
			access: Access::<T>::get(id),
			manifest: Manifests::<T>::get(id),
		}
	}

	/// A job with its bids, lease and accrued payment.
	pub fn job_view(id: JobId) -> Option<JobViewOf<T>> {
		Jobs::<T>::get(id).map(|job| Self::view(id, job))
	}

	/// Up to `limit` jobs taking bids or reveals, after `after` in storage order.
	pub fn open_jobs(after: Option<JobId>, limit: u32) -> Vec<JobViewOf<T>> {
		let jobs = match after {
			Some(after) => Jobs::<T>::iter_from(Jobs::<T>::hashed_key_for(after)),
			None => Jobs::<T>::iter(),
		};
		jobs.take(MAX_SCAN as usize)
			.filter(|(_, job)| {
				matches!(job.phase, JobPhase::Bidding { .. } | JobPhase::Revealing { .. })
			})
			.take(limit as usize)
			.map(|(id, job)| Self::view(id, job))
			.collect()
	}

	/// How many `Active` providers meet `requirement` (of the first `MAX_SCAN`), the recent
	/// prices of their classes, and the quotes of those whose standing offers would bid.
	pub fn estimate(
		requirement: HardwareRequirement,
		duration: BlockNumberFor<T>,
	) -> EstimateOf<T> {
		let providers = T::Providers::providers_after(None, MAX_SCAN.saturating_add(1));
		let complete = providers.len() <= MAX_SCAN as usize;
		let mut matching = 0u32;
		let mut scanned = 0u32;
		let mut classes: Vec<GpuClass> = Vec::new();
		let mut quotes = Vec::new();
		for provider in providers.iter().take(MAX_SCAN as usize) {
			scanned = scanned.saturating_add(1);
			// One read for eligibility, reputation and GPUs, one for the class.
			let Some((reputation, gpus)) = T::Providers::capacity(provider, &requirement) else {
				continue;
			};
			matching = matching.saturating_add(1);
			let class = T::Providers::profile(provider).and_then(|(profile, _)| {
				profile.gpus.first().map(|g| GpuClass::of(g.vendor, &g.model))
			});
			if let Some(class) = class {
				if !classes.contains(&class) {
					classes.push(class);
				}
			}
			let eligible = (reputation, gpus, class.unwrap_or(GpuClass::Other));
			if let Some(quote) = Self::quote(provider, eligible, &requirement, duration) {
				quotes.push(quote);
			}
		}
		let prices: Vec<ClassPrices<BalanceOf<T>>> = classes
			.into_iter()
			.filter_map(|class| {
				let recent = RecentPrices::<T>::get(class);
				let min = recent.iter().min().copied()?;
				let max = recent.iter().max().copied()?;
				Some(ClassPrices { class, min, max, leases: recent.len() as u32 })
			})
			.collect();
		let blocks: BalanceOf<T> = duration.saturated_into::<u32>().into();
		let cost_at_max = prices.iter().map(|p| p.max).max().map(|max| max.saturating_mul(blocks));
		Estimate {
			matching,
			scanned,
			complete,
			prices,
			cost_at_max,
			offers: Self::cheapest(quotes),
		}
	}

	/// The jobs leased to `provider`.
	pub fn leases_of(provider: &T::AccountId) -> Vec<JobId> {
		ProviderLeases::<T>::get(provider).into_inner()
	}

	/// The receipt of a finished job (of the last `MaxReceipts` job ids).
	pub fn receipt(id: JobId) -> Option<ReceiptOf<T>> {
		Receipts::<T>::get(id)
	}
}

/// A provider with a lease (running, completed or disputed) or an audit to answer may not
/// deregister.
impl<T: Config> ProviderWorkInFlight<T::AccountId> for Pallet<T> {
	fn has_work_in_flight(provider: &T::AccountId) -> bool {
		!ProviderLeases::<T>::get(provider).is_empty() ||
			!Assignments::<T>::get(provider).is_empty()
	}
	/// Its withdrawal count and standing offer go with its record (its signed node bids
	/// expired long before: leaving takes the unbonding period).
	fn on_provider_removed(provider: &T::AccountId) {
		BidWithdrawals::<T>::remove(provider);
		Offers::<T>::remove(provider);
	}
}
