//! The registry's invariants, checked by `try_state` and after every unit test.

use crate::{pallet::*, types::*};
use polkadot_sdk::{
	frame_support::ensure,
	frame_system,
	sp_runtime::{traits::Zero, TryRuntimeError},
};

impl<T: Config> Pallet<T> {
	/// The registry's invariants, each a named check:
	/// - `try_state_bonds`: the bond held from each provider equals its active bond plus its
	///   unbonding chunks; no chunk is empty; `Registered`, `Active` and `Paused` providers have at
	///   least `MinBond`, `Underbonded` ones less; a `Leaving` provider has no active bond and
	///   something still unbonding (a record with nothing left is removed);
	/// - `try_state_indexes`: a listed (not `Leaving`) provider owns its attestation key in
	///   `AttestationKeyOwner` and each of its GPU UUIDs in `GpuOwner`; every index entry points to
	///   a listed provider whose record holds that key or UUID;
	/// - `try_state_count`: the map's counter is the number of records;
	/// - `try_state_times`: registration ≤ last status change ≤ now.
	pub fn do_try_state() -> Result<(), TryRuntimeError> {
		Self::try_state_bonds()?;
		Self::try_state_indexes()?;
		Self::try_state_count()?;
		Self::try_state_times()
	}

	fn try_state_bonds() -> Result<(), TryRuntimeError> {
		use polkadot_sdk::frame_support::traits::fungible::InspectHold;
		for (who, record) in Providers::<T>::iter() {
			let held = T::Currency::balance_on_hold(&HoldReason::ProviderBond.into(), &who);
			ensure!(held == record.total_bonded(), "held bond differs from bond + unbonding");
			ensure!(
				record.unbonding.iter().all(|c| !c.amount.is_zero()),
				"an empty unbonding chunk"
			);
			match record.status {
				ProviderStatus::Leaving => {
					ensure!(record.bond.is_zero(), "a leaving provider has an active bond");
					ensure!(!record.unbonding.is_empty(), "a leaving provider with nothing bonded");
				},
				ProviderStatus::Underbonded => ensure!(
					record.bond < Self::min_bond(&record.profile),
					"underbonded with enough bond"
				),
				ProviderStatus::Registered | ProviderStatus::Active | ProviderStatus::Paused =>
					ensure!(
						record.bond >= Self::min_bond(&record.profile),
						"bond below the minimum for its GPUs"
					),
				ProviderStatus::Suspended => {},
			}
		}
		Ok(())
	}

	fn try_state_indexes() -> Result<(), TryRuntimeError> {
		for (who, record) in Providers::<T>::iter() {
			if record.status != ProviderStatus::Leaving {
				ensure!(
					AttestationKeyOwner::<T>::get(&record.attestation_key).as_ref() == Some(&who),
					"attestation key index disagrees"
				);
				for uuid in record.profile.gpu_uuids.iter() {
					ensure!(GpuOwner::<T>::get(uuid).as_ref() == Some(&who), "GPU index disagrees");
				}
			}
		}
		for (key, who) in AttestationKeyOwner::<T>::iter() {
			let record = Providers::<T>::get(&who).ok_or("key index points to no provider")?;
			ensure!(record.attestation_key == key, "key index points to another key");
			ensure!(record.status != ProviderStatus::Leaving, "key index of a leaving provider");
		}
		for (uuid, who) in GpuOwner::<T>::iter() {
			let record = Providers::<T>::get(&who).ok_or("GPU index points to no provider")?;
			ensure!(record.profile.gpu_uuids.contains(&uuid), "GPU index points to another GPU");
			ensure!(record.status != ProviderStatus::Leaving, "GPU index of a leaving provider");
		}
		Ok(())
	}

	fn try_state_count() -> Result<(), TryRuntimeError> {
		ensure!(
			Providers::<T>::iter_keys().count() as u32 == Providers::<T>::count(),
			"the provider counter is wrong"
		);
		Ok(())
	}

	fn try_state_times() -> Result<(), TryRuntimeError> {
		let now = frame_system::Pallet::<T>::block_number();
		for (_, record) in Providers::<T>::iter() {
			ensure!(
				record.registered_at <= record.status_since && record.status_since <= now,
				"status change before registration or in the future"
			);
		}
		Ok(())
	}
}
