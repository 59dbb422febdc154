//! Joining the registry, changing what a provider declares, and leaving it.

use super::NEUTRAL_REPUTATION;
use crate::{pallet::*, traits::*, types::*};
use alloc::vec::Vec;
use crucible_primitives::providers::{
	ownership_payload, AttestationKey, AttestationSignature, Endpoint, GpuUuid, HardwareProfile,
	Region,
};
use polkadot_sdk::{
	frame_support::{ensure, pallet_prelude::*, traits::fungible::hold::Mutate as _},
	frame_system::{self, pallet_prelude::BlockNumberFor},
	sp_runtime::{
		traits::{Saturating, Zero},
		ArithmeticError, DispatchError, DispatchResult, RuntimeAppPublic,
	},
};

impl<T: Config> Pallet<T> {
	/// The least bond a provider declaring `profile` may have: `MinBond` + `BondPerGpu` × its
	/// GPUs.
	pub fn min_bond(profile: &HardwareProfile) -> BalanceOf<T> {
		T::BondPerGpu::get()
			.saturating_mul(profile.gpu_count().into())
			.saturating_add(T::MinBond::get())
	}

	/// Checks a profile on its own: GPUs listed, sane, named; one UUID per GPU, none twice.
	pub(crate) fn validate_profile(profile: &HardwareProfile) -> DispatchResult {
		ensure!(!profile.gpus.is_empty(), Error::<T>::EmptyGpuList);
		for gpu in profile.gpus.iter() {
			ensure!(gpu.count > 0 && gpu.vram_mib > 0, Error::<T>::InvalidGpuSpec);
			ensure!(
				!gpu.model.is_empty() &&
					gpu.model.iter().all(|c| c.is_ascii_graphic() || *c == b' '),
				Error::<T>::InvalidModelName
			);
		}
		ensure!(
			profile.gpu_count() as usize == profile.gpu_uuids.len(),
			Error::<T>::GpuUuidCountMismatch
		);
		let mut uuids: Vec<GpuUuid> = profile.gpu_uuids.to_vec();
		uuids.sort_unstable();
		ensure!(uuids.windows(2).all(|w| w.first() != w.get(1)), Error::<T>::DuplicateGpuUuid);
		Ok(())
	}

	/// The payload `who`'s next attestation key must sign: bound to this chain's genesis hash
	/// and to `who`'s key nonce.
	pub fn ownership_payload_of(who: &T::AccountId) -> Vec<u8> {
		let genesis = frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::zero());
		ownership_payload(genesis.as_ref(), who, KeyNonce::<T>::get(who))
	}

	/// Checks that `key_proof` is `key`'s signature over `who`'s ownership payload, and uses
	/// the nonce up (call it last, after every other check).
	fn check_key_proof(
		who: &T::AccountId,
		key: &AttestationKey,
		key_proof: &AttestationSignature,
	) -> DispatchResult {
		ensure!(
			key.verify(&Self::ownership_payload_of(who), key_proof),
			Error::<T>::InvalidKeyProof
		);
		KeyNonce::<T>::mutate(who, |n| *n = n.saturating_add(1));
		Ok(())
	}

	fn validate_listing(endpoint: &Endpoint, region: &Region) -> DispatchResult {
		ensure!(region.is_well_formed(), Error::<T>::InvalidRegion);
		ensure!(!endpoint.is_empty(), Error::<T>::EmptyEndpoint);
		Ok(())
	}

	pub(crate) fn do_register(
		who: T::AccountId,
		profile: HardwareProfile,
		attestation_key: AttestationKey,
		key_proof: AttestationSignature,
		endpoint: Endpoint,
		region: Region,
		bond: BalanceOf<T>,
	) -> DispatchResult {
		ensure!(!Providers::<T>::contains_key(&who), Error::<T>::AlreadyRegistered);
		Self::validate_profile(&profile)?;
		Self::validate_listing(&endpoint, &region)?;
		ensure!(bond >= Self::min_bond(&profile), Error::<T>::BondTooLow);
		ensure!(!AttestationKeyOwner::<T>::contains_key(&attestation_key), Error::<T>::KeyInUse);
		for uuid in profile.gpu_uuids.iter() {
			ensure!(!GpuOwner::<T>::contains_key(uuid), Error::<T>::GpuAlreadyRegistered);
		}
		ensure!(Providers::<T>::count() < u32::MAX, ArithmeticError::Overflow);
		Self::check_key_proof(&who, &attestation_key, &key_proof)?;
		T::Currency::hold(&HoldReason::ProviderBond.into(), &who, bond)
			.map_err(|_| Error::<T>::InsufficientBalance)?;

		for uuid in profile.gpu_uuids.iter() {
			GpuOwner::<T>::insert(uuid, &who);
		}
		AttestationKeyOwner::<T>::insert(&attestation_key, &who);
		let now = frame_system::Pallet::<T>::block_number();
		Providers::<T>::insert(
			&who,
			ProviderRecord {
				status: ProviderStatus::Registered,
				profile,
				attestation_key,
				endpoint,
				region,
				bond,
				unbonding: BoundedVec::new(),
				reputation: Reputation { score: NEUTRAL_REPUTATION, updated_at: now },
				registered_at: now,
				status_since: now,
			},
		);
		Self::deposit_event(Event::ProviderRegistered { provider: who, bond });
		Ok(())
	}

	pub(crate) fn do_update_profile(
		who: T::AccountId,
		profile: HardwareProfile,
		endpoint: Endpoint,
		region: Region,
	) -> Result<u32, DispatchError> {
		let mut record = Self::listed(&who)?;
		Self::validate_profile(&profile)?;
		Self::validate_listing(&endpoint, &region)?;
		for uuid in profile.gpu_uuids.iter() {
			if let Some(owner) = GpuOwner::<T>::get(uuid) {
				ensure!(owner == who, Error::<T>::GpuAlreadyRegistered);
			}
		}
		let hardware_changes = record.profile != profile;
		// More GPUs ask for more bond (an underbonded provider may still describe its host).
		ensure!(
			record.status == ProviderStatus::Underbonded || record.bond >= Self::min_bond(&profile),
			Error::<T>::BondTooLow
		);
		// A challenge is sized for the declared hardware: it cannot change under it.
		ensure!(
			!hardware_changes || !T::WorkInFlight::has_open_challenge(&who),
			Error::<T>::ChallengeOpen
		);
		// Leases take the declared GPUs (a marketplace leases at most that many at once): the
		// hardware cannot shrink or change under them.
		ensure!(
			!hardware_changes || !T::WorkInFlight::has_work_in_flight(&who),
			Error::<T>::HasActiveWork
		);
		let old_gpus = record.profile.gpu_uuids.len() as u32;
		for uuid in record.profile.gpu_uuids.iter() {
			GpuOwner::<T>::remove(uuid);
		}
		for uuid in profile.gpu_uuids.iter() {
			GpuOwner::<T>::insert(uuid, &who);
		}
		let from = record.status;
		if hardware_changes && from == ProviderStatus::Active {
			// New hardware must be proven before it earns.
			record.status = ProviderStatus::Registered;
			record.status_since = frame_system::Pallet::<T>::block_number();
		}
		if from == ProviderStatus::Underbonded && record.bond >= Self::min_bond(&profile) {
			// Fewer GPUs: the bond covers the new minimum, listed again to be proven.
			record.status = ProviderStatus::Registered;
			record.status_since = frame_system::Pallet::<T>::block_number();
		}
		record.profile = profile;
		record.endpoint = endpoint;
		record.region = region;
		let status = record.status;
		Providers::<T>::insert(&who, record);
		if status != from {
			Self::deposit_event(Event::StatusChanged { provider: who.clone(), from, to: status });
		}
		Self::deposit_event(Event::ProfileUpdated { provider: who, status });
		Ok(old_gpus)
	}

	pub(crate) fn do_rotate_attestation_key(
		who: T::AccountId,
		key: AttestationKey,
		key_proof: AttestationSignature,
	) -> DispatchResult {
		let mut record = Self::listed(&who)?;
		ensure!(!AttestationKeyOwner::<T>::contains_key(&key), Error::<T>::KeyInUse);
		Self::check_key_proof(&who, &key, &key_proof)?;
		AttestationKeyOwner::<T>::remove(&record.attestation_key);
		AttestationKeyOwner::<T>::insert(&key, &who);
		record.attestation_key = key.clone();
		Providers::<T>::insert(&who, record);
		Self::deposit_event(Event::AttestationKeyRotated { provider: who, key });
		Ok(())
	}

	/// Returns how many GPUs the provider had (what the call's weight depends on).
	pub(crate) fn do_deregister(who: T::AccountId) -> Result<u32, DispatchError> {
		let mut record = Self::listed(&who)?;
		ensure!(
			!T::WorkInFlight::has_work_in_flight(&who) &&
				!T::WorkInFlight::has_open_challenge(&who),
			Error::<T>::HasActiveWork
		);
		let unlock_at = Self::unlock_at_for_new_chunk();
		if !record.bond.is_zero() {
			let chunk = UnbondingChunk { amount: record.bond, unlock_at };
			if let Err(chunk) = record.unbonding.try_push(chunk) {
				// No room for another chunk: fold the bond into the latest one, which then
				// unlocks with it (never earlier than either).
				if let Some(last) = record.unbonding.last_mut() {
					last.amount = last.amount.saturating_add(chunk.amount);
					last.unlock_at = last.unlock_at.max(chunk.unlock_at);
				}
			}
		}
		record.bond = Zero::zero();
		let from = record.status;
		record.status = ProviderStatus::Leaving;
		record.status_since = frame_system::Pallet::<T>::block_number();
		AttestationKeyOwner::<T>::remove(&record.attestation_key);
		let gpus = record.profile.gpu_uuids.len() as u32;
		for uuid in record.profile.gpu_uuids.iter() {
			GpuOwner::<T>::remove(uuid);
		}
		let nothing_bonded = record.unbonding.is_empty();
		Providers::<T>::insert(&who, record);
		Self::deposit_event(Event::StatusChanged {
			provider: who.clone(),
			from,
			to: ProviderStatus::Leaving,
		});
		Self::deposit_event(Event::ProviderLeaving { provider: who.clone(), unlock_at });
		if nothing_bonded {
			// Slashed to nothing before it left: there is nothing to wait for.
			Self::remove_record(&who);
		}
		Ok(gpus)
	}

	pub(crate) fn remove_record(who: &T::AccountId) {
		Providers::<T>::remove(who);
		T::WorkInFlight::on_provider_removed(who);
		Self::deposit_event(Event::ProviderRemoved { provider: who.clone() });
	}
}
