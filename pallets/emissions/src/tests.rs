// Tests may panic and overflow: that is how they fail.
#![allow(clippy::arithmetic_side_effects, clippy::unwrap_used, clippy::indexing_slicing)]

use crate::{mock::*, EraBaseline, Eras, Error, Event, OldestEra, Params, ProviderWork, Totals};
use polkadot_sdk::{
	frame_support::{
		assert_noop, assert_ok,
		traits::{
			fungible::{Balanced, Inspect, Mutate},
			tokens::{Fortitude, Precision, Preservation},
			Hooks, OnUnbalanced,
		},
	},
	sp_runtime::{DispatchError, Perbill, Permill},
};

fn issuance() -> Balance {
	Balances::total_issuance()
}

fn free(who: AccountId) -> Balance {
	Balances::balance(&who)
}

#[test]
fn genesis_creates_the_pot_and_records_the_issuance() {
	build_and_execute(|| {
		assert_eq!(free(Emissions::pot()), ED);
		assert_eq!(free(TREASURY), ED);
		let totals = Totals::<Test>::get();
		assert_eq!(totals.genesis, issuance());
		assert_eq!(totals.genesis, 3 * ENDOWMENT + 3 * ED);
		assert_eq!(crate::CurrentEra::<Test>::get(), 0);
		assert!(Eras::<Test>::get(0).is_some());
	});
}

#[test]
fn an_era_without_verified_work_mints_only_the_validators_and_treasury_shares() {
	build_and_execute(|| {
		let before = issuance();
		close_era();
		assert_eq!(crate::CurrentEra::<Test>::get(), 1);
		// E(0) = 1,000,000: validators 20%, treasury 10%; the providers' 70% is not minted.
		assert_eq!(issuance(), before + 300_000);
		assert_eq!(free(VALIDATOR_POT), ED + 200_000);
		assert_eq!(free(TREASURY), ED + 100_000);
		assert_eq!(free(Emissions::pot()), ED);
		let record = Eras::<Test>::get(0).unwrap();
		assert_eq!((record.minted, record.compute_pool, record.lease_pool), (300_000, 0, 0));
		assert!(events().contains(&Event::EraClosed {
			era: 0,
			minted: 300_000,
			compute_pool: 0,
			lease_pool: 0,
			validators: 200_000,
			treasury: 100_000,
		}));
	});
}

#[test]
fn providers_are_paid_pro_rata_to_their_work_in_two_pools() {
	build_and_execute(|| {
		Emissions::note_work(&ALICE, 3_000, 0);
		Emissions::note_work(&BOB, 1_000, 0);
		// Lease fees well above the market's part: the cap does not bind.
		Emissions::note_work(&BOB, 0, 500_000);
		Emissions::note_work(&CHARLIE, 0, 1_500_000);
		close_era();
		// Providers' 700,000: 40% (280,000) for settled leases, 420,000 for compute units.
		let record = Eras::<Test>::get(0).unwrap();
		assert_eq!((record.compute_pool, record.lease_pool), (420_000, 280_000));
		assert_eq!(record.minted, 1_000_000);
		assert_eq!(Emissions::claimable(&ALICE, 0), 315_000);
		assert_eq!(Emissions::claimable(&BOB, 0), 105_000 + 70_000);
		assert_eq!(Emissions::claimable(&CHARLIE, 0), 210_000);

		let alice = free(ALICE);
		assert_ok!(Emissions::claim(RuntimeOrigin::signed(ALICE), 0));
		assert_eq!(free(ALICE), alice + 315_000);
		assert!(events().contains(&Event::Claimed { provider: ALICE, era: 0, amount: 315_000 }));
		assert_ok!(Emissions::claim(RuntimeOrigin::signed(BOB), 0));
		assert_ok!(Emissions::claim(RuntimeOrigin::signed(CHARLIE), 0));
		assert_eq!(free(Emissions::pot()), ED);
		assert_eq!(Eras::<Test>::get(0).unwrap().claimed, 700_000);
		assert!(ProviderWork::<Test>::get(ALICE).is_empty());
	});
}

#[test]
fn one_kind_of_work_takes_the_whole_providers_share() {
	build_and_execute(|| {
		Emissions::note_work(&ALICE, 10, 0);
		close_era();
		assert_eq!(Emissions::claimable(&ALICE, 0), 700_000);
		Emissions::note_work(&BOB, 0, 7_000_000);
		close_era();
		// Era 1 mints 900,000: providers 630,000, all for leases (their fees are above it).
		assert_eq!(Emissions::claimable(&BOB, 1), 630_000);
	});
}

#[test]
fn claims_are_refused_by_name_and_change_nothing() {
	build_and_execute(|| {
		Emissions::note_work(&ALICE, 10, 0);
		assert_noop!(
			Emissions::claim(RuntimeOrigin::signed(ALICE), 0),
			Error::<Test>::EraNotClosed
		);
		close_era();
		assert_noop!(
			Emissions::claim(RuntimeOrigin::signed(BOB), 0),
			Error::<Test>::NothingToClaim
		);
		assert_noop!(Emissions::claim(RuntimeOrigin::root(), 0), DispatchError::BadOrigin);
		assert_ok!(Emissions::claim(RuntimeOrigin::signed(ALICE), 0));
		assert_noop!(
			Emissions::claim(RuntimeOrigin::signed(ALICE), 0),
			Error::<Test>::NothingToClaim
		);
	});
}

#[test]
fn unclaimed_rewards_go_to_the_treasury_when_the_window_ends() {
	build_and_execute(|| {
		Emissions::note_work(&ALICE, 1, 0);
		Emissions::note_work(&BOB, 1, 0);
		close_era(); // era 0 closed; window 2: claimable during eras 1 and 2
		assert_ok!(Emissions::claim(RuntimeOrigin::signed(ALICE), 0));
		close_era(); // era 1 closed (no work)
		assert_eq!(Emissions::claimable(&BOB, 0), 350_000);
		let treasury = free(TREASURY);
		close_era(); // era 2 closed: era 0 expires in the same block
		assert_eq!(OldestEra::<Test>::get(), 1);
		assert!(Eras::<Test>::get(0).is_none());
		assert!(events().contains(&Event::EraExpired { era: 0, to_treasury: 350_000 }));
		// The treasury got its share of era 2 (81,000) and Bob's unclaimed 350,000.
		assert_eq!(free(TREASURY), treasury + 81_000 + 350_000);
		assert_noop!(Emissions::claim(RuntimeOrigin::signed(BOB), 0), Error::<Test>::ClaimExpired);
		// Bob's stale record is dropped when his list is next written.
		Emissions::note_work(&BOB, 5, 0);
		assert_eq!(ProviderWork::<Test>::get(BOB).len(), 1);
	});
}

#[test]
fn emission_decays_per_era_stops_at_the_floor_and_never_passes_the_cap() {
	build_and_execute(|| {
		let mut params = default_params();
		params.decay = Perbill::from_percent(50);
		params.floor = 200_000;
		assert_ok!(Emissions::set_params(RuntimeOrigin::root(), params));
		let mut minted = Vec::new();
		for _ in 0..4 {
			let before = issuance();
			Emissions::note_work(&ALICE, 1, 0);
			close_era();
			minted.push(issuance() - before);
		}
		// 1,000,000 → 500,000 → 250,000 → floor 200,000.
		assert_eq!(minted, vec![1_000_000, 500_000, 250_000, 200_000]);

		// The cap: the next era mints only what is left below MaxSupply.
		let room = 123_456;
		Balances::mint_into(&CHARLIE, MAX_SUPPLY - issuance() - room).unwrap();
		// Minting outside the pallet breaks the issuance equation (try_state catches it) ...
		assert!(Emissions::do_try_state().is_err());
		// ... so record it as genesis for the rest of this test.
		Totals::<Test>::mutate(|t| {
			t.genesis += MAX_SUPPLY - room - t.genesis - t.minted + t.burned
		});
		assert_eq!(Emissions::next_emission(), room);
		Emissions::note_work(&ALICE, 1, 0);
		close_era();
		assert_eq!(issuance(), MAX_SUPPLY);
		close_era();
		assert_eq!(issuance(), MAX_SUPPLY);
		assert_eq!(Emissions::tokenomics().next_emission, 0);
	});
}

#[test]
fn governance_moves_parameters_within_the_bound_and_root_without_it() {
	build_and_execute(|| {
		let admin = || RuntimeOrigin::signed(ADMIN);
		let mut p = default_params();
		// Decay 10% → 11%: 10% of its value.
		p.decay = Perbill::from_percent(11);
		assert_ok!(Emissions::set_params(admin(), p.clone()));
		assert_eq!(Params::<Test>::get(), p);
		assert!(events().contains(&Event::ParamsSet { params: p.clone() }));
		// 11% → 12.2%: more than 10% of 11%.
		let mut q = p.clone();
		q.decay = Perbill::from_rational(122u32, 1000u32);
		assert_noop!(Emissions::set_params(admin(), q.clone()), Error::<Test>::DecayChangeTooLarge);
		let mut q = p.clone();
		q.initial = 1_100_001;
		assert_noop!(
			Emissions::set_params(admin(), q.clone()),
			Error::<Test>::InitialChangeTooLarge
		);
		let mut q = p.clone();
		q.floor = 130_000; // the step is max(10% of 100,000, 1% of initial) = 10,000
		assert_noop!(Emissions::set_params(admin(), q.clone()), Error::<Test>::FloorChangeTooLarge);
		let mut q = p.clone();
		q.providers = Permill::from_percent(60);
		q.treasury = Permill::from_percent(20);
		assert_noop!(Emissions::set_params(admin(), q.clone()), Error::<Test>::ShareChangeTooLarge);
		let mut q = p.clone();
		q.market_weight = Permill::from_percent(60);
		assert_noop!(
			Emissions::set_params(admin(), q.clone()),
			Error::<Test>::MarketWeightChangeTooLarge
		);
		let mut q = p.clone();
		q.burn_share = Permill::from_percent(70);
		assert_noop!(
			Emissions::set_params(admin(), q.clone()),
			Error::<Test>::BurnShareChangeTooLarge
		);
		let mut q = p.clone();
		q.claim_window = 4;
		assert_noop!(
			Emissions::set_params(admin(), q.clone()),
			Error::<Test>::ClaimWindowChangeTooLarge
		);
		// Whole shares and a claim window in range are checked for every origin.
		let mut q = p.clone();
		q.treasury = Permill::from_percent(11);
		assert_noop!(
			Emissions::set_params(RuntimeOrigin::root(), q),
			Error::<Test>::SharesNotWhole
		);
		let mut q = p.clone();
		q.claim_window = 5;
		assert_noop!(
			Emissions::set_params(RuntimeOrigin::root(), q),
			Error::<Test>::InvalidClaimWindow
		);
		// Others may not change them at all.
		assert_noop!(
			Emissions::set_params(RuntimeOrigin::signed(ALICE), p.clone()),
			DispatchError::BadOrigin
		);
		// Root is not bounded.
		let mut q = p.clone();
		q.decay = Perbill::from_percent(50);
		q.providers = Permill::from_percent(50);
		q.treasury = Permill::from_percent(30);
		assert_ok!(Emissions::set_params(RuntimeOrigin::root(), q.clone()));
		assert_eq!(Params::<Test>::get(), q);
	});
}

#[test]
fn a_changed_decay_shows_in_the_next_eras_mint() {
	build_and_execute(|| {
		Emissions::note_work(&ALICE, 1, 0);
		close_era();
		let mut p = default_params();
		p.decay = Perbill::from_percent(11);
		assert_ok!(Emissions::set_params(RuntimeOrigin::signed(ADMIN), p));
		// E(1) = 1,000,000 × 0.89.
		assert_eq!(Emissions::tokenomics().next_emission, 890_000);
		Emissions::note_work(&ALICE, 1, 0);
		let before = issuance();
		close_era();
		assert_eq!(issuance(), before + 890_000);
	});
}

#[test]
fn fees_burn_their_share_and_fund_the_treasury_and_slashes_go_to_the_treasury() {
	build_and_execute(|| {
		let before = issuance();
		let treasury = free(TREASURY);
		let fee = Balances::withdraw(
			&ALICE,
			1_001,
			Precision::Exact,
			Preservation::Preserve,
			Fortitude::Polite,
		)
		.unwrap();
		crate::FeeSplit::<Test>::on_unbalanced(fee);
		// 50% of 1,001 rounded down is burned, the rest (501) funds the treasury.
		assert_eq!(issuance(), before - 500);
		assert_eq!(free(TREASURY), treasury + 501);
		assert_eq!(Emissions::totals().burned, 500);

		let slash = Balances::withdraw(
			&BOB,
			300,
			Precision::Exact,
			Preservation::Preserve,
			Fortitude::Polite,
		)
		.unwrap();
		crate::SlashToTreasury::<Test>::on_unbalanced(slash);
		assert_eq!(free(TREASURY), treasury + 801);
		assert_eq!(issuance(), before - 500);
		assert_eq!(Totals::<Test>::get().slashed, 300);

		let burn = Balances::withdraw(
			&BOB,
			40,
			Precision::Exact,
			Preservation::Preserve,
			Fortitude::Polite,
		)
		.unwrap();
		crate::Burn::<Test>::on_unbalanced(burn);
		assert_eq!(issuance(), before - 540);

		let tokenomics = Emissions::tokenomics();
		assert_eq!((tokenomics.burned, tokenomics.slashed), (540, 300));
		assert_eq!((tokenomics.current.burned, tokenomics.current.slashed), (540, 300));
		assert_eq!(tokenomics.supply, issuance());
		close_era();
		// The era's record keeps its burn; the new era starts from zero.
		assert_eq!(Eras::<Test>::get(0).unwrap().burned, 540);
		assert_eq!(Emissions::tokenomics().current.burned, 0);
	});
}

#[test]
fn dust_of_reaped_accounts_is_recorded_as_burned() {
	build_and_execute(|| {
		let before = issuance();
		// Leaves CHARLIE 5, below the existential deposit of 10: the account is reaped.
		assert_ok!(Balances::transfer(&CHARLIE, &ALICE, ENDOWMENT - 5, Preservation::Expendable));
		assert_eq!(issuance(), before - 5);
		assert_eq!(Emissions::totals().burned, 5);
	});
}

#[test]
fn a_block_of_fee_burns_writes_totals_once_in_on_finalize() {
	build_and_execute(|| {
		let before = Totals::<Test>::get();
		let issuance_before = issuance();
		for _ in 0..50 {
			let fee = Balances::withdraw(
				&ALICE,
				10,
				Precision::Exact,
				Preservation::Preserve,
				Fortitude::Polite,
			)
			.unwrap();
			crate::Burn::<Test>::on_unbalanced(fee);
		}
		// No transaction wrote `Totals` (a write outside every transaction's weight): the
		// burns wait in the block's sum, which the totals (and their invariant) include.
		assert_eq!(Totals::<Test>::get(), before);
		assert_eq!(crate::BlockBurned::<Test>::get(), 500);
		assert_eq!(Emissions::totals().burned, before.burned + 500);
		Emissions::do_try_state().expect("the issuance invariant counts the block's burns");
		// `on_finalize` adds them once and leaves nothing in storage.
		Emissions::on_finalize(System::block_number());
		assert_eq!(Totals::<Test>::get().burned, before.burned + 500);
		assert!(!crate::BlockBurned::<Test>::exists());
		assert_eq!(issuance(), issuance_before - 500);
	});
}

#[test]
fn the_invariants_catch_a_wrong_era_sum() {
	build_and_execute(|| {
		Emissions::note_work(&ALICE, 10, 0);
		assert_ok!(Emissions::do_try_state());
		Eras::<Test>::mutate(0, |r| r.as_mut().unwrap().compute_units += 1);
		assert!(Emissions::do_try_state().is_err());
		Eras::<Test>::mutate(0, |r| r.as_mut().unwrap().compute_units -= 1);
	});
}

#[test]
fn work_records_stay_bounded_over_many_eras() {
	build_and_execute(|| {
		for _ in 0..20 {
			Emissions::note_work(&ALICE, 1, 1);
			close_era();
		}
		// At most the claim window's eras and the current one are kept.
		assert!(ProviderWork::<Test>::get(ALICE).len() <= 3);
		assert!(Eras::<Test>::iter().count() <= 4);
		let oldest = OldestEra::<Test>::get();
		assert_eq!(oldest, 20 - 2);
		for era in oldest..20 {
			assert!(Emissions::claimable(&ALICE, era) > 0);
			assert_ok!(Emissions::claim(RuntimeOrigin::signed(ALICE), era));
		}
	});
}

mod property {
	use super::*;
	use proptest::prelude::*;

	#[derive(Debug, Clone)]
	enum Op {
		Work(u8, u32, u32),
		Claim(u8, u8),
		Fee(u8, u16),
		Slash(u8, u16),
		Blocks(u8),
		Params(u8, u8, u8),
	}

	fn op() -> impl Strategy<Value = Op> {
		prop_oneof![
			(0u8..4, 0u32..10_000, 0u32..100).prop_map(|(a, u, b)| Op::Work(a, u, b)),
			(0u8..4, 0u8..8).prop_map(|(a, e)| Op::Claim(a, e)),
			(0u8..4, any::<u16>()).prop_map(|(a, x)| Op::Fee(a, x)),
			(0u8..4, any::<u16>()).prop_map(|(a, x)| Op::Slash(a, x)),
			(1u8..15).prop_map(Op::Blocks),
			(any::<u8>(), any::<u8>(), 1u8..5).prop_map(|(d, b, w)| Op::Params(d, b, w)),
		]
	}

	fn take(who: AccountId, amount: u16) -> Option<crate::mock::Balance> {
		Balances::withdraw(
			&who,
			amount.into(),
			Precision::BestEffort,
			Preservation::Preserve,
			Fortitude::Polite,
		)
		.ok()
		.map(|c| {
			let v = polkadot_sdk::frame_support::traits::Imbalance::peek(&c);
			crate::FeeSplit::<Test>::on_unbalanced(c);
			v
		})
	}

	proptest! {
		#![proptest_config(ProptestConfig::with_cases(64))]
		/// Random work, claims, fees, slashes, parameter changes and eras: the invariants hold
		/// after every step, and no provider is ever paid more than was minted for providers.
		#[test]
		fn invariants_hold_under_random_operations(ops in proptest::collection::vec(op(), 1..120)) {
			new_test_ext().execute_with(|| {
				let accounts = [ALICE, BOB, CHARLIE, 4];
				let mut paid: Balance = 0;
				for op in ops {
					match op {
						Op::Work(a, u, b) =>
							Emissions::note_work(&accounts[a as usize], u.into(), b.into()),
						Op::Claim(a, e) => {
							let who = accounts[a as usize];
							let before = free(who);
							if Emissions::claim(RuntimeOrigin::signed(who), e.into()).is_ok() {
								paid += free(who) - before;
							}
						},
						Op::Fee(a, x) => {
							let _ = take(accounts[a as usize], x);
						},
						Op::Slash(a, x) => {
							if let Ok(c) = Balances::withdraw(
								&accounts[a as usize],
								x.into(),
								Precision::BestEffort,
								Preservation::Preserve,
								Fortitude::Polite,
							) {
								crate::SlashToTreasury::<Test>::on_unbalanced(c);
							}
						},
						Op::Blocks(n) => run_to(System::block_number() + u64::from(n)),
						Op::Params(d, b, w) => {
							let mut p = Params::<Test>::get();
							p.decay = Perbill::from_parts(p.decay.deconstruct() / 100 * (95 + u32::from(d % 11)));
							p.burn_share = Permill::from_percent(u32::from(b % 101));
							p.claim_window = w.into();
							let _ = Emissions::set_params(RuntimeOrigin::signed(ADMIN), p.clone());
							let _ = Emissions::set_params(RuntimeOrigin::root(), p);
						},
					}
					prop_assert!(Emissions::do_try_state().is_ok(), "{:?}", Emissions::do_try_state());
				}
				let providers_minted: Balance = Eras::<Test>::iter().map(|(_, r)| r.compute_pool + r.lease_pool).sum();
				let claimed: Balance = Eras::<Test>::iter().map(|(_, r)| r.claimed).sum();
				prop_assert!(claimed <= providers_minted);
				prop_assert!(paid >= claimed);
				Ok(())
			})?;
		}
	}
}

#[test]
fn the_lease_pool_is_never_more_than_the_fees_the_leases_paid() {
	build_and_execute(|| {
		// A wash trader leases to itself: 16 leases whose fees sum to 1,600 (5% of 32,000 paid
		// from one of its accounts to another). It would take the whole providers' share
		// (700,000) if the pool were weighted by GPU-blocks or paid value alone.
		for _ in 0..16 {
			Emissions::note_work(&ALICE, 0, 100);
		}
		close_era();
		let record = Eras::<Test>::get(0).unwrap();
		assert_eq!(record.lease_pool, 1_600, "capped at the fees");
		assert_eq!(Emissions::claimable(&ALICE, 0), 1_600, "its fees back, nothing more");
		// The providers' share above the cap is not minted (no verified compute this era).
		assert_eq!(record.compute_pool, 0);
		assert_eq!(record.minted, 300_000 + 1_600);

		// With verified compute in the era, the market's part above the cap goes to it.
		Emissions::note_work(&BOB, 10, 0);
		Emissions::note_work(&ALICE, 0, 1_000);
		close_era();
		let record = Eras::<Test>::get(1).unwrap();
		assert_eq!(record.lease_pool, 1_000);
		assert_eq!(record.compute_pool, 630_000 - 1_000);
		assert_eq!(Emissions::claimable(&ALICE, 1), 1_000);
	});
}

#[test]
fn bounded_changes_do_not_compound_within_an_era() {
	build_and_execute(|| {
		let admin = || RuntimeOrigin::signed(ADMIN);
		let start = default_params();
		// A referendum enacting a batch of ten +10% steps (or ten parallel referenda): the first
		// takes initial to 1.1×, the second is checked against the era's start, not 1.1×.
		let mut p = start.clone();
		p.initial = start.initial + start.initial / 10;
		assert_ok!(Emissions::set_params(admin(), p.clone()));
		let mut q = p.clone();
		q.initial = p.initial + p.initial / 10;
		assert_noop!(
			Emissions::set_params(admin(), q.clone()),
			Error::<Test>::InitialChangeTooLarge
		);
		// Within one step of the era's start, any number of changes (here back down to it).
		assert_ok!(Emissions::set_params(admin(), start.clone()));
		assert_ok!(Emissions::set_params(admin(), p.clone()));
		assert_eq!(EraBaseline::<Test>::get(), Some(start.clone()));
		// The next era starts from what is in force: one more step.
		close_era();
		assert_eq!(EraBaseline::<Test>::get(), None);
		assert_ok!(Emissions::set_params(admin(), q.clone()));
		assert_eq!(Params::<Test>::get().initial, q.initial);
		// Root is not bounded, and its values are the baseline for the rest of the era.
		let mut r = q.clone();
		r.initial = start.initial * 3;
		assert_ok!(Emissions::set_params(RuntimeOrigin::root(), r.clone()));
		assert_eq!(EraBaseline::<Test>::get(), Some(r));
	});
}
