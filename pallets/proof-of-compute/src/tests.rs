// Tests may panic, index and overflow: that is how they fail.
#![allow(clippy::arithmetic_side_effects)]

//! Every path of a challenge (pass, each way to fail, late, missing, replayed, wrong key,
//! unregistered, paused, suspended), the sweep, the parameters, the worker, and random
//! sequences of registry and proof-of-compute calls; both pallets' invariants after each.

use crate::{invalid, mock::*, *};
use crucible_primitives::{
	challenge::Position,
	proof_of_compute::{ChallengePhase, FailureReason, Outcome},
};
use pallet_providers::{ProviderStatus, ProviderWorkInFlight};
use polkadot_sdk::{
	frame_support::{assert_noop, assert_ok, traits::OnFinalize},
	sp_runtime::{
		transaction_validity::{InvalidTransaction, TransactionValidityError},
		DispatchError, Permill,
	},
};

fn refused(code: u8) -> TransactionValidityError {
	InvalidTransaction::Custom(code).into()
}

const STALE: TransactionValidityError =
	TransactionValidityError::Invalid(InvalidTransaction::Stale);
const FUTURE: TransactionValidityError =
	TransactionValidityError::Invalid(InvalidTransaction::Future);
const BAD_PROOF: TransactionValidityError =
	TransactionValidityError::Invalid(InvalidTransaction::BadProof);

/// Registers `who` at block 1 and moves into period 0's commit window (block 2).
fn registered_in_period_zero(who: &[AccountId]) {
	for w in who {
		register(*w);
	}
	next_block();
	assert_eq!(ProofOfCompute::current_index(), Some(0));
}

/// Commits an honest (or lying) computation for the current period; returns the prover.
fn commit(who: AccountId, prover: Prover) -> Prover {
	let period = prover.view.period;
	assert_ok!(submit(commitment_call(who, period, prover.root)).unwrap());
	prover
}

/// Runs to the open window of period `p` and opens.
fn open(
	who: AccountId,
	prover: &Prover,
) -> Result<DispatchResultWithPostInfo, TransactionValidityError> {
	run_to_block(period_start(prover.view.period) + 6);
	submit(opening_call(who, prover.view.period, prover.openings(who)))
}

use polkadot_sdk::frame_support::dispatch::DispatchResultWithPostInfo;

// ---- the period schedule ----

#[test]
fn periods_start_on_schedule_with_fresh_seeds_and_samples_after_the_commit_window() {
	build_and_execute(|| {
		assert_eq!(ProofOfCompute::current_index(), None);
		next_block();
		let p0 = ProofOfCompute::period_info(0).unwrap();
		assert_eq!(p0.start, 1);
		assert_eq!(p0.next_start(), 11);
		assert_eq!(
			(p0.commit_until(), p0.sample_at(), p0.open_from(), p0.open_until()),
			(3, 6, 7, 9)
		);
		assert!(p0.sample_seed.is_none());
		assert!(events().contains(&Event::PeriodStarted { period: 0, start: 1, seed: p0.seed }));
		run_to_block(6);
		assert!(ProofOfCompute::period_info(0).unwrap().sample_seed.is_none(), "fixed at 6's end");
		next_block();
		assert!(ProofOfCompute::period_info(0).unwrap().sample_seed.is_some());
		assert!(events().contains(&Event::SamplesFixed { period: 0 }));
		run_to_block(12);
		assert_eq!(ProofOfCompute::current_index(), Some(1));
		let p1 = ProofOfCompute::period_info(1).unwrap();
		assert_eq!(p1.start, 11);
		assert_ne!(p1.seed, p0.seed);
		// Nobody to sweep: period 0 is swept and forgotten.
		assert!(ProofOfCompute::period_info(0).is_none());
		assert!(Periods::<Test>::iter_keys().next().is_none());
		assert_eq!(p0.phase_at(2), ChallengePhase::Commit);
		assert_eq!(p0.phase_at(4), ChallengePhase::Sampling);
		assert_eq!(p0.phase_at(6), ChallengePhase::Sampling);
		assert_eq!(p0.phase_at(7), ChallengePhase::Open);
		assert_eq!(p0.phase_at(10), ChallengePhase::Closed);
	});
}

/// The seeds as they come out when block `changed`'s randomness is another (its author
/// withholds it, or re-rolls): the sample seed of period 0 and the period seed of period 1.
fn seeds_with(changed: Option<u64>) -> ([u8; 32], [u8; 32]) {
	new_test_ext().execute_with(|| {
		let mut sample = None;
		while System::block_number() <= period_start(1) {
			let now = System::block_number();
			// Only this block's `on_finalize` reads the other randomness.
			SALT.with(|s| *s.borrow_mut() = u64::from(Some(now) == changed));
			if let Some(info) = ProofOfCompute::period_info(0) {
				// Nobody can compute the sample positions before the last seed block is built.
				assert_eq!(info.sample_seed.is_some(), now > info.sample_at(), "block {now}");
				sample = sample.or(info.sample_seed);
			}
			next_block();
		}
		SALT.with(|s| *s.borrow_mut() = 0);
		(sample.expect("fixed"), ProofOfCompute::period_info(1).expect("started").seed)
	})
}

#[test]
fn a_seed_hashes_several_blocks_so_one_author_neither_knows_nor_steers_it() {
	let (sample, period) = seeds_with(None);
	let info = new_test_ext().execute_with(|| {
		next_block();
		ProofOfCompute::period_info(0).unwrap()
	});
	// The sample seed: each of the `SEED_BLOCKS` blocks after the commit deadline changes it,
	// and no block before the deadline does (so committing cannot depend on it).
	assert_eq!(info.sample_at() - info.commit_until(), u64::from(SEED_BLOCKS));
	for b in info.commit_until() + 1..=info.sample_at() {
		assert_ne!(seeds_with(Some(b)).0, sample, "block {b} is one of the sample seed's");
	}
	assert_eq!(seeds_with(Some(info.commit_until())).0, sample, "the deadline's block is not");
	// The period seed: each of the `SEED_BLOCKS` blocks up to the period's start (before its
	// commit window) changes it.
	let start = period_start(1);
	for b in start + 1 - u64::from(SEED_BLOCKS)..=start {
		assert_ne!(seeds_with(Some(b)).1, period, "block {b} is one of the period seed's");
	}
	assert_eq!(seeds_with(Some(start - u64::from(SEED_BLOCKS))).1, period);
}

// ---- passing ----

#[test]
fn an_honest_provider_passes_becomes_active_and_earns_verified_units() {
	build_and_execute(|| {
		registered_in_period_zero(&[ALICE]);
		assert_eq!(status(ALICE), Some(ProviderStatus::Registered));
		let prover = commit(ALICE, Prover::honest(ALICE));
		assert_eq!(Commitments::<Test>::get(ALICE).unwrap().root, prover.root);
		assert!(events().contains(&Event::Committed {
			provider: ALICE,
			period: 0,
			root: prover.root
		}));
		let units = prover.shape().ops();
		assert_eq!(units, 2 * 2 * 8 * 64 * 16, "batch 2 for one H100 in the test params");
		assert_ok!(open(ALICE, &prover).unwrap());
		assert_eq!(outcomes(ALICE), vec![(0, Outcome::Passed { units })]);
		assert_eq!(status(ALICE), Some(ProviderStatus::Active));
		assert_eq!(reputation(ALICE), Permill::from_parts(525_000));
		assert_eq!(bond(ALICE), BOND, "nothing slashed");
		assert!(Commitments::<Test>::get(ALICE).is_none());
		assert_eq!(PeriodUnits::<Test>::get(0), units);
		assert_eq!(ProviderUnits::<Test>::get(ALICE), units);
		assert_eq!(verified(), vec![(ALICE, 0, units)]);
		assert_eq!(<ProofOfCompute as VerifiedComputeInspect<_>>::units_in(&ALICE, 0), units);
		assert_eq!(<ProofOfCompute as VerifiedComputeInspect<_>>::period_units(0), units);
		assert!(events().contains(&Event::ChallengePassed { provider: ALICE, period: 0, units }));
		// Settled: nothing is owed, the provider may leave.
		assert!(!<ProofOfCompute as ProviderWorkInFlight<_>>::has_open_challenge(&ALICE));
		// And the next period it is challenged again, and passes again.
		run_to_block(period_start(1) + 1);
		let prover = commit(ALICE, Prover::honest(ALICE));
		assert_ok!(open(ALICE, &prover).unwrap());
		assert_eq!(outcomes(ALICE).len(), 2);
		assert_eq!(status(ALICE), Some(ProviderStatus::Active));
	});
}

#[test]
fn a_host_of_more_gpus_gets_a_proportionally_larger_batch() {
	build_and_execute(|| {
		register_with(ALICE, 4, BOND);
		next_block();
		let view = ProofOfCompute::challenge_view(&ALICE).unwrap();
		// Two products per H100, four H100s.
		assert_eq!(view.shape.batch, 8);
		let prover = commit(ALICE, Prover::honest(ALICE));
		assert_ok!(open(ALICE, &prover).unwrap());
		assert_eq!(outcomes(ALICE), vec![(0, Outcome::Passed { units: 4 * 2 * 8 * 64 * 16 * 2 })]);
	});
}

// ---- failing ----

fn assert_failed(who: AccountId, reason: FailureReason) {
	assert_eq!(outcomes(who), vec![(0, Outcome::Failed(reason))]);
	assert_eq!(bond(who), BOND - BOND / 10, "failed_slash is 10%");
	assert_eq!(reputation(who), Permill::from_percent(35), "30% of 50% lost");
	assert_eq!(status(who), Some(ProviderStatus::Registered), "not proven");
	assert!(events().contains(&Event::ChallengeFailed { provider: who, period: 0, reason }));
	assert!(Commitments::<Test>::get(who).is_none());
	assert_eq!(PeriodUnits::<Test>::get(0), 0);
}

#[test]
fn a_liar_is_caught_by_a_wrong_entry_and_slashed() {
	build_and_execute(|| {
		registered_in_period_zero(&[ALICE]);
		// Corrupts every entry, consistently: the paths check, the values do not.
		let liar = commit(ALICE, Prover::compute(ALICE, |_| true));
		// A failed proof is a successful transaction: the outcome and the slash are recorded.
		assert_ok!(open(ALICE, &liar).unwrap());
		assert_failed(ALICE, FailureReason::WrongEntry);
	});
}

#[test]
fn an_active_provider_that_fails_is_demoted() {
	build_and_execute(|| {
		registered_in_period_zero(&[ALICE]);
		let prover = commit(ALICE, Prover::honest(ALICE));
		assert_ok!(open(ALICE, &prover).unwrap());
		assert_eq!(status(ALICE), Some(ProviderStatus::Active));
		run_to_block(period_start(1) + 1);
		let liar = commit(ALICE, Prover::compute(ALICE, |_| true));
		assert_ok!(open(ALICE, &liar).unwrap());
		assert_eq!(outcomes(ALICE)[1], (1, Outcome::Failed(FailureReason::WrongEntry)));
		assert_eq!(status(ALICE), Some(ProviderStatus::Registered));
	});
}

#[test]
fn a_wrong_path_fails() {
	build_and_execute(|| {
		registered_in_period_zero(&[ALICE]);
		let prover = commit(ALICE, Prover::honest(ALICE));
		run_to_block(7);
		let mut openings = prover.openings(ALICE);
		openings[2].path[0][7] ^= 0x10;
		assert_ok!(submit(opening_call(ALICE, 0, openings)).unwrap());
		assert_failed(ALICE, FailureReason::WrongPath);
	});
}

#[test]
fn a_flipped_leaf_entry_fails_as_a_wrong_path() {
	build_and_execute(|| {
		registered_in_period_zero(&[ALICE]);
		let prover = commit(ALICE, Prover::honest(ALICE));
		run_to_block(7);
		let mut openings = prover.openings(ALICE);
		openings[0].leaf[1] = openings[0].leaf[1].wrapping_add(1);
		assert_ok!(submit(opening_call(ALICE, 0, openings)).unwrap());
		assert_failed(ALICE, FailureReason::WrongPath);
	});
}

#[test]
fn the_opening_of_another_leaf_fails() {
	build_and_execute(|| {
		registered_in_period_zero(&[ALICE]);
		let prover = commit(ALICE, Prover::honest(ALICE));
		run_to_block(7);
		let mut openings = prover.openings(ALICE);
		let view = ProofOfCompute::challenge_view(&ALICE).unwrap();
		let asked = view.positions[1];
		// A valid opening of the neighbouring leaf (a wrong leaf index).
		let other = Position { col: (asked.col + view.leaf_size) % view.shape.cols, ..asked };
		openings[1] = prover.open(&other);
		assert_ok!(submit(opening_call(ALICE, 0, openings)).unwrap());
		assert_failed(ALICE, FailureReason::WrongPath);
	});
}

#[test]
fn openings_of_the_wrong_size_are_refused_not_slashed() {
	build_and_execute(|| {
		registered_in_period_zero(&[ALICE]);
		let prover = commit(ALICE, Prover::honest(ALICE));
		run_to_block(7);
		let good = prover.openings(ALICE);
		let mut short = good.clone();
		short.pop();
		assert_eq!(submit(opening_call(ALICE, 0, short)).unwrap_err(), refused(invalid::MALFORMED));
		let mut bad_leaf = good.clone();
		bad_leaf[0].leaf.pop();
		assert_eq!(
			submit(opening_call(ALICE, 0, bad_leaf)).unwrap_err(),
			refused(invalid::MALFORMED)
		);
		let mut bad_path = good.clone();
		bad_path[3].path.pop();
		assert_eq!(
			submit(opening_call(ALICE, 0, bad_path)).unwrap_err(),
			refused(invalid::MALFORMED)
		);
		// Nothing happened; the right one still passes.
		assert_eq!(bond(ALICE), BOND);
		assert_ok!(submit(opening_call(ALICE, 0, good)).unwrap());
		assert_eq!(status(ALICE), Some(ProviderStatus::Active));
	});
}

// ---- late and missing ----

#[test]
fn a_late_commitment_is_refused_and_the_sweep_counts_it_missed() {
	build_and_execute(|| {
		registered_in_period_zero(&[ALICE]);
		let prover = Prover::honest(ALICE);
		run_to_block(6);
		assert_eq!(submit(commitment_call(ALICE, 0, prover.root)).unwrap_err(), STALE);
		// Dispatched anyway (a block builder that skipped the check): refused by name.
		assert_noop!(
			ProofOfCompute::do_submit_commitment(CommitmentPayload {
				provider: ALICE,
				period: 0,
				root: prover.root
			}),
			Error::<Test>::OutsideWindow
		);
		// After the open window the sweep settles it: missed, 1% slashed, reputation down.
		run_to_block(11);
		assert_eq!(outcomes(ALICE), vec![(0, Outcome::Missed)]);
		assert_eq!(bond(ALICE), BOND - BOND / 100);
		assert_eq!(reputation(ALICE), Permill::from_percent(45));
		assert!(events().contains(&Event::ChallengeMissed { provider: ALICE, period: 0 }));
	});
}

#[test]
fn a_commitment_for_a_future_period_waits_and_one_for_a_past_period_is_stale() {
	build_and_execute(|| {
		registered_in_period_zero(&[ALICE]);
		let root = Prover::honest(ALICE).root;
		assert_eq!(submit(commitment_call(ALICE, 1, root)).unwrap_err(), FUTURE);
		run_to_block(period_start(1) + 1);
		assert_eq!(submit(commitment_call(ALICE, 0, root)).unwrap_err(), STALE);
	});
}

#[test]
fn an_early_opening_waits_and_a_late_one_is_stale_and_the_sweep_fails_the_commitment() {
	build_and_execute(|| {
		registered_in_period_zero(&[ALICE]);
		let prover = commit(ALICE, Prover::honest(ALICE));
		run_to_block(6);
		// The sample seed is not fixed yet: nobody can know the samples.
		assert_eq!(submit(opening_call(ALICE, 0, vec![])).unwrap_err(), FUTURE);
		run_to_block(10);
		next_block_without_idle();
		let stale = submit(opening_call(ALICE, 0, prover.openings(ALICE))).unwrap_err();
		assert_eq!(stale, STALE);
		// A root that is never opened proves nothing: failed, 10% slashed.
		next_block();
		assert_failed(ALICE, FailureReason::Unopened);
	});
}

#[test]
fn a_provider_that_never_commits_is_missed_and_an_active_one_demoted() {
	build_and_execute(|| {
		registered_in_period_zero(&[ALICE, BOB]);
		let prover = commit(ALICE, Prover::honest(ALICE));
		assert_ok!(open(ALICE, &prover).unwrap());
		assert_eq!(status(ALICE), Some(ProviderStatus::Active));
		// Alice's node stops; Bob's never ran.
		run_to_block(period_start(2));
		assert_eq!(outcomes(BOB), vec![(0, Outcome::Missed), (1, Outcome::Missed)]);
		assert_eq!(outcomes(ALICE)[1], (1, Outcome::Missed));
		assert_eq!(status(ALICE), Some(ProviderStatus::Registered), "no longer proven");
		assert!(reputation(ALICE) < Permill::from_parts(525_000));
	});
}

#[test]
fn repeated_misses_take_a_provider_below_min_bond_and_out_of_the_challenges() {
	build_and_execute(|| {
		register_with(ALICE, 1, MIN_BOND);
		next_block();
		run_to_block(period_start(1));
		// 1% of the minimum bond: below it.
		assert_eq!(outcomes(ALICE), vec![(0, Outcome::Missed)]);
		assert_eq!(status(ALICE), Some(ProviderStatus::Underbonded));
		run_to_block(period_start(3));
		assert_eq!(outcomes(ALICE).len(), 1, "not challenged any more");
		assert!(ProofOfCompute::challenge_view(&ALICE).is_none());
	});
}

// ---- replay ----

#[test]
fn a_replayed_commitment_opening_or_heartbeat_is_refused() {
	build_and_execute(|| {
		registered_in_period_zero(&[ALICE]);
		let prover = Prover::honest(ALICE);
		let commitment = commitment_call(ALICE, 0, prover.root);
		// The pool's tag: one per (phase, provider, period), so duplicates are dropped.
		let (validity, _) = validate(&commitment.clone().into()).unwrap();
		let (again, _) = validate(&commitment.clone().into()).unwrap();
		assert_eq!(validity.provides, again.provides);
		assert_ok!(submit(commitment.clone()).unwrap());
		assert_eq!(submit(commitment).unwrap_err(), STALE);
		// Another root for the same period is no second chance.
		assert_eq!(submit(commitment_call(ALICE, 0, [9u8; 32])).unwrap_err(), STALE);

		let heartbeat = heartbeat_call(ALICE, 0);
		assert_ok!(submit(heartbeat.clone()).unwrap());
		assert_eq!(submit(heartbeat).unwrap_err(), STALE);

		run_to_block(7);
		let opening = opening_call(ALICE, 0, prover.openings(ALICE));
		assert_ok!(submit(opening.clone()).unwrap());
		assert_eq!(submit(opening).unwrap_err(), refused(invalid::NO_COMMITMENT));
		// Tags differ by phase: a commitment and a heartbeat of the same period both fit.
		let c = validate(&commitment_call(ALICE, 1, prover.root).into());
		let h = validate(&heartbeat_call(ALICE, 1).into());
		assert!(c.is_err() && h.is_err(), "period 1 has not started");
	});
}

#[test]
fn a_signed_message_of_one_phase_does_not_serve_another() {
	build_and_execute(|| {
		registered_in_period_zero(&[ALICE]);
		let root = Prover::honest(ALICE).root;
		let commitment = CommitmentPayload { provider: ALICE, period: 0, root };
		// Signed as a heartbeat, submitted as a commitment.
		let signature = sign(ALICE, Phase::Heartbeat, &commitment);
		assert_eq!(
			submit(Call::submit_commitment { commitment, signature }).unwrap_err(),
			BAD_PROOF
		);
	});
}

// ---- keys ----

#[test]
fn a_signature_by_an_unknown_key_is_refused() {
	build_and_execute(|| {
		registered_in_period_zero(&[ALICE]);
		let commitment = CommitmentPayload { provider: ALICE, period: 0, root: [1u8; 32] };
		let stranger = sr25519_sign(99, Phase::Commit, &commitment);
		assert_eq!(
			submit(Call::submit_commitment { commitment, signature: stranger }).unwrap_err(),
			BAD_PROOF
		);
	});
}

fn sr25519_sign<P: codec::Encode>(
	seed: u8,
	phase: Phase,
	payload: &P,
) -> crucible_primitives::providers::AttestationSignature {
	use polkadot_sdk::sp_core::Pair;
	let genesis = System::block_hash(0);
	polkadot_sdk::sp_core::sr25519::Pair::from_seed(&[seed; 32])
		.sign(&signing_payload(genesis.as_ref(), phase, payload))
		.into()
}

#[test]
fn the_key_of_another_provider_cannot_sign_for_it() {
	build_and_execute(|| {
		registered_in_period_zero(&[ALICE, BOB]);
		let commitment = CommitmentPayload { provider: ALICE, period: 0, root: [1u8; 32] };
		let bobs = sign(BOB, Phase::Commit, &commitment);
		assert_eq!(
			submit(Call::submit_commitment { commitment: commitment.clone(), signature: bobs })
				.unwrap_err(),
			BAD_PROOF
		);
		let heartbeat = HeartbeatPayload {
			provider: ALICE,
			period: 0,
			report: NodeReport { backend: Backend::Cpu, spec_version: 1 },
		};
		let bobs = sign(BOB, Phase::Heartbeat, &heartbeat);
		assert_eq!(submit(Call::heartbeat { heartbeat, signature: bobs }).unwrap_err(), BAD_PROOF);
	});
}

#[test]
fn after_a_key_rotation_the_old_key_signs_nothing() {
	build_and_execute(|| {
		registered_in_period_zero(&[ALICE]);
		use polkadot_sdk::sp_core::Pair;
		let new = polkadot_sdk::sp_core::sr25519::Pair::from_seed(&[77; 32]);
		let genesis = System::block_hash(0);
		let nonce = pallet_providers::KeyNonce::<Test>::get(ALICE);
		let proof = new
			.sign(&crucible_primitives::providers::ownership_payload(
				genesis.as_ref(),
				&ALICE,
				nonce,
			))
			.into();
		assert_ok!(Providers::rotate_attestation_key(
			RuntimeOrigin::signed(ALICE),
			new.public().into(),
			proof
		));
		assert_eq!(submit(commitment_call(ALICE, 0, [1u8; 32])).unwrap_err(), BAD_PROOF);
		let commitment = CommitmentPayload { provider: ALICE, period: 0, root: [1u8; 32] };
		let signature = sr25519_sign(77, Phase::Commit, &commitment);
		assert_ok!(submit(Call::submit_commitment { commitment, signature }).unwrap());
	});
}

// ---- who is challenged ----

#[test]
fn unregistered_paused_and_suspended_providers_are_not_challenged() {
	build_and_execute(|| {
		register(BOB);
		register(CHARLIE);
		assert_ok!(Providers::pause(RuntimeOrigin::signed(BOB)));
		assert_ok!(Providers::force_suspend(RuntimeOrigin::root(), CHARLIE));
		next_block();
		let root = [1u8; 32];
		assert_eq!(
			submit(commitment_call(DAVE, 0, root)).unwrap_err(),
			refused(invalid::NOT_REGISTERED)
		);
		assert_eq!(
			submit(commitment_call(BOB, 0, root)).unwrap_err(),
			refused(invalid::NOT_CHALLENGED)
		);
		assert_eq!(
			submit(commitment_call(CHARLIE, 0, root)).unwrap_err(),
			refused(invalid::NOT_CHALLENGED)
		);
		assert!(ProofOfCompute::challenge_view(&BOB).is_none());
		// And the sweep does not punish them.
		run_to_block(period_start(1) + 1);
		assert!(outcomes(BOB).is_empty() && outcomes(CHARLIE).is_empty());
		assert_eq!((bond(BOB), bond(CHARLIE)), (BOND, BOND));
		// Heartbeats are for hosts in the challenge pool: a paused or suspended provider's
		// node, or an underbonded one's, would only take free block space.
		for who in [BOB, CHARLIE] {
			assert_eq!(
				submit(heartbeat_call(who, 1)).unwrap_err(),
				refused(invalid::NOT_CHALLENGEABLE)
			);
		}
		register(ALICE);
		assert_ok!(<Providers as pallet_providers::ProviderSlash<_>>::slash(
			&ALICE,
			Permill::from_parts(999_999),
			pallet_providers::SlashReason::Governance
		));
		assert_eq!(status(ALICE), Some(pallet_providers::ProviderStatus::Underbonded));
		assert_eq!(
			submit(heartbeat_call(ALICE, 1)).unwrap_err(),
			refused(invalid::NOT_CHALLENGEABLE)
		);
		assert_eq!(submit(heartbeat_call(DAVE, 1)).unwrap_err(), refused(invalid::NOT_REGISTERED));
		// Resumed: back in the pool, its node reports in.
		assert_ok!(Providers::resume(RuntimeOrigin::signed(BOB)));
		assert_ok!(submit(heartbeat_call(BOB, 1)).unwrap());
	});
}

#[test]
fn a_provider_that_registers_mid_period_is_challenged_from_the_next_one() {
	build_and_execute(|| {
		next_block();
		register(ALICE);
		assert!(ProofOfCompute::challenge_view(&ALICE).is_none());
		assert_eq!(
			submit(commitment_call(ALICE, 0, [1u8; 32])).unwrap_err(),
			refused(invalid::NOT_CHALLENGED)
		);
		assert!(!<ProofOfCompute as ProviderWorkInFlight<_>>::has_work_in_flight(&ALICE));
		run_to_block(period_start(1) + 1);
		assert!(outcomes(ALICE).is_empty(), "not missed in period 0");
		assert!(ProofOfCompute::challenge_view(&ALICE).is_some());
		let prover = commit(ALICE, Prover::honest(ALICE));
		assert_ok!(open(ALICE, &prover).unwrap());
		assert_eq!(status(ALICE), Some(ProviderStatus::Active));
	});
}

#[test]
fn an_open_challenge_keeps_a_provider_from_pausing_or_leaving_until_settled() {
	build_and_execute(|| {
		registered_in_period_zero(&[ALICE, BOB]);
		assert!(<ProofOfCompute as ProviderWorkInFlight<_>>::has_work_in_flight(&ALICE));
		assert_noop!(
			Providers::pause(RuntimeOrigin::signed(ALICE)),
			pallet_providers::Error::<Test>::ChallengeOpen
		);
		assert_noop!(
			Providers::deregister(RuntimeOrigin::signed(ALICE)),
			pallet_providers::Error::<Test>::HasActiveWork
		);
		// Alice passes: free to go. Bob gives nothing: held until the sweep settles him.
		let prover = commit(ALICE, Prover::honest(ALICE));
		assert_ok!(open(ALICE, &prover).unwrap());
		assert_ok!(Providers::pause(RuntimeOrigin::signed(ALICE)));
		run_to_block(9);
		next_block_without_idle();
		assert_noop!(
			Providers::deregister(RuntimeOrigin::signed(BOB)),
			pallet_providers::Error::<Test>::HasActiveWork
		);
		next_block();
		assert_eq!(outcomes(BOB), vec![(0, Outcome::Missed)]);
		assert_ok!(Providers::deregister(RuntimeOrigin::signed(BOB)));
	});
}

// ---- heartbeats ----

#[test]
fn a_heartbeat_is_recorded_once_per_period() {
	build_and_execute(|| {
		registered_in_period_zero(&[ALICE]);
		assert_ok!(submit(heartbeat_call(ALICE, 0)).unwrap());
		let record = Heartbeats::<Test>::get(ALICE).unwrap();
		assert_eq!((record.period, record.at, record.report.backend), (0, 2, Backend::Cpu));
		assert!(events()
			.iter()
			.any(|e| matches!(e, Event::HeartbeatReceived { provider: ALICE, period: 0, .. })));
		assert_noop!(
			ProofOfCompute::do_heartbeat(HeartbeatPayload {
				provider: ALICE,
				period: 0,
				report: record.report
			}),
			Error::<Test>::AlreadySubmitted
		);
		// Period 1's seed is fixed at the end of its first block.
		run_to_block(period_start(1));
		assert_eq!(submit(heartbeat_call(ALICE, 1)).unwrap_err(), FUTURE);
		next_block();
		assert_ok!(submit(heartbeat_call(ALICE, 1)).unwrap());
	});
}

// ---- parameters ----

#[test]
fn set_params_takes_effect_from_the_next_period() {
	build_and_execute(|| {
		registered_in_period_zero(&[ALICE]);
		let mut params = test_params();
		params.samples = 2;
		params.inner = 128;
		assert_noop!(
			ProofOfCompute::set_params(RuntimeOrigin::signed(ALICE), params.clone()),
			DispatchError::BadOrigin
		);
		assert_ok!(ProofOfCompute::set_params(RuntimeOrigin::root(), params.clone()));
		assert!(events().contains(&Event::ParamsSet { params: params.clone() }));
		// This period keeps its parameters.
		assert_eq!(ProofOfCompute::challenge_view(&ALICE).unwrap().shape.inner, 64);
		assert_eq!(ProofOfCompute::params_in_force().samples, 4);
		run_to_block(period_start(1) + 1);
		let view = ProofOfCompute::challenge_view(&ALICE).unwrap();
		assert_eq!((view.shape.inner, view.samples), (128, 2));
	});
}

#[test]
fn parameters_outside_the_bounds_are_refused_by_name() {
	build_and_execute(|| {
		let ok = test_params();
		assert_ok!(ProofOfCompute::validate_params(&ok).map_err(DispatchError::from));
		let check =
			|change: &dyn Fn(&mut crucible_primitives::proof_of_compute::ChallengeParams),
			 error: Error<Test>| {
				let mut p = ok.clone();
				change(&mut p);
				assert_noop!(ProofOfCompute::set_params(RuntimeOrigin::root(), p), error);
			};
		check(&|p| p.failed_slash = Permill::from_percent(51), Error::<Test>::SlashTooLarge);
		check(&|p| p.missed_slash = Permill::one(), Error::<Test>::SlashTooLarge);
		check(&|p| p.period = 0, Error::<Test>::InvalidWindows);
		check(&|p| p.period = 1_001, Error::<Test>::InvalidWindows);
		check(&|p| p.commit_window = 0, Error::<Test>::InvalidWindows);
		check(&|p| p.open_window = p.commit_window + 1, Error::<Test>::InvalidWindows);
		check(&|p| p.open_window = p.period + 1, Error::<Test>::InvalidWindows);
		check(&|p| p.samples = 0, Error::<Test>::InvalidSamples);
		check(&|p| p.samples = 17, Error::<Test>::InvalidSamples);
		check(&|p| p.inner = 131_072, Error::<Test>::InnerTooLarge);
		check(&|p| p.leaf_size = 128, Error::<Test>::LeafTooLarge);
		check(&|p| p.leaf_size = 3, Error::<Test>::InvalidShape);
		check(&|p| p.rows = 12, Error::<Test>::InvalidShape);
		check(&|p| p.inner = 100, Error::<Test>::InvalidShape);
		check(&|p| p.batches.l4 = 0, Error::<Test>::InvalidBatch);
		check(&|p| p.batches.h100 = u32::MAX / 32, Error::<Test>::InvalidBatch);
	});
}

// ---- the sweep ----

/// Ends the block without idle time (a full block), then starts the next.
pub fn next_block_without_idle() {
	let n = System::block_number();
	<AllPalletsWithSystem as OnFinalize<u64>>::on_finalize(n);
	System::set_block_number(n + 1);
	<AllPalletsWithSystem as polkadot_sdk::frame_support::traits::OnInitialize<u64>>::on_initialize(
		n + 1,
	);
}

#[test]
fn the_sweep_visits_a_bounded_number_of_providers_per_block_and_resumes() {
	build_and_execute(|| {
		let all: Vec<AccountId> = (1..=10).collect();
		registered_in_period_zero(&all);
		// Windows close after block 7: from block 8's idle time on, four providers per block.
		run_to_block(10);
		assert!(all.iter().all(|w| outcomes(*w).is_empty()));
		next_block();
		let settled = || all.iter().filter(|w| !outcomes(**w).is_empty()).count();
		assert_eq!(settled(), 4);
		next_block();
		assert_eq!(settled(), 8);
		next_block();
		assert_eq!(settled(), 10);
		assert_eq!(Sweep::<Test>::get().period, 1, "period 0 done");
		check_invariants();
	});
}

#[test]
fn the_sweep_uses_only_the_weight_left_in_the_block() {
	build_and_execute(|| {
		registered_in_period_zero(&[ALICE, BOB]);
		run_to_block(10);
		let needed = ProofOfCompute::sweep_step_weight();
		let before = Sweep::<Test>::get();
		// Less than one step: nothing is visited.
		use polkadot_sdk::frame_support::traits::Hooks;
		let base = <Test as crate::Config>::WeightInfo::sweep_base();
		let used = <ProofOfCompute as Hooks<u64>>::on_idle(
			8,
			base.saturating_add(needed)
				.saturating_sub(polkadot_sdk::frame_support::weights::Weight::from_parts(1, 0)),
		);
		assert!(used.all_lte(base.saturating_add(needed)));
		assert_eq!(Sweep::<Test>::get(), before);
		assert!(outcomes(ALICE).is_empty() && outcomes(BOB).is_empty());
		// Zero weight: not even the base.
		assert_eq!(
			<ProofOfCompute as Hooks<u64>>::on_idle(8, Default::default()),
			Default::default()
		);
	});
}

#[test]
fn when_blocks_stay_full_the_oldest_unswept_period_is_dropped_by_name() {
	build_and_execute(|| {
		registered_in_period_zero(&[ALICE]);
		// No idle time until period 5 has started.
		while System::block_number() <= period_start(5) {
			next_block_without_idle();
		}
		assert!(events().contains(&Event::SweepSkipped { period: 0 }));
		assert!(events().contains(&Event::SweepSkipped { period: 1 }));
		assert_eq!(Sweep::<Test>::get().period, 2);
		check_invariants();
		// With room again, the rest is swept.
		run_to_block(period_start(6));
		let periods: Vec<u32> = outcomes(ALICE).iter().map(|o| o.0).collect();
		assert_eq!(periods, vec![2, 3, 4, 5]);
	});
}

#[test]
fn a_commitment_never_opened_is_failed_when_the_next_one_comes_if_the_sweep_has_not_yet() {
	build_and_execute(|| {
		registered_in_period_zero(&[ALICE]);
		commit(ALICE, Prover::honest(ALICE));
		while System::block_number() < period_start(1) + 1 {
			next_block_without_idle();
		}
		assert!(outcomes(ALICE).is_empty());
		commit(ALICE, Prover::honest(ALICE));
		assert_eq!(outcomes(ALICE), vec![(0, Outcome::Failed(FailureReason::Unopened))]);
		assert_eq!(Commitments::<Test>::get(ALICE).unwrap().period, 1);
		// The sweep later finds period 0 settled and does not punish twice.
		next_block();
		run_to_block(period_start(1) + 7);
		assert_eq!(bond(ALICE), BOND - BOND / 10);
	});
}

#[test]
fn the_sweep_forgets_a_leaving_provider_once_its_outcomes_are_old() {
	build_and_execute(|| {
		registered_in_period_zero(&[ALICE]);
		let prover = commit(ALICE, Prover::honest(ALICE));
		assert_ok!(open(ALICE, &prover).unwrap());
		assert_ok!(submit(heartbeat_call(ALICE, 0)).unwrap());
		assert_ok!(Providers::deregister(RuntimeOrigin::signed(ALICE)));
		// Unbonding takes 5 blocks in the mock; do not withdraw, so the record stays Leaving.
		run_to_block(period_start(RECENT_OUTCOMES) + 10);
		assert!(Outcomes::<Test>::get(ALICE).is_empty());
		assert!(Heartbeats::<Test>::get(ALICE).is_none());
		assert_eq!(ProviderUnits::<Test>::get(ALICE), 0);
	});
}

/// A miss that the sweep settles only after the provider's next challenge was settled by its
/// opening (blocks were full meanwhile) goes before it: outcomes stay in period order.
#[test]
fn a_miss_settled_late_by_the_sweep_keeps_the_outcomes_in_period_order() {
	build_and_execute(|| {
		registered_in_period_zero(&[ALICE]);
		let prover = commit(ALICE, Prover::honest(ALICE));
		assert_ok!(open(ALICE, &prover).unwrap());
		assert_eq!(status(ALICE), Some(pallet_providers::ProviderStatus::Active));
		// Alice does not answer period 1; no block leaves room for the sweep until period 2's
		// challenge is committed, opened and settled.
		while System::block_number() < period_start(2) + 1 {
			next_block_without_idle();
		}
		let prover = commit(ALICE, Prover::honest(ALICE));
		while System::block_number() < period_start(2) + 6 {
			next_block_without_idle();
		}
		assert_ok!(submit(opening_call(ALICE, 2, prover.openings(ALICE))).unwrap());
		// Now the sweep reaches period 1.
		for _ in 0..3 {
			next_block();
		}
		assert!(
			matches!(
				outcomes(ALICE).as_slice(),
				[(0, Outcome::Passed { .. }), (1, Outcome::Missed), (2, Outcome::Passed { .. })]
			),
			"{:?}",
			outcomes(ALICE)
		);
	});
}

/// A provider that misses a period while unproven and passes the next one before the sweep
/// reaches the first is still punished for it: being proven (or demoted) keeps it in the
/// challenge pool, it does not restart its clock.
#[test]
fn being_proven_after_a_miss_does_not_escape_the_late_sweep() {
	build_and_execute(|| {
		registered_in_period_zero(&[ALICE]);
		assert_eq!(status(ALICE), Some(pallet_providers::ProviderStatus::Registered));
		// Alice does not answer period 0; no block leaves room for the sweep until her period 1
		// challenge is committed, opened and passed (which proves her: Active).
		while System::block_number() < period_start(1) + 1 {
			next_block_without_idle();
		}
		let prover = commit(ALICE, Prover::honest(ALICE));
		while System::block_number() < period_start(1) + 6 {
			next_block_without_idle();
		}
		assert_ok!(submit(opening_call(ALICE, 1, prover.openings(ALICE))).unwrap());
		assert_eq!(status(ALICE), Some(pallet_providers::ProviderStatus::Active));
		for _ in 0..3 {
			next_block();
		}
		assert!(
			matches!(
				outcomes(ALICE).as_slice(),
				[(0, Outcome::Missed), (1, Outcome::Passed { .. })]
			),
			"{:?}",
			outcomes(ALICE)
		);
		assert_eq!(bond(ALICE), BOND - BOND / 100, "slashed for period 0");
		// Demoted by that miss, she is still challenged in the next period.
		assert_eq!(status(ALICE), Some(pallet_providers::ProviderStatus::Registered));
		run_to_block(period_start(2) + 1);
		assert!(ProofOfCompute::challenge_view(&ALICE).is_some_and(|v| v.period == 2));
		assert!(<ProofOfCompute as ProviderWorkInFlight<_>>::has_open_challenge(&ALICE));
	});
}

// ---- the runtime API ----

#[test]
fn the_challenge_view_shows_the_windows_the_samples_and_the_outcome() {
	build_and_execute(|| {
		registered_in_period_zero(&[ALICE]);
		let view = ProofOfCompute::challenge_view(&ALICE).unwrap();
		assert_eq!(
			(view.period, view.period_start, view.commit_until, view.sample_at, view.open_until),
			(0, 1, 3, 6, 9)
		);
		assert_eq!(view.phase, ChallengePhase::Commit);
		assert!(view.committed.is_none() && view.positions.is_empty() && view.outcome.is_none());
		let prover = commit(ALICE, Prover::honest(ALICE));
		run_to_block(7);
		let view = ProofOfCompute::challenge_view(&ALICE).unwrap();
		assert_eq!(view.phase, ChallengePhase::Open);
		assert_eq!(view.committed, Some(prover.root));
		assert_eq!(view.positions.len(), 4);
		assert_ok!(submit(opening_call(ALICE, 0, prover.openings(ALICE))).unwrap());
		let view = ProofOfCompute::challenge_view(&ALICE).unwrap();
		assert!(matches!(view.outcome, Some(Outcome::Passed { .. })));
		assert_eq!(ProofOfCompute::recent_outcomes(&ALICE).len(), 1);
		assert!(ProofOfCompute::challenge_view(&BOB).is_none());
	});
}

#[test]
fn integrity_test_passes() {
	new_test_ext().execute_with(|| {
		use polkadot_sdk::frame_support::traits::Hooks;
		<ProofOfCompute as Hooks<u64>>::integrity_test();
	});
}

#[test]
fn try_state_catches_a_commitment_of_a_settled_challenge() {
	new_test_ext().execute_with(|| {
		registered_in_period_zero(&[ALICE]);
		let prover = commit(ALICE, Prover::honest(ALICE));
		assert_ok!(open(ALICE, &prover).unwrap());
		Commitments::<Test>::insert(ALICE, Commitment { period: 0, root: [0u8; 32], at: 2 });
		assert!(ProofOfCompute::do_try_state().is_err());
	});
}

mod random;
mod worker;

#[test]
fn a_provider_that_leaves_and_withdraws_at_once_leaves_nothing_behind() {
	build_and_execute(|| {
		registered_in_period_zero(&[ALICE]);
		let prover = commit(ALICE, Prover::honest(ALICE));
		assert_ok!(open(ALICE, &prover).unwrap());
		assert_ok!(submit(heartbeat_call(ALICE, 0)).unwrap());
		assert!(!outcomes(ALICE).is_empty());
		assert!(Heartbeats::<Test>::contains_key(ALICE));
		assert!(ProviderUnits::<Test>::get(ALICE) > 0);
		assert_ok!(Providers::deregister(RuntimeOrigin::signed(ALICE)));
		// Unbonded (five blocks) long before the sweep would forget it (`RECENT_OUTCOMES`
		// periods later).
		run_to_block(System::block_number() + 6);
		assert_ok!(Providers::withdraw_unbonded(RuntimeOrigin::signed(ALICE)));
		assert_eq!(status(ALICE), None);
		assert!(outcomes(ALICE).is_empty());
		assert!(!Heartbeats::<Test>::contains_key(ALICE));
		assert!(!ProviderUnits::<Test>::contains_key(ALICE));
	});
}
