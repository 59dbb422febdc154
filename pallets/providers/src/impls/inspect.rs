//! What the other pallets, the runtime API and the node's workers read of the registry.

use super::MAX_SCAN;
use crate::{offchain, pallet::*, traits::*, types::*};
use alloc::vec::Vec;
use crucible_primitives::providers::{
	AttestationKey, HardwareProfile, HardwareRequirement, ProviderPage, Region,
};
use polkadot_sdk::{
	frame_support::{pallet_prelude::*, traits::Get},
	frame_system::pallet_prelude::BlockNumberFor,
	sp_runtime::Permill,
};

impl<T: Config> Pallet<T> {
	/// A provider as readers should see it: its record with the reputation decayed up to the
	/// current block. What the `ProvidersApi::provider` runtime API returns.
	pub fn provider_view(
		who: &T::AccountId,
	) -> Option<ProviderView<BalanceOf<T>, BlockNumberFor<T>>> {
		Providers::<T>::get(who)
			.map(|record| record.view(Self::reputation_now(&record.reputation).score))
	}

	/// Up to `limit` providers meeting `requirement` after `start_after` in storage order:
	/// `Active` ones, and `Registered` ones too if `include_unproven`. Scans at most
	/// [`MAX_SCAN`] records, so the runtime API's work is bounded; `next` says where to go on.
	/// A `limit` of 0 is read as 1: an empty page could not say where the scan stands.
	pub fn providers_matching(
		requirement: &HardwareRequirement,
		include_unproven: bool,
		start_after: Option<T::AccountId>,
		limit: u32,
	) -> ProviderPage<T::AccountId> {
		let limit = limit.max(1);
		let mut iter = match start_after {
			Some(after) => Providers::<T>::iter_from(Providers::<T>::hashed_key_for(after)),
			None => Providers::<T>::iter(),
		};
		let mut providers = Vec::new();
		let mut last = None;
		let mut scanned = 0u32;
		while (providers.len() as u32) < limit && scanned < MAX_SCAN {
			let Some((who, record)) = iter.next() else {
				return ProviderPage { providers, next: None }
			};
			scanned = scanned.saturating_add(1);
			let status_ok = record.status == ProviderStatus::Active ||
				(include_unproven && record.status == ProviderStatus::Registered);
			if status_ok && requirement.is_met_by(&record.profile, &record.region) {
				providers.push(who.clone());
			}
			last = Some(who);
		}
		// Stopped by the limit or the scan bound: more may follow.
		let next = if iter.next().is_some() { last } else { None };
		ProviderPage { providers, next }
	}
}

impl<T: Config> ProviderInspect<T::AccountId> for Pallet<T> {
	type Balance = BalanceOf<T>;
	type BlockNumber = BlockNumberFor<T>;

	fn status(provider: &T::AccountId) -> Option<ProviderStatus> {
		Providers::<T>::get(provider).map(|r| r.status)
	}
	fn status_since(provider: &T::AccountId) -> Option<(ProviderStatus, BlockNumberFor<T>)> {
		Providers::<T>::get(provider).map(|r| (r.status, r.status_since))
	}
	fn prover_info(provider: &T::AccountId) -> Option<ProverInfo<BlockNumberFor<T>>> {
		Providers::<T>::get(provider).map(|r| ProverInfo {
			status: r.status,
			status_since: r.status_since,
			attestation_key: r.attestation_key,
			profile: r.profile,
		})
	}
	fn profile(provider: &T::AccountId) -> Option<(HardwareProfile, Region)> {
		Providers::<T>::get(provider).map(|r| (r.profile, r.region))
	}
	fn attestation_key(provider: &T::AccountId) -> Option<AttestationKey> {
		Providers::<T>::get(provider)
			.filter(|r| r.status != ProviderStatus::Leaving)
			.map(|r| r.attestation_key)
	}
	fn provider_of_key(key: &AttestationKey) -> Option<T::AccountId> {
		AttestationKeyOwner::<T>::get(key)
	}
	fn bond(provider: &T::AccountId) -> Option<Self::Balance> {
		Providers::<T>::get(provider).map(|r| r.bond)
	}
	fn reputation(provider: &T::AccountId) -> Option<Permill> {
		Providers::<T>::get(provider).map(|r| Self::reputation_now(&r.reputation).score)
	}
	fn eligibility(provider: &T::AccountId, requirement: &HardwareRequirement) -> Option<Permill> {
		Providers::<T>::get(provider)
			.filter(|r| {
				r.status == ProviderStatus::Active && requirement.is_met_by(&r.profile, &r.region)
			})
			.map(|r| Self::reputation_now(&r.reputation).score)
	}
	fn capacity(
		provider: &T::AccountId,
		requirement: &HardwareRequirement,
	) -> Option<(Permill, u32)> {
		Providers::<T>::get(provider)
			.filter(|r| {
				r.status == ProviderStatus::Active && requirement.is_met_by(&r.profile, &r.region)
			})
			.map(|r| (Self::reputation_now(&r.reputation).score, r.profile.gpu_count()))
	}
	fn providers_after(after: Option<&T::AccountId>, limit: u32) -> Vec<T::AccountId> {
		let mut keys = Providers::<T>::iter_keys();
		if let Some(after) = after {
			keys.set_last_raw_key(Providers::<T>::hashed_key_for(after));
		}
		keys.take(limit as usize).collect()
	}
	fn local_provers() -> Vec<offchain::LocalProver<T::AccountId, BlockNumberFor<T>>> {
		offchain::local_provers::<T::AccountId, Self>(T::MaxLocalKeys::get())
	}
	fn providers_after_weight(limit: u32) -> Weight {
		// One key per step (iteration reads the next key; the value is not decoded).
		T::DbWeight::get().reads(u64::from(limit).saturating_add(1))
	}
}
