// Tests may panic and overflow: that is how they fail.
#![allow(clippy::arithmetic_side_effects, clippy::unwrap_used)]

//! Standing offers: publishing (authorized, once per period, well formed), the estimate's
//! quotes, the ceiling of node bids, and their removal with the provider.

use crate::{mock::*, *};
use crucible_primitives::{
	marketplace::{
		node_bid_payload, node_offer_payload, JobId, NodeBid, NodeBidAction, NodeOffer, Offer,
	},
	proof_of_compute::GpuClass,
};
use polkadot_sdk::{
	frame_support::assert_ok,
	sp_core::Pair as _,
	sp_runtime::transaction_validity::{InvalidTransaction, TransactionValidityError},
};

fn offer(price: Balance, max_leases: u32, max_duration: Option<u64>) -> Option<OfferOf<Test>> {
	Some(Offer { price_per_gpu: price, max_leases, max_duration })
}

/// `who`'s node's signed `publish_offer` of `offer`.
fn publish_call(who: AccountId, offer: Option<OfferOf<Test>>) -> Call<Test> {
	let offer = NodeOffer { provider: who, offer, valid_until: now() + 5 };
	let signature = key_pair(who).sign(&node_offer_payload(System::block_hash(0).as_ref(), &offer));
	Call::publish_offer { offer, signature: signature.into() }
}

fn publish(who: AccountId, o: Option<OfferOf<Test>>) -> Result<(), TransactionValidityError> {
	let dispatched = submit(publish_call(who, o))?;
	assert_ok!(dispatched);
	Ok(())
}

fn refused(error: Error<Test>) -> TransactionValidityError {
	invalid::refusal(error)
}

fn bidders(job: JobId) -> Vec<(AccountId, Balance)> {
	Bids::<Test>::get(job).iter().map(|b| (b.provider, b.price)).collect()
}

fn node_place(who: AccountId, job: JobId, price: Balance) -> Call<Test> {
	let withdrawals = BidWithdrawals::<Test>::get(who);
	let bid = NodeBid {
		provider: who,
		job,
		action: NodeBidAction::Place { price },
		valid_until: now() + 5,
		withdrawals,
	};
	let signature = key_pair(who).sign(&node_bid_payload(System::block_hash(0).as_ref(), &bid));
	Call::bid_from_node { bid, signature: signature.into() }
}

#[test]
fn a_node_publishes_its_offer_at_most_once_per_period_and_only_a_well_formed_change() {
	build_and_execute(|| {
		proven(P1);
		assert_eq!(publish(P1, offer(60, 2, None)), Ok(()));
		let standing = Offers::<Test>::get(P1).unwrap();
		assert_eq!(Some(standing.offer.clone()), offer(60, 2, None));
		assert_eq!(standing.updated_at, now());
		assert!(
			events().contains(&Event::OfferPublished { provider: P1, offer: offer(60, 2, None) })
		);
		// Within the period: refused by the pool, free of charge for nobody.
		run_to_block(now() + OFFER_PERIOD - 1);
		assert_eq!(publish(P1, offer(50, 2, None)), Err(refused(Error::OfferTooSoon)));
		run_to_block(now() + 1);
		// The same offer again: nothing to change, refused.
		assert_eq!(publish(P1, offer(60, 2, None)), Err(refused(Error::OfferUnchanged)));
		// Malformed offers: no price, no leases, a longest lease of 0 blocks.
		for bad in [offer(0, 2, None), offer(60, 0, None), offer(60, 2, Some(0))] {
			assert_eq!(publish(P1, bad), Err(refused(Error::BadOffer)));
		}
		// Below the governed minimum price.
		MinPrice::<Test>::put(70);
		assert_eq!(publish(P1, offer(60, 2, Some(30))), Err(refused(Error::BadOffer)));
		MinPrice::<Test>::put(1);
		assert_eq!(publish(P1, offer(50, 1, Some(30))), Ok(()));
		assert_eq!(Offers::<Test>::get(P1).unwrap().offer, offer(50, 1, Some(30)).unwrap());
		// Withdrawn after the next period; withdrawing what is not there is refused.
		run_to_block(now() + OFFER_PERIOD);
		assert_eq!(publish(P1, None), Ok(()));
		assert!(Offers::<Test>::get(P1).is_none());
		assert_eq!(publish(P1, None), Err(refused(Error::OfferUnchanged)));
	});
}

#[test]
fn only_the_providers_node_publishes_its_offer() {
	build_and_execute(|| {
		proven(P1);
		proven(P2);
		// Signed by another provider's key: a bad proof.
		let o = NodeOffer { provider: P2, offer: offer(60, 1, None), valid_until: now() + 5 };
		let signature = key_pair(P1).sign(&node_offer_payload(System::block_hash(0).as_ref(), &o));
		let forged = Call::publish_offer { offer: o.clone(), signature: signature.into() };
		assert_eq!(submit(forged).unwrap_err(), InvalidTransaction::BadProof.into());
		// A bid's signature is not an offer's (separate signing domains).
		let as_bid = key_pair(P2).sign(&node_bid_payload(System::block_hash(0).as_ref(), &o));
		let wrong = Call::publish_offer { offer: o.clone(), signature: as_bid.into() };
		assert_eq!(submit(wrong).unwrap_err(), InvalidTransaction::BadProof.into());
		// Expired, or valid too far ahead.
		for valid_until in [now() - 1, now() + 11] {
			let o = NodeOffer { valid_until, ..o.clone() };
			let signature =
				key_pair(P2).sign(&node_offer_payload(System::block_hash(0).as_ref(), &o));
			assert_eq!(
				submit(Call::publish_offer { offer: o, signature: signature.into() }).unwrap_err(),
				InvalidTransaction::Custom(invalid::EXPIRED).into()
			);
		}
		// Someone not registered.
		assert_eq!(publish(P5, offer(60, 1, None)), Err(refused(Error::NotEligible)));
		// Not authorized (a signed origin): refused, nothing written.
		let signature = key_pair(P2).sign(&node_offer_payload(System::block_hash(0).as_ref(), &o));
		assert!(Marketplace::publish_offer(RuntimeOrigin::signed(P2), o, signature.into()).is_err());
		assert_eq!(Offers::<Test>::iter().count(), 0);
		// One offer per provider in the pool.
		let (a, _) = crucible_test_support::authorize(&RuntimeCall::from(publish_call(
			P2,
			offer(60, 1, None),
		)))
		.unwrap();
		let (b, _) = crucible_test_support::authorize(&RuntimeCall::from(publish_call(
			P2,
			offer(55, 1, None),
		)))
		.unwrap();
		assert_eq!(a.provides, b.provides, "the second replaces the first, never both");
	});
}

#[test]
fn estimate_quotes_the_offers_that_would_bid_cheapest_first() {
	build_and_execute(|| {
		for p in [P1, P2, P3, P4] {
			proven(p);
		}
		assert_eq!(publish(P1, offer(60, 2, None)), Ok(()));
		assert_eq!(publish(P2, offer(50, 2, Some(20))), Ok(()));
		assert_eq!(publish(P3, offer(45, 1, None)), Ok(()));
		// P4 publishes no offer: it matches, but nobody knows what it would bid.
		let mut two = open_spec().requirement;
		two.min_gpu_count = 2;
		let e = Marketplace::estimate(two.clone(), 10);
		assert_eq!(e.matching, 4);
		let quoted: Vec<_> = e.offers.iter().map(|q| (q.provider, q.price_per_block)).collect();
		assert_eq!(quoted, vec![(P3, 90), (P2, 100), (P1, 120)], "cheapest first, for 2 GPUs");
		let q = e.offers.first().unwrap();
		assert_eq!(
			(q.class, q.price_per_gpu, q.free_gpus, q.max_duration),
			(GpuClass::H100, 45, 2, None)
		);
		// A 40-block job: P2 takes leases of at most 20 blocks.
		let quoted: Vec<_> = Marketplace::estimate(two.clone(), 40)
			.offers
			.iter()
			.map(|q| q.provider)
			.collect();
		assert_eq!(quoted, vec![P3, P1]);
		// P3 wins a one-GPU lease: it holds its one lease (and one GPU of two).
		let id = post(DEV, open_spec());
		assert_ok!(Marketplace::place_bid(RuntimeOrigin::signed(P3), id, 45));
		run_to_block(now() + 11);
		assert_eq!(lease(id).provider, P3);
		let e = Marketplace::estimate(open_spec().requirement, 10);
		assert!(e.offers.iter().all(|q| q.provider != P3), "P3 holds as many leases as it offers");
		let p1 = e.offers.iter().find(|q| q.provider == P1).unwrap();
		assert_eq!((p1.free_gpus, p1.price_per_block), (2, 60));
		// Hardware nobody has: no match, no quote.
		two.min_gpu_count = 3;
		let none = Marketplace::estimate(two, 10);
		assert_eq!((none.matching, none.offers.len()), (0, 0));
	});
}

#[test]
fn a_node_bid_above_its_offer_is_refused_and_a_providers_own_bid_is_not_bound() {
	build_and_execute(|| {
		proven(P1);
		proven(P2);
		let id = post(DEV, open_spec());
		assert_eq!(publish(P1, offer(50, 2, None)), Ok(()));
		assert_eq!(submit(node_place(P1, id, 51)).unwrap_err(), refused(Error::AboveOffer));
		assert_eq!(held(HoldReason::BidDeposit, P1), 0);
		assert_ok!(submit(node_place(P1, id, 50)).unwrap());
		assert_eq!(bidders(id), vec![(P1, 50)]);
		// P2 has no offer: its node bids what it likes (up to the job's maximum).
		assert_ok!(submit(node_place(P2, id, 70)).unwrap());
		// A two-GPU job: the ceiling is the offer's price per GPU × 2.
		let mut spec = open_spec();
		spec.requirement.min_gpu_count = 2;
		spec.max_price_per_block = 200;
		let two = post(DEV, spec);
		assert_eq!(submit(node_place(P1, two, 101)).unwrap_err(), refused(Error::AboveOffer));
		assert_ok!(submit(node_place(P1, two, 100)).unwrap());
		// What the provider signs itself is its own business.
		let three = post(DEV, open_spec());
		assert_ok!(Marketplace::place_bid(RuntimeOrigin::signed(P1), three, 90));
	});
}

#[test]
fn a_provider_that_leaves_takes_its_offer_with_it() {
	build_and_execute(|| {
		proven(P1);
		assert_eq!(publish(P1, offer(50, 2, None)), Ok(()));
		assert_ok!(pallet_providers::Pallet::<Test>::deregister(RuntimeOrigin::signed(P1)));
		let unlock = pallet_providers::UnbondingPeriod::<Test>::get();
		run_to_block(now() + unlock + 1);
		assert_ok!(pallet_providers::Pallet::<Test>::withdraw_unbonded(RuntimeOrigin::signed(P1)));
		assert!(pallet_providers::Providers::<Test>::get(P1).is_none(), "the record is gone");
		assert!(Offers::<Test>::get(P1).is_none(), "and its offer with it");
	});
}

mod worker {
	use super::*;
	use codec::Encode;
	use crucible_primitives::marketplace::{service::BidPolicy, AuctionKind};
	use crucible_test_support::{
		insert_attestation_key, set_bid_policy, start_compute_service, worker_ext,
	};
	use polkadot_sdk::frame_support::traits::Hooks;

	fn policy(price: u128, max_duration: Option<u32>) -> Vec<u8> {
		BidPolicy { min_price_per_gpu: vec![(GpuClass::H100, price)], max_leases: 2, max_duration }
			.encode()
	}

	/// The price of each node bid in `calls`, by job.
	fn bids(calls: &[Call<Test>]) -> Vec<(JobId, Balance)> {
		calls
			.iter()
			.filter_map(|c| match c {
				Call::bid_from_node {
					bid: NodeBid { job, action: NodeBidAction::Place { price }, .. },
					..
				} => Some((*job, *price)),
				_ => None,
			})
			.collect()
	}

	fn offers(calls: &[Call<Test>]) -> Vec<Option<OfferOf<Test>>> {
		calls
			.iter()
			.filter_map(|c| match c {
				Call::publish_offer { offer, .. } => Some(offer.offer.clone()),
				_ => None,
			})
			.collect()
	}

	#[test]
	fn the_node_publishes_its_policys_offer_and_bids_what_it_published() {
		let (mut ext, _service, pool) = worker_ext(new_test_ext());
		let taken = move || {
			pool.take::<Extrinsic>()
				.into_iter()
				.map(|xt| match xt.function {
					RuntimeCall::Marketplace(call) => call,
					other => panic!("unexpected call {other:?}"),
				})
				.collect::<Vec<_>>()
		};
		ext.execute_with(|| {
			insert_attestation_key(P1 as u8);
			start_compute_service(b"cpu");
			set_bid_policy(&policy(60, Some(30)));
			proven(P1);
			Marketplace::offchain_worker(now());
			let calls = taken();
			assert_eq!(offers(&calls), vec![offer(60, 2, Some(30))]);
			for call in calls {
				assert_ok!(submit(call).unwrap());
			}
			// On chain: not sent again.
			next_block();
			Marketplace::offchain_worker(now());
			assert!(taken().is_empty());
			// The operator lowers the price: too soon to publish; it bids the published price,
			// and not on a job longer than its longest lease.
			set_bid_policy(&policy(40, Some(30)));
			let short = post(DEV, spec(20, 100, AuctionKind::Open));
			let long = post(DEV, spec(40, 100, AuctionKind::Open));
			Marketplace::offchain_worker(now());
			let calls = taken();
			assert_eq!(offers(&calls), vec![]);
			assert_eq!(bids(&calls), vec![(short, 60)], "the published price, not the long job");
			let _ = long;
			for call in calls {
				assert_ok!(submit(call).unwrap());
			}
			// A period after the offer: the new one goes out, and the next bids follow it.
			let published = Offers::<Test>::get(P1).unwrap().updated_at;
			run_to_block(published + OFFER_PERIOD);
			Marketplace::offchain_worker(now());
			let calls = taken();
			assert_eq!(offers(&calls), vec![offer(40, 2, Some(30))]);
			for call in calls {
				assert_ok!(submit(call).unwrap());
			}
			let next = post(DEV, spec(20, 100, AuctionKind::Open));
			Marketplace::offchain_worker(now());
			assert_eq!(bids(&taken()), vec![(next, 40)]);
			// The operator removes the policy: the offer is withdrawn (once the period allows),
			// and nothing more is bid.
			set_bid_policy(&[]);
			run_to_block(now() + OFFER_PERIOD);
			post(DEV, spec(20, 100, AuctionKind::Open));
			Marketplace::offchain_worker(now());
			let calls = taken();
			assert_eq!(offers(&calls), vec![None]);
			assert_eq!(bids(&calls), vec![], "no policy, no bids");
			for call in calls {
				assert_ok!(submit(call).unwrap());
			}
			assert!(Offers::<Test>::get(P1).is_none());
		});
	}
}
