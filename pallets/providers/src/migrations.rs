//! The registry's storage migrations (model: `frame/broker/src/migration.rs`).

/// Version 0 → 1: `Providers` becomes a `CountedStorageMap`, whose counter
/// (`CounterForProviders`) replaces the hand-kept `ProviderCount`.
pub mod v1 {
	use crate::{Config, Pallet};
	use core::marker::PhantomData;
	use polkadot_sdk::frame_support::{
		migrations::VersionedMigration, pallet_prelude::*, storage_alias,
		traits::UncheckedOnRuntimeUpgrade,
	};
	#[cfg(any(test, feature = "try-runtime", feature = "testing"))]
	use polkadot_sdk::sp_runtime::TryRuntimeError;

	/// Version 0's count of provider records.
	#[storage_alias]
	pub type ProviderCount<T: Config> = StorageValue<Pallet<T>, u32, ValueQuery>;

	/// The counter of the counted `Providers` map, as the pallet macro names it.
	#[storage_alias]
	pub type CounterForProviders<T: Config> = StorageValue<Pallet<T>, u32, ValueQuery>;

	/// Moves the old count into the map's counter, in one read and two writes: the records
	/// themselves are not touched, and none is read (a chain of 50,000 providers migrates in
	/// one block).
	pub struct UncheckedMigrateToCountedProviders<T>(PhantomData<T>);

	impl<T: Config> UncheckedMigrateToCountedProviders<T> {
		/// Before: the old count equals the number of records (what the migration relies on).
		/// Returns the count, encoded.
		#[cfg(any(test, feature = "try-runtime", feature = "testing"))]
		pub fn pre_check() -> Result<alloc::vec::Vec<u8>, TryRuntimeError> {
			let count = ProviderCount::<T>::get();
			let records = crate::Providers::<T>::iter_keys().count() as u32;
			ensure!(count == records, "ProviderCount differs from the records before the upgrade");
			Ok(count.encode())
		}

		/// After: the map's counter holds the old count, which equals the records, and the old
		/// value is gone.
		#[cfg(any(test, feature = "try-runtime", feature = "testing"))]
		pub fn post_check(state: alloc::vec::Vec<u8>) -> Result<(), TryRuntimeError> {
			let before = u32::decode(&mut &state[..])
				.map_err(|_| TryRuntimeError::Other("undecodable pre-upgrade state"))?;
			ensure!(
				crate::Providers::<T>::count() == before,
				"the counter differs from the old count"
			);
			ensure!(
				crate::Providers::<T>::iter_keys().count() as u32 == before,
				"the records changed in the upgrade"
			);
			ensure!(!ProviderCount::<T>::exists(), "ProviderCount is still stored");
			Ok(())
		}
	}

	impl<T: Config> UncheckedOnRuntimeUpgrade for UncheckedMigrateToCountedProviders<T> {
		fn on_runtime_upgrade() -> Weight {
			CounterForProviders::<T>::put(ProviderCount::<T>::take());
			T::DbWeight::get().reads_writes(1, 2)
		}

		#[cfg(feature = "try-runtime")]
		fn pre_upgrade() -> Result<alloc::vec::Vec<u8>, TryRuntimeError> {
			Self::pre_check()
		}

		#[cfg(feature = "try-runtime")]
		fn post_upgrade(state: alloc::vec::Vec<u8>) -> Result<(), TryRuntimeError> {
			Self::post_check(state)
		}
	}

	/// The migration from version 0 to 1, run once: a no-op at any other on-chain version (and
	/// on a chain started at version 1).
	pub type MigrateToCountedProviders<T> = VersionedMigration<
		0,
		1,
		UncheckedMigrateToCountedProviders<T>,
		Pallet<T>,
		<T as polkadot_sdk::frame_system::Config>::DbWeight,
	>;
}
