// Tests may panic and overflow: that is how they fail.
#![allow(clippy::arithmetic_side_effects)]

//! Every call and every error of the registry; `do_try_state` runs after each test.

use crate::{
	mock::*, weights::WeightInfo, AttestationKeyOwner, Error, Event, GpuOwner, HoldReason,
	ProviderInspect, ProviderMutate, ProviderRecord, ProviderSlash, ProviderStatus, SlashReason,
};
use crucible_primitives::providers::{
	ComputeCapability, GpuSpec, GpuVendor, HardwareRequirement, Interconnect, Region, MAX_GPUS,
};
use polkadot_sdk::{
	frame_support::{
		assert_noop, assert_ok,
		traits::fungible::{Inspect, InspectHold},
	},
	sp_runtime::{DispatchError, Permill},
};

const BOND: Balance = 5_000;

fn held(who: AccountId) -> Balance {
	Balances::balance_on_hold(&HoldReason::ProviderBond.into(), &who)
}

/// The stored record (the storage map, not the pallet alias of the mock).
fn get(who: AccountId) -> Option<ProviderRecord<Test>> {
	crate::Providers::<Test>::get(who)
}

fn record(who: AccountId) -> ProviderRecord<Test> {
	get(who).expect("registered")
}

fn last_event() -> RuntimeEvent {
	System::events().pop().expect("an event").event
}

fn status(who: AccountId) -> ProviderStatus {
	get(who).expect("registered").status
}

/// Makes `who` Active as the proof-of-compute pallet will.
fn activate(who: AccountId) {
	assert_ok!(<Providers as ProviderMutate<_>>::set_status(&who, ProviderStatus::Active));
}

// ---- register ----

#[test]
fn register_holds_the_bond_and_indexes_key_and_gpus() {
	build_and_execute(|| {
		assert_ok!(register(ALICE, 1, 8, BOND));
		let r = get(ALICE).unwrap();
		assert_eq!(r.status, ProviderStatus::Registered);
		assert_eq!(r.bond, BOND);
		assert_eq!(r.attestation_key, key(1));
		assert_eq!(r.reputation.score, Permill::from_percent(50));
		assert_eq!(held(ALICE), BOND);
		assert_eq!(Balances::balance(&ALICE), ENDOWMENT - BOND);
		assert_eq!(AttestationKeyOwner::<Test>::get(key(1)), Some(ALICE));
		for i in 0..8 {
			assert_eq!(GpuOwner::<Test>::get(uuid(1, i)), Some(ALICE));
		}
		assert_eq!(crate::Providers::<Test>::count(), 1);
		assert_eq!(last_event(), Event::ProviderRegistered { provider: ALICE, bond: BOND }.into());
	});
}

#[test]
fn register_twice_fails_with_already_registered() {
	build_and_execute(|| {
		assert_ok!(register(ALICE, 1, 1, BOND));
		assert_noop!(register(ALICE, 2, 1, BOND), Error::<Test>::AlreadyRegistered);
	});
}

#[test]
fn register_below_min_bond_fails_and_holds_nothing() {
	build_and_execute(|| {
		assert_noop!(register(ALICE, 1, 1, MIN_BOND - 1), Error::<Test>::BondTooLow);
		assert_eq!(held(ALICE), 0);
		assert_ok!(register(ALICE, 1, 1, MIN_BOND));
	});
}

#[test]
fn the_minimum_bond_grows_with_the_declared_gpus() {
	build_and_execute(|| {
		BondPerGpu::set(100);
		// Eight GPUs: MinBond + 8 × 100.
		assert_eq!(Providers::min_bond(&profile(1, 8)), MIN_BOND + 800);
		assert_noop!(register(ALICE, 1, 8, MIN_BOND + 799), Error::<Test>::BondTooLow);
		assert_ok!(register(ALICE, 1, 8, MIN_BOND + 800));
		// Unbonding stops at the minimum of its GPUs.
		assert_noop!(Providers::unbond(RuntimeOrigin::signed(ALICE), 1), Error::<Test>::BondTooLow);
		// Declaring more GPUs asks for their bond first.
		let more = |gpus| {
			Providers::update_profile(
				RuntimeOrigin::signed(ALICE),
				profile(1, gpus),
				crate::testing::endpoint(),
				crate::testing::region(),
			)
		};
		assert_noop!(more(9), Error::<Test>::BondTooLow);
		assert_ok!(Providers::bond_extra(RuntimeOrigin::signed(ALICE), 100));
		assert_ok!(more(9));
		// A slash to below the minimum of its GPUs takes it out of work.
		assert_ok!(<Providers as ProviderSlash<_>>::slash(
			&ALICE,
			Permill::from_percent(1),
			SlashReason::FailedChallenge
		));
		assert_eq!(record(ALICE).status, ProviderStatus::Underbonded);
		// Describing fewer GPUs, its bond covers them again: listed, to be proven.
		assert_ok!(more(4));
		assert_eq!(record(ALICE).status, ProviderStatus::Registered);
		BondPerGpu::set(0);
	});
}

#[test]
fn register_without_the_funds_fails_with_insufficient_balance() {
	build_and_execute(|| {
		assert_noop!(register(POOR, 1, 1, MIN_BOND), Error::<Test>::InsufficientBalance);
	});
}

#[test]
fn a_key_belongs_to_one_provider() {
	build_and_execute(|| {
		assert_ok!(register(ALICE, 1, 1, BOND));
		// Bob presents Alice's key, with a valid proof for himself (he holds the secret too).
		assert_noop!(
			Providers::register(
				RuntimeOrigin::signed(BOB),
				profile(2, 1),
				key(1),
				proof(1, BOB),
				endpoint(),
				region(),
				BOND
			),
			Error::<Test>::KeyInUse
		);
	});
}

#[test]
fn a_key_without_a_valid_ownership_proof_is_refused() {
	build_and_execute(|| {
		// A proof made for another account cannot be replayed.
		assert_noop!(
			Providers::register(
				RuntimeOrigin::signed(BOB),
				profile(2, 1),
				key(2),
				proof(2, ALICE),
				endpoint(),
				region(),
				BOND
			),
			Error::<Test>::InvalidKeyProof
		);
		// A proof by another key neither.
		assert_noop!(
			Providers::register(
				RuntimeOrigin::signed(BOB),
				profile(2, 1),
				key(2),
				proof(3, BOB),
				endpoint(),
				region(),
				BOND
			),
			Error::<Test>::InvalidKeyProof
		);
	});
}

#[test]
fn the_same_gpu_cannot_be_registered_twice() {
	build_and_execute(|| {
		assert_ok!(register(ALICE, 1, 2, BOND));
		// Bob's host claims one of Alice's cards.
		let mut p = profile(2, 2);
		p.gpu_uuids = vec![uuid(2, 0), uuid(1, 1)].try_into().unwrap();
		assert_noop!(
			Providers::register(
				RuntimeOrigin::signed(BOB),
				p,
				key(2),
				proof(2, BOB),
				endpoint(),
				region(),
				BOND
			),
			Error::<Test>::GpuAlreadyRegistered
		);
		assert_eq!(held(BOB), 0);
	});
}

fn register_profile(p: crucible_primitives::providers::HardwareProfile) -> DispatchResultOf {
	Providers::register(
		RuntimeOrigin::signed(BOB),
		p,
		key(2),
		proof(2, BOB),
		endpoint(),
		region(),
		BOND,
	)
}

type DispatchResultOf = polkadot_sdk::sp_runtime::DispatchResult;

#[test]
fn malformed_profiles_are_refused_by_name() {
	build_and_execute(|| {
		let mut p = profile(2, 2);
		p.gpus = Default::default();
		p.gpu_uuids = Default::default();
		assert_noop!(register_profile(p), Error::<Test>::EmptyGpuList);

		let mut p = profile(2, 2);
		p.gpus = vec![GpuSpec { count: 0, ..p.gpus[0].clone() }].try_into().unwrap();
		assert_noop!(register_profile(p), Error::<Test>::InvalidGpuSpec);

		let mut p = profile(2, 2);
		p.gpus = vec![GpuSpec { vram_mib: 0, ..p.gpus[0].clone() }].try_into().unwrap();
		assert_noop!(register_profile(p), Error::<Test>::InvalidGpuSpec);

		let mut p = profile(2, 2);
		p.gpus = vec![GpuSpec { model: Default::default(), ..p.gpus[0].clone() }]
			.try_into()
			.unwrap();
		assert_noop!(register_profile(p), Error::<Test>::InvalidModelName);

		let mut p = profile(2, 2);
		p.gpus =
			vec![GpuSpec { model: b"H100\n".to_vec().try_into().unwrap(), ..p.gpus[0].clone() }]
				.try_into()
				.unwrap();
		assert_noop!(register_profile(p), Error::<Test>::InvalidModelName);

		let mut p = profile(2, 2);
		p.gpu_uuids = vec![uuid(2, 0)].try_into().unwrap();
		assert_noop!(register_profile(p), Error::<Test>::GpuUuidCountMismatch);

		let mut p = profile(2, 2);
		p.gpu_uuids = vec![uuid(2, 0), uuid(2, 0)].try_into().unwrap();
		assert_noop!(register_profile(p), Error::<Test>::DuplicateGpuUuid);
		assert_eq!(held(BOB), 0);
	});
}

#[test]
fn a_model_name_longer_than_the_bound_cannot_even_be_encoded() {
	// The bound is in the type: polkadot.js cannot build a longer name, and decoding refuses it.
	let long = vec![b'A'; crucible_primitives::providers::MAX_MODEL_NAME_LEN as usize + 1];
	assert!(crucible_primitives::providers::ModelName::try_from(long).is_err());
}

#[test]
fn malformed_listings_are_refused_by_name() {
	build_and_execute(|| {
		let bad_region = Region { country: *b"de", metro: None };
		assert_noop!(
			Providers::register(
				RuntimeOrigin::signed(BOB),
				profile(2, 1),
				key(2),
				proof(2, BOB),
				endpoint(),
				bad_region,
				BOND
			),
			Error::<Test>::InvalidRegion
		);
		let bad_metro = Region { country: *b"DE", metro: Some(*b"F1A") };
		assert_noop!(
			Providers::register(
				RuntimeOrigin::signed(BOB),
				profile(2, 1),
				key(2),
				proof(2, BOB),
				endpoint(),
				bad_metro,
				BOND
			),
			Error::<Test>::InvalidRegion
		);
		assert_noop!(
			Providers::register(
				RuntimeOrigin::signed(BOB),
				profile(2, 1),
				key(2),
				proof(2, BOB),
				Default::default(),
				region(),
				BOND
			),
			Error::<Test>::EmptyEndpoint
		);
	});
}

#[test]
fn register_needs_a_signed_origin() {
	build_and_execute(|| {
		assert_noop!(
			Providers::register(
				RuntimeOrigin::root(),
				profile(1, 1),
				key(1),
				proof(1, ALICE),
				endpoint(),
				region(),
				BOND
			),
			DispatchError::BadOrigin
		);
	});
}

// ---- update_profile ----

#[test]
fn update_profile_reindexes_gpus_and_sends_active_back_to_registered() {
	build_and_execute(|| {
		assert_ok!(register(ALICE, 1, 2, BOND));
		activate(ALICE);
		// Keep card 0, swap card 1 for a new one, add a third.
		let mut p = profile(1, 3);
		p.gpu_uuids = vec![uuid(1, 0), uuid(1, 7), uuid(1, 8)].try_into().unwrap();
		let new_region = Region { country: *b"US", metro: None };
		assert_ok!(Providers::update_profile(
			RuntimeOrigin::signed(ALICE),
			p.clone(),
			endpoint(),
			new_region
		));
		let r = record(ALICE);
		assert_eq!(r.profile, p);
		assert_eq!(r.region, new_region);
		assert_eq!(r.status, ProviderStatus::Registered);
		assert_eq!(GpuOwner::<Test>::get(uuid(1, 1)), None);
		assert_eq!(GpuOwner::<Test>::get(uuid(1, 7)), Some(ALICE));
		System::assert_has_event(
			Event::StatusChanged {
				provider: ALICE,
				from: ProviderStatus::Active,
				to: ProviderStatus::Registered,
			}
			.into(),
		);
		assert_eq!(
			last_event(),
			Event::ProfileUpdated { provider: ALICE, status: ProviderStatus::Registered }.into()
		);
	});
}

#[test]
fn update_profile_keeps_an_active_provider_active_if_only_the_listing_changes() {
	build_and_execute(|| {
		assert_ok!(register(ALICE, 1, 2, BOND));
		activate(ALICE);
		let new_endpoint: crucible_primitives::providers::Endpoint =
			b"https://other.example.net".to_vec().try_into().unwrap();
		assert_ok!(Providers::update_profile(
			RuntimeOrigin::signed(ALICE),
			profile(1, 2),
			new_endpoint.clone(),
			region()
		));
		assert_eq!(status(ALICE), ProviderStatus::Active);
		assert_eq!(record(ALICE).endpoint, new_endpoint);
	});
}

#[test]
fn update_profile_errors() {
	build_and_execute(|| {
		assert_noop!(
			Providers::update_profile(
				RuntimeOrigin::signed(ALICE),
				profile(1, 1),
				endpoint(),
				region()
			),
			Error::<Test>::NotRegistered
		);
		assert_ok!(register(ALICE, 1, 1, BOND));
		assert_ok!(register(BOB, 2, 1, BOND));
		// Claiming Bob's card.
		let mut p = profile(1, 2);
		p.gpu_uuids = vec![uuid(1, 0), uuid(2, 0)].try_into().unwrap();
		assert_noop!(
			Providers::update_profile(RuntimeOrigin::signed(ALICE), p, endpoint(), region()),
			Error::<Test>::GpuAlreadyRegistered
		);
		let mut p = profile(1, 1);
		p.gpus = Default::default();
		assert_noop!(
			Providers::update_profile(RuntimeOrigin::signed(ALICE), p, endpoint(), region()),
			Error::<Test>::EmptyGpuList
		);
		assert_noop!(
			Providers::update_profile(
				RuntimeOrigin::signed(ALICE),
				profile(1, 1),
				endpoint(),
				Region { country: *b"D1", metro: None }
			),
			Error::<Test>::InvalidRegion
		);
	});
}

// ---- rotate_attestation_key ----

#[test]
fn rotate_attestation_key_moves_the_index() {
	build_and_execute(|| {
		assert_ok!(register(ALICE, 1, 1, BOND));
		assert_ok!(Providers::rotate_attestation_key(
			RuntimeOrigin::signed(ALICE),
			key(11),
			proof(11, ALICE)
		));
		assert_eq!(record(ALICE).attestation_key, key(11));
		assert_eq!(AttestationKeyOwner::<Test>::get(key(1)), None);
		assert_eq!(AttestationKeyOwner::<Test>::get(key(11)), Some(ALICE));
		assert_eq!(
			last_event(),
			Event::AttestationKeyRotated { provider: ALICE, key: key(11) }.into()
		);
		// The old key is free for anyone who holds it.
		assert_ok!(register(BOB, 2, 1, BOND));
		assert_ok!(Providers::rotate_attestation_key(
			RuntimeOrigin::signed(BOB),
			key(1),
			proof(1, BOB)
		));
	});
}

#[test]
fn rotate_attestation_key_errors() {
	build_and_execute(|| {
		assert_noop!(
			Providers::rotate_attestation_key(
				RuntimeOrigin::signed(ALICE),
				key(11),
				proof(11, ALICE)
			),
			Error::<Test>::NotRegistered
		);
		assert_ok!(register(ALICE, 1, 1, BOND));
		assert_ok!(register(BOB, 2, 1, BOND));
		assert_noop!(
			Providers::rotate_attestation_key(
				RuntimeOrigin::signed(ALICE),
				key(2),
				proof(2, ALICE)
			),
			Error::<Test>::KeyInUse
		);
		assert_noop!(
			Providers::rotate_attestation_key(
				RuntimeOrigin::signed(ALICE),
				key(11),
				proof(12, ALICE)
			),
			Error::<Test>::InvalidKeyProof
		);
	});
}

#[test]
fn an_ownership_proof_is_bound_to_the_chain() {
	build_and_execute(|| {
		// A valid signature, for the same account and nonce, on another chain.
		let other_chain = [0xAB; 32];
		assert_noop!(
			Providers::register(
				RuntimeOrigin::signed(ALICE),
				profile(1, 1),
				key(1),
				proof_with(1, ALICE, &other_chain, 0),
				endpoint(),
				region(),
				BOND
			),
			Error::<Test>::InvalidKeyProof
		);
		assert_ok!(Providers::register(
			RuntimeOrigin::signed(ALICE),
			profile(1, 1),
			key(1),
			proof_with(1, ALICE, genesis_hash().as_ref(), 0),
			endpoint(),
			region(),
			BOND
		));
		assert_eq!(crate::KeyNonce::<Test>::get(ALICE), 1);
	});
}

#[test]
fn a_rotated_away_key_cannot_come_back_with_its_old_public_proof() {
	build_and_execute(|| {
		// The proof of key 1 is public once `register` is on chain.
		let old_proof = proof(1, ALICE);
		assert_ok!(Providers::register(
			RuntimeOrigin::signed(ALICE),
			profile(1, 1),
			key(1),
			old_proof.clone(),
			endpoint(),
			region(),
			BOND
		));
		assert_ok!(Providers::rotate_attestation_key(
			RuntimeOrigin::signed(ALICE),
			key(11),
			proof(11, ALICE)
		));
		// Key 1 was retired (say it leaked): its old proof does not bring it back.
		assert_noop!(
			Providers::rotate_attestation_key(RuntimeOrigin::signed(ALICE), key(1), old_proof),
			Error::<Test>::InvalidKeyProof
		);
		assert_eq!(crate::KeyNonce::<Test>::get(ALICE), 2);
		// A fresh proof of it (by whoever holds it now) does.
		assert_ok!(Providers::rotate_attestation_key(
			RuntimeOrigin::signed(ALICE),
			key(1),
			proof(1, ALICE)
		));
	});
}

#[test]
fn a_proof_is_good_once_even_after_the_record_is_gone() {
	build_and_execute(|| {
		let first = proof(1, ALICE);
		assert_ok!(Providers::register(
			RuntimeOrigin::signed(ALICE),
			profile(1, 1),
			key(1),
			first.clone(),
			endpoint(),
			region(),
			BOND
		));
		assert_ok!(Providers::deregister(RuntimeOrigin::signed(ALICE)));
		run_to_block(1 + UNBONDING_PERIOD);
		assert_ok!(Providers::withdraw_unbonded(RuntimeOrigin::signed(ALICE)));
		assert!(get(ALICE).is_none());
		assert_noop!(
			Providers::register(
				RuntimeOrigin::signed(ALICE),
				profile(1, 1),
				key(1),
				first,
				endpoint(),
				region(),
				BOND
			),
			Error::<Test>::InvalidKeyProof
		);
	});
}

#[test]
fn a_failed_registration_does_not_use_the_nonce_up() {
	build_and_execute(|| {
		let good = proof(1, ALICE);
		assert_noop!(
			Providers::register(
				RuntimeOrigin::signed(ALICE),
				profile(1, 1),
				key(1),
				good.clone(),
				endpoint(),
				region(),
				MIN_BOND - 1
			),
			Error::<Test>::BondTooLow
		);
		assert_eq!(crate::KeyNonce::<Test>::get(ALICE), 0);
		assert_ok!(Providers::register(
			RuntimeOrigin::signed(ALICE),
			profile(1, 1),
			key(1),
			good,
			endpoint(),
			region(),
			BOND
		));
	});
}

// ---- bond_extra / unbond / withdraw_unbonded ----

#[test]
fn bond_extra_holds_more() {
	build_and_execute(|| {
		assert_ok!(register(ALICE, 1, 1, BOND));
		assert_ok!(Providers::bond_extra(RuntimeOrigin::signed(ALICE), 700));
		assert_eq!(record(ALICE).bond, BOND + 700);
		assert_eq!(held(ALICE), BOND + 700);
		assert_eq!(last_event(), Event::Bonded { provider: ALICE, amount: 700 }.into());
	});
}

#[test]
fn bond_extra_errors() {
	build_and_execute(|| {
		assert_noop!(
			Providers::bond_extra(RuntimeOrigin::signed(ALICE), 1),
			Error::<Test>::NotRegistered
		);
		assert_ok!(register(ALICE, 1, 1, BOND));
		assert_noop!(
			Providers::bond_extra(RuntimeOrigin::signed(ALICE), 0),
			Error::<Test>::InsufficientBond
		);
		assert_noop!(
			Providers::bond_extra(RuntimeOrigin::signed(ALICE), ENDOWMENT),
			Error::<Test>::InsufficientBalance
		);
	});
}

#[test]
fn unbond_then_withdraw_after_the_period() {
	build_and_execute(|| {
		assert_ok!(register(ALICE, 1, 1, BOND));
		assert_ok!(Providers::unbond(RuntimeOrigin::signed(ALICE), 1_500));
		let unlock_at = 1 + UNBONDING_PERIOD;
		assert_eq!(
			last_event(),
			Event::Unbonding { provider: ALICE, amount: 1_500, unlock_at }.into()
		);
		let r = record(ALICE);
		assert_eq!(r.bond, BOND - 1_500);
		assert_eq!(r.unbonding.len(), 1);
		// Still held (and slashable) while unbonding.
		assert_eq!(held(ALICE), BOND);
		run_to_block(unlock_at - 1);
		assert_noop!(
			Providers::withdraw_unbonded(RuntimeOrigin::signed(ALICE)),
			Error::<Test>::NothingToWithdraw
		);
		run_to_block(unlock_at);
		assert_ok!(Providers::withdraw_unbonded(RuntimeOrigin::signed(ALICE)));
		assert_eq!(held(ALICE), BOND - 1_500);
		assert_eq!(Balances::balance(&ALICE), ENDOWMENT - BOND + 1_500);
		assert!(record(ALICE).unbonding.is_empty());
		assert_eq!(last_event(), Event::Withdrawn { provider: ALICE, amount: 1_500 }.into());
	});
}

#[test]
#[should_panic(expected = "the bond hold is smaller than the ripe chunks")]
fn withdraw_checks_what_the_hold_really_released() {
	use polkadot_sdk::frame_support::traits::{
		fungible::MutateHold,
		tokens::{Fortitude, Precision},
	};
	new_test_ext().execute_with(|| {
		assert_ok!(register(ALICE, 1, 1, BOND));
		assert_ok!(Providers::unbond(RuntimeOrigin::signed(ALICE), 500));
		// Something outside the registry took part of the hold (an invariant broken).
		assert_ok!(Balances::burn_held(
			&HoldReason::ProviderBond.into(),
			&ALICE,
			BOND - 200,
			Precision::Exact,
			Fortitude::Force
		));
		run_to_block(1 + UNBONDING_PERIOD);
		// Only 200 can be released of the 500 unbonded: the defensive check fires (a panic in
		// tests, an error log on chain), and the event reports the 200 really freed.
		let _ = Providers::withdraw_unbonded(RuntimeOrigin::signed(ALICE));
	});
}

#[test]
fn withdraw_releases_only_the_ripe_chunks() {
	build_and_execute(|| {
		assert_ok!(register(ALICE, 1, 1, BOND));
		assert_ok!(Providers::unbond(RuntimeOrigin::signed(ALICE), 100));
		run_to_block(5);
		assert_ok!(Providers::unbond(RuntimeOrigin::signed(ALICE), 200));
		run_to_block(1 + UNBONDING_PERIOD);
		assert_ok!(Providers::withdraw_unbonded(RuntimeOrigin::signed(ALICE)));
		assert_eq!(held(ALICE), BOND - 100);
		assert_eq!(record(ALICE).unbonding.len(), 1);
	});
}

#[test]
fn unbond_errors() {
	build_and_execute(|| {
		assert_noop!(
			Providers::unbond(RuntimeOrigin::signed(ALICE), 1),
			Error::<Test>::NotRegistered
		);
		assert_ok!(register(ALICE, 1, 1, BOND));
		assert_noop!(
			Providers::unbond(RuntimeOrigin::signed(ALICE), 0),
			Error::<Test>::InsufficientBond
		);
		assert_noop!(
			Providers::unbond(RuntimeOrigin::signed(ALICE), BOND + 1),
			Error::<Test>::InsufficientBond
		);
		// The active bond may not go below MinBond (deregister to leave entirely).
		assert_noop!(
			Providers::unbond(RuntimeOrigin::signed(ALICE), BOND - MIN_BOND + 1),
			Error::<Test>::BondTooLow
		);
		for _ in 0..MAX_CHUNKS {
			assert_ok!(Providers::unbond(RuntimeOrigin::signed(ALICE), 10));
		}
		assert_noop!(
			Providers::unbond(RuntimeOrigin::signed(ALICE), 10),
			Error::<Test>::TooManyUnbondingChunks
		);
	});
}

#[test]
fn withdraw_unbonded_of_a_stranger_fails() {
	build_and_execute(|| {
		assert_noop!(
			Providers::withdraw_unbonded(RuntimeOrigin::signed(ALICE)),
			Error::<Test>::NotRegistered
		);
	});
}

// ---- pause / resume ----

#[test]
fn pause_and_resume() {
	build_and_execute(|| {
		assert_ok!(register(ALICE, 1, 1, BOND));
		activate(ALICE);
		assert_ok!(Providers::pause(RuntimeOrigin::signed(ALICE)));
		assert_eq!(status(ALICE), ProviderStatus::Paused);
		assert_eq!(
			last_event(),
			Event::StatusChanged {
				provider: ALICE,
				from: ProviderStatus::Active,
				to: ProviderStatus::Paused
			}
			.into()
		);
		assert_noop!(Providers::pause(RuntimeOrigin::signed(ALICE)), Error::<Test>::InvalidStatus);
		assert_ok!(Providers::resume(RuntimeOrigin::signed(ALICE)));
		// Back to work after a pause means proving the hardware again.
		assert_eq!(status(ALICE), ProviderStatus::Registered);
		assert_noop!(Providers::resume(RuntimeOrigin::signed(ALICE)), Error::<Test>::InvalidStatus);
	});
}

#[test]
fn an_open_challenge_blocks_pause_deregister_and_new_hardware_but_not_the_listing() {
	build_and_execute(|| {
		assert_ok!(register(ALICE, 1, 1, BOND));
		activate(ALICE);
		set_open_challenge(ALICE, true);
		assert_noop!(Providers::pause(RuntimeOrigin::signed(ALICE)), Error::<Test>::ChallengeOpen);
		assert_noop!(
			Providers::deregister(RuntimeOrigin::signed(ALICE)),
			Error::<Test>::HasActiveWork
		);
		assert_noop!(
			Providers::update_profile(
				RuntimeOrigin::signed(ALICE),
				profile(1, 2),
				endpoint(),
				region()
			),
			Error::<Test>::ChallengeOpen
		);
		// The endpoint and region may change: the challenge does not depend on them.
		assert_ok!(Providers::update_profile(
			RuntimeOrigin::signed(ALICE),
			profile(1, 1),
			b"https://other.example.net".to_vec().try_into().unwrap(),
			region()
		));
		assert_eq!(status(ALICE), ProviderStatus::Active);
		set_open_challenge(ALICE, false);
		assert_ok!(Providers::pause(RuntimeOrigin::signed(ALICE)));
	});
}

#[test]
fn pause_and_resume_of_a_stranger_fail() {
	build_and_execute(|| {
		assert_noop!(Providers::pause(RuntimeOrigin::signed(ALICE)), Error::<Test>::NotRegistered);
		assert_noop!(Providers::resume(RuntimeOrigin::signed(ALICE)), Error::<Test>::NotRegistered);
	});
}

#[test]
fn a_suspended_provider_cannot_pause_or_resume_itself() {
	build_and_execute(|| {
		assert_ok!(register(ALICE, 1, 1, BOND));
		assert_ok!(Providers::force_suspend(RuntimeOrigin::root(), ALICE));
		assert_noop!(Providers::pause(RuntimeOrigin::signed(ALICE)), Error::<Test>::InvalidStatus);
		assert_noop!(Providers::resume(RuntimeOrigin::signed(ALICE)), Error::<Test>::InvalidStatus);
	});
}

// ---- deregister ----

#[test]
fn deregister_unbonds_everything_frees_indexes_and_removes_after_withdrawal() {
	build_and_execute(|| {
		assert_ok!(register(ALICE, 1, 4, BOND));
		assert_ok!(Providers::unbond(RuntimeOrigin::signed(ALICE), 500));
		assert_ok!(Providers::deregister(RuntimeOrigin::signed(ALICE)));
		let r = record(ALICE);
		assert_eq!(r.status, ProviderStatus::Leaving);
		assert_eq!(r.bond, 0);
		assert_eq!(held(ALICE), BOND);
		assert_eq!(AttestationKeyOwner::<Test>::get(key(1)), None);
		assert_eq!(GpuOwner::<Test>::get(uuid(1, 0)), None);
		let unlock_at = 1 + UNBONDING_PERIOD;
		assert_eq!(last_event(), Event::ProviderLeaving { provider: ALICE, unlock_at }.into());
		// A leaving provider does nothing but withdraw.
		assert_noop!(
			Providers::bond_extra(RuntimeOrigin::signed(ALICE), 1),
			Error::<Test>::InvalidStatus
		);
		assert_noop!(
			Providers::deregister(RuntimeOrigin::signed(ALICE)),
			Error::<Test>::InvalidStatus
		);
		assert_noop!(register(ALICE, 1, 4, BOND), Error::<Test>::AlreadyRegistered);
		// Its cards and key may be registered by their new owner at once.
		assert_ok!(Providers::register(
			RuntimeOrigin::signed(BOB),
			profile(1, 4),
			key(1),
			proof(1, BOB),
			endpoint(),
			region(),
			BOND
		));
		run_to_block(unlock_at);
		assert_ok!(Providers::withdraw_unbonded(RuntimeOrigin::signed(ALICE)));
		assert!(get(ALICE).is_none());
		assert_eq!(held(ALICE), 0);
		assert_eq!(Balances::balance(&ALICE), ENDOWMENT);
		assert_eq!(crate::Providers::<Test>::count(), 1);
		assert_eq!(last_event(), Event::ProviderRemoved { provider: ALICE }.into());
	});
}

#[test]
fn deregister_with_a_full_unbonding_queue_folds_the_bond_into_the_last_chunk() {
	build_and_execute(|| {
		assert_ok!(register(ALICE, 1, 1, BOND));
		for _ in 0..MAX_CHUNKS {
			assert_ok!(Providers::unbond(RuntimeOrigin::signed(ALICE), 10));
		}
		run_to_block(3);
		assert_ok!(Providers::deregister(RuntimeOrigin::signed(ALICE)));
		let r = record(ALICE);
		assert_eq!(r.unbonding.len() as u32, MAX_CHUNKS);
		let last = r.unbonding.last().unwrap();
		assert_eq!(last.amount, BOND - 10 * (MAX_CHUNKS as Balance - 1));
		assert_eq!(last.unlock_at, 3 + UNBONDING_PERIOD);
	});
}

#[test]
fn deregister_with_work_in_flight_fails() {
	build_and_execute(|| {
		assert_ok!(register(ALICE, 1, 1, BOND));
		set_work_in_flight(ALICE, true);
		assert_noop!(
			Providers::deregister(RuntimeOrigin::signed(ALICE)),
			Error::<Test>::HasActiveWork
		);
		assert_noop!(
			Providers::force_deregister(RuntimeOrigin::root(), ALICE),
			Error::<Test>::HasActiveWork
		);
		set_work_in_flight(ALICE, false);
		assert_ok!(Providers::deregister(RuntimeOrigin::signed(ALICE)));
	});
}

#[test]
fn deregister_of_a_stranger_fails() {
	build_and_execute(|| {
		assert_noop!(
			Providers::deregister(RuntimeOrigin::signed(ALICE)),
			Error::<Test>::NotRegistered
		);
	});
}

// ---- governance ----

#[test]
fn force_suspend_and_force_resume() {
	build_and_execute(|| {
		assert_ok!(register(ALICE, 1, 1, BOND));
		activate(ALICE);
		assert_noop!(
			Providers::force_suspend(RuntimeOrigin::signed(BOB), ALICE),
			DispatchError::BadOrigin
		);
		assert_noop!(
			Providers::force_resume(RuntimeOrigin::root(), ALICE),
			Error::<Test>::InvalidStatus
		);
		assert_ok!(Providers::force_suspend(RuntimeOrigin::root(), ALICE));
		assert_eq!(status(ALICE), ProviderStatus::Suspended);
		assert_noop!(
			Providers::force_suspend(RuntimeOrigin::root(), ALICE),
			Error::<Test>::InvalidStatus
		);
		assert_noop!(
			Providers::force_resume(RuntimeOrigin::signed(ALICE), ALICE),
			DispatchError::BadOrigin
		);
		assert_ok!(Providers::force_resume(RuntimeOrigin::root(), ALICE));
		assert_eq!(status(ALICE), ProviderStatus::Registered);
		assert_noop!(
			Providers::force_suspend(RuntimeOrigin::root(), BOB),
			Error::<Test>::NotRegistered
		);
	});
}

#[test]
fn force_deregister() {
	build_and_execute(|| {
		assert_ok!(register(ALICE, 1, 1, BOND));
		assert_noop!(
			Providers::force_deregister(RuntimeOrigin::signed(BOB), ALICE),
			DispatchError::BadOrigin
		);
		assert_ok!(Providers::force_deregister(RuntimeOrigin::root(), ALICE));
		assert_eq!(status(ALICE), ProviderStatus::Leaving);
		assert_noop!(
			Providers::force_deregister(RuntimeOrigin::root(), BOB),
			Error::<Test>::NotRegistered
		);
	});
}

/// A registration naming a victim's GPU UUIDs (front-run or squatted) blocks the victim
/// (`GpuAlreadyRegistered`) until governance releases them with `force_deregister`: the UUIDs
/// are free at once, the squatter's bond unbonds (and stays slashable) for the unbonding period.
#[test]
fn squatted_gpu_uuids_are_released_by_a_forced_deregistration() {
	build_and_execute(|| {
		// Bob registers host 1's cards (Alice's) before she does.
		assert_ok!(crate::testing::register_with_seed::<Test>(&BOB, 2, profile(1, 2), BOND));
		assert_noop!(
			crate::testing::register_with_seed::<Test>(&ALICE, 1, profile(1, 2), BOND),
			Error::<Test>::GpuAlreadyRegistered
		);
		assert_ok!(Providers::force_deregister(RuntimeOrigin::root(), BOB));
		assert_eq!(GpuOwner::<Test>::get(uuid(1, 0)), None);
		assert_ok!(crate::testing::register_with_seed::<Test>(&ALICE, 1, profile(1, 2), BOND));
		assert_eq!(GpuOwner::<Test>::get(uuid(1, 0)), Some(ALICE));
		assert_eq!(record(BOB).status, ProviderStatus::Leaving);
		assert!(record(BOB).unbonding.iter().map(|c| c.amount).sum::<Balance>() >= BOND);
	});
}

// ---- the interface for other pallets ----

#[test]
fn inspect_reports_the_record() {
	build_and_execute(|| {
		type I = Providers;
		assert_eq!(<I as ProviderInspect<_>>::status(&ALICE), None);
		assert_ok!(register(ALICE, 1, 2, BOND));
		assert_eq!(<I as ProviderInspect<_>>::status(&ALICE), Some(ProviderStatus::Registered));
		assert_eq!(<I as ProviderInspect<_>>::attestation_key(&ALICE), Some(key(1)));
		assert_eq!(<I as ProviderInspect<_>>::provider_of_key(&key(1)), Some(ALICE));
		assert_eq!(<I as ProviderInspect<_>>::bond(&ALICE), Some(BOND));
		assert_eq!(<I as ProviderInspect<_>>::profile(&ALICE), Some((profile(1, 2), region())));
		assert_eq!(<I as ProviderInspect<_>>::reputation(&ALICE), Some(Permill::from_percent(50)));
		let need =
			HardwareRequirement { min_vram_mib: 80_000, min_gpu_count: 2, ..Default::default() };
		// Not proven yet: not eligible.
		assert!(!<I as ProviderInspect<_>>::is_eligible(&ALICE, &need));
		assert_eq!(<I as ProviderInspect<_>>::eligibility(&ALICE, &need), None);
		activate(ALICE);
		assert!(<I as ProviderInspect<_>>::is_eligible(&ALICE, &need));
		assert_eq!(
			<I as ProviderInspect<_>>::eligibility(&ALICE, &need),
			<I as ProviderInspect<_>>::reputation(&ALICE)
		);
		let too_much = HardwareRequirement { min_gpu_count: 3, ..need };
		assert!(!<I as ProviderInspect<_>>::is_eligible(&ALICE, &too_much));
		assert_eq!(<I as ProviderInspect<_>>::eligibility(&ALICE, &too_much), None);
	});
}

#[test]
fn mutate_rejects_leaving_and_unknown_providers() {
	build_and_execute(|| {
		assert_noop!(
			<Providers as ProviderMutate<_>>::set_status(&ALICE, ProviderStatus::Active),
			Error::<Test>::NotRegistered
		);
		assert_ok!(register(ALICE, 1, 1, BOND));
		// Leaving is reached only by deregistering.
		assert_noop!(
			<Providers as ProviderMutate<_>>::set_status(&ALICE, ProviderStatus::Leaving),
			Error::<Test>::InvalidStatus
		);
		assert_noop!(
			<Providers as ProviderMutate<_>>::note_success(&BOB, Permill::from_percent(10)),
			Error::<Test>::NotRegistered
		);
	});
}

#[test]
fn a_judge_moves_only_along_the_documented_status_machine() {
	use ProviderStatus::*;
	let all = [Registered, Active, Paused, Suspended, Leaving, Underbonded];
	let allowed = [
		(Registered, Active),
		(Active, Registered),
		(Registered, Suspended),
		(Active, Suspended),
		(Paused, Suspended),
		(Underbonded, Suspended),
	];
	for from in all {
		for to in all {
			assert_eq!(
				from.judge_may_move(to),
				allowed.contains(&(from, to)),
				"{from:?} -> {to:?}"
			);
		}
	}
}

#[test]
fn a_judge_cannot_lift_a_suspension_or_override_a_pause() {
	build_and_execute(|| {
		type M = Providers;
		assert_ok!(register(ALICE, 1, 1, BOND));
		assert_ok!(Providers::force_suspend(RuntimeOrigin::root(), ALICE));
		for to in [ProviderStatus::Active, ProviderStatus::Registered, ProviderStatus::Paused] {
			assert_noop!(
				<M as ProviderMutate<_>>::set_status(&ALICE, to),
				Error::<Test>::InvalidStatus
			);
		}
		assert_ok!(register(BOB, 2, 1, BOND));
		assert_ok!(Providers::pause(RuntimeOrigin::signed(BOB)));
		for to in [ProviderStatus::Active, ProviderStatus::Registered] {
			assert_noop!(
				<M as ProviderMutate<_>>::set_status(&BOB, to),
				Error::<Test>::InvalidStatus
			);
		}
		// What a judge may do: prove, demote, suspend.
		assert_ok!(register(CHARLIE, 3, 1, BOND));
		assert_ok!(<M as ProviderMutate<_>>::set_status(&CHARLIE, ProviderStatus::Active));
		assert_ok!(<M as ProviderMutate<_>>::set_status(&CHARLIE, ProviderStatus::Registered));
		assert_ok!(<M as ProviderMutate<_>>::set_status(&CHARLIE, ProviderStatus::Suspended));
		assert_ok!(<M as ProviderMutate<_>>::set_status(&BOB, ProviderStatus::Suspended));
	});
}

#[test]
fn reputation_moves_with_outcomes_and_decays_towards_neutral() {
	build_and_execute(|| {
		type M = Providers;
		assert_ok!(register(ALICE, 1, 1, BOND));
		// 50% + 50% of the remaining 50% = 75%.
		assert_ok!(<M as ProviderMutate<_>>::note_success(&ALICE, Permill::from_percent(50)));
		assert_eq!(<M as ProviderInspect<_>>::reputation(&ALICE), Some(Permill::from_percent(75)));
		assert_eq!(
			last_event(),
			Event::ReputationChanged { provider: ALICE, score: Permill::from_percent(75) }.into()
		);
		// One decay period forgives 10% of the distance to neutral: 50 + 0.9 * 25 = 72.5%.
		run_to_block(1 + DECAY_PERIOD);
		assert_eq!(
			<M as ProviderInspect<_>>::reputation(&ALICE),
			Some(Permill::from_parts(725_000))
		);
		// The stored score is unchanged; the runtime API's view shows the decayed one.
		assert_eq!(record(ALICE).reputation.score, Permill::from_percent(75));
		let view = Providers::provider_view(&ALICE).expect("registered");
		assert_eq!(view.reputation, Permill::from_parts(725_000));
		let stored = record(ALICE);
		assert_eq!(
			(view.status, view.profile, view.bond, view.total_bonded),
			(stored.status, stored.profile.clone(), stored.bond, stored.total_bonded())
		);
		assert!(Providers::provider_view(&BOB).is_none());
		// A failure takes 40% of the current score: 72.5% * 0.6 = 43.5%.
		assert_ok!(<M as ProviderMutate<_>>::note_failure(&ALICE, Permill::from_percent(40)));
		assert_eq!(
			<M as ProviderInspect<_>>::reputation(&ALICE),
			Some(Permill::from_parts(435_000))
		);
		// Below neutral it recovers towards 50%: 50 - 0.9 * 6.5 = 44.15%.
		run_to_block(1 + 2 * DECAY_PERIOD);
		assert_eq!(
			<M as ProviderInspect<_>>::reputation(&ALICE),
			Some(Permill::from_parts(441_500))
		);
		// After very long it is neutral again, and the scores stay bounded.
		run_to_block(1 + 1_000_000 * DECAY_PERIOD);
		assert_eq!(<M as ProviderInspect<_>>::reputation(&ALICE), Some(Permill::from_percent(50)));
		assert_ok!(<M as ProviderMutate<_>>::note_success(&ALICE, Permill::one()));
		assert_eq!(<M as ProviderInspect<_>>::reputation(&ALICE), Some(Permill::one()));
		assert_ok!(<M as ProviderMutate<_>>::note_failure(&ALICE, Permill::one()));
		assert_eq!(<M as ProviderInspect<_>>::reputation(&ALICE), Some(Permill::zero()));
	});
}

#[test]
fn slash_takes_the_same_share_of_bond_and_each_chunk_to_the_sink() {
	build_and_execute(|| {
		assert_ok!(register(ALICE, 1, 1, 4_000));
		assert_ok!(Providers::unbond(RuntimeOrigin::signed(ALICE), 1_000));
		let issuance = Balances::total_issuance();
		// 25% of 4_000 total (3_000 bonded + 1_000 unbonding), 25% of each part.
		let slashed = <Providers as ProviderSlash<_>>::slash(
			&ALICE,
			Permill::from_percent(25),
			SlashReason::FailedChallenge,
		)
		.unwrap();
		assert_eq!(slashed, 1_000);
		assert_eq!(record(ALICE).bond, 2_250);
		assert_eq!(record(ALICE).unbonding[0].amount, 750);
		assert_eq!(held(ALICE), 3_000);
		assert_eq!(slashed_to_sink(), 1_000);
		assert_eq!(Balances::total_issuance(), issuance - 1_000);
		assert_eq!(
			last_event(),
			Event::Slashed { provider: ALICE, amount: 1_000, reason: SlashReason::FailedChallenge }
				.into()
		);
		assert_eq!(status(ALICE), ProviderStatus::Registered, "still above MinBond");
	});
}

#[test]
fn slash_of_a_leaving_provider_cuts_every_chunk_and_removes_it_when_nothing_is_left() {
	build_and_execute(|| {
		assert_ok!(register(ALICE, 1, 1, 2_000));
		assert_ok!(Providers::unbond(RuntimeOrigin::signed(ALICE), 400));
		assert_ok!(Providers::unbond(RuntimeOrigin::signed(ALICE), 600));
		assert_ok!(Providers::deregister(RuntimeOrigin::signed(ALICE)));
		// 2_000 in all: chunks of 400, 600 and the 1_000 bond. 80% of each.
		let slashed = <Providers as ProviderSlash<_>>::slash(
			&ALICE,
			Permill::from_percent(80),
			SlashReason::Governance,
		)
		.unwrap();
		assert_eq!(slashed, 1_600);
		let amounts: Vec<_> = record(ALICE).unbonding.iter().map(|c| c.amount).collect();
		assert_eq!(amounts, vec![80, 120, 200]);
		assert_eq!(held(ALICE), 400);
		// Slashing what is left of a leaving provider removes it.
		assert_ok!(<Providers as ProviderSlash<_>>::slash(
			&ALICE,
			Permill::one(),
			SlashReason::Governance
		));
		assert!(get(ALICE).is_none());
		assert_eq!(held(ALICE), 0);
		assert_eq!(crate::Providers::<Test>::count(), 0);
		assert_eq!(slashed_to_sink(), 2_000);
	});
}

#[test]
fn slash_rounding_never_leaves_an_empty_chunk_or_loses_a_unit() {
	build_and_execute(|| {
		// Odd amounts: a third of each part does not divide evenly.
		assert_ok!(register(ALICE, 1, 1, 3_001));
		assert_ok!(Providers::unbond(RuntimeOrigin::signed(ALICE), 1));
		assert_ok!(Providers::unbond(RuntimeOrigin::signed(ALICE), 999));
		let before = held(ALICE);
		let slashed = <Providers as ProviderSlash<_>>::slash(
			&ALICE,
			Permill::from_rational(1u32, 3u32),
			SlashReason::FailedChallenge,
		)
		.unwrap();
		let r = record(ALICE);
		assert_eq!(held(ALICE), before - slashed);
		assert_eq!(r.total_bonded(), held(ALICE));
		assert!(r.unbonding.iter().all(|c| c.amount > 0));
	});
}

#[test]
fn a_slash_below_min_bond_takes_the_provider_out_of_work_until_it_bonds_again() {
	build_and_execute(|| {
		assert_ok!(register(ALICE, 1, 1, MIN_BOND + 100));
		activate(ALICE);
		let need = HardwareRequirement::default();
		assert!(<Providers as ProviderInspect<_>>::is_eligible(&ALICE, &need));
		run_to_block(5);
		assert_ok!(<Providers as ProviderSlash<_>>::slash(
			&ALICE,
			Permill::from_percent(50),
			SlashReason::FailedChallenge
		));
		// Below MinBond: neither Active nor eligible, and the invariants hold (checked after
		// the test).
		assert_eq!(record(ALICE).bond, (MIN_BOND + 100) / 2);
		assert_eq!(status(ALICE), ProviderStatus::Underbonded);
		assert_eq!(record(ALICE).status_since, 5);
		assert!(!<Providers as ProviderInspect<_>>::is_eligible(&ALICE, &need));
		assert_eq!(
			last_event(),
			Event::StatusChanged {
				provider: ALICE,
				from: ProviderStatus::Active,
				to: ProviderStatus::Underbonded
			}
			.into()
		);
		// A judge cannot put it back to work, nor can it resume or unbond.
		assert_noop!(
			<Providers as ProviderMutate<_>>::set_status(&ALICE, ProviderStatus::Active),
			Error::<Test>::InvalidStatus
		);
		assert_noop!(Providers::resume(RuntimeOrigin::signed(ALICE)), Error::<Test>::InvalidStatus);
		assert_noop!(Providers::unbond(RuntimeOrigin::signed(ALICE), 1), Error::<Test>::BondTooLow);
		// Not enough yet.
		assert_ok!(Providers::bond_extra(RuntimeOrigin::signed(ALICE), 10));
		assert_eq!(status(ALICE), ProviderStatus::Underbonded);
		// Back at MinBond: listed again, to be proven again.
		let missing = MIN_BOND - record(ALICE).bond;
		assert_ok!(Providers::bond_extra(RuntimeOrigin::signed(ALICE), missing));
		assert_eq!(status(ALICE), ProviderStatus::Registered);
		assert_eq!(
			last_event(),
			Event::StatusChanged {
				provider: ALICE,
				from: ProviderStatus::Underbonded,
				to: ProviderStatus::Registered
			}
			.into()
		);
	});
}

#[test]
fn a_provider_slashed_to_nothing_can_leave_and_its_record_goes_at_once() {
	build_and_execute(|| {
		assert_ok!(register(ALICE, 1, 2, BOND));
		assert_ok!(<Providers as ProviderSlash<_>>::slash(
			&ALICE,
			Permill::one(),
			SlashReason::FailedChallenge
		));
		assert_eq!(record(ALICE).bond, 0);
		assert_eq!(status(ALICE), ProviderStatus::Underbonded);
		// Leaving with nothing bonded: no empty chunk to wait for, nothing stuck.
		assert_ok!(Providers::deregister(RuntimeOrigin::signed(ALICE)));
		assert!(get(ALICE).is_none());
		assert_eq!(crate::Providers::<Test>::count(), 0);
		assert_eq!(AttestationKeyOwner::<Test>::get(key(1)), None);
		assert_eq!(last_event(), Event::ProviderRemoved { provider: ALICE }.into());
		// And the account may register again (with a fresh proof).
		assert_ok!(register(ALICE, 1, 2, BOND));
	});
}

#[test]
fn a_suspended_provider_slashed_below_min_bond_resumes_as_underbonded() {
	build_and_execute(|| {
		assert_ok!(register(ALICE, 1, 1, MIN_BOND));
		assert_ok!(Providers::force_suspend(RuntimeOrigin::root(), ALICE));
		assert_ok!(<Providers as ProviderSlash<_>>::slash(
			&ALICE,
			Permill::from_percent(10),
			SlashReason::Governance
		));
		// Governance's suspension stands.
		assert_eq!(status(ALICE), ProviderStatus::Suspended);
		assert_ok!(Providers::force_resume(RuntimeOrigin::root(), ALICE));
		assert_eq!(status(ALICE), ProviderStatus::Underbonded);
	});
}

#[test]
fn slash_to_pays_the_beneficiary_and_burns_nothing() {
	build_and_execute(|| {
		assert_ok!(register(ALICE, 1, 1, 4_000));
		let issuance = Balances::total_issuance();
		let before = Balances::free_balance(BOB);
		let slashed = <Providers as ProviderSlash<_>>::slash_to(
			&ALICE,
			Permill::from_percent(10),
			SlashReason::AbandonedLease,
			&BOB,
		)
		.unwrap();
		assert_eq!(slashed, 400);
		assert_eq!(Balances::free_balance(BOB), before + 400);
		assert_eq!(record(ALICE).bond, 3_600);
		assert_eq!(held(ALICE), 3_600);
		assert_eq!(slashed_to_sink(), 0);
		assert_eq!(Balances::total_issuance(), issuance, "moved, not burned");
	});
}

#[test]
fn slash_of_a_stranger_fails() {
	build_and_execute(|| {
		assert_noop!(
			<Providers as ProviderSlash<_>>::slash(&ALICE, Permill::one(), SlashReason::Governance),
			Error::<Test>::NotRegistered
		);
	});
}

// ---- finding providers (the runtime API's logic) ----

fn amd_profile(host: u8) -> crucible_primitives::providers::HardwareProfile {
	let mut p = profile(host, 4);
	p.gpus = vec![GpuSpec {
		vendor: GpuVendor::Amd,
		model: b"AMD Instinct MI300X".to_vec().try_into().unwrap(),
		vram_mib: 196_608,
		count: 4,
		compute_capability: ComputeCapability { major: 9, minor: 4 },
		interconnect: Interconnect::Pcie(5),
	}]
	.try_into()
	.unwrap();
	p
}

#[test]
fn providers_matching_filters_by_requirement_and_status_and_pages() {
	build_and_execute(|| {
		assert_ok!(register(ALICE, 1, 8, BOND));
		assert_ok!(register(BOB, 2, 1, BOND));
		assert_ok!(Providers::register(
			RuntimeOrigin::signed(CHARLIE),
			amd_profile(3),
			key(3),
			proof(3, CHARLIE),
			endpoint(),
			Region { country: *b"US", metro: None },
			BOND
		));
		let any = HardwareRequirement::default();
		// Nobody is proven yet.
		assert!(Providers::providers_matching(&any, false, None, 10).providers.is_empty());
		let mut all = Providers::providers_matching(&any, true, None, 10).providers;
		all.sort();
		assert_eq!(all, vec![ALICE, BOB, CHARLIE]);

		activate(ALICE);
		activate(CHARLIE);
		let eight_nvidia = HardwareRequirement {
			min_gpu_count: 8,
			vendor: Some(GpuVendor::Nvidia),
			..Default::default()
		};
		assert_eq!(
			Providers::providers_matching(&eight_nvidia, false, None, 10).providers,
			vec![ALICE]
		);
		let big_vram = HardwareRequirement { min_vram_mib: 100_000, ..Default::default() };
		assert_eq!(
			Providers::providers_matching(&big_vram, false, None, 10).providers,
			vec![CHARLIE]
		);
		let in_germany = HardwareRequirement { country: Some(*b"DE"), ..Default::default() };
		assert_eq!(Providers::providers_matching(&in_germany, true, None, 10).providers.len(), 2);
		let by_model = HardwareRequirement {
			model: Some(b"AMD Instinct MI300X".to_vec().try_into().unwrap()),
			..Default::default()
		};
		assert_eq!(
			Providers::providers_matching(&by_model, true, None, 10).providers,
			vec![CHARLIE]
		);

		// Paging: one at a time, every provider once, then no next page.
		let mut seen = Vec::new();
		let mut cursor = None;
		loop {
			let page = Providers::providers_matching(&any, true, cursor, 1);
			assert!(page.providers.len() <= 1);
			seen.extend(page.providers);
			match page.next {
				Some(next) => cursor = Some(next),
				None => break,
			}
		}
		seen.sort();
		assert_eq!(seen, vec![ALICE, BOB, CHARLIE]);
		// Paused providers are never offered.
		assert_ok!(Providers::pause(RuntimeOrigin::signed(ALICE)));
		assert_eq!(
			Providers::providers_matching(&eight_nvidia, true, None, 10).providers,
			Vec::<u64>::new()
		);
	});
}

#[test]
fn a_page_of_limit_zero_never_claims_the_scan_is_complete() {
	build_and_execute(|| {
		assert_ok!(register(ALICE, 1, 1, BOND));
		assert_ok!(register(BOB, 2, 1, BOND));
		let any = HardwareRequirement::default();
		let page = Providers::providers_matching(&any, true, None, 0);
		// Read as a limit of 1: one provider and where the next page starts.
		assert_eq!(page.providers.len(), 1);
		assert!(page.next.is_some(), "two providers match: the scan is not complete");
	});
}

#[test]
fn providers_after_walks_every_record_once_in_pages() {
	build_and_execute(|| {
		for (who, host) in [(ALICE, 1), (BOB, 2), (CHARLIE, 3)] {
			assert_ok!(register(who, host, 1, BOND));
		}
		type I = Providers;
		let mut seen = Vec::new();
		let mut after = None;
		loop {
			let page = <I as ProviderInspect<_>>::providers_after(after.as_ref(), 2);
			if page.is_empty() {
				break;
			}
			after = page.last().copied();
			seen.extend(page);
		}
		seen.sort();
		assert_eq!(seen, vec![ALICE, BOB, CHARLIE]);
		assert_eq!(
			<I as ProviderInspect<_>>::status_since(&ALICE),
			Some((ProviderStatus::Registered, 1))
		);
	});
}

#[test]
fn try_state_catches_a_broken_index() {
	new_test_ext().execute_with(|| {
		assert_ok!(register(ALICE, 1, 1, BOND));
		assert_ok!(Providers::do_try_state());
		GpuOwner::<Test>::insert(uuid(7, 7), ALICE);
		assert!(Providers::do_try_state().is_err());
		GpuOwner::<Test>::remove(uuid(7, 7));
		crate::migrations::v1::CounterForProviders::<Test>::put(5);
		assert!(Providers::do_try_state().is_err());
	});
}

#[test]
fn set_unbonding_period_applies_to_new_chunks_only() {
	build_and_execute(|| {
		assert_ok!(register(ALICE, 1, 1, BOND));
		assert_ok!(Providers::unbond(RuntimeOrigin::signed(ALICE), 10));
		assert_noop!(
			Providers::set_unbonding_period(RuntimeOrigin::signed(ALICE), 5),
			DispatchError::BadOrigin
		);
		assert_noop!(
			Providers::set_unbonding_period(RuntimeOrigin::root(), MAX_UNBONDING_PERIOD + 1),
			Error::<Test>::UnbondingPeriodTooLong
		);
		assert_ok!(Providers::set_unbonding_period(RuntimeOrigin::root(), 500));
		assert_eq!(crate::UnbondingPeriod::<Test>::get(), 500);
		assert_eq!(last_event(), Event::UnbondingPeriodSet { blocks: 500 }.into());
		assert_ok!(Providers::unbond(RuntimeOrigin::signed(ALICE), 20));
		let unlocks: Vec<_> = record(ALICE).unbonding.iter().map(|c| c.unlock_at).collect();
		assert_eq!(unlocks, vec![1 + UNBONDING_PERIOD, 1 + 500]);
	});
}

#[test]
fn genesis_sets_the_unbonding_period() {
	use polkadot_sdk::sp_runtime::BuildStorage;
	let storage = RuntimeGenesisConfig {
		providers: crate::GenesisConfig { unbonding_period: Some(3) },
		..Default::default()
	}
	.build_storage()
	.unwrap();
	polkadot_sdk::sp_io::TestExternalities::new(storage).execute_with(|| {
		assert_eq!(crate::UnbondingPeriod::<Test>::get(), 3);
	});
	new_test_ext().execute_with(|| {
		assert_eq!(crate::UnbondingPeriod::<Test>::get(), UNBONDING_PERIOD);
	});
}

#[test]
fn integrity_test_passes() {
	new_test_ext().execute_with(|| {
		use polkadot_sdk::frame_support::traits::Hooks;
		<Providers as Hooks<u64>>::integrity_test();
	});
}

#[test]
fn calls_charged_for_the_most_gpus_refund_down_to_the_real_number() {
	build_and_execute(|| {
		assert_ok!(register(ALICE, 1, 2, BOND));
		let post = Providers::update_profile(
			RuntimeOrigin::signed(ALICE),
			profile(1, 3),
			endpoint(),
			region(),
		)
		.unwrap();
		assert_eq!(post.actual_weight, Some(<() as WeightInfo>::update_profile(2, 3)));
		assert!(
			<() as WeightInfo>::update_profile(2, 3).ref_time() <
				<() as WeightInfo>::update_profile(MAX_GPUS, 3).ref_time()
		);

		let post = Providers::deregister(RuntimeOrigin::signed(ALICE)).unwrap();
		assert_eq!(post.actual_weight, Some(<() as WeightInfo>::deregister(3)));

		assert_ok!(register(BOB, 2, 1, BOND));
		let post = Providers::force_deregister(RuntimeOrigin::root(), BOB).unwrap();
		assert_eq!(post.actual_weight, Some(<() as WeightInfo>::force_deregister(1)));
		assert!(
			<() as WeightInfo>::force_deregister(1).ref_time() <
				<() as WeightInfo>::force_deregister(MAX_GPUS).ref_time()
		);
	});
}

// ---- the storage migration to a counted `Providers` (version 0 → 1) ----

mod migration {
	use super::*;
	use crate::migrations::v1::{
		CounterForProviders, MigrateToCountedProviders, ProviderCount,
		UncheckedMigrateToCountedProviders,
	};
	use polkadot_sdk::frame_support::traits::{
		GetStorageVersion, OnRuntimeUpgrade, StorageVersion,
	};

	/// Three providers, stored as version 0 had them: the records and a hand-kept count, no
	/// map counter, the on-chain storage version 0.
	fn version_zero_state() {
		assert_ok!(register(ALICE, 1, 2, BOND));
		assert_ok!(register(BOB, 2, 1, BOND));
		assert_ok!(register(CHARLIE, 3, 4, BOND));
		CounterForProviders::<Test>::kill();
		ProviderCount::<Test>::put(3);
		StorageVersion::new(0).put::<Providers>();
	}

	#[test]
	fn the_counter_takes_the_old_provider_count_and_the_version_moves_to_one() {
		build_and_execute(|| {
			version_zero_state();
			assert_eq!(crate::Providers::<Test>::count(), 0, "version 0 has no counter");
			let state = UncheckedMigrateToCountedProviders::<Test>::pre_check().expect("pre");

			MigrateToCountedProviders::<Test>::on_runtime_upgrade();

			UncheckedMigrateToCountedProviders::<Test>::post_check(state).expect("post");
			assert_eq!(crate::Providers::<Test>::count(), 3);
			assert_eq!(CounterForProviders::<Test>::get(), 3);
			assert!(!ProviderCount::<Test>::exists());
			assert_eq!(Providers::on_chain_storage_version(), StorageVersion::new(1));
			assert_eq!(Providers::in_code_storage_version(), StorageVersion::new(1));
			// The records are untouched and the counter keeps counting.
			assert_eq!(record(BOB).profile, profile(2, 1));
			assert_ok!(register(DAVE, 4, 1, BOND));
			assert_eq!(crate::Providers::<Test>::count(), 4);
		});
	}

	#[test]
	fn the_migration_runs_once_and_not_on_a_chain_started_at_version_one() {
		build_and_execute(|| {
			// A chain started with this code is at version 1 with a live counter.
			assert_ok!(register(ALICE, 1, 1, BOND));
			StorageVersion::new(1).put::<Providers>();
			ProviderCount::<Test>::put(9);
			MigrateToCountedProviders::<Test>::on_runtime_upgrade();
			assert_eq!(crate::Providers::<Test>::count(), 1, "a version-1 chain is not migrated");
			ProviderCount::<Test>::kill();
		});
	}

	#[test]
	fn the_pre_check_refuses_a_count_that_disagrees_with_the_records() {
		build_and_execute(|| {
			version_zero_state();
			ProviderCount::<Test>::put(2);
			assert!(UncheckedMigrateToCountedProviders::<Test>::pre_check().is_err());
			ProviderCount::<Test>::put(3);
			let state = UncheckedMigrateToCountedProviders::<Test>::pre_check().expect("pre");
			// A post-check after a migration that did not move the count fails.
			assert!(UncheckedMigrateToCountedProviders::<Test>::post_check(state.clone()).is_err());
			MigrateToCountedProviders::<Test>::on_runtime_upgrade();
			assert_ok!(UncheckedMigrateToCountedProviders::<Test>::post_check(state));
		});
	}
}

// ---- what the node's off-chain workers share: the local provers and their records ----

mod offchain {
	use super::*;
	use crate::offchain::{LocalRecord, RESEND_AFTER};
	use codec::{Decode, Encode};
	use crucible_primitives::offchain::keys;
	use crucible_test_support::{insert_attestation_key, worker_ext};
	use polkadot_sdk::sp_runtime::offchain::storage::StorageValueRef;

	#[test]
	fn local_provers_are_the_registered_local_keys_in_key_order_up_to_max_local_keys() {
		let (mut ext, _service, _pool) = worker_ext(new_test_ext());
		ext.execute_with(|| {
			// Registered: Alice (key 1), Bob (key 2, then 7), Charlie (3), Dave (4), Eve (6).
			for (who, seed) in [(ALICE, 1), (BOB, 2), (CHARLIE, 3), (DAVE, 4), (EVE, 6)] {
				assert_ok!(register(who, seed, 1, BOND));
			}
			assert_ok!(Providers::rotate_attestation_key(
				RuntimeOrigin::signed(BOB),
				key(7),
				proof(7, BOB)
			));
			assert_ok!(Providers::pause(RuntimeOrigin::signed(DAVE)));
			// This node holds keys 1–5 and 7: key 2 is no longer Bob's, key 5 is nobody's, Eve's
			// key 6 is elsewhere.
			for seed in [1, 2, 3, 4, 5, 7] {
				insert_attestation_key(seed);
			}
			let mut expected = [(key(1), ALICE), (key(3), CHARLIE), (key(4), DAVE), (key(7), BOB)];
			expected.sort();
			let provers = <Providers as ProviderInspect<_>>::local_provers();
			let got: Vec<_> = provers.iter().map(|p| (p.key.clone(), p.provider)).collect();
			// At most MaxLocalKeys (3), the first in key order, every run the same.
			assert_eq!(MAX_LOCAL_KEYS, 3);
			assert_eq!(got, expected[..3].to_vec());
			for p in &provers {
				assert_eq!(p.info.attestation_key, p.key);
				assert_eq!(p.info.profile, record(p.provider).profile);
			}
			assert_eq!(<Providers as ProviderInspect<_>>::local_provers(), provers);
			assert_eq!(LocalRecord::<u32>::new(keys::LOCAL_PROVERS_LEFT_OUT.to_vec()).load(), 1);
			// A provider that leaves is no longer served; the one left out now is.
			let gone = got[0].1;
			assert_ok!(Providers::deregister(RuntimeOrigin::signed(gone)));
			let now: Vec<_> = <Providers as ProviderInspect<_>>::local_provers()
				.into_iter()
				.map(|p| (p.key, p.provider))
				.collect();
			assert_eq!(now, expected[1..].to_vec());
			assert_eq!(LocalRecord::<u32>::new(keys::LOCAL_PROVERS_LEFT_OUT.to_vec()).load(), 0);
		});
	}

	#[test]
	fn a_node_without_keys_has_no_local_provers() {
		let (mut ext, _service, _pool) = worker_ext(new_test_ext());
		ext.execute_with(|| {
			assert_ok!(register(ALICE, 1, 1, BOND));
			assert!(<Providers as ProviderInspect<_>>::local_provers().is_empty());
		});
	}

	#[derive(Encode, Decode, Default, Debug, PartialEq)]
	struct Record {
		sent: Option<u32>,
		logged: bool,
		n: u32,
	}

	#[test]
	fn a_record_claims_each_send_once_until_it_may_be_resent() {
		let (mut ext, _service, _pool) = worker_ext(new_test_ext());
		ext.execute_with(|| {
			let r = LocalRecord::<Record>::of(keys::JOB_RECORD, &ALICE, 7u64);
			assert!(r.claim_send(10, |r| &mut r.sent));
			assert!(!r.claim_send(10, |r| &mut r.sent), "a concurrent run does not send again");
			assert!(!r.claim_send(10 + RESEND_AFTER - 1, |r| &mut r.sent));
			assert!(r.claim_send(10 + RESEND_AFTER, |r| &mut r.sent), "not on chain: resent");
			assert_eq!(r.load().sent, Some(10 + RESEND_AFTER));
			assert!(r.claim_once(|r| &mut r.logged));
			assert!(!r.claim_once(|r| &mut r.logged));
			// A refused change writes nothing; an update always writes.
			assert!(!r.claim(|r| {
				r.n = 5;
				false
			}));
			assert_eq!(r.load().n, 0);
			r.update(|r| r.n = 5);
			assert_eq!(r.load().n, 5);
			// Another item's record is another record.
			assert_eq!(
				LocalRecord::<Record>::of(keys::JOB_RECORD, &ALICE, 8u64).load(),
				Record::default()
			);
			r.clear();
			assert_eq!(r.load(), Record::default());
		});
	}

	#[test]
	fn records_keep_the_keys_of_earlier_nodes() {
		let (mut ext, _service, _pool) = worker_ext(new_test_ext());
		ext.execute_with(|| {
			// What a node of the previous release wrote (a sealed bid's salt, say) is read back
			// after an upgrade: the key is `prefix ‖ SCALE(provider) ‖ SCALE(item)` as before.
			let old = Record { sent: Some(3), logged: true, n: 9 };
			StorageValueRef::persistent(&(b"crucible::market::job", ALICE, 7u64).encode())
				.set(&old);
			assert_eq!(LocalRecord::<Record>::of(keys::JOB_RECORD, &ALICE, 7u64).load(), old);
			StorageValueRef::persistent(&(b"crucible::poc::worker", BOB, 4u32).encode()).set(&old);
			assert_eq!(LocalRecord::<Record>::of(keys::CHALLENGE_RECORD, &BOB, 4u32).load(), old);
		});
	}
}
