// Tests may panic and overflow: that is how they fail.
#![allow(clippy::arithmetic_side_effects)]

//! Audits by re-execution: posting, collateral, the draw, answers, openings, every timeout and
//! every conclusion, and the receipt.

use crate::{mock::*, testing::deterministic_manifest, *};
use crucible_primitives::{
	audit::{
		audit_commitment, audit_payload, opening_of, result_digest, AuditOutcome, AuditReport,
		AuditStep, ResultOpening, Verification,
	},
	marketplace::{
		manifest_hash, result_leaf, AuctionKind, JobId, JobPhase, Manifest, Usage, WorkReport,
	},
	testing::Rng,
};
use pallet_providers::SlashReason;
use polkadot_sdk::{
	frame_support::{assert_noop, assert_ok},
	sp_core::{Pair as _, H256},
	sp_runtime::{traits::Zero, DispatchResult, Permill},
};

const PRICE: Balance = 60;
const DURATION: u64 = 40;
/// G: the lease's price.
const GAIN: Balance = PRICE * DURATION as Balance;

fn audited_spec(rate: Permill) -> JobSpecOf<Test> {
	let mut s = spec(DURATION, 100, AuctionKind::Open);
	s.workload.manifest = manifest_hash(&deterministic_manifest());
	s.verification = Verification::Audited { rate };
	s
}

fn post_audited(rate: Permill) -> JobId {
	let id = NextJobId::<Test>::get();
	assert_ok!(Marketplace::post_job(
		RuntimeOrigin::signed(DEV),
		audited_spec(rate),
		Some(deterministic_manifest())
	));
	id
}

/// The root of some output (its first chunk is `byte`s).
fn output(byte: u8) -> ResultOpening {
	opening_of(&[result_leaf(&[byte; 100]), result_leaf(&[1; 100])])
}

/// Five proven providers; an audited job at `rate` leased to P1 at `PRICE`.
fn leased(rate: Permill) -> JobId {
	for p in [P1, P2, P3, P4, P5] {
		proven(p);
	}
	let id = post_audited(rate);
	assert_ok!(Marketplace::place_bid(RuntimeOrigin::signed(P1), id, PRICE));
	run_to_block(11);
	assert_eq!(job(id).phase, JobPhase::Running);
	id
}

/// P1 attests the lease through its end, completed with the digest of `root`.
fn complete(id: JobId, root: H256) {
	let end = lease(id).end;
	// Attested on time all along (a silent lease would be abandoned).
	while now() + INTERVAL < end {
		run_to_block(now() + INTERVAL);
		attest_to(id, now());
	}
	run_to_block(end);
	let l = lease(id);
	let report = WorkReport::Completed {
		usage: Usage::default(),
		status: H256::repeat_byte(2),
		result: result_digest(id, &root),
	};
	let a = attestation(l.provider, id, l.attested_through, l.end, report);
	submit(attest_call(l.provider, a)).expect("authorized").expect("attested");
	assert_eq!(job(id).phase, JobPhase::Verifying { digest: result_digest(id, &root) });
}

fn report(who: AccountId, id: JobId, step: AuditStep) -> Call<Test> {
	let report = AuditReport { who, job: id, step };
	let genesis = System::block_hash(0);
	let signature = key_pair(who).sign(&audit_payload(genesis.as_ref(), &report)).into();
	Call::audit { report, signature }
}

fn answer(who: AccountId, id: JobId, root: H256) -> Call<Test> {
	report(
		who,
		id,
		AuditStep::Submit {
			digest: result_digest(id, &root),
			commitment: audit_commitment(id, &who, &root),
		},
	)
}

fn open(who: AccountId, id: JobId, opening: &ResultOpening) -> Call<Test> {
	report(who, id, AuditStep::Open { opening: opening.clone() })
}

fn ok(call: Call<Test>) {
	submit(call).expect("authorized").expect("dispatched");
}

fn audit(id: JobId) -> AuditOf<Test> {
	Audits::<Test>::get(id).expect("an audit")
}

/// The auditor being waited for.
fn current_auditor(id: JobId) -> AccountId {
	audit(id).auditors.last().expect("an auditor").who
}

/// Runs to the draw (the completion's block + `DRAW_DELAY`).
fn to_draw(id: JobId) {
	let AuditStage::Draw { at } = audit(id).stage else { panic!("not drawing") };
	run_to_block(at);
}

#[test]
fn an_audited_job_needs_a_deterministic_public_manifest_and_a_rate_within_bounds() {
	build_and_execute(|| {
		let post = |spec: JobSpecOf<Test>, manifest: Option<Manifest>| {
			Marketplace::post_job(RuntimeOrigin::signed(DEV), spec, manifest)
		};
		let m = deterministic_manifest();
		let with = |m: &Manifest| {
			let mut s = audited_spec(Permill::from_percent(10));
			s.workload.manifest = manifest_hash(m);
			s
		};
		assert_noop!(
			post(audited_spec(Permill::from_parts(9_999)), Some(m.clone())),
			Error::<Test>::InvalidAuditRate
		);
		assert_noop!(
			post(audited_spec(Permill::from_percent(10)), None),
			Error::<Test>::NotDeterministic
		);
		let loose = Manifest { deterministic: false, ..m.clone() };
		assert_noop!(post(with(&loose), Some(loose.clone())), Error::<Test>::NotDeterministic);
		let online = Manifest { egress: true, ..m.clone() };
		assert_noop!(post(with(&online), Some(online.clone())), Error::<Test>::NotDeterministic);
		let secret = Manifest {
			secrets: vec![b"TOKEN".to_vec().try_into().unwrap()].try_into().unwrap(),
			..m.clone()
		};
		assert_noop!(
			post(with(&secret), Some(secret.clone())),
			Error::<Test>::AuditNeedsPublicManifest
		);
		// Accepted: the escrow is the lease's maximum price and one audit fee.
		let id = post_audited(Permill::from_percent(10));
		assert_eq!(job(id).escrow, 2 * 100 * DURATION);
		assert_eq!(
			held(HoldReason::JobEscrow, DEV),
			2 * 100 * DURATION + JOB_DEPOSIT + MANIFEST_DEPOSIT
		);
		// Governance narrows the bounds; bad bounds are refused.
		let bounds = |min: u32, max: u32| AuditParams {
			min_rate: Permill::from_percent(min),
			max_rate: Permill::from_percent(max),
			collateral_floor: 0,
		};
		assert_noop!(
			Marketplace::set_audit_params(RuntimeOrigin::root(), bounds(0, 50)),
			Error::<Test>::InvalidAuditParams
		);
		assert_noop!(
			Marketplace::set_audit_params(RuntimeOrigin::root(), bounds(60, 50)),
			Error::<Test>::InvalidAuditParams
		);
		assert_noop!(
			Marketplace::set_audit_params(RuntimeOrigin::signed(DEV), bounds(5, 50)),
			polkadot_sdk::sp_runtime::DispatchError::BadOrigin
		);
		assert_ok!(Marketplace::set_audit_params(RuntimeOrigin::root(), bounds(5, 50)));
		assert_noop!(
			post_audited_result(Permill::from_percent(60)),
			Error::<Test>::InvalidAuditRate
		);
	});
}

fn post_audited_result(rate: Permill) -> DispatchResult {
	Marketplace::post_job(
		RuntimeOrigin::signed(DEV),
		audited_spec(rate),
		Some(deterministic_manifest()),
	)
}

#[test]
fn the_collateral_makes_cheating_unprofitable_at_every_rate() {
	build_and_execute(|| {
		let mut rng = Rng::new(7);
		let mut rates: Vec<u32> = (0..2_000).map(|_| 1 + rng.below(1_000_000) as u32).collect();
		rates.extend([1, 2, 3, 10_000, 333_333, 500_000, 999_999, 1_000_000]);
		for parts in rates {
			let rate = Permill::from_parts(parts);
			for price in [1u64, 7, 60, 1_000] {
				let s = audited_spec(rate);
				let gain = price * DURATION;
				let collateral = Marketplace::collateral_for(&s, price);
				// p · S ≥ G: the expected loss of a fake result is at least what skipping the
				// work gains (in exact integers: S · parts ≥ G · 10⁶).
				assert!(
					u128::from(collateral) * u128::from(parts) >= u128::from(gain) * 1_000_000,
					"rate {parts}, price {price}: collateral {collateral}"
				);
				// …and it pays both auditors of a tie-break, and the floor.
				assert!(collateral >= 2 * gain && collateral >= COLLATERAL_FLOOR);
			}
		}
		// Unaudited: none.
		assert!(Marketplace::collateral_for(&open_spec(), 60).is_zero());
	});
}

#[test]
fn the_winner_holds_the_collateral_and_is_paid_only_when_the_audit_ends() {
	build_and_execute(|| {
		let id = leased(Permill::from_percent(100));
		let collateral = Marketplace::collateral_for(&audited_spec(Permill::one()), PRICE);
		assert_eq!(collateral, 2 * GAIN);
		assert_eq!(held(HoldReason::AuditCollateral, P1), collateral);
		assert_eq!(lease(id).collateral, collateral);
		assert_eq!(lease(id).audit_fee, GAIN);
		// The escrow shrank to the lease's price and one audit fee.
		assert_eq!(job(id).escrow, 2 * GAIN);
		run_to_block(16);
		attest_to(id, 16);
		assert_noop!(
			Marketplace::claim(RuntimeOrigin::signed(P1), id),
			Error::<Test>::PaidAtSettlement
		);
	});
}

#[test]
fn a_bidder_that_cannot_hold_the_collateral_is_refused() {
	build_and_execute(|| {
		proven(P1);
		let id = post_audited(Permill::from_percent(1));
		let keep = 100_000;
		assert_ok!(Balances::transfer_allow_death(
			RuntimeOrigin::signed(P1),
			STRANGER,
			free(P1) - keep
		));
		// At 1%, the collateral is 100 × G: more than P1 has.
		let needed = Marketplace::collateral_for(&audited_spec(Permill::from_percent(1)), PRICE);
		assert!(needed > free(P1));
		assert_noop!(
			Marketplace::place_bid(RuntimeOrigin::signed(P1), id, PRICE),
			Error::<Test>::InsufficientCollateral
		);
		// A price whose collateral fits is taken.
		assert_ok!(Marketplace::place_bid(RuntimeOrigin::signed(P1), id, 1));
	});
}

#[test]
fn an_audit_that_matches_pays_the_provider_and_the_auditor_and_leaves_a_receipt() {
	build_and_execute(|| {
		let id = leased(Permill::from_percent(100));
		let good = output(9);
		complete(id, good.root);
		// Nothing is decided in the completion's block: the draw waits for later randomness.
		assert!(matches!(audit(id).stage, AuditStage::Draw { at } if at == now() + DRAW_DELAY));
		to_draw(id);
		assert!(events().contains(&Event::AuditDrawn { job: id, audited: true }));
		let auditor = current_auditor(id);
		assert!(auditor != P1 && auditor != DEV);
		assert_eq!(Assignments::<Test>::get(auditor).into_inner(), vec![id]);
		assert_eq!(LeasedGpus::<Test>::get(auditor), 1);
		// The provider cannot open before the auditor answered; the auditor cannot answer
		// for another.
		assert_eq!(
			submit(open(P1, id, &good)),
			Err(invalid::refusal::<Test>(Error::<Test>::WrongAuditStage))
		);
		let other = [P2, P3, P4, P5].into_iter().find(|p| *p != auditor).unwrap();
		assert_eq!(
			submit(answer(other, id, good.root)),
			Err(invalid::refusal::<Test>(Error::<Test>::NotAuditParty))
		);
		ok(answer(auditor, id, good.root));
		assert!(events().contains(&Event::AuditAnswered { job: id, auditor, agrees: true }));
		assert!(matches!(audit(id).stage, AuditStage::Open { .. }));
		// An opening that is not the committed root is refused.
		assert_eq!(
			submit(open(P1, id, &output(8))),
			Err(invalid::refusal::<Test>(Error::<Test>::BadOpening))
		);
		let dev_before = free(DEV);
		let (p1_before, auditor_before) = (free(P1), free(auditor));
		ok(open(P1, id, &good));
		ok(open(auditor, id, &good));
		assert!(!Jobs::<Test>::contains_key(id));
		assert!(events().contains(&Event::AuditConcluded {
			job: id,
			outcome: AuditOutcome::Matched { auditors: 1 }
		}));
		// The provider: the lease's price less the protocol fee, and its collateral back.
		let fee = ProtocolFee::get().mul_floor(GAIN);
		assert_eq!(free(P1), p1_before + GAIN - fee + 2 * GAIN);
		assert_eq!(held(HoldReason::AuditCollateral, P1), 0);
		// The auditor: one fee; its GPUs and assignment are free again.
		assert_eq!(free(auditor), auditor_before + GAIN);
		assert!(Assignments::<Test>::get(auditor).is_empty());
		assert_eq!(LeasedGpus::<Test>::get(auditor), 0);
		// The developer paid the lease and one audit: (1 + p) × G at p = 100%.
		assert_eq!(free(DEV), dev_before + JOB_DEPOSIT + MANIFEST_DEPOSIT);
		assert_eq!(settled(), vec![(P1, GAIN, fee)]);
		let receipt = Receipts::<Test>::get(id).expect("a receipt");
		assert_eq!(receipt.result, good.root);
		assert_eq!(receipt.outcome, AuditOutcome::Matched { auditors: 1 });
		assert_eq!(receipt.settled_at, now());
		assert_eq!(receipt.provider, P1);
		assert_eq!(Marketplace::receipt(id), Some(receipt));
	});
}

#[test]
fn a_lying_provider_is_caught_by_two_auditors_and_pays_them_and_the_developer() {
	build_and_execute(|| {
		let id = leased(Permill::from_percent(100));
		let (lie, truth) = (output(0xba), output(9));
		complete(id, lie.root);
		to_draw(id);
		let first = current_auditor(id);
		ok(answer(first, id, truth.root));
		assert!(events().contains(&Event::AuditAnswered {
			job: id,
			auditor: first,
			agrees: false
		}));
		// A tie-breaker, from later randomness.
		to_draw(id);
		let second = current_auditor(id);
		assert!(second != first && second != P1 && second != DEV);
		ok(answer(second, id, truth.root));
		let (dev_before, first_before, second_before) = (free(DEV), free(first), free(second));
		let p1_total = free(P1) + held(HoldReason::AuditCollateral, P1);
		ok(open(first, id, &truth));
		ok(open(second, id, &truth));
		ok(open(P1, id, &lie));
		assert!(!Jobs::<Test>::contains_key(id));
		// Both auditors are paid from the collateral (2 × G), nothing is left for the developer,
		// who gets its whole escrow back: the lease and the audit fee.
		assert_eq!(free(first), first_before + GAIN);
		assert_eq!(free(second), second_before + GAIN);
		assert_eq!(free(DEV), dev_before + 2 * GAIN + JOB_DEPOSIT + MANIFEST_DEPOSIT);
		assert_eq!(free(P1) + held(HoldReason::AuditCollateral, P1), p1_total - 2 * GAIN);
		assert!(events().contains(&Event::JobEnded {
			job: id,
			end: JobEnd::AuditFailed,
			refunded: 2 * GAIN + JOB_DEPOSIT + MANIFEST_DEPOSIT,
		}));
		// Failed audits never count for emissions.
		assert!(settled().is_empty());
		let receipt = Receipts::<Test>::get(id).unwrap();
		assert_eq!(receipt.result, truth.root);
		// The outputs differ in their first chunk.
		assert_eq!(
			receipt.outcome,
			AuditOutcome::Mismatched { span: 1, chunks: Some(vec![0].try_into().unwrap()) }
		);
	});
}

#[test]
fn a_lying_auditor_is_outvoted_and_slashed_to_the_tie_breaker() {
	build_and_execute(|| {
		let id = leased(Permill::from_percent(100));
		let truth = output(9);
		complete(id, truth.root);
		to_draw(id);
		let liar = current_auditor(id);
		ok(answer(liar, id, output(1).root));
		to_draw(id);
		let breaker = current_auditor(id);
		ok(answer(breaker, id, truth.root));
		let (liar_bond, breaker_before, liar_free) =
			(provider_bond(liar), free(breaker), free(liar));
		ok(open(P1, id, &truth));
		ok(open(liar, id, &output(1)));
		ok(open(breaker, id, &truth));
		let slashed = AuditorSlash::get().mul_floor(liar_bond);
		assert!(slashed > 0);
		assert_eq!(provider_bond(liar), liar_bond - slashed);
		assert_eq!(free(liar), liar_free);
		// The tie-breaker earns the fee (the developer's escrowed one) and the liar's slash.
		assert_eq!(free(breaker), breaker_before + GAIN + slashed);
		assert!(events().contains(&Event::AuditConcluded {
			job: id,
			outcome: AuditOutcome::Matched { auditors: 1 }
		}));
		assert_eq!(settled().len(), 1);
	});
}

#[test]
fn a_silent_auditor_is_slashed_lightly_and_replaced() {
	build_and_execute(|| {
		let id = leased(Permill::from_percent(100));
		let truth = output(9);
		complete(id, truth.root);
		to_draw(id);
		let silent = current_auditor(id);
		let AuditStage::Run { until } = audit(id).stage else { panic!("not running") };
		assert_eq!(until, now() + DURATION + AUDIT_SLACK);
		let bond = provider_bond(silent);
		run_to_block(until);
		let slashed = AuditorMissSlash::get().mul_floor(bond);
		assert!(events().contains(&Event::AuditorMissed { job: id, auditor: silent, slashed }));
		assert_eq!(provider_bond(silent), bond - slashed);
		assert!(Assignments::<Test>::get(silent).is_empty());
		assert_eq!(audit(id).replaced.into_inner(), vec![silent]);
		to_draw(id);
		let replacement = current_auditor(id);
		assert!(replacement != silent && replacement != P1);
		ok(answer(replacement, id, truth.root));
		ok(open(P1, id, &truth));
		ok(open(replacement, id, &truth));
		assert_eq!(
			Receipts::<Test>::get(id).unwrap().outcome,
			AuditOutcome::Matched { auditors: 1 }
		);
	});
}

#[test]
fn when_every_auditor_stays_silent_the_result_goes_on_unaudited() {
	build_and_execute(|| {
		let id = leased(Permill::from_percent(100));
		let truth = output(9);
		complete(id, truth.root);
		for _ in 0..=crucible_primitives::audit::MAX_REPLACED {
			to_draw(id);
			let AuditStage::Run { until } = audit(id).stage else { panic!("not running") };
			run_to_block(until);
		}
		assert!(matches!(audit(id).stage, AuditStage::Open { .. }));
		ok(open(P1, id, &truth));
		// Completed with the root: the developer may dispute (governance decides then).
		let JobPhase::Completed { result, dispute_until } = job(id).phase else { panic!() };
		assert_eq!(result, truth.root);
		run_to_block(dispute_until + 1);
		assert_eq!(Receipts::<Test>::get(id).unwrap().outcome, AuditOutcome::None);
	});
}

#[test]
fn a_job_not_drawn_is_opened_by_its_provider_and_settles_as_any_other() {
	build_and_execute(|| {
		// At the lowest rate, the test randomness does not draw this job.
		let id = leased(Permill::from_percent(1));
		let truth = output(9);
		complete(id, truth.root);
		to_draw(id);
		assert!(events().contains(&Event::AuditDrawn { job: id, audited: false }));
		assert!(audit(id).auditors.is_empty());
		ok(open(P1, id, &truth));
		let JobPhase::Completed { dispute_until, .. } = job(id).phase else { panic!() };
		run_to_block(dispute_until + 1);
		assert!(!Jobs::<Test>::contains_key(id));
		assert_eq!(held(HoldReason::AuditCollateral, P1), 0);
		let receipt = Receipts::<Test>::get(id).unwrap();
		assert_eq!((receipt.result, receipt.outcome), (truth.root, AuditOutcome::None));
		// Unaudited work counts for emissions as before.
		assert_eq!(settled().len(), 1);
	});
}

#[test]
fn a_provider_that_never_opens_loses_its_collateral() {
	build_and_execute(|| {
		let id = leased(Permill::from_percent(100));
		let truth = output(9);
		complete(id, truth.root);
		to_draw(id);
		let auditor = current_auditor(id);
		ok(answer(auditor, id, truth.root));
		ok(open(auditor, id, &truth));
		let AuditStage::Open { until } = audit(id).stage else { panic!() };
		let (dev_before, auditor_before) = (free(DEV), free(auditor));
		run_to_block(until);
		assert!(!Jobs::<Test>::contains_key(id));
		assert_eq!(free(auditor), auditor_before + GAIN);
		// The developer: its escrow and what is left of the collateral (2G − G).
		assert_eq!(free(DEV), dev_before + 2 * GAIN + JOB_DEPOSIT + MANIFEST_DEPOSIT + GAIN);
		assert_eq!(
			Receipts::<Test>::get(id).unwrap().outcome,
			AuditOutcome::Mismatched { span: 0, chunks: None }
		);
	});
}

#[test]
fn an_answer_copied_without_its_root_cannot_be_opened_and_is_slashed() {
	build_and_execute(|| {
		let id = leased(Permill::from_percent(100));
		let truth = output(9);
		complete(id, truth.root);
		to_draw(id);
		let lazy = current_auditor(id);
		// The provider's digest is public: a lazy auditor copies it, with a commitment to a
		// root it does not know.
		let digest = audit(id).digest;
		ok(report(
			lazy,
			id,
			AuditStep::Submit { digest, commitment: audit_commitment(id, &lazy, &H256::zero()) },
		));
		ok(open(P1, id, &truth));
		// Even with the provider's root public, its commitment does not open.
		assert_eq!(
			submit(open(lazy, id, &truth)),
			Err(invalid::refusal::<Test>(Error::<Test>::BadOpening))
		);
		let bond = provider_bond(lazy);
		let AuditStage::Open { until } = audit(id).stage else { panic!() };
		run_to_block(until);
		assert_eq!(provider_bond(lazy), bond - AuditorSlash::get().mul_floor(bond));
		assert!(System::events().iter().any(|r| matches!(
			&r.event,
			RuntimeEvent::Providers(pallet_providers::Event::Slashed { provider, reason: SlashReason::WrongAudit, .. })
				if *provider == lazy
		)));
		// Its answer counted for nothing: the result goes on unaudited.
		assert!(matches!(job(id).phase, JobPhase::Completed { .. }));
	});
}

#[test]
fn three_different_roots_go_to_the_dispute_origin() {
	build_and_execute(|| {
		let id = leased(Permill::from_percent(100));
		complete(id, output(1).root);
		to_draw(id);
		let a = current_auditor(id);
		ok(answer(a, id, output(2).root));
		to_draw(id);
		let b = current_auditor(id);
		ok(answer(b, id, output(3).root));
		ok(open(P1, id, &output(1)));
		ok(open(a, id, &output(2)));
		ok(open(b, id, &output(3)));
		assert!(matches!(job(id).phase, JobPhase::Disputed { .. }));
		assert!(Assignments::<Test>::get(a).is_empty() && Assignments::<Test>::get(b).is_empty());
		assert_ok!(Marketplace::resolve_dispute(RuntimeOrigin::root(), id, Verdict::Provider));
		let receipt = Receipts::<Test>::get(id).unwrap();
		assert_eq!((receipt.result, receipt.outcome), (output(1).root, AuditOutcome::Unresolved));
		assert_eq!(held(HoldReason::AuditCollateral, P1), 0);
	});
}

#[test]
fn auditors_are_never_the_provider_the_developer_or_a_replaced_one() {
	build_and_execute(|| {
		// The developer is a provider too.
		for p in [P1, P2, P3, P4, P5, DEV2] {
			proven(p);
		}
		let id = NextJobId::<Test>::get();
		assert_ok!(Marketplace::post_job(
			RuntimeOrigin::signed(DEV2),
			audited_spec(Permill::one()),
			Some(deterministic_manifest())
		));
		assert_ok!(Marketplace::place_bid(RuntimeOrigin::signed(P1), id, PRICE));
		run_to_block(11);
		let (j, l) = (job(id), lease(id));
		let mut a = Audit {
			digest: H256::zero(),
			opened: None,
			audited: Some(true),
			auditors: Default::default(),
			replaced: vec![P3].try_into().unwrap(),
			stage: AuditStage::Draw { at: 0 },
		};
		let mut seen = std::collections::BTreeMap::<AccountId, u32>::new();
		let mut rng = Rng::new(11);
		for _ in 0..500 {
			let mut seed = [0u8; 32];
			seed.iter_mut().for_each(|b| *b = rng.below(256) as u8);
			let picked = Marketplace::pick_auditor(&j, &l, &a, &seed).expect("someone is free");
			assert!(![P1, DEV2, P3].contains(&picked), "picked {picked}");
			*seen.entry(picked).or_default() += 1;
		}
		// Every other eligible provider is picked now and then.
		assert_eq!(seen.keys().copied().collect::<Vec<_>>(), vec![P2, P4, P5]);
		// A provider whose GPUs are all taken is not eligible; nobody left: none.
		a.replaced = vec![P2, P4].try_into().unwrap();
		LeasedGpus::<Test>::insert(P5, 2);
		LeasedGpus::<Test>::insert(P3, 2);
		let mut seed = [0u8; 32];
		seed[0] = 1;
		assert_eq!(Marketplace::pick_auditor(&j, &l, &a, &seed), None);
		LeasedGpus::<Test>::remove(P5);
		LeasedGpus::<Test>::remove(P3);
	});
}

#[test]
fn with_nobody_to_audit_the_result_goes_on_unaudited() {
	build_and_execute(|| {
		proven(P1);
		let id = post_audited(Permill::one());
		assert_ok!(Marketplace::place_bid(RuntimeOrigin::signed(P1), id, PRICE));
		run_to_block(11);
		let truth = output(9);
		complete(id, truth.root);
		to_draw(id);
		assert!(events().contains(&Event::AuditUnavailable { job: id }));
		ok(open(P1, id, &truth));
		assert!(matches!(job(id).phase, JobPhase::Completed { .. }));
	});
}

#[test]
fn receipts_are_kept_for_the_last_job_ids_only() {
	build_and_execute(|| {
		let id = leased(Permill::from_percent(1));
		let truth = output(9);
		complete(id, truth.root);
		to_draw(id);
		ok(open(P1, id, &truth));
		let JobPhase::Completed { dispute_until, .. } = job(id).phase else { panic!() };
		run_to_block(dispute_until + 1);
		assert!(Receipts::<Test>::contains_key(id));
		// `MAX_RECEIPTS` jobs later, it is gone.
		for _ in 0..MAX_RECEIPTS {
			post(DEV2, open_spec());
		}
		assert!(!Receipts::<Test>::contains_key(id));
	});
}

#[test]
fn a_job_being_verified_cannot_be_cancelled() {
	build_and_execute(|| {
		let id = leased(Permill::from_percent(100));
		complete(id, output(9).root);
		assert_eq!(
			Marketplace::cancel_job(RuntimeOrigin::signed(DEV), id).map_err(|e| e.error),
			Err(Error::<Test>::WrongPhase.into())
		);
		// And its auditor may not deregister mid-audit.
		to_draw(id);
		let auditor = current_auditor(id);
		assert!(<Marketplace as pallet_providers::ProviderWorkInFlight<_>>::has_work_in_flight(
			&auditor
		));
	});
}

/// How a party behaves in the property test.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Conduct {
	Honest,
	Lies,
	/// Copies the provider's digest without computing the root.
	Copies,
	Silent,
}

fn conduct(rng: &mut Rng) -> Conduct {
	match rng.below(10) {
		0..=5 => Conduct::Honest,
		6 | 7 => Conduct::Lies,
		8 => Conduct::Copies,
		_ => Conduct::Silent,
	}
}

#[test]
fn every_audit_ends_and_an_honest_majority_is_never_overruled() {
	for seed in 0..60u64 {
		build_and_execute(|| {
			let mut rng = Rng::new(seed);
			RandomSeed::set(seed);
			let rate = if rng.chance(70) {
				Permill::one()
			} else {
				Permill::from_percent(1 + rng.below(99) as u32)
			};
			let id = leased(rate);
			let truth = output(9);
			let provider_lies = rng.chance(40);
			let provider_root = if provider_lies { output(0xba) } else { truth.clone() };
			let provider_opens = rng.chance(90);
			complete(id, provider_root.root);
			let mut conducts = std::collections::BTreeMap::<AccountId, Conduct>::new();
			let started = now();
			// Every path has a deadline: the job leaves `Verifying` within a bounded time.
			let bound = started + 4 * (DRAW_DELAY + DURATION + AUDIT_SLACK) + OPEN_WINDOW + 2;
			while matches!(Jobs::<Test>::get(id).map(|j| j.phase), Some(JobPhase::Verifying { .. }))
			{
				assert!(now() <= bound, "seed {seed}: the audit never ended");
				let a = audit(id);
				match a.stage {
					AuditStage::Run { .. } => {
						let who = a.auditors.last().unwrap().who;
						let c = *conducts.entry(who).or_insert_with(|| conduct(&mut rng));
						let step = match c {
							Conduct::Honest => Some(answer(who, id, truth.root)),
							Conduct::Lies => Some(answer(who, id, output(who as u8).root)),
							Conduct::Copies => Some(report(
								who,
								id,
								AuditStep::Submit {
									digest: a.digest,
									commitment: audit_commitment(id, &who, &H256::zero()),
								},
							)),
							Conduct::Silent => None,
						};
						if let Some(step) = step.filter(|_| rng.chance(50)) {
							ok(step);
						}
					},
					AuditStage::Open { .. } => {
						if provider_opens && a.opened.is_none() {
							ok(open(P1, id, &provider_root));
						}
						for r in
							a.auditors.iter().filter(|r| r.answer.is_some() && r.opened.is_none())
						{
							let opening = match conducts.get(&r.who) {
								Some(Conduct::Honest) => truth.clone(),
								Some(Conduct::Lies) => output(r.who as u8),
								_ => continue,
							};
							if rng.chance(50) && Jobs::<Test>::contains_key(id) {
								let _ = submit(open(r.who, id, &opening));
							}
						}
					},
					AuditStage::Draw { .. } => {},
				}
				next_block();
			}
			let ended = System::events().iter().find_map(|r| match &r.event {
				RuntimeEvent::Marketplace(Event::JobEnded { job, end, .. }) if *job == id =>
					Some(*end),
				_ => None,
			});
			let outcome = Receipts::<Test>::get(id).map(|r| r.outcome);
			let honest_answers = conducts.values().filter(|c| **c == Conduct::Honest).count();
			// An honest provider confirmed by an honest auditor is never failed.
			if !provider_lies && provider_opens {
				assert_ne!(ended, Some(JobEnd::AuditFailed), "seed {seed}: {conducts:?}");
			}
			// A lying provider is never paid as matched when the auditors are all honest.
			if provider_lies &&
				honest_answers > 0 &&
				conducts.values().all(|c| *c == Conduct::Honest)
			{
				assert!(
					!matches!(outcome, Some(AuditOutcome::Matched { .. })),
					"seed {seed}: a lie matched"
				);
			}
			// Whatever happened, nothing stays held or assigned for the job once it left
			// verification (a completed or disputed job keeps only its lease's collateral).
			for who in conducts.keys() {
				assert!(!Assignments::<Test>::get(who).contains(&id), "seed {seed}");
			}
			if ended.is_some() {
				assert_eq!(held(HoldReason::AuditCollateral, P1), 0, "seed {seed}");
			}
		});
	}
}

#[test]
fn a_dropped_draw_run_by_anyone_is_put_off_so_that_nobody_picks_its_randomness() {
	build_and_execute(|| {
		let id = leased(Permill::from_percent(50));
		complete(id, output(9).root);
		// Every queue ahead was full: the draw's timer was dropped.
		let mut j = job(id);
		let at = j.timer.take().unwrap();
		Marketplace::unschedule(id, at);
		Jobs::<Test>::insert(id, j);
		run_to_block(at + 3);
		// Whoever runs the due check does not draw now (with randomness it already knows): the
		// draw moves `DRAW_DELAY` blocks ahead, to randomness not built yet.
		assert_ok!(Marketplace::close_auction(RuntimeOrigin::signed(STRANGER), id));
		assert!(!events().iter().any(|e| matches!(e, Event::AuditDrawn { .. })));
		assert_eq!(audit(id).stage, AuditStage::Draw { at: now() + DRAW_DELAY });
		assert_eq!(job(id).timer, Some(now() + DRAW_DELAY));
		// Its timer is back: calling again is refused, and draws nothing.
		assert_eq!(
			Marketplace::close_auction(RuntimeOrigin::signed(STRANGER), id).map_err(|e| e.error),
			Err(Error::<Test>::JobNotOpen.into())
		);
		assert!(!events().iter().any(|e| matches!(e, Event::AuditDrawn { .. })));
		to_draw(id);
		assert!(events()
			.iter()
			.any(|e| matches!(e, Event::AuditDrawn { job, .. } if *job == id)));
	});
}
