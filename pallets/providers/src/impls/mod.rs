//! The registry's logic: what the calls and the inter-pallet traits do.

use crate::{pallet::*, traits::*, types::*, weights::WeightInfo};
use alloc::vec::Vec;
use crucible_primitives::providers::{
	ownership_payload, AttestationKey, AttestationSignature, Endpoint, GpuUuid, HardwareProfile,
	HardwareRequirement, ProviderPage, Region,
};
use polkadot_sdk::{
	frame_support::{
		defensive_assert, ensure,
		pallet_prelude::*,
		traits::{
			fungible::{
				hold::{Balanced as _, Mutate as _},
				Balanced as _,
			},
			tokens::{imbalance::Imbalance as _, Precision},
			OnUnbalanced,
		},
	},
	frame_system::{self, pallet_prelude::BlockNumberFor},
	sp_runtime::{
		traits::{CheckedAdd, CheckedDiv, CheckedSub, Saturating, Zero},
		ArithmeticError, DispatchError, DispatchResult, Perbill, Permill, RuntimeAppPublic,
	},
};

/// Most records one `providers_matching` call reads.
pub const MAX_SCAN: u32 = 1_000;

/// A neutral reputation: where scores start and what they decay towards.
pub const NEUTRAL_REPUTATION: Permill = Permill::from_percent(50);

impl<T: Config> Pallet<T> {
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
		ensure!(bond >= T::MinBond::get(), Error::<T>::BondTooLow);
		ensure!(!AttestationKeyOwner::<T>::contains_key(&attestation_key), Error::<T>::KeyInUse);
		for uuid in profile.gpu_uuids.iter() {
			ensure!(!GpuOwner::<T>::contains_key(uuid), Error::<T>::GpuAlreadyRegistered);
		}
		let count = ProviderCount::<T>::get().checked_add(1).ok_or(ArithmeticError::Overflow)?;
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
		ProviderCount::<T>::put(count);
		Self::deposit_event(Event::ProviderRegistered { provider: who, bond });
		Ok(())
	}

	/// The record of a provider that has not deregistered.
	fn listed(who: &T::AccountId) -> Result<ProviderRecord<T>, DispatchError> {
		let record = Providers::<T>::get(who).ok_or(Error::<T>::NotRegistered)?;
		ensure!(record.status != ProviderStatus::Leaving, Error::<T>::InvalidStatus);
		Ok(record)
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
		// A challenge is sized for the declared hardware: it cannot change under it.
		ensure!(
			!hardware_changes || !T::WorkInFlight::has_open_challenge(&who),
			Error::<T>::ChallengeOpen
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

	pub(crate) fn do_bond_extra(who: T::AccountId, amount: BalanceOf<T>) -> DispatchResult {
		let mut record = Self::listed(&who)?;
		ensure!(!amount.is_zero(), Error::<T>::InsufficientBond);
		record.bond = record.bond.checked_add(&amount).ok_or(ArithmeticError::Overflow)?;
		T::Currency::hold(&HoldReason::ProviderBond.into(), &who, amount)
			.map_err(|_| Error::<T>::InsufficientBalance)?;
		let from = record.status;
		if from == ProviderStatus::Underbonded && record.bond >= T::MinBond::get() {
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
		ensure!(remaining >= T::MinBond::get(), Error::<T>::BondTooLow);
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
	fn unlock_at_for_new_chunk() -> BlockNumberFor<T> {
		frame_system::Pallet::<T>::block_number().saturating_add(UnbondingPeriod::<T>::get())
	}

	fn remove_record(who: &T::AccountId) {
		Providers::<T>::remove(who);
		ProviderCount::<T>::mutate(|n| *n = n.saturating_sub(1));
		Self::deposit_event(Event::ProviderRemoved { provider: who.clone() });
	}

	pub(crate) fn do_pause(who: T::AccountId) -> DispatchResult {
		// Nobody steps out of a challenge they are failing.
		ensure!(!T::WorkInFlight::has_open_challenge(&who), Error::<T>::ChallengeOpen);
		Self::transition(&who, ProviderStatus::Paused, |from| {
			matches!(from, ProviderStatus::Active | ProviderStatus::Registered)
		})
	}

	pub(crate) fn do_resume(who: T::AccountId) -> DispatchResult {
		// Resumed hardware is proven again before it earns.
		Self::transition(&who, ProviderStatus::Registered, |from| from == ProviderStatus::Paused)
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

	pub(crate) fn do_force_suspend(who: &T::AccountId) -> DispatchResult {
		Self::transition(who, ProviderStatus::Suspended, |from| from != ProviderStatus::Suspended)
	}

	pub(crate) fn do_force_resume(who: &T::AccountId) -> DispatchResult {
		// Back to `Registered` (to be proven again), or to `Underbonded` if slashes took the bond
		// below the minimum meanwhile.
		let to = match Providers::<T>::get(who) {
			Some(record) if record.bond < T::MinBond::get() => ProviderStatus::Underbonded,
			_ => ProviderStatus::Registered,
		};
		Self::transition(who, to, |from| from == ProviderStatus::Suspended)
	}

	pub(crate) fn do_set_unbonding_period(blocks: BlockNumberFor<T>) -> DispatchResult {
		ensure!(blocks <= T::MaxUnbondingPeriod::get(), Error::<T>::UnbondingPeriodTooLong);
		UnbondingPeriod::<T>::put(blocks);
		Self::deposit_event(Event::UnbondingPeriodSet { blocks });
		Ok(())
	}

	/// A judging pallet's status change: only the moves [`ProviderStatus::judge_may_move`]
	/// allows.
	pub(crate) fn do_set_status(who: &T::AccountId, to: ProviderStatus) -> DispatchResult {
		Self::transition(who, to, |from| from == to || from.judge_may_move(to))
	}

	/// Moves a listed provider to `to` if `allowed` accepts its current status (else
	/// `InvalidStatus`); nothing happens when it is there already. Only `deregister` makes a
	/// provider `Leaving`.
	fn transition(
		who: &T::AccountId,
		to: ProviderStatus,
		allowed: impl FnOnce(ProviderStatus) -> bool,
	) -> DispatchResult {
		let mut record = Self::listed(who)?;
		let from = record.status;
		ensure!(allowed(from), Error::<T>::InvalidStatus);
		if from == to {
			return Ok(());
		}
		record.status = to;
		record.status_since = frame_system::Pallet::<T>::block_number();
		Providers::<T>::insert(who, record);
		Self::deposit_event(Event::StatusChanged { provider: who.clone(), from, to });
		Ok(())
	}

	/// The reputation as of the current block: the stored score with decay towards neutral
	/// applied for every whole `ReputationDecayPeriod` since it was written.
	pub(crate) fn reputation_now(
		rep: &Reputation<BlockNumberFor<T>>,
	) -> Reputation<BlockNumberFor<T>> {
		let now = frame_system::Pallet::<T>::block_number();
		let elapsed = now.saturating_sub(rep.updated_at);
		let period = T::ReputationDecayPeriod::get().max(1u32.into());
		let periods: u32 =
			elapsed.checked_div(&period).unwrap_or_default().try_into().unwrap_or(u32::MAX);
		let keep = (Permill::one().saturating_sub(T::ReputationDecay::get()))
			.saturating_pow(periods.min(10_000) as usize);
		let score = if rep.score >= NEUTRAL_REPUTATION {
			NEUTRAL_REPUTATION
				.saturating_add(keep.saturating_mul(rep.score.saturating_sub(NEUTRAL_REPUTATION)))
		} else {
			NEUTRAL_REPUTATION
				.saturating_sub(keep.saturating_mul(NEUTRAL_REPUTATION.saturating_sub(rep.score)))
		};
		Reputation { score, updated_at: now }
	}

	/// A provider's record as readers should see it: its reputation with decay applied up to the
	/// current block (as if written now). What the `ProvidersApi::provider` runtime API returns.
	pub fn provider_view(who: &T::AccountId) -> Option<ProviderRecord<T>> {
		Providers::<T>::get(who).map(|mut record| {
			record.reputation = Self::reputation_now(&record.reputation);
			record
		})
	}

	fn note_outcome(who: &T::AccountId, weight: Permill, success: bool) -> DispatchResult {
		let mut record = Providers::<T>::get(who).ok_or(Error::<T>::NotRegistered)?;
		let Reputation { score: current, updated_at } = Self::reputation_now(&record.reputation);
		let score = if success {
			current.saturating_add(weight.saturating_mul(Permill::one().saturating_sub(current)))
		} else {
			current.saturating_sub(weight.saturating_mul(current))
		};
		record.reputation = Reputation { score, updated_at };
		Providers::<T>::insert(who, record);
		Self::deposit_event(Event::ReputationChanged { provider: who.clone(), score });
		Ok(())
	}

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
			record.bond < T::MinBond::get() &&
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

	/// The registry's invariants, each a named check:
	/// - `try_state_bonds`: the bond held from each provider equals its active bond plus its
	///   unbonding chunks; no chunk is empty; `Registered`, `Active` and `Paused` providers have at
	///   least `MinBond`, `Underbonded` ones less; a `Leaving` provider has no active bond and
	///   something still unbonding (a record with nothing left is removed);
	/// - `try_state_indexes`: a listed (not `Leaving`) provider owns its attestation key in
	///   `AttestationKeyOwner` and each of its GPU UUIDs in `GpuOwner`; every index entry points to
	///   a listed provider whose record holds that key or UUID;
	/// - `try_state_count`: `ProviderCount` is the number of records;
	/// - `try_state_times`: registration ≤ last status change ≤ now.
	#[cfg(any(feature = "try-runtime", feature = "std"))]
	pub fn do_try_state() -> Result<(), polkadot_sdk::sp_runtime::TryRuntimeError> {
		Self::try_state_bonds()?;
		Self::try_state_indexes()?;
		Self::try_state_count()?;
		Self::try_state_times()
	}

	#[cfg(any(feature = "try-runtime", feature = "std"))]
	fn try_state_bonds() -> Result<(), polkadot_sdk::sp_runtime::TryRuntimeError> {
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
				ProviderStatus::Underbonded =>
					ensure!(record.bond < T::MinBond::get(), "underbonded with enough bond"),
				ProviderStatus::Registered | ProviderStatus::Active | ProviderStatus::Paused =>
					ensure!(record.bond >= T::MinBond::get(), "bond below MinBond"),
				ProviderStatus::Suspended => {},
			}
		}
		Ok(())
	}

	#[cfg(any(feature = "try-runtime", feature = "std"))]
	fn try_state_indexes() -> Result<(), polkadot_sdk::sp_runtime::TryRuntimeError> {
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

	#[cfg(any(feature = "try-runtime", feature = "std"))]
	fn try_state_count() -> Result<(), polkadot_sdk::sp_runtime::TryRuntimeError> {
		ensure!(
			Providers::<T>::iter_keys().count() as u32 == ProviderCount::<T>::get(),
			"ProviderCount is wrong"
		);
		Ok(())
	}

	#[cfg(any(feature = "try-runtime", feature = "std"))]
	fn try_state_times() -> Result<(), polkadot_sdk::sp_runtime::TryRuntimeError> {
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
	fn providers_after(after: Option<&T::AccountId>, limit: u32) -> Vec<T::AccountId> {
		let keys = match after {
			Some(after) => Providers::<T>::iter_keys_from(Providers::<T>::hashed_key_for(after)),
			None => Providers::<T>::iter_keys(),
		};
		keys.take(limit as usize).collect()
	}
	fn providers_after_weight(limit: u32) -> Weight {
		// One key per step (iteration reads the next key; the value is not decoded).
		T::DbWeight::get().reads(u64::from(limit).saturating_add(1))
	}
}

impl<T: Config> ProviderMutate<T::AccountId> for Pallet<T> {
	fn set_status(provider: &T::AccountId, status: ProviderStatus) -> DispatchResult {
		Self::do_set_status(provider, status)
	}
	fn note_success(provider: &T::AccountId, weight: Permill) -> DispatchResult {
		Self::note_outcome(provider, weight, true)
	}
	fn note_failure(provider: &T::AccountId, weight: Permill) -> DispatchResult {
		Self::note_outcome(provider, weight, false)
	}
	fn set_status_weight() -> Weight {
		T::WeightInfo::set_status()
	}
	fn note_outcome_weight() -> Weight {
		T::WeightInfo::note_success().max(T::WeightInfo::note_failure())
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
