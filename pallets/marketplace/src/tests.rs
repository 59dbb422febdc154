// Tests may panic and overflow: that is how they fail.
#![allow(clippy::arithmetic_side_effects, clippy::unwrap_used, clippy::expect_used)]

use crate::{mock::*, *};
use crucible_primitives::marketplace::{
	bid_commitment, manifest_hash, node_bid_payload, AuctionKind, EnvVar, JobPhase, JobSpec,
	Manifest, NodeBid, NodeBidAction, Refusal, SealedSecrets, Usage, WorkAttestation, WorkReport,
};
use pallet_providers::{ProviderStatus, SlashReason};
use polkadot_sdk::{
	frame_support::{assert_noop, assert_ok},
	sp_core::{Pair as _, H256},
	sp_runtime::{transaction_validity::InvalidTransaction, Permill},
};

fn bid(who: AccountId, job: u64, price: Balance) -> polkadot_sdk::sp_runtime::DispatchResult {
	Marketplace::place_bid(RuntimeOrigin::signed(who), job, price)
}

fn bidders(job: u64) -> Vec<(AccountId, Balance)> {
	Bids::<Test>::get(job).iter().map(|b| (b.provider, b.price)).collect()
}

/// Posts an open job (40 blocks at most 100), has P1 bid 60 and P2 bid 70, and closes it:
/// P1 leases it at 60 from block 11.
fn leased() -> u64 {
	proven(P1);
	proven(P2);
	let id = post(DEV, open_spec());
	assert_ok!(bid(P1, id, 60));
	assert_ok!(bid(P2, id, 70));
	run_to_block(11);
	assert_eq!(job(id).phase, JobPhase::Running);
	id
}

// ---- posting ----

#[test]
fn post_job_holds_the_maximum_cost_and_the_deposit_and_queues_the_close() {
	build_and_execute(|| {
		let id = post(DEV, open_spec());
		assert_eq!(id, 0);
		assert_eq!(held(HoldReason::JobEscrow, DEV), 40 * 100 + JOB_DEPOSIT);
		let j = job(id);
		assert_eq!(j.escrow, 4_000);
		assert_eq!(j.phase, JobPhase::Bidding { closes_at: 11 });
		assert_eq!(Timers::<Test>::get(11).into_inner(), vec![id]);
		assert_eq!(NextJobId::<Test>::get(), 1);
		assert!(events().contains(&Event::JobPosted {
			job: 0,
			owner: DEV,
			escrow: 4_000,
			deposit: JOB_DEPOSIT,
			closes_at: 11
		}));
	});
}

#[test]
fn post_job_refuses_bad_specs_and_holds_nothing() {
	build_and_execute(|| {
		let cases: Vec<(JobSpecOf<Test>, Error<Test>)> = vec![
			(spec(0, 100, AuctionKind::Open), Error::InvalidDuration),
			(spec(1_001, 100, AuctionKind::Open), Error::InvalidDuration),
			(spec(10, 0, AuctionKind::Open), Error::ZeroPrice),
			(spec(10, u64::MAX, AuctionKind::Open), Error::CostOverflow),
			(spec(10, 1, AuctionKind::Sealed { reveal_window: 1 }), Error::InvalidBidWindow),
			(JobSpec { bid_window: 1, ..open_spec() }, Error::InvalidBidWindow),
			(JobSpec { bid_window: 101, ..open_spec() }, Error::InvalidBidWindow),
		];
		for (s, e) in cases {
			assert_noop!(Marketplace::post_job(RuntimeOrigin::signed(DEV), s, None), e);
		}
		let mut s = open_spec();
		s.requirement.min_gpu_count = 65;
		assert_noop!(
			Marketplace::post_job(RuntimeOrigin::signed(DEV), s, None),
			Error::<Test>::InvalidRequirement
		);
	});
}

#[test]
fn post_job_without_funds_is_refused_and_holds_nothing() {
	build_and_execute(|| {
		assert_noop!(
			Marketplace::post_job(RuntimeOrigin::signed(POOR), open_spec(), None),
			Error::<Test>::InsufficientFunds
		);
		assert_eq!(held(HoldReason::JobEscrow, POOR), 0);
		assert_eq!(free(POOR), 150);
	});
}

#[test]
fn full_timer_queues_push_a_close_to_the_next_block_and_then_refuse() {
	build_and_execute(|| {
		// Three per block (MaxTimersPerBlock), sixteen blocks probed.
		for i in 0..3 * 16 {
			let id = post(DEV, open_spec());
			assert_eq!(job(id).timer, Some(11 + i / 3));
		}
		assert_noop!(
			Marketplace::post_job(RuntimeOrigin::signed(DEV), open_spec(), None),
			Error::<Test>::TimersFull
		);
	});
}

// ---- open bids ----

#[test]
fn bids_are_kept_lowest_first_then_by_reputation_then_by_time() {
	build_and_execute(|| {
		for p in [P1, P2, P3] {
			proven(p);
		}
		set_reputation(P3, true);
		let id = post(DEV, open_spec());
		assert_ok!(bid(P1, id, 80));
		assert_ok!(bid(P2, id, 50));
		run_to_block(2);
		assert_ok!(bid(P3, id, 80));
		// P3 has the better reputation: it goes before P1 at the same price.
		assert_eq!(bidders(id), vec![(P2, 50), (P3, 80), (P1, 80)]);
		assert_eq!(held(HoldReason::BidDeposit, P1), BID_DEPOSIT);
	});
}

#[test]
fn a_full_list_evicts_the_worst_bid_and_refuses_one_that_is_not_better() {
	build_and_execute(|| {
		for p in [P1, P2, P3, P4, P5] {
			proven(p);
		}
		let id = post(DEV, open_spec());
		for (p, price) in [(P1, 50), (P2, 60), (P3, 70), (P4, 80)] {
			assert_ok!(bid(p, id, price));
		}
		assert_noop!(bid(P5, id, 80), Error::<Test>::BidNotCompetitive);
		assert_eq!(held(HoldReason::BidDeposit, P5), 0);
		assert_ok!(bid(P5, id, 55));
		assert_eq!(bidders(id), vec![(P1, 50), (P5, 55), (P2, 60), (P3, 70)]);
		assert_eq!(held(HoldReason::BidDeposit, P4), 0, "the evicted deposit returned");
		assert!(events().contains(&Event::BidEvicted { job: id, provider: P4 }));
	});
}

#[test]
fn bids_from_the_unproven_the_unfit_and_above_max_are_refused_and_hold_nothing() {
	build_and_execute(|| {
		register(P1, 1); // registered, not proven
		proven(P2);
		proven(P3);
		set_reputation(P3, false);
		let id = post(DEV, open_spec());
		assert_noop!(bid(P1, id, 50), Error::<Test>::NotEligible);
		assert_noop!(bid(STRANGER, id, 50), Error::<Test>::NotEligible);
		assert_noop!(bid(P2, id, 101), Error::<Test>::BidAboveMaxPrice);
		let mut s = open_spec();
		s.requirement.min_gpu_count = 3;
		let three = post(DEV, s);
		assert_noop!(bid(P2, three, 50), Error::<Test>::NotEligible);
		let mut s = open_spec();
		s.min_reputation = Permill::from_percent(10);
		let reputable = post(DEV, s);
		assert_noop!(bid(P3, reputable, 50), Error::<Test>::ReputationTooLow);
		assert_noop!(bid(P2, 99, 50), Error::<Test>::UnknownJob);
		assert_ok!(bid(P2, id, 50));
		assert_noop!(bid(P2, id, 40), Error::<Test>::AlreadyBid);
		for p in [P1, P2, P3, STRANGER] {
			assert_eq!(held(HoldReason::BidDeposit, p), if p == P2 { BID_DEPOSIT } else { 0 });
		}
	});
}

#[test]
fn a_bid_on_a_sealed_auction_or_after_the_window_is_refused() {
	build_and_execute(|| {
		proven(P1);
		let sealed = post(DEV, spec(40, 100, AuctionKind::Sealed { reveal_window: 5 }));
		assert_noop!(bid(P1, sealed, 50), Error::<Test>::WrongAuctionKind);
		proven(P2);
		let id = post(DEV, open_spec());
		assert_ok!(bid(P2, id, 50));
		run_to_block(11);
		assert_noop!(bid(P1, id, 50), Error::<Test>::JobNotOpen);
	});
}

#[test]
fn a_bid_may_be_lowered_not_raised_and_moves_in_the_order() {
	build_and_execute(|| {
		proven(P1);
		proven(P2);
		let id = post(DEV, open_spec());
		assert_ok!(bid(P1, id, 50));
		assert_ok!(bid(P2, id, 60));
		assert_noop!(
			Marketplace::lower_bid(RuntimeOrigin::signed(P2), id, 60),
			Error::<Test>::BidNotLower
		);
		assert_noop!(
			Marketplace::lower_bid(RuntimeOrigin::signed(P3), id, 10),
			Error::<Test>::NoBid
		);
		assert_ok!(Marketplace::lower_bid(RuntimeOrigin::signed(P2), id, 40));
		assert_eq!(bidders(id), vec![(P2, 40), (P1, 50)]);
	});
}

#[test]
fn withdrawing_a_bid_forfeits_its_deposit_as_a_fee() {
	build_and_execute(|| {
		proven(P1);
		let id = post(DEV, open_spec());
		assert_ok!(bid(P1, id, 50));
		let issuance = total_issuance();
		assert_ok!(Marketplace::withdraw_bid(RuntimeOrigin::signed(P1), id));
		assert!(bidders(id).is_empty());
		assert_eq!(held(HoldReason::BidDeposit, P1), 0);
		assert_eq!(fees(), BID_DEPOSIT);
		assert_eq!(total_issuance(), issuance - BID_DEPOSIT);
		assert_noop!(
			Marketplace::withdraw_bid(RuntimeOrigin::signed(P1), id),
			Error::<Test>::NoBid
		);
	});
}

// ---- closing ----

#[test]
fn the_close_leases_to_the_lowest_bid_shrinks_escrow_and_returns_deposits() {
	build_and_execute(|| {
		let id = leased();
		let l = lease(id);
		assert_eq!((l.provider, l.price_per_block, l.start, l.end), (P1, 60, 11, 51));
		assert_eq!(job(id).escrow, 60 * 40);
		assert_eq!(held(HoldReason::JobEscrow, DEV), 60 * 40 + JOB_DEPOSIT);
		assert_eq!(held(HoldReason::BidDeposit, P1), 0);
		assert_eq!(held(HoldReason::BidDeposit, P2), 0);
		assert!(Bids::<Test>::get(id).is_empty());
		assert_eq!(ProviderLeases::<Test>::get(P1).into_inner(), vec![id]);
		assert_eq!(job(id).timer, Some(11 + GRACE));
		assert!(events().contains(&Event::LeaseStarted {
			job: id,
			provider: P1,
			price_per_block: 60,
			start: 11,
			end: 51,
			escrow: 2_400
		}));
	});
}

#[test]
fn a_job_without_qualifying_bids_expires_and_returns_everything() {
	build_and_execute(|| {
		proven(P1);
		let id = post(DEV, open_spec());
		assert_ok!(bid(P1, id, 60));
		demote(P1); // no longer proven at the close
		run_to_block(11);
		assert!(Jobs::<Test>::get(id).is_none());
		assert_eq!(held(HoldReason::JobEscrow, DEV), 0);
		assert_eq!(held(HoldReason::BidDeposit, P1), 0);
		assert_eq!(free(DEV), ENDOWMENT);
		assert!(events().contains(&Event::JobEnded {
			job: id,
			end: JobEnd::Expired,
			refunded: 4_000 + JOB_DEPOSIT
		}));
	});
}

#[test]
fn the_close_skips_bidders_no_longer_eligible() {
	build_and_execute(|| {
		proven(P1);
		proven(P2);
		let id = post(DEV, open_spec());
		assert_ok!(bid(P1, id, 50));
		assert_ok!(bid(P2, id, 70));
		demote(P1);
		run_to_block(11);
		assert_eq!(lease(id).provider, P2);
		assert_eq!(lease(id).price_per_block, 70);
	});
}

#[test]
fn a_lagging_cursor_closes_at_most_max_closes_per_block_and_the_rest_next_block_or_by_anyone() {
	build_and_execute(|| {
		// Three auctions close at block 11 and three at 12 (`MaxTimersPerBlock`).
		let ids: Vec<u64> = (0..6)
			.map(|i| {
				let mut s = spec(5, 10, AuctionKind::Open);
				s.bid_window = 10 + i / 3;
				post(DEV, s)
			})
			.collect();
		assert_eq!(Timers::<Test>::get(11).into_inner(), ids[..3].to_vec());
		assert_eq!(Timers::<Test>::get(12).into_inner(), ids[3..].to_vec());
		// Block 11's hook never ran (a cursor left behind, as after an upgrade): block 12 closes
		// three (`MaxClosesPerBlock`), the oldest first.
		run_to_block(10);
		System::set_block_number(12);
		<Marketplace as polkadot_sdk::frame_support::traits::Hooks<u64>>::on_initialize(12);
		for id in &ids[..3] {
			assert!(Jobs::<Test>::get(id).is_none(), "expired without bids");
		}
		assert_eq!(TimerCursor::<Test>::get(), Some(12));
		assert_eq!(Timers::<Test>::get(12).into_inner(), ids[3..].to_vec());
		// Anyone may close a due one meanwhile; a refused close pays for its read only.
		assert_ok!(Marketplace::close_auction(RuntimeOrigin::signed(STRANGER), ids[5]));
		let refused =
			Marketplace::close_auction(RuntimeOrigin::signed(STRANGER), ids[0]).expect_err("gone");
		assert_eq!(refused.error, Error::<Test>::UnknownJob.into());
		let actual = refused.post_info.actual_weight.expect("an actual weight");
		assert_eq!(actual, <() as crate::WeightInfo>::job_call_refused());
		let declared = polkadot_sdk::frame_support::dispatch::GetDispatchInfo::get_dispatch_info(
			&Call::<Test>::close_auction { job: ids[0] },
		)
		.call_weight;
		assert!(actual.ref_time() * 10 < declared.ref_time(), "{actual:?} vs {declared:?}");
		// The next block catches up with the rest.
		next_block();
		assert!(ids.iter().all(|id| Jobs::<Test>::get(id).is_none()));
		assert_eq!(TimerCursor::<Test>::get(), Some(14));
		assert!(!Timers::<Test>::contains_key(12));
	});
}

#[test]
fn a_lease_check_that_cannot_move_drops_its_timer_and_never_holds_the_cursor_back() {
	build_and_execute(|| {
		proven(P1);
		let id = post(DEV, open_spec());
		assert_ok!(bid(P1, id, 50));
		run_to_block(11);
		assert_eq!(job(id).timer, Some(11 + GRACE));
		run_to_block(11 + INTERVAL);
		attest_to(id, 11 + INTERVAL);
		// Every queue from the lease's next deadline (16 + GRACE) and from the block after its
		// check (24) is full of auctions, 24..=43.
		let check = 11 + GRACE;
		let fillers: Vec<u64> = (check + 1..check + 1 + 2 * crate::impls::TIMER_PROBES as u64)
			.flat_map(|block| {
				(0..3).map(move |_| {
					let mut s = spec(5, 10, AuctionKind::Open);
					s.bid_window = block - now();
					s
				})
			})
			.map(|s| post(DEV2, s))
			.collect();
		assert_eq!(Timers::<Test>::get(check + 2 * crate::impls::TIMER_PROBES as u64).len(), 3);
		// The check finds the lease attended and cannot move it: the timer is dropped, the
		// cursor goes on, and the auctions after it close on time.
		run_to_block(check);
		assert_eq!(job(id).timer, None);
		assert!(events().contains(&Event::TimerDropped { job: id }));
		assert_eq!(TimerCursor::<Test>::get(), Some(check + 1));
		run_to_block(check + 1);
		assert!(fillers[..3].iter().all(|f| Jobs::<Test>::get(f).is_none()), "closed on time");
		// Nothing checks the lease now; its next attestation, once the queues have room, puts
		// it back at its grace check.
		run_to_block(45);
		attest_to(id, 45);
		assert_eq!(job(id).timer, Some(45 + GRACE));
	});
}

#[test]
fn a_lease_won_while_every_queue_ahead_is_full_still_starts() {
	build_and_execute(|| {
		proven(P1);
		let id = post(DEV, open_spec());
		assert_ok!(bid(P1, id, 50));
		// Auctions fill every queue from the block after the close to the lease's grace check
		// and the probes after it: 12..=38.
		for block in 12..=11 + GRACE + crate::impls::TIMER_PROBES as u64 - 1 {
			for _ in 0..3 {
				let mut s = spec(5, 10, AuctionKind::Open);
				s.bid_window = block - now();
				post(DEV2, s);
			}
		}
		run_to_block(11);
		// Congestion does not rob the winner: the lease runs, its timer dropped.
		assert_eq!(job(id).phase, JobPhase::Running);
		assert_eq!(lease(id).provider, P1);
		assert_eq!(job(id).timer, None);
		assert!(events().contains(&Event::TimerDropped { job: id }));
		// Its first attestation puts it back in a queue, past the full ones.
		run_to_block(11 + INTERVAL);
		attest_to(id, 11 + INTERVAL);
		assert_eq!(job(id).timer, Some(11 + GRACE + crate::impls::TIMER_PROBES as u64));
	});
}

#[test]
fn anyone_runs_the_due_check_of_a_job_whose_timer_was_dropped() {
	build_and_execute(|| {
		proven(P1);
		let id = post(DEV, open_spec());
		assert_ok!(bid(P1, id, 50));
		run_to_block(11);
		// As `fire` leaves a job whose queues ahead were all full.
		let mut j = job(id);
		Marketplace::unschedule(id, j.timer.take().expect("a timer"));
		Jobs::<Test>::insert(id, j);
		// Not due yet: the check puts the job back in a queue.
		assert_ok!(Marketplace::close_auction(RuntimeOrigin::signed(STRANGER), id));
		assert_eq!(job(id).timer, Some(11 + GRACE));
		assert_noop!(
			Marketplace::close_auction(RuntimeOrigin::signed(STRANGER), id).map_err(|e| e.error),
			Error::<Test>::JobNotOpen
		);
		// Silent past its grace: the check abandons it (the provider slashed, as the queue
		// would have).
		let mut j = job(id);
		Marketplace::unschedule(id, j.timer.take().expect("a timer"));
		Jobs::<Test>::insert(id, j);
		System::set_block_number(11 + GRACE);
		assert_ok!(Marketplace::close_auction(RuntimeOrigin::signed(STRANGER), id));
		assert!(Jobs::<Test>::get(id).is_none());
		assert!(events()
			.iter()
			.any(|e| matches!(e, Event::ProviderSlashed { job, .. } if *job == id)));
	});
}

// ---- sealed auctions ----

fn commit(who: AccountId, id: u64, price: Balance) {
	let c = bid_commitment(id, &who, &price, &[who as u8; 32]);
	assert_ok!(Marketplace::commit_bid(RuntimeOrigin::signed(who), id, c));
}

fn reveal(who: AccountId, id: u64, price: Balance) -> polkadot_sdk::sp_runtime::DispatchResult {
	Marketplace::reveal_bid(RuntimeOrigin::signed(who), id, price, [who as u8; 32])
}

#[test]
fn a_sealed_auction_pays_the_second_lowest_revealed_price() {
	build_and_execute(|| {
		for p in [P1, P2, P3, P4] {
			proven(p);
		}
		let id = post(DEV, spec(40, 100, AuctionKind::Sealed { reveal_window: 5 }));
		commit(P1, id, 60);
		commit(P2, id, 45);
		commit(P3, id, 90);
		commit(P4, id, 10);
		assert_eq!(job(id).sealed, 4);
		assert_noop!(reveal(P1, id, 60), Error::<Test>::WrongPhase);
		run_to_block(11);
		assert_eq!(job(id).phase, JobPhase::Revealing { closes_at: 16 });
		assert_ok!(reveal(P1, id, 60));
		assert_ok!(reveal(P2, id, 45));
		assert_ok!(reveal(P3, id, 90));
		assert_noop!(reveal(P4, id, 11), Error::<Test>::RevealMismatch);
		// P4 never reveals: its deposit is forfeited.
		run_to_block(16);
		let l = lease(id);
		assert_eq!((l.provider, l.price_per_block), (P2, 60));
		assert_eq!(job(id).escrow, 60 * 40);
		assert_eq!(held(HoldReason::BidDeposit, P4), 0);
		assert_eq!(fees(), BID_DEPOSIT);
		assert!(events().contains(&Event::CommitmentForfeited {
			job: id,
			provider: P4,
			forfeited: BID_DEPOSIT
		}));
		for p in [P1, P2, P3] {
			assert_eq!(held(HoldReason::BidDeposit, p), 0);
		}
	});
}

#[test]
fn a_lone_sealed_bid_is_paid_the_maximum_price() {
	build_and_execute(|| {
		proven(P1);
		let id = post(DEV, spec(40, 100, AuctionKind::Sealed { reveal_window: 5 }));
		commit(P1, id, 30);
		run_to_block(11);
		assert_ok!(reveal(P1, id, 30));
		run_to_block(16);
		assert_eq!(lease(id).price_per_block, 100);
	});
}

#[test]
fn sealed_commitments_are_bounded_single_and_from_eligible_providers() {
	build_and_execute(|| {
		for p in [P1, P2, P3, P4, P5] {
			proven(p);
		}
		register(STRANGER, 1);
		let id = post(DEV, spec(40, 100, AuctionKind::Sealed { reveal_window: 5 }));
		for p in [P1, P2, P3, P4] {
			commit(p, id, 50);
		}
		let c = H256::repeat_byte(9);
		assert_noop!(
			Marketplace::commit_bid(RuntimeOrigin::signed(P5), id, c),
			Error::<Test>::TooManyBids
		);
		assert_noop!(
			Marketplace::commit_bid(RuntimeOrigin::signed(P1), id, c),
			Error::<Test>::AlreadyBid
		);
		assert_noop!(
			Marketplace::commit_bid(RuntimeOrigin::signed(STRANGER), id, c),
			Error::<Test>::NotEligible
		);
		let open = post(DEV, open_spec());
		assert_noop!(
			Marketplace::commit_bid(RuntimeOrigin::signed(P5), open, c),
			Error::<Test>::WrongAuctionKind
		);
		// A commitment may be withdrawn (its deposit forfeited), making room.
		assert_ok!(Marketplace::withdraw_bid(RuntimeOrigin::signed(P1), id));
		assert_eq!(job(id).sealed, 3);
		assert_ok!(Marketplace::commit_bid(RuntimeOrigin::signed(P5), id, c));
	});
}

#[test]
fn a_sealed_auction_without_commitments_expires_at_the_bid_close() {
	build_and_execute(|| {
		let id = post(DEV, spec(40, 100, AuctionKind::Sealed { reveal_window: 5 }));
		run_to_block(11);
		assert!(Jobs::<Test>::get(id).is_none());
		assert_eq!(held(HoldReason::JobEscrow, DEV), 0);
	});
}

#[test]
fn a_reveal_above_the_maximum_or_too_late_is_refused() {
	build_and_execute(|| {
		proven(P1);
		let id = post(DEV, spec(40, 100, AuctionKind::Sealed { reveal_window: 5 }));
		commit(P1, id, 150);
		run_to_block(11);
		assert_noop!(reveal(P1, id, 150), Error::<Test>::BidAboveMaxPrice);
		assert_noop!(reveal(P2, id, 150), Error::<Test>::NoBid);
		run_to_block(16);
		assert!(Jobs::<Test>::get(id).is_none(), "nothing revealed: expired");
		assert_eq!(fees(), BID_DEPOSIT);
	});
}

// ---- attestations and payment ----

#[test]
fn attestations_accrue_payment_per_attested_block_and_claim_pays_it_less_the_fee() {
	build_and_execute(|| {
		let id = leased();
		run_to_block(16);
		attest_to(id, 16);
		assert_eq!(lease(id).accrued, 5 * 60);
		assert_eq!(lease(id).paid_blocks, 5);
		run_to_block(22);
		attest_to(id, 22);
		assert_eq!(lease(id).accrued, 11 * 60);
		let before = free(P1);
		let issuance = total_issuance();
		assert_ok!(Marketplace::claim(RuntimeOrigin::signed(P1), id));
		let fee = 660 / 10;
		assert_eq!(free(P1), before + 660 - fee);
		assert_eq!(fees(), fee);
		assert_eq!(total_issuance(), issuance - fee, "the protocol fee is burned");
		assert_eq!(lease(id).accrued, 0);
		assert_eq!(lease(id).claimed, 660);
		assert_eq!(job(id).escrow, 2_400 - 660);
		assert_noop!(
			Marketplace::claim(RuntimeOrigin::signed(P1), id),
			Error::<Test>::NothingToClaim
		);
	});
}

#[test]
fn a_claim_by_a_stranger_is_refused() {
	build_and_execute(|| {
		let id = leased();
		run_to_block(16);
		attest_to(id, 16);
		assert_noop!(
			Marketplace::claim(RuntimeOrigin::signed(STRANGER), id),
			Error::<Test>::NotLeaseProvider
		);
		assert_noop!(Marketplace::claim(RuntimeOrigin::signed(P1), 99), Error::<Test>::UnknownJob);
	});
}

#[test]
fn blocks_attested_while_not_proven_earn_nothing() {
	build_and_execute(|| {
		let id = leased();
		demote(P1); // failed a challenge
		run_to_block(16);
		attest_to(id, 16);
		let l = lease(id);
		assert_eq!((l.accrued, l.paid_blocks, l.unpaid_blocks), (0, 0, 5));
	});
}

#[test]
fn attestations_are_authorized_only_in_order_signed_and_long_enough() {
	build_and_execute(|| {
		let id = leased();
		run_to_block(16);
		let too_short = attestation(P1, id, 11, 14, running(1));
		assert_eq!(
			submit(attest_call(P1, too_short)).unwrap_err(),
			InvalidTransaction::Custom(3).into()
		);
		let future = attestation(P1, id, 11, 17, running(1));
		assert_eq!(submit(attest_call(P1, future)).unwrap_err(), InvalidTransaction::Future.into());
		let gap = attestation(P1, id, 12, 16, running(1));
		assert_eq!(submit(attest_call(P1, gap)).unwrap_err(), InvalidTransaction::Future.into());
		let by_other = attestation(P2, id, 11, 16, running(1));
		assert_eq!(
			submit(attest_call(P2, by_other)).unwrap_err(),
			InvalidTransaction::Custom(2).into()
		);
		let good = attestation(P1, id, 11, 16, running(1));
		let forged = Call::attest { attestation: good.clone(), signature: sign(P2, &good) };
		assert_eq!(submit(forged).unwrap_err(), InvalidTransaction::BadProof.into());
		let no_lease = attestation(P1, 99, 11, 16, running(1));
		assert_eq!(
			submit(attest_call(P1, no_lease)).unwrap_err(),
			InvalidTransaction::Custom(1).into()
		);
		assert_ok!(submit(attest_call(P1, good.clone())).unwrap());
		// A replay is stale.
		assert_eq!(submit(attest_call(P1, good)).unwrap_err(), InvalidTransaction::Stale.into());
		// Dispatching without authorization fails.
		let a = attestation(P1, id, 16, 21, running(1));
		let signature = sign(P1, &a);
		assert!(Marketplace::attest(RuntimeOrigin::signed(P1), a, signature).is_err());
	});
}

#[test]
fn access_details_are_published_for_the_developer() {
	build_and_execute(|| {
		let id = leased();
		run_to_block(16);
		let details: crucible_primitives::marketplace::AccessDetails =
			b"sealed-box:0123".to_vec().try_into().unwrap();
		let report = WorkReport::Running {
			usage: Default::default(),
			status: H256::zero(),
			access: Some(details.clone()),
		};
		assert_ok!(submit(attest_call(P1, attestation(P1, id, 11, 16, report))).unwrap());
		assert_eq!(Access::<Test>::get(id), Some(details));
		assert!(events().contains(&Event::AccessPublished { job: id }));
		assert_eq!(Marketplace::job_view(id).unwrap().access.map(|a| a.len()), Some(15));
	});
}

#[test]
fn completion_opens_the_dispute_window_then_settles_paying_the_provider() {
	build_and_execute(|| {
		let id = leased();
		let issuance = total_issuance();
		for to in [20, 30, 40, 50] {
			run_to_block(to);
			attest_to(id, to);
		}
		assert!(events()
			.iter()
			.any(|e| matches!(e, Event::LeaseEnding { job, end: 51 } if *job == id)));
		assert!(events().iter().any(|e| matches!(e, Event::EscrowLow { job, .. } if *job == id)));
		run_to_block(51);
		let a = attestation(P1, id, 50, 51, completed());
		assert_ok!(submit(attest_call(P1, a)).unwrap());
		assert_eq!(
			job(id).phase,
			JobPhase::Completed {
				result: H256::repeat_byte(3),
				dispute_until: 51 + DISPUTE_WINDOW
			}
		);
		assert_noop!(Marketplace::claim(RuntimeOrigin::signed(P1), id), Error::<Test>::WrongPhase);
		let before = free(P1);
		assert!(settled().is_empty());
		run_to_block(51 + DISPUTE_WINDOW + 1);
		assert!(Jobs::<Test>::get(id).is_none());
		let total = 40 * 60;
		// Emissions is told what the lease paid and its fees, exactly what the fee handler got.
		assert_eq!(settled(), vec![(P1, total, total / 10)]);
		assert_eq!(fees(), total / 10);
		assert_eq!(free(P1), before + total - total / 10);
		assert_eq!(free(DEV), ENDOWMENT - total);
		assert_eq!(held(HoldReason::JobEscrow, DEV), 0);
		assert_eq!(total_issuance(), issuance - total / 10);
		assert!(ProviderLeases::<Test>::get(P1).is_empty());
		assert!(events().contains(&Event::JobEnded {
			job: id,
			end: JobEnd::Settled,
			refunded: JOB_DEPOSIT
		}));
	});
}

#[test]
fn a_completion_before_the_end_or_a_running_report_at_the_end_is_refused() {
	build_and_execute(|| {
		let id = leased();
		attend_to(id, 50);
		run_to_block(51);
		let early = attestation(P1, id, 50, 50, completed());
		assert_eq!(
			submit(attest_call(P1, early)).unwrap_err(),
			InvalidTransaction::Custom(3).into()
		);
		let at_end = attestation(P1, id, 50, 51, running(1));
		assert_eq!(
			submit(attest_call(P1, at_end)).unwrap_err(),
			InvalidTransaction::Custom(3).into()
		);
	});
}

#[test]
fn a_silent_provider_is_slashed_after_the_grace_period_and_the_developer_refunded() {
	build_and_execute(|| {
		let id = leased();
		run_to_block(16);
		attest_to(id, 16); // 5 blocks earned: 300
		let bond = provider_bond(P1);
		let p1 = free(P1);
		run_to_block(16 + GRACE);
		assert!(Jobs::<Test>::get(id).is_none());
		let slash = bond / 10;
		assert_eq!(provider_bond(P1), bond - slash);
		assert_eq!(free(P1), p1 + 300 - 30, "attested blocks are still paid");
		assert_eq!(free(DEV), ENDOWMENT - 300 + slash, "refunded and compensated");
		assert_eq!(held(HoldReason::JobEscrow, DEV), 0);
		assert!(events().contains(&Event::ProviderSlashed {
			job: id,
			provider: P1,
			compensation: slash,
			reason: SlashReason::AbandonedLease
		}));
		assert!(events().contains(&Event::JobEnded {
			job: id,
			end: JobEnd::Abandoned,
			refunded: 2_400 - 300 + JOB_DEPOSIT
		}));
	});
}

#[test]
fn an_attended_lease_is_checked_again_later_not_failed() {
	build_and_execute(|| {
		let id = leased();
		run_to_block(20);
		attest_to(id, 20);
		run_to_block(11 + GRACE);
		assert_eq!(job(id).phase, JobPhase::Running);
		assert_eq!(job(id).timer, Some(20 + GRACE));
	});
}

#[test]
fn a_refused_workload_ends_the_lease_unpaid_and_refunds_the_developer() {
	build_and_execute(|| {
		let id = leased();
		let a =
			attestation(P1, id, 11, 11, WorkReport::Refused { reason: Refusal::UnknownWorkload });
		assert_ok!(submit(attest_call(P1, a)).unwrap());
		assert!(Jobs::<Test>::get(id).is_none());
		assert_eq!(free(DEV), ENDOWMENT);
		assert_eq!(status(P1), Some(ProviderStatus::Active), "no slash for an honest refusal");
		assert_eq!(provider_bond(P1), BOND);
	});
}

// ---- cancellation ----

#[test]
fn cancelling_before_the_award_returns_everything() {
	build_and_execute(|| {
		proven(P1);
		let id = post(DEV, open_spec());
		assert_ok!(bid(P1, id, 50));
		assert_noop!(
			Marketplace::cancel_job(RuntimeOrigin::signed(STRANGER), id).map_err(|e| e.error),
			Error::<Test>::NotOwner
		);
		assert_ok!(Marketplace::cancel_job(RuntimeOrigin::signed(DEV), id));
		assert_eq!(free(DEV), ENDOWMENT);
		assert_eq!(held(HoldReason::BidDeposit, P1), 0);
		assert!(!Timers::<Test>::contains_key(11));
	});
}

#[test]
fn cancelling_a_sealed_auction_returns_the_commitments() {
	build_and_execute(|| {
		proven(P1);
		let id = post(DEV, spec(40, 100, AuctionKind::Sealed { reveal_window: 5 }));
		commit(P1, id, 50);
		assert_ok!(Marketplace::cancel_job(RuntimeOrigin::signed(DEV), id));
		assert_eq!(held(HoldReason::BidDeposit, P1), 0);
		assert_eq!(SealedBids::<Test>::iter_prefix(id).count(), 0);
	});
}

#[test]
fn cancelling_a_running_lease_pays_what_was_earned_and_the_cancellation_fee() {
	build_and_execute(|| {
		let id = leased();
		run_to_block(16);
		attest_to(id, 16);
		let p1 = free(P1);
		assert_ok!(Marketplace::cancel_job(RuntimeOrigin::signed(DEV), id));
		let due = 300 + CANCEL_BLOCKS * 60;
		assert_eq!(free(P1), p1 + due - due / 10);
		assert_eq!(free(DEV), ENDOWMENT - due);
		assert!(ProviderLeases::<Test>::get(P1).is_empty());
	});
}

// ---- disputes ----

/// Attests the lease every 10 blocks up to `to`, advancing the chain.
fn attend_to(id: u64, to: u64) {
	let mut at = lease(id).attested_through;
	while at < to {
		at = (at + 10).min(to);
		run_to_block(at);
		attest_to(id, at);
	}
}

fn completed_job() -> u64 {
	let id = leased();
	attend_to(id, 50);
	run_to_block(51);
	let a = attestation(P1, id, 50, 51, completed());
	assert_ok!(submit(attest_call(P1, a)).unwrap());
	id
}

fn reason() -> crucible_primitives::marketplace::DisputeReason {
	b"wrong output".to_vec().try_into().unwrap()
}

/// The deposit of a dispute of `completed_job()`: the base and 10% of its 2,400 escrow.
const STAKE: Balance = DISPUTE_DEPOSIT + 240;

#[test]
fn a_dispute_holds_its_deposit_and_stops_the_settlement_until_its_timeout() {
	build_and_execute(|| {
		let id = completed_job();
		assert_noop!(
			Marketplace::dispute(RuntimeOrigin::signed(STRANGER), id, reason()),
			Error::<Test>::NotOwner
		);
		assert_ok!(Marketplace::dispute(RuntimeOrigin::signed(DEV), id, reason()));
		assert_eq!(held(HoldReason::DisputeDeposit, DEV), STAKE, "scaled with the escrow");
		run_to_block(51 + DISPUTE_TIMEOUT - 1);
		assert!(matches!(job(id).phase, JobPhase::Disputed { .. }), "waits for the verdict");
		assert_noop!(
			Marketplace::resolve_dispute(RuntimeOrigin::signed(DEV), id, Verdict::Developer),
			polkadot_sdk::sp_runtime::DispatchError::BadOrigin
		);
		// Nobody decided in `DisputeTimeout`: the provider is upheld, paid, and takes the
		// deposit; its lease slot is free again.
		let p1 = free(P1);
		run_to_block(51 + DISPUTE_TIMEOUT);
		assert!(Jobs::<Test>::get(id).is_none());
		assert!(events().contains(&Event::DisputeResolved {
			job: id,
			verdict: Verdict::Provider,
			timed_out: true
		}));
		assert_eq!(free(P1), p1 + 2_400 - 240 + STAKE);
		assert_eq!(held(HoldReason::DisputeDeposit, DEV), 0);
		assert!(ProviderLeases::<Test>::get(P1).is_empty());
	});
}

#[test]
fn a_dispute_needs_a_deposit_in_proportion_to_the_escrow() {
	build_and_execute(|| {
		let id = completed_job();
		// Enough for the base deposit, not for the share of the escrow.
		let spare = free(DEV) - (DISPUTE_DEPOSIT + 100);
		assert_ok!(Balances::transfer_allow_death(RuntimeOrigin::signed(DEV), STRANGER, spare));
		assert_noop!(
			Marketplace::dispute(RuntimeOrigin::signed(DEV), id, reason()),
			Error::<Test>::InsufficientFunds
		);
	});
}

#[test]
fn a_dispute_after_the_window_is_refused() {
	build_and_execute(|| {
		let id = completed_job();
		run_to_block(51 + DISPUTE_WINDOW);
		// Still here (settles the block after the window), but the window is over next block.
		assert_ok!(Marketplace::dispute(RuntimeOrigin::signed(DEV), id, reason()));
		assert_ok!(Marketplace::resolve_dispute(RuntimeOrigin::root(), id, Verdict::Provider));
		assert_eq!(settled().len(), 1, "a dispute won by the provider settles the lease");
		let id = {
			proven(P3);
			let j = post(DEV2, open_spec());
			assert_ok!(bid(P3, j, 10));
			run_to_block(now() + 10);
			attend_to(j, lease(j).end - 1);
			run_to_block(lease(j).end);
			let l = lease(j);
			let a = attestation(P3, j, l.attested_through, l.end, completed());
			assert_ok!(submit(attest_call(P3, a)).unwrap());
			j
		};
		let JobPhase::Completed { dispute_until, .. } = job(id).phase else { panic!() };
		// Nobody disputes in time: the next block after the window settles it.
		run_to_block(dispute_until + 1);
		assert_noop!(
			Marketplace::dispute(RuntimeOrigin::signed(DEV2), id, reason()),
			Error::<Test>::UnknownJob
		);
	});
}

#[test]
fn a_dispute_won_by_the_developer_refunds_and_slashes_to_the_developer() {
	build_and_execute(|| {
		let id = completed_job();
		assert_ok!(Marketplace::dispute(RuntimeOrigin::signed(DEV), id, reason()));
		let bond = provider_bond(P1);
		let p1 = free(P1);
		assert_ok!(Marketplace::resolve_dispute(RuntimeOrigin::root(), id, Verdict::Developer));
		let slash = bond / 5;
		assert_eq!(free(P1), p1, "nothing paid");
		assert_eq!(free(DEV), ENDOWMENT + slash);
		assert_eq!(held(HoldReason::DisputeDeposit, DEV), 0);
		assert_eq!(provider_bond(P1), bond - slash);
		assert!(events().contains(&Event::JobEnded {
			job: id,
			end: JobEnd::Refunded,
			refunded: 2_400 + JOB_DEPOSIT
		}));
		assert_noop!(
			Marketplace::resolve_dispute(RuntimeOrigin::root(), id, Verdict::Developer),
			Error::<Test>::UnknownJob
		);
	});
}

#[test]
fn a_dispute_won_by_the_provider_pays_it_and_the_dispute_deposit() {
	build_and_execute(|| {
		let id = completed_job();
		assert_noop!(
			Marketplace::resolve_dispute(RuntimeOrigin::root(), id, Verdict::Provider),
			Error::<Test>::NotDisputed
		);
		assert_ok!(Marketplace::dispute(RuntimeOrigin::signed(DEV), id, reason()));
		let p1 = free(P1);
		assert_ok!(Marketplace::resolve_dispute(RuntimeOrigin::root(), id, Verdict::Provider));
		assert_eq!(free(P1), p1 + 2_400 - 240 + STAKE);
		assert_eq!(free(DEV), ENDOWMENT - 2_400 - STAKE);
		assert!(events().contains(&Event::DisputeResolved {
			job: id,
			verdict: Verdict::Provider,
			timed_out: false
		}));
	});
}

// ---- the registry ----

#[test]
fn a_provider_with_a_lease_cannot_deregister() {
	build_and_execute(|| {
		let id = leased();
		assert_noop!(
			pallet_providers::Pallet::<Test>::deregister(RuntimeOrigin::signed(P1)),
			pallet_providers::Error::<Test>::HasActiveWork
		);
		assert_ok!(Marketplace::cancel_job(RuntimeOrigin::signed(DEV), id));
		assert_ok!(pallet_providers::Pallet::<Test>::deregister(RuntimeOrigin::signed(P1)));
	});
}

// ---- runtime API ----

#[test]
fn the_views_show_open_jobs_and_estimate_from_recent_prices() {
	build_and_execute(|| {
		let id = leased();
		let open = post(DEV2, open_spec());
		let jobs = Marketplace::open_jobs(None, 10);
		assert_eq!(jobs.iter().map(|j| j.id).collect::<Vec<_>>(), vec![open]);
		assert_eq!(Marketplace::job_view(id).unwrap().lease.unwrap().provider, P1);
		let e = Marketplace::estimate(open_spec().requirement, 100);
		assert_eq!((e.matching, e.scanned, e.complete), (2, 2, true));
		assert_eq!(e.prices.len(), 1);
		assert_eq!((e.prices[0].min, e.prices[0].max, e.prices[0].leases), (60, 60, 1));
		assert_eq!(e.cost_at_max, Some(6_000));
		assert_eq!(Marketplace::leases_of(&P1), vec![id]);
	});
}

// ---- random sequences ----

mod property {
	use super::*;
	use pallet_providers::{ProviderMutate, ProviderSlash};
	use proptest::prelude::*;

	#[derive(Clone, Debug)]
	enum Action {
		Post {
			dev: u8,
			sealed: bool,
			duration: u64,
			max: Balance,
		},
		Bid {
			p: u8,
			job: u8,
			price: Balance,
		},
		Lower {
			p: u8,
			job: u8,
			price: Balance,
		},
		Withdraw {
			p: u8,
			job: u8,
		},
		Commit {
			p: u8,
			job: u8,
			price: Balance,
		},
		Reveal {
			p: u8,
			job: u8,
			price: Balance,
		},
		Close {
			job: u8,
		},
		Cancel {
			dev: u8,
			job: u8,
		},
		Attest {
			job: u8,
			blocks: u64,
			complete: bool,
			refuse: bool,
		},
		Claim {
			p: u8,
			job: u8,
		},
		/// A node bid (0 place, 1 commit, 2 reveal), with the right salt or not.
		NodeBid {
			p: u8,
			job: u8,
			kind: u8,
			price: u64,
			right_salt: bool,
		},
		Dispute {
			dev: u8,
			job: u8,
		},
		Resolve {
			job: u8,
			developer: bool,
		},
		/// What proof of compute does to a provider: pass (Active), fail (demoted), slash.
		Judge {
			p: u8,
			pass: bool,
			slash: bool,
		},
		Deregister {
			p: u8,
		},
		Advance {
			blocks: u64,
		},
	}

	fn action() -> impl Strategy<Value = Action> {
		prop_oneof![
			(0..3u8, any::<bool>(), 1..40u64, 1..200u64).prop_map(
				|(dev, sealed, duration, max)| Action::Post { dev, sealed, duration, max }
			),
			(0..5u8, 0..8u8, 0..220u64).prop_map(|(p, job, price)| Action::Bid { p, job, price }),
			(0..5u8, 0..8u8, 0..220u64).prop_map(|(p, job, price)| Action::Lower { p, job, price }),
			(0..5u8, 0..8u8).prop_map(|(p, job)| Action::Withdraw { p, job }),
			(0..5u8, 0..8u8, 0..220u64).prop_map(|(p, job, price)| Action::Commit {
				p,
				job,
				price
			}),
			(0..5u8, 0..8u8, 0..220u64).prop_map(|(p, job, price)| Action::Reveal {
				p,
				job,
				price
			}),
			(0..8u8).prop_map(|job| Action::Close { job }),
			(0..3u8, 0..8u8).prop_map(|(dev, job)| Action::Cancel { dev, job }),
			(0..8u8, 0..30u64, any::<bool>(), prop::bool::weighted(0.05)).prop_map(
				|(job, blocks, complete, refuse)| Action::Attest { job, blocks, complete, refuse }
			),
			(0..5u8, 0..8u8).prop_map(|(p, job)| Action::Claim { p, job }),
			(0..5u8, 0..8u8, 0..3u8, 0..220u64, prop::bool::weighted(0.8)).prop_map(
				|(p, job, kind, price, right_salt)| Action::NodeBid {
					p,
					job,
					kind,
					price,
					right_salt
				}
			),
			(0..3u8, 0..8u8).prop_map(|(dev, job)| Action::Dispute { dev, job }),
			(0..8u8, any::<bool>()).prop_map(|(job, developer)| Action::Resolve { job, developer }),
			(0..5u8, any::<bool>(), prop::bool::weighted(0.2))
				.prop_map(|(p, pass, slash)| Action::Judge { p, pass, slash }),
			(0..5u8).prop_map(|p| Action::Deregister { p }),
			(1..15u64).prop_map(|blocks| Action::Advance { blocks }),
		]
	}

	fn provider(p: u8) -> AccountId {
		P1 + u64::from(p)
	}

	fn developer(d: u8) -> AccountId {
		DEV + u64::from(d)
	}

	/// The salt a provider uses for a job (so that reveals can match commitments).
	fn salt(p: AccountId, job: u64) -> [u8; 32] {
		[(p as u8) ^ (job as u8); 32]
	}

	fn apply(action: Action) {
		let o = |who: AccountId| RuntimeOrigin::signed(who);
		let job = |j: u8| u64::from(j);
		let _ = match action {
			Action::Post { dev, sealed, duration, max } => {
				let auction = if sealed {
					AuctionKind::Sealed { reveal_window: 3 }
				} else {
					AuctionKind::Open
				};
				let mut s = spec(duration, max, auction);
				s.bid_window = 3;
				Marketplace::post_job(o(developer(dev)), s, None)
			},
			Action::Bid { p, job: j, price } =>
				Marketplace::place_bid(o(provider(p)), job(j), price),
			Action::Lower { p, job: j, price } =>
				Marketplace::lower_bid(o(provider(p)), job(j), price),
			Action::Withdraw { p, job: j } => Marketplace::withdraw_bid(o(provider(p)), job(j)),
			Action::Commit { p, job: j, price } => {
				let who = provider(p);
				let c = bid_commitment(job(j), &who, &price, &salt(who, job(j)));
				Marketplace::commit_bid(o(who), job(j), c)
			},
			Action::Reveal { p, job: j, price } => {
				let who = provider(p);
				Marketplace::reveal_bid(o(who), job(j), price, salt(who, job(j)))
			},
			Action::Close { job: j } =>
				Marketplace::close_auction(o(STRANGER), job(j)).map(|_| ()).map_err(|e| e.error),
			Action::Cancel { dev, job: j } => Marketplace::cancel_job(o(developer(dev)), job(j))
				.map(|_| ())
				.map_err(|e| e.error),
			Action::Attest { job: j, blocks, complete, refuse } => {
				let Some(l) = Leases::<Test>::get(job(j)) else { return };
				let to = (l.attested_through + blocks).min(now()).min(l.end);
				let report = if refuse {
					WorkReport::Refused { reason: Refusal::RunnerFailed }
				} else if complete {
					completed()
				} else {
					running(blocks)
				};
				let to = if refuse {
					l.attested_through
				} else if complete {
					l.end.min(now())
				} else {
					to
				};
				let a = attestation(l.provider, job(j), l.attested_through, to, report);
				match submit(attest_call(l.provider, a)) {
					Ok(result) => {
						result.expect("an authorized attestation dispatches");
						Ok(())
					},
					Err(_) => Ok(()),
				}
			},
			Action::Claim { p, job: j } => Marketplace::claim(o(provider(p)), job(j)),
			Action::NodeBid { p, job: j, kind, price, right_salt } => {
				let who = provider(p);
				let s = if right_salt { salt(who, job(j)) } else { [0xee; 32] };
				let action = match kind {
					0 => NodeBidAction::Place { price },
					1 => NodeBidAction::Commit {
						commitment: bid_commitment(job(j), &who, &price, &s),
					},
					_ => NodeBidAction::Reveal { price, salt: s },
				};
				// A free call the pool takes must not fail in the block: it would be free
				// block space, valid again next block.
				if let Ok(result) = submit(node_bid(who, job(j), action)) {
					result.expect("an authorized node bid dispatches");
				}
				Ok(())
			},
			Action::Dispute { dev, job: j } =>
				Marketplace::dispute(o(developer(dev)), job(j), b"bad".to_vec().try_into().unwrap()),
			Action::Resolve { job: j, developer } => Marketplace::resolve_dispute(
				RuntimeOrigin::root(),
				job(j),
				if developer { Verdict::Developer } else { Verdict::Provider },
			),
			Action::Judge { p, pass, slash } => {
				let who = provider(p);
				let status = if pass { ProviderStatus::Active } else { ProviderStatus::Registered };
				let _ = <Providers as ProviderMutate<_>>::set_status(&who, status);
				if slash {
					let _ = <Providers as ProviderSlash<_>>::slash(
						&who,
						Permill::from_percent(60),
						SlashReason::FailedChallenge,
					);
				}
				Ok(())
			},
			Action::Deregister { p } =>
				pallet_providers::Pallet::<Test>::deregister(o(provider(p)))
					.map(|_| ())
					.map_err(|e| e.error),
			Action::Advance { blocks } => {
				run_to_block(now() + blocks);
				Ok(())
			},
		};
		check_invariants();
	}

	proptest! {
		#![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

		#[test]
		fn random_marketplace_and_registry_calls_keep_every_invariant(
			actions in prop::collection::vec(action(), 1..120)
		) {
			new_test_ext().execute_with(|| {
				for p in 0..5u8 {
					proven(provider(p));
				}
				for a in actions {
					apply(a);
				}
				// Let every lease run out: each ends (abandoned, settled) or waits for a verdict.
				run_to_block(now() + 200);
				check_invariants();
			});
		}
	}
}

fn node_bid(who: AccountId, job: u64, action: NodeBidAction<Balance>) -> Call<Test> {
	let withdrawals = BidWithdrawals::<Test>::get(who);
	let bid = NodeBid { provider: who, job, action, valid_until: now() + 5, withdrawals };
	let signature = key_pair(who).sign(&node_bid_payload(System::block_hash(0).as_ref(), &bid));
	Call::bid_from_node { bid, signature: signature.into() }
}

#[test]
fn a_node_bids_for_its_provider_with_the_attestation_key_and_the_deposit_is_held() {
	build_and_execute(|| {
		proven(P1);
		proven(P2);
		let id = post(DEV, open_spec());
		let before = free(P1);
		assert_ok!(submit(node_bid(P1, id, NodeBidAction::Place { price: 60 })).unwrap());
		assert_eq!(bidders(id), vec![(P1, 60)]);
		assert_eq!(held(HoldReason::BidDeposit, P1), BID_DEPOSIT);
		assert_eq!(free(P1), before - BID_DEPOSIT);
		// Once per provider and job: the pool refuses a second bid, or a replay.
		assert_eq!(
			submit(node_bid(P1, id, NodeBidAction::Place { price: 50 })).unwrap_err(),
			InvalidTransaction::Custom(invalid::ALREADY_BID).into()
		);
		// Signed by another provider's key: a bad proof.
		let bid = NodeBid {
			provider: P2,
			job: id,
			action: NodeBidAction::Place { price: 55 },
			valid_until: now() + 5,
			withdrawals: 0,
		};
		let signature = key_pair(P1).sign(&node_bid_payload(System::block_hash(0).as_ref(), &bid));
		let forged = Call::bid_from_node { bid: bid.clone(), signature: signature.into() };
		assert_eq!(submit(forged).unwrap_err(), InvalidTransaction::BadProof.into());
		// An attestation's signature is not a bid's (separate signing domains).
		let as_attestation = key_pair(P2).sign(&crucible_primitives::marketplace::signing_payload(
			System::block_hash(0).as_ref(),
			&bid,
		));
		let wrong_domain = Call::bid_from_node { bid, signature: as_attestation.into() };
		assert_eq!(submit(wrong_domain).unwrap_err(), InvalidTransaction::BadProof.into());
		// Expired, or valid too far ahead.
		for valid_until in [now() - 1, now() + 11] {
			let bid = NodeBid {
				provider: P2,
				job: id,
				action: NodeBidAction::Place { price: 55 },
				valid_until,
				withdrawals: 0,
			};
			let signature =
				key_pair(P2).sign(&node_bid_payload(System::block_hash(0).as_ref(), &bid));
			assert_eq!(
				submit(Call::bid_from_node { bid, signature: signature.into() }).unwrap_err(),
				InvalidTransaction::Custom(invalid::EXPIRED).into()
			);
		}
		// A sealed action on an open auction, or an unknown job.
		assert_eq!(
			submit(node_bid(P2, id, NodeBidAction::Commit { commitment: H256::zero() }))
				.unwrap_err(),
			InvalidTransaction::Custom(invalid::NOT_BIDDABLE).into()
		);
		assert_eq!(
			submit(node_bid(P2, 99, NodeBidAction::Place { price: 1 })).unwrap_err(),
			InvalidTransaction::Custom(invalid::NOT_BIDDABLE).into()
		);
		// The call's own checks run in the pool: above the maximum is refused, nothing held.
		assert_eq!(
			submit(node_bid(P2, id, NodeBidAction::Place { price: 101 })).unwrap_err(),
			would_fail(Error::<Test>::BidAboveMaxPrice)
		);
		assert_eq!(held(HoldReason::BidDeposit, P2), 0);
		// Not authorized: refused.
		let bid = NodeBid {
			provider: P2,
			job: id,
			action: NodeBidAction::Place { price: 5 },
			valid_until: 9,
			withdrawals: 0,
		};
		assert!(Marketplace::bid_from_node(RuntimeOrigin::signed(P2), bid, sign_any()).is_err());
		// Unproven providers cannot bid through their nodes either.
		register(P5, 1);
		assert_eq!(
			submit(node_bid(P5, id, NodeBidAction::Place { price: 5 })).unwrap_err(),
			would_fail(Error::<Test>::NotEligible)
		);
	});
}

fn sign_any() -> crucible_primitives::providers::AttestationSignature {
	key_pair(P1).sign(b"anything").into()
}

#[test]
fn a_node_commits_and_reveals_a_sealed_bid() {
	build_and_execute(|| {
		proven(P1);
		proven(P2);
		let id = post(DEV, spec(40, 100, AuctionKind::Sealed { reveal_window: 5 }));
		let salt = [9u8; 32];
		let commitment = bid_commitment(id, &P1, &(70 as Balance), &salt);
		assert_ok!(submit(node_bid(P1, id, NodeBidAction::Commit { commitment })).unwrap());
		commit(P2, id, 80);
		assert_eq!(held(HoldReason::BidDeposit, P1), BID_DEPOSIT);
		// Revealing in the bid window: the wrong phase.
		assert_eq!(
			submit(node_bid(P1, id, NodeBidAction::Reveal { price: 70, salt })).unwrap_err(),
			would_fail(Error::<Test>::WrongPhase)
		);
		run_to_block(11);
		assert_ok!(submit(node_bid(P1, id, NodeBidAction::Reveal { price: 70, salt })).unwrap());
		assert_ok!(reveal(P2, id, 80));
		// Revealed: nothing left to reveal.
		assert_eq!(
			submit(node_bid(P1, id, NodeBidAction::Reveal { price: 70, salt })).unwrap_err(),
			InvalidTransaction::Custom(invalid::ALREADY_BID).into()
		);
		run_to_block(16);
		let l = lease(id);
		assert_eq!((l.provider, l.price_per_block), (P1, 80));
	});
}

/// What `authorize` answers for a free call its dispatch would refuse with `error`.
fn would_fail(
	error: Error<Test>,
) -> polkadot_sdk::sp_runtime::transaction_validity::TransactionValidityError {
	invalid::refusal(error)
}

#[test]
fn a_node_bid_its_call_would_refuse_is_not_taken_for_free() {
	build_and_execute(|| {
		for p in [P1, P2, P3, P4, P5] {
			proven(p);
		}
		register(STRANGER, 1);
		let id = post(DEV, open_spec());
		let picky = post(DEV, JobSpec { min_reputation: Permill::from_percent(90), ..open_spec() });
		let place = |price| NodeBidAction::Place { price };
		let cases = [
			(P1, id, place(101), Error::<Test>::BidAboveMaxPrice),
			(P1, picky, place(50), Error::<Test>::ReputationTooLow),
			(STRANGER, id, place(50), Error::<Test>::NotEligible),
		];
		for (who, job, action, error) in cases {
			assert_eq!(submit(node_bid(who, job, action)).unwrap_err(), would_fail(error));
		}
		// A provider whose free balance cannot hold the deposit.
		let held_before = held(HoldReason::BidDeposit, P5);
		<Balances as polkadot_sdk::frame_support::traits::fungible::Mutate<_>>::set_balance(
			&P5,
			BID_DEPOSIT - 1,
		);
		assert_eq!(
			submit(node_bid(P5, id, place(50))).unwrap_err(),
			would_fail(Error::<Test>::InsufficientFunds)
		);
		assert_eq!(held(HoldReason::BidDeposit, P5), held_before);
		<Balances as polkadot_sdk::frame_support::traits::fungible::Mutate<_>>::set_balance(
			&P5, ENDOWMENT,
		);
		// A full list (four bids at 50) takes no bid that does not beat the worst.
		for p in [P1, P2, P3, P4] {
			assert_ok!(submit(node_bid(p, id, place(50))).unwrap());
		}
		assert_eq!(
			submit(node_bid(P5, id, place(50))).unwrap_err(),
			would_fail(Error::<Test>::BidNotCompetitive)
		);
		// Sealed: a full set of commitments, then reveals that do not match.
		let sealed = post(DEV, spec(40, 100, AuctionKind::Sealed { reveal_window: 5 }));
		let salt = [9u8; 32];
		let commit_of = |who: AccountId, price: Balance| NodeBidAction::Commit {
			commitment: bid_commitment(sealed, &who, &price, &salt),
		};
		for p in [P1, P2, P3, P4] {
			assert_ok!(submit(node_bid(p, sealed, commit_of(p, 70))).unwrap());
		}
		assert_eq!(
			submit(node_bid(P5, sealed, commit_of(P5, 70))).unwrap_err(),
			would_fail(Error::<Test>::TooManyBids)
		);
		// Two closes per block: the third job's comes at block 12.
		run_to_block(12);
		assert!(matches!(job(sealed).phase, JobPhase::Revealing { .. }));
		let reveals = [
			(P1, NodeBidAction::Reveal { price: 71, salt }, Error::<Test>::RevealMismatch),
			(P2, NodeBidAction::Reveal { price: 70, salt: [1; 32] }, Error::<Test>::RevealMismatch),
		];
		for (who, action, error) in reveals {
			assert_eq!(submit(node_bid(who, sealed, action)).unwrap_err(), would_fail(error));
		}
		// Demoted between commit and reveal: no longer eligible, refused before the block.
		demote(P3);
		assert_eq!(
			submit(node_bid(P3, sealed, NodeBidAction::Reveal { price: 70, salt })).unwrap_err(),
			would_fail(Error::<Test>::NotEligible)
		);
		assert_ok!(submit(node_bid(P4, sealed, NodeBidAction::Reveal { price: 70, salt })).unwrap());
	});
}

#[test]
fn a_withdrawn_node_bid_cannot_be_replayed() {
	build_and_execute(|| {
		proven(P1);
		let id = post(DEV, open_spec());
		let call = node_bid(P1, id, NodeBidAction::Place { price: 60 });
		assert_ok!(submit(call.clone()).unwrap());
		assert_ok!(Marketplace::withdraw_bid(RuntimeOrigin::signed(P1), id));
		let held_after_withdrawal = held(HoldReason::BidDeposit, P1);
		// The same signed bid, within its lifetime: the withdrawal voided it.
		assert_eq!(submit(call).unwrap_err(), InvalidTransaction::Custom(invalid::EXPIRED).into());
		assert_eq!(held(HoldReason::BidDeposit, P1), held_after_withdrawal);
		assert!(bidders(id).is_empty());
		// The node may bid again with a bid signed after the withdrawal.
		assert_ok!(submit(node_bid(P1, id, NodeBidAction::Place { price: 65 })).unwrap());
		assert_eq!(bidders(id), vec![(P1, 65)]);
	});
}

#[test]
fn node_bids_queue_behind_proofs_and_attestations() {
	build_and_execute(|| {
		let id = leased();
		let bid_on = post(DEV, open_spec());
		let (bid_validity, _) = crucible_test_support::authorize(&RuntimeCall::from(node_bid(
			P2,
			bid_on,
			NodeBidAction::Place { price: 60 },
		)))
		.unwrap();
		run_to_block(11 + INTERVAL);
		let a = attestation(P1, id, 11, 11 + INTERVAL, running(1));
		let (attest_validity, _) =
			crucible_test_support::authorize(&RuntimeCall::from(attest_call(P1, a))).unwrap();
		assert_eq!(attest_validity.priority, <<Test as Config>::UnsignedPriority as polkadot_sdk::frame_support::traits::Get<u64>>::get());
		assert!(bid_validity.priority < attest_validity.priority);
		assert_eq!(bid_validity.priority, <<Test as Config>::NodeBidPriority as polkadot_sdk::frame_support::traits::Get<u64>>::get());
	});
}

#[test]
fn an_attestation_for_a_lease_that_is_not_running_is_not_taken_for_free() {
	build_and_execute(|| {
		let id = leased();
		for to in [20, 30, 40, 50] {
			run_to_block(to);
			attest_to(id, to);
		}
		run_to_block(51);
		let a = attestation(P1, id, 50, 51, completed());
		assert_ok!(submit(attest_call(P1, a)).unwrap());
		assert!(matches!(job(id).phase, JobPhase::Completed { .. }));
		// A refusal of the completed lease: its stretch fits, its phase does not.
		let refusal =
			attestation(P1, id, 51, 51, WorkReport::Refused { reason: Refusal::RunnerFailed });
		assert_eq!(
			submit(attest_call(P1, refusal.clone())).unwrap_err(),
			would_fail(Error::<Test>::WrongPhase)
		);
		assert_ok!(Marketplace::dispute(
			RuntimeOrigin::signed(DEV),
			id,
			b"bad".to_vec().try_into().unwrap()
		));
		assert_eq!(
			submit(attest_call(P1, refusal)).unwrap_err(),
			would_fail(Error::<Test>::WrongPhase)
		);
	});
}

#[test]
fn access_details_may_come_alone_at_once_but_only_once() {
	build_and_execute(|| {
		let id = leased();
		let details: crucible_primitives::marketplace::AccessDetails =
			b"sealed".to_vec().try_into().unwrap();
		let report = |access| WorkReport::Running {
			usage: Default::default(),
			status: H256::zero(),
			access,
		};
		// No blocks and no access details: nothing to say.
		let empty = attestation(P1, id, 11, 11, report(None));
		assert!(submit(attest_call(P1, empty)).is_err());
		// No blocks, the access details: published, nothing paid.
		let alone = attestation(P1, id, 11, 11, report(Some(details.clone())));
		run_to_block(14);
		assert_ok!(submit(attest_call(P1, alone.clone())).unwrap());
		assert_eq!(lease(id).last_seen, 11, "no blocks attested: the grace period runs on");
		assert_eq!(Access::<Test>::get(id), Some(details.clone()));
		assert_eq!((lease(id).accrued, lease(id).attested_through), (0, 11));
		// Once: a replay, or other details, are refused; the blocks are attested as usual.
		assert!(submit(attest_call(P1, alone)).is_err());
		let other =
			attestation(P1, id, 11, 11, report(Some(b"other".to_vec().try_into().unwrap())));
		assert!(submit(attest_call(P1, other)).is_err());
		run_to_block(16);
		attest_to(id, 16);
		assert_eq!(lease(id).accrued, 5 * 60);
		assert_eq!(Access::<Test>::get(id), Some(details));
	});
}

#[test]
fn a_cpu_only_job_is_priced_as_one_gpu_and_takes_no_gpu_of_its_provider() {
	build_and_execute(|| {
		MinPrice::<Test>::put(10);
		let mut s = open_spec();
		s.requirement.min_gpu_count = 0;
		s.max_price_per_block = 9;
		assert_noop!(
			Marketplace::post_job(RuntimeOrigin::signed(DEV), s.clone(), None),
			Error::<Test>::PriceBelowMinimum
		);
		s.max_price_per_block = 100;
		proven(P1);
		let id = post(DEV, s);
		assert_noop!(bid(P1, id, 9), Error::<Test>::BidBelowMinimum);
		assert_ok!(bid(P1, id, 10));
		run_to_block(11);
		assert_eq!(lease(id).provider, P1);
		assert_eq!(LeasedGpus::<Test>::get(P1), 0, "a CPU-only lease holds no GPU");
		assert!(!LeasedGpus::<Test>::contains_key(P1));
	});
}

fn manifest() -> Manifest {
	Manifest {
		repository: b"127.0.0.1:5000/app".to_vec().try_into().unwrap(),
		command: vec![b"httpd".to_vec().try_into().unwrap()].try_into().unwrap(),
		env: vec![EnvVar {
			name: b"GREETING".to_vec().try_into().unwrap(),
			value: b"hello".to_vec().try_into().unwrap(),
		}]
		.try_into()
		.unwrap(),
		ports: vec![8080].try_into().unwrap(),
		memory_mib: 64,
		shm_mib: 0,
		disk_mib: 16,
		egress: false,
		secrets: Default::default(),
		private_registry: false,
		deterministic: false,
	}
}

#[test]
fn a_manifest_is_stored_with_its_job_for_its_hash_and_removed_when_the_job_ends() {
	build_and_execute(|| {
		let m = manifest();
		let mut s = open_spec();
		// Another hash than the manifest's: refused.
		assert_noop!(
			Marketplace::post_job(RuntimeOrigin::signed(DEV), s.clone(), Some(m.clone())),
			Error::<Test>::ManifestMismatch
		);
		// Malformed: a repository with a digest, an environment name with a space, a port 0,
		// a name twice, no memory.
		let malformed = [
			Manifest { repository: b"app@sha256".to_vec().try_into().unwrap(), ..m.clone() },
			Manifest {
				env: vec![EnvVar {
					name: b"A B".to_vec().try_into().unwrap(),
					value: Default::default(),
				}]
				.try_into()
				.unwrap(),
				..m.clone()
			},
			Manifest { ports: vec![0].try_into().unwrap(), ..m.clone() },
			Manifest {
				env: vec![m.env[0].clone(), m.env[0].clone()].try_into().unwrap(),
				..m.clone()
			},
			Manifest { memory_mib: 0, ..m.clone() },
		];
		for bad in malformed {
			s.workload.manifest = manifest_hash(&bad);
			assert_noop!(
				Marketplace::post_job(RuntimeOrigin::signed(DEV), s.clone(), Some(bad)),
				Error::<Test>::BadManifest
			);
		}
		s.workload.manifest = manifest_hash(&m);
		assert_ok!(Marketplace::post_job(RuntimeOrigin::signed(DEV), s, Some(m.clone())));
		assert_eq!(Manifests::<Test>::get(0), Some(m.clone()));
		assert_eq!(job(0).deposit, JOB_DEPOSIT + MANIFEST_DEPOSIT);
		assert_eq!(held(HoldReason::JobEscrow, DEV), 4_000 + JOB_DEPOSIT + MANIFEST_DEPOSIT);
		assert_eq!(Marketplace::job_view(0).unwrap().manifest, Some(m));
		// No bid: the job expires, the manifest goes with it and every deposit comes back.
		run_to_block(11);
		assert!(!Manifests::<Test>::contains_key(0));
		assert_eq!(held(HoldReason::JobEscrow, DEV), 0);
	});
}

#[test]
fn secrets_are_given_once_by_the_owner_of_a_running_job_that_declares_them_and_go_with_it() {
	build_and_execute(|| {
		proven(P1);
		let with = Manifest {
			secrets: vec![b"API_TOKEN".to_vec().try_into().unwrap()].try_into().unwrap(),
			..manifest()
		};
		let post_with = |m: &Manifest| {
			let mut s = open_spec();
			s.workload.manifest = manifest_hash(m);
			assert_ok!(Marketplace::post_job(RuntimeOrigin::signed(DEV), s, Some(m.clone())));
			NextJobId::<Test>::get() - 1
		};
		let id = post_with(&with);
		let plain = post_with(&manifest());
		let sealed: SealedSecrets = vec![0x5e; 100].try_into().unwrap();
		let provide = |who, job| {
			Marketplace::provide_secrets(RuntimeOrigin::signed(who), job, sealed.clone())
		};
		// Before the award: not yet.
		assert_noop!(provide(DEV, id), Error::<Test>::WrongPhase);
		assert_ok!(bid(P1, id, 60));
		assert_ok!(bid(P1, plain, 60));
		run_to_block(11);
		assert_noop!(provide(DEV2, id), Error::<Test>::NotOwner);
		assert_noop!(provide(DEV, plain), Error::<Test>::NoSecretsDeclared);
		assert_ok!(provide(DEV, id));
		assert_eq!(Secrets::<Test>::get(id), Some(sealed.clone()));
		assert!(events().contains(&Event::SecretsProvided { job: id }));
		assert_noop!(provide(DEV, id), Error::<Test>::SecretsAlreadyProvided);
		// A secret named like a plain variable: malformed.
		let clash = Manifest {
			secrets: vec![b"GREETING".to_vec().try_into().unwrap()].try_into().unwrap(),
			..manifest()
		};
		assert!(!clash.is_well_formed());
		// The job ends (its lease refused): the secrets go.
		let a = attestation(P1, id, 11, 11, WorkReport::Refused { reason: Refusal::BadManifest });
		assert_ok!(submit(attest_call(P1, a)).unwrap());
		assert!(!Secrets::<Test>::contains_key(id));
	});
}

#[test]
fn a_failed_workload_ends_its_lease_with_the_named_reason_paying_what_was_attested() {
	build_and_execute(|| {
		proven(P1);
		let id = post(DEV, open_spec());
		assert_ok!(bid(P1, id, 60));
		run_to_block(16);
		attest_to(id, 16);
		let accrued = lease(id).accrued;
		assert_eq!(accrued, 5 * 60);
		let escrow = job(id).escrow;
		assert_eq!(escrow, 40 * 60);
		let reason = Refusal::OomKilled;
		let a = attestation(P1, id, 16, 16, WorkReport::Refused { reason });
		assert_ok!(submit(attest_call(P1, a)).unwrap());
		assert!(events().contains(&Event::JobEnded {
			job: id,
			end: JobEnd::Refused { reason },
			refunded: escrow - accrued + JOB_DEPOSIT
		}));
	});
}

/// A test account's id as the worker hands it to the service (zero-padded to 32 bytes).
fn owner(who: AccountId) -> [u8; 32] {
	let mut out = [0u8; 32];
	out[..8].copy_from_slice(&who.to_le_bytes());
	out
}

/// The off-chain worker against a scripted compute service (the test offchain extension's
/// HTTP) and a test transaction pool: bids from the operator's policy, the workload asked of the
/// service, attestations when due.
mod worker {
	use super::*;
	use codec::Encode;
	use crucible_primitives::{
		marketplace::{
			service::{BidPolicy, WorkloadReply, WorkloadRequest, WORKLOAD_PATH},
			JobId,
		},
		proof_of_compute::GpuClass,
	};
	use crucible_test_support::{
		insert_attestation_key, set_bid_policy, start_compute_service, worker_ext,
	};
	use polkadot_sdk::frame_support::traits::Hooks;

	/// A test externality with the attestation keys of `local` in the node's keystore, the
	/// compute service's address and a policy of 60 per H100 per block (at most `max_leases`);
	/// `expect_post(request, reply)` scripts the service's next workload request, `submitted()`
	/// takes the calls the worker put into the pool.
	#[allow(clippy::type_complexity)]
	fn harness_for(
		local: &[AccountId],
		max_leases: u32,
	) -> (
		polkadot_sdk::sp_io::TestExternalities,
		impl Fn(Vec<u8>, Vec<u8>),
		impl Fn() -> Vec<Call<Test>>,
	) {
		let (mut ext, service, pool) = worker_ext(new_test_ext());
		ext.execute_with(|| {
			for who in local {
				insert_attestation_key(*who as u8);
			}
			start_compute_service(b"cpu");
			let policy = BidPolicy {
				min_price_per_gpu: vec![(GpuClass::H100, 60)],
				max_leases,
				max_duration: None,
			};
			set_bid_policy(&policy.encode());
		});
		let expect_post = move |body: Vec<u8>, response: Vec<u8>| {
			service.expect_post(WORKLOAD_PATH, body, response)
		};
		// The standing offers the worker publishes are left out (their own tests take them).
		let submitted = move || {
			pool.take::<Extrinsic>()
				.into_iter()
				.filter_map(|xt| match xt.function {
					RuntimeCall::Marketplace(Call::publish_offer { .. }) => None,
					RuntimeCall::Marketplace(call) => Some(call),
					other => panic!("unexpected call {other:?}"),
				})
				.collect::<Vec<_>>()
		};
		(ext, expect_post, submitted)
	}

	/// P1's node.
	#[allow(clippy::type_complexity)]
	fn harness(
		max_leases: u32,
	) -> (
		polkadot_sdk::sp_io::TestExternalities,
		impl Fn(Vec<u8>, Vec<u8>),
		impl Fn() -> Vec<Call<Test>>,
	) {
		harness_for(&[P1], max_leases)
	}

	/// One node holding the keys of ten providers, each with a lease: every lease is served
	/// and attested (a node serving only some keys leaves the other leases unattested, to end
	/// `Abandoned` with their providers slashed).
	#[test]
	fn a_node_with_ten_keys_serves_the_lease_of_every_one() {
		let providers: Vec<AccountId> = (11..=20).collect();
		let (mut ext, expect_post, submitted) = harness_for(&providers, 2);
		ext.execute_with(|| {
			let mut jobs = Vec::new();
			for p in &providers {
				proven(*p);
				let id = post(DEV, open_spec());
				assert_ok!(bid(*p, id, 60));
				jobs.push((*p, id));
			}
			// The auctions close over the next blocks (at most `MaxTimersPerBlock` a block).
			run_to_block(15);
			for (p, id) in &jobs {
				assert_eq!(lease(*id).provider, *p, "job {id} leased to its bidder");
			}
			let due = jobs.iter().map(|(_, id)| lease(*id).start).max().unwrap() + INTERVAL;
			run_to_block(due);
			// The service is asked once per lease, in the order of the providers' keys.
			let mut order = jobs.clone();
			order.sort_by_key(|(p, _)| key(*p));
			for (_, id) in &order {
				let request = WorkloadRequest {
					job: *id,
					workload: job(*id).spec.workload,
					manifest: None,
					secrets: None,
					owner: owner(DEV),
					gpus: 1,
					finish: false,
					audit: false,
				};
				let reply = WorkloadReply::Running {
					usage: Default::default(),
					status: H256::repeat_byte(5),
					access: None,
				};
				expect_post(request.encode(), reply.encode());
			}
			Marketplace::offchain_worker(now());
			let calls = submitted();
			let mut attested: Vec<JobId> = calls
				.iter()
				.filter_map(|c| match c {
					Call::attest { attestation, .. } => Some(attestation.job),
					_ => None,
				})
				.collect();
			attested.sort();
			let mut all: Vec<JobId> = jobs.iter().map(|(_, id)| *id).collect();
			all.sort();
			assert_eq!(attested, all, "every lease attested: {calls:?}");
			for call in calls {
				assert_ok!(submit(call).unwrap());
			}
			for (p, id) in &jobs {
				let l = lease(*id);
				assert_eq!((l.provider, l.attested_through), (*p, due));
			}
			// Until the grace period after this attestation every lease runs: none was
			// abandoned, nobody slashed.
			run_to_block(due + GRACE - 1);
			for (p, id) in &jobs {
				assert_eq!(job(*id).phase, JobPhase::Running, "job {id}");
				assert_eq!(provider_bond(*p), BOND, "provider {p}");
			}
		});
	}

	#[test]
	fn the_node_bids_from_its_policy_within_the_maximum_and_its_lease_limit() {
		let (mut ext, _expect_post, submitted) = harness(1);
		ext.execute_with(|| {
			proven(P1);
			let cheap = post(DEV, spec(40, 50, AuctionKind::Open));
			let id = post(DEV, open_spec());
			let other = post(DEV, open_spec());
			Marketplace::offchain_worker(now());
			let calls = submitted();
			// 60 per H100 × 1 GPU: above the first job's 50; the lease limit (1) stops the third.
			assert_eq!(calls.len(), 1, "{calls:?}");
			let Call::bid_from_node { bid, .. } = calls[0].clone() else { panic!("a node bid") };
			assert_eq!((bid.job, bid.action.clone()), (id, NodeBidAction::Place { price: 60 }));
			assert_ok!(submit(calls[0].clone()).unwrap());
			assert_eq!(bidders(id), vec![(P1, 60)]);
			// Next block: nothing new (already bid; the limit counts the live bid).
			next_block();
			Marketplace::offchain_worker(now());
			assert!(submitted().is_empty());
			assert!(bidders(cheap).is_empty() && bidders(other).is_empty());
		});
	}

	#[test]
	fn hundreds_of_other_jobs_hide_neither_a_commitment_to_reveal_nor_a_new_job() {
		let (mut ext, _expect_post, submitted) = harness(2);
		ext.execute_with(|| {
			proven(P1);
			let sealed = post(DEV, spec(40, 100, AuctionKind::Sealed { reveal_window: 5 }));
			Marketplace::offchain_worker(now());
			let calls = submitted();
			assert_eq!(calls.len(), 1);
			assert_ok!(submit(calls[0].clone()).unwrap());
			run_to_block(11);
			assert!(matches!(job(sealed).phase, JobPhase::Revealing { .. }));
			// Then 257 jobs P1 cannot serve (8 GPUs), open for long: more than a run scans.
			for i in 0..257u64 {
				let mut s = spec(5, 10, AuctionKind::Open);
				s.requirement.min_gpu_count = 8;
				s.bid_window = 6 + i % 88;
				post(DEV2, s);
			}
			Marketplace::offchain_worker(now());
			let calls = submitted();
			assert!(
				matches!(
					calls.as_slice(),
					[Call::bid_from_node {
						bid: NodeBid { action: NodeBidAction::Reveal { price: 60, .. }, .. },
						..
					}]
				),
				"the commitment is revealed: {calls:?}"
			);
			assert_ok!(submit(calls[0].clone()).unwrap());
			// A new job is seen first, past the older ones (its close where the queues have room).
			let fresh = post(DEV, JobSpec { bid_window: 99, ..open_spec() });
			Marketplace::offchain_worker(now());
			let calls = submitted();
			assert!(
				calls
					.iter()
					.any(|c| matches!(c, Call::bid_from_node { bid, .. } if bid.job == fresh)),
				"{calls:?}"
			);
		});
	}

	#[test]
	fn the_node_commits_then_reveals_a_sealed_bid() {
		let (mut ext, _expect_post, submitted) = harness(2);
		ext.execute_with(|| {
			proven(P1);
			let id = post(DEV, spec(40, 100, AuctionKind::Sealed { reveal_window: 5 }));
			Marketplace::offchain_worker(now());
			let calls = submitted();
			assert!(matches!(
				calls.as_slice(),
				[Call::bid_from_node {
					bid: NodeBid { action: NodeBidAction::Commit { .. }, .. },
					..
				}]
			));
			assert_ok!(submit(calls[0].clone()).unwrap());
			run_to_block(11);
			Marketplace::offchain_worker(now());
			let calls = submitted();
			assert!(matches!(
				calls.as_slice(),
				[Call::bid_from_node {
					bid: NodeBid { action: NodeBidAction::Reveal { price: 60, .. }, .. },
					..
				}]
			));
			assert_ok!(submit(calls[0].clone()).unwrap());
			run_to_block(16);
			// Alone: paid the maximum.
			assert_eq!(lease(id).price_per_block, 100);
		});
	}

	#[test]
	fn the_node_runs_its_lease_through_the_service_and_attests_when_due() {
		let (mut ext, expect_post, submitted) = harness(2);
		ext.execute_with(|| {
			proven(P1);
			// Posted with a manifest: the service is given it, the owner and the GPU count.
			let mut s = open_spec();
			s.workload.manifest = manifest_hash(&manifest());
			assert_ok!(Marketplace::post_job(RuntimeOrigin::signed(DEV), s, Some(manifest())));
			let id = 0;
			assert_ok!(bid(P1, id, 60));
			run_to_block(11);
			let workload = job(id).spec.workload;
			let request = |finish| WorkloadRequest {
				job: id,
				workload: workload.clone(),
				manifest: Some(manifest()),
				secrets: None,
				owner: owner(DEV),
				gpus: 1,
				finish,
				audit: false,
			};
			let usage =
				|secs| Usage { gpu_seconds: secs, cpu_seconds: 2 * secs, peak_memory_mib: 7 };
			let running = |secs| WorkloadReply::Running {
				usage: usage(secs),
				status: H256::repeat_byte(secs as u8),
				access: Some(vec![0xAC; 80]),
			};
			// The lease's first block: the service starts the workload; no block is due yet,
			// but the access details go out at once, in an attestation of no blocks.
			expect_post(request(false).encode(), running(0).encode());
			Marketplace::offchain_worker(now());
			let calls = submitted();
			let [Call::attest { attestation, .. }] = calls.as_slice() else { panic!("{calls:?}") };
			assert_eq!((attestation.from, attestation.to), (11, 11));
			assert!(
				matches!(&attestation.report, WorkReport::Running { access: Some(a), .. } if a.len() == 80)
			);
			assert_ok!(submit(calls[0].clone()).unwrap());
			assert_eq!(Access::<Test>::get(id).map(|a| a.len()), Some(80));
			assert_eq!((lease(id).accrued, lease(id).attested_through), (0, 11), "nothing paid");
			// Published: the next run sends nothing until the blocks are due.
			run_to_block(12);
			expect_post(request(false).encode(), running(1).encode());
			Marketplace::offchain_worker(now());
			assert!(submitted().is_empty());
			// AttestationInterval later: the blocks since the start, the access details not again.
			run_to_block(11 + INTERVAL);
			expect_post(request(false).encode(), running(30).encode());
			Marketplace::offchain_worker(now());
			let calls = submitted();
			let [Call::attest { attestation, .. }] = calls.as_slice() else { panic!("{calls:?}") };
			assert_eq!((attestation.from, attestation.to), (11, 11 + INTERVAL));
			assert!(matches!(
				&attestation.report,
				WorkReport::Running { usage: u, access: None, .. } if *u == usage(30)
			));
			assert_ok!(submit(calls[0].clone()).unwrap());
			assert_eq!(lease(id).accrued, 60 * INTERVAL as Balance);
			assert_eq!(lease(id).gpu_seconds, 30, "the lease keeps the highest total attested");
			assert!(events().iter().any(|e| matches!(e,
				Event::WorkAttested { usage: u, .. } if *u == usage(30))));
			// The same block again (a second worker run): nothing resent.
			expect_post(request(false).encode(), running(31).encode());
			Marketplace::offchain_worker(now());
			assert!(submitted().is_empty());
			// A service that refuses: the lease ends refunded.
			run_to_block(11 + INTERVAL + 1);
			expect_post(
				request(false).encode(),
				WorkloadReply::Refused { reason: Refusal::RunnerFailed }.encode(),
			);
			Marketplace::offchain_worker(now());
			let calls = submitted();
			assert!(matches!(
				calls.as_slice(),
				[Call::attest {
					attestation: WorkAttestation { report: WorkReport::Refused { .. }, .. },
					..
				}]
			));
			assert_ok!(submit(calls[0].clone()).unwrap());
			assert!(Jobs::<Test>::get(id).is_none());
		});
	}
}

#[test]
fn a_lease_is_never_free_and_takes_its_gpus() {
	build_and_execute(|| {
		// Two H100s, leasing to itself (the owner is the provider).
		proven(P1);
		set_min_price(5);
		let mut two = open_spec();
		two.requirement.min_gpu_count = 2;
		two.max_price_per_block = 9;
		assert_noop!(
			Marketplace::post_job(RuntimeOrigin::signed(P1), two.clone(), None),
			Error::<Test>::PriceBelowMinimum
		);
		let one = |max| JobSpec { max_price_per_block: max, ..open_spec() };
		let ids: Vec<u64> = (0..2).map(|_| post(P1, one(100))).collect();
		assert_noop!(bid(P1, ids[0], 0), Error::<Test>::BidBelowMinimum);
		assert_noop!(bid(P1, ids[0], 4), Error::<Test>::BidBelowMinimum);
		// A two-GPU job beside them: three GPUs asked of a two-GPU host.
		two.max_price_per_block = 100;
		let both = post(P1, two);
		for id in ids.iter().chain([&both]) {
			assert_ok!(bid(P1, *id, 10));
		}
		run_to_block(11);
		assert_eq!(job(ids[0]).phase, JobPhase::Running);
		assert_eq!(job(ids[1]).phase, JobPhase::Running);
		assert_eq!(LeasedGpus::<Test>::get(P1), 2);
		// No room left on its GPUs: the two-GPU job (closed next block) goes unleased.
		run_to_block(12);
		assert!(Jobs::<Test>::get(both).is_none(), "expired: its only bidder has no free GPU");
		assert!(events().contains(&Event::JobEnded {
			job: both,
			end: JobEnd::Expired,
			refunded: 40 * 100 + JOB_DEPOSIT
		}));
		// Its hardware cannot change under its leases.
		assert_noop!(
			pallet_providers::Pallet::<Test>::update_profile(
				RuntimeOrigin::signed(P1),
				pallet_providers::testing::h100_profile(P1 as u32, 8),
				pallet_providers::testing::endpoint(),
				pallet_providers::testing::region(),
			),
			pallet_providers::Error::<Test>::HasActiveWork
		);
	});
}

fn set_min_price(price: Balance) {
	assert_noop!(
		Marketplace::set_min_price(RuntimeOrigin::signed(DEV), price),
		polkadot_sdk::sp_runtime::DispatchError::BadOrigin
	);
	assert_ok!(Marketplace::set_min_price(RuntimeOrigin::root(), price));
	assert_eq!(MinPrice::<Test>::get(), price);
}

#[test]
fn a_bidder_that_steps_out_before_the_close_forfeits_its_deposit() {
	build_and_execute(|| {
		for p in [P1, P2, P3, P4] {
			proven(p);
		}
		let id = post(DEV, open_spec());
		// P1 and P2 would win; P1 pauses, P2 moves to another country than the job asks for.
		let mut s = open_spec();
		s.requirement.country = Some(*b"DE");
		let german = post(DEV, s);
		assert_ok!(bid(P1, id, 50));
		assert_ok!(bid(P2, german, 50));
		assert_ok!(bid(P3, id, 60));
		assert_ok!(bid(P3, german, 60));
		// P4 is demoted by a judge: not its choice, its deposit comes back.
		assert_ok!(bid(P4, id, 40));
		demote(P4);
		assert_ok!(pallet_providers::Pallet::<Test>::pause(RuntimeOrigin::signed(P1)));
		assert_ok!(pallet_providers::Pallet::<Test>::update_profile(
			RuntimeOrigin::signed(P2),
			pallet_providers::testing::h100_profile(P2 as u32, 2),
			pallet_providers::testing::endpoint(),
			crucible_primitives::providers::Region { country: *b"US", metro: None },
		));
		let fees_before = fees();
		run_to_block(11);
		assert_eq!(lease(id).provider, P3);
		assert_eq!(lease(german).provider, P3);
		for (job, who) in [(id, P1), (german, P2)] {
			assert!(events().contains(&Event::BidForfeited {
				job,
				provider: who,
				forfeited: BID_DEPOSIT
			}));
			assert_eq!(held(HoldReason::BidDeposit, who), 0);
		}
		assert_eq!(fees(), fees_before + 2 * BID_DEPOSIT);
		assert_eq!(held(HoldReason::BidDeposit, P4), 0);
		assert!(!events().iter().any(|e| matches!(
			e,
			Event::BidForfeited { provider, .. } if *provider == P4
		)));
	});
}

#[test]
fn committers_are_refunded_not_forfeited_when_no_reveal_window_can_be_scheduled() {
	build_and_execute(|| {
		proven(P1);
		proven(P2);
		let sealed = post(DEV, spec(40, 100, AuctionKind::Sealed { reveal_window: 5 }));
		commit(P1, sealed, 60);
		commit(P2, sealed, 70);
		// Every queue the reveal window's end could go to (blocks 16..=31) is full.
		for close_at in 16..16 + 16 {
			for _ in 0..3 {
				post(DEV2, JobSpec { bid_window: close_at - now(), ..open_spec() });
			}
		}
		let fees_before = fees();
		run_to_block(11);
		assert!(Jobs::<Test>::get(sealed).is_none());
		assert!(events().contains(&Event::JobEnded {
			job: sealed,
			end: JobEnd::Expired,
			refunded: 40 * 100 + JOB_DEPOSIT
		}));
		assert_eq!(held(HoldReason::BidDeposit, P1), 0);
		assert_eq!(held(HoldReason::BidDeposit, P2), 0);
		assert_eq!(fees(), fees_before, "nothing forfeited");
		assert!(!events().iter().any(|e| matches!(e, Event::CommitmentForfeited { .. })));
	});
}
