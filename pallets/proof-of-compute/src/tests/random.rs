//! Random sequences of registry and proof-of-compute calls, by honest, lying, lazy and
//! careless providers, over many blocks (some full, leaving no room for the sweep), with both
//! pallets' invariants checked after every block and every call.

use super::*;
use proptest::prelude::*;
use std::collections::BTreeMap;

#[derive(Clone, Debug)]
enum Action {
	Register {
		who: AccountId,
		gpus: u8,
		extra: Balance,
	},
	/// Commit a computation that lies about entries with probability `lie_percent`.
	Commit {
		who: AccountId,
		lie_percent: u8,
	},
	Open {
		who: AccountId,
		tamper: bool,
	},
	Heartbeat {
		who: AccountId,
	},
	Pause {
		who: AccountId,
	},
	Resume {
		who: AccountId,
	},
	BondExtra {
		who: AccountId,
		amount: Balance,
	},
	Unbond {
		who: AccountId,
		amount: Balance,
	},
	Withdraw {
		who: AccountId,
	},
	Deregister {
		who: AccountId,
	},
	ForceSuspend {
		who: AccountId,
	},
	ForceResume {
		who: AccountId,
	},
	SetParams {
		samples: u32,
		inner_mult: u32,
	},
	Blocks {
		n: u8,
		full: bool,
	},
}

fn who() -> impl Strategy<Value = AccountId> {
	1u64..=6
}

fn action() -> impl Strategy<Value = Action> {
	prop_oneof![
		3 => (who(), 1u8..=3, 0u64..=5_000).prop_map(|(who, gpus, extra)| Action::Register { who, gpus, extra }),
		6 => (who(), prop_oneof![3 => Just(0u8), 1 => 1u8..=100]).prop_map(|(who, lie_percent)| Action::Commit { who, lie_percent }),
		6 => (who(), prop::bool::weighted(0.1)).prop_map(|(who, tamper)| Action::Open { who, tamper }),
		2 => who().prop_map(|who| Action::Heartbeat { who }),
		1 => who().prop_map(|who| Action::Pause { who }),
		1 => who().prop_map(|who| Action::Resume { who }),
		1 => (who(), 1u64..=2_000).prop_map(|(who, amount)| Action::BondExtra { who, amount }),
		1 => (who(), 1u64..=12_000).prop_map(|(who, amount)| Action::Unbond { who, amount }),
		1 => who().prop_map(|who| Action::Withdraw { who }),
		1 => who().prop_map(|who| Action::Deregister { who }),
		1 => who().prop_map(|who| Action::ForceSuspend { who }),
		1 => who().prop_map(|who| Action::ForceResume { who }),
		1 => (1u32..=8, 1u32..=2).prop_map(|(samples, inner_mult)| Action::SetParams { samples, inner_mult }),
		8 => (1u8..=6, prop::bool::weighted(0.2)).prop_map(|(n, full)| Action::Blocks { n, full }),
	]
}

/// A deterministic coin per position and lie rate.
fn lies(pos: &Position, percent: u8, salt: u64) -> bool {
	let h = polkadot_sdk::sp_io::hashing::blake2_256(&(pos.batch, pos.row, pos.col, salt).encode());
	h[0] as u32 * 100 / 256 < u32::from(percent)
}

use codec::Encode;

fn apply(action: Action, provers: &mut BTreeMap<AccountId, Prover>, salt: u64) {
	let signed = |who| RuntimeOrigin::signed(who);
	match action {
		Action::Register { who, gpus, extra } => {
			if pallet_providers::Providers::<Test>::get(who).is_none() &&
				!(1..=6).any(|o| {
					o != who &&
						pallet_providers::Providers::<Test>::get(o)
							.is_some_and(|r| r.attestation_key == key(who))
				}) {
				register_with(who, gpus, MIN_BOND + extra);
			}
		},
		Action::Commit { who, lie_percent } => {
			if ProofOfCompute::challenge_view(&who).is_some_and(|v| v.committed.is_none()) {
				let prover = Prover::compute(who, |p| lies(p, lie_percent, salt));
				let _ = submit(commitment_call(who, prover.view.period, prover.root));
				provers.insert(who, prover);
			}
		},
		Action::Open { who, tamper } => {
			let Some(prover) = provers.get(&who) else { return };
			let ready = ProofOfCompute::period_info(prover.view.period)
				.is_some_and(|i| i.sample_seed.is_some()) &&
				Commitments::<Test>::get(who).is_some_and(|c| c.period == prover.view.period);
			if ready {
				let mut openings = prover.openings(who);
				if tamper {
					if let Some(first) = openings.first_mut() {
						first.leaf[0] = first.leaf[0].wrapping_add(1);
					}
				}
				let _ = submit(opening_call(who, prover.view.period, openings));
			}
		},
		Action::Heartbeat { who } =>
			if let Some(period) = ProofOfCompute::current_index() {
				let _ = submit(heartbeat_call(who, period));
			},
		Action::Pause { who } => {
			let _ = Providers::pause(signed(who));
		},
		Action::Resume { who } => {
			let _ = Providers::resume(signed(who));
		},
		Action::BondExtra { who, amount } => {
			let _ = Providers::bond_extra(signed(who), amount);
		},
		Action::Unbond { who, amount } => {
			let _ = Providers::unbond(signed(who), amount);
		},
		Action::Withdraw { who } => {
			let _ = Providers::withdraw_unbonded(signed(who));
		},
		Action::Deregister { who } => {
			let _ = Providers::deregister(signed(who));
		},
		Action::ForceSuspend { who } => {
			let _ = Providers::force_suspend(RuntimeOrigin::root(), who);
		},
		Action::ForceResume { who } => {
			let _ = Providers::force_resume(RuntimeOrigin::root(), who);
		},
		Action::SetParams { samples, inner_mult } => {
			let mut params = test_params();
			params.samples = samples;
			params.inner = 64 * inner_mult;
			assert_ok!(ProofOfCompute::set_params(RuntimeOrigin::root(), params));
		},
		Action::Blocks { n, full } =>
			for _ in 0..n {
				if full {
					super::next_block_without_idle();
				} else {
					next_block();
				}
				check_invariants();
			},
	}
}

proptest! {
	#![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

	#[test]
	fn random_registry_and_proof_of_compute_calls_keep_both_pallets_invariants(
		actions in prop::collection::vec(action(), 20..160),
		salt in any::<u64>(),
	) {
		new_test_ext().execute_with(|| {
			SALT.with(|s| *s.borrow_mut() = salt);
			let mut provers = BTreeMap::new();
			for action in actions {
				apply(action, &mut provers, salt);
				check_invariants();
			}
			// Let every open period close and be swept.
			let end = System::block_number() + 30;
			run_to_block_checked(end);
			// Whoever is challengeable and has outcomes never got a pass for a failed opening.
			for who in 1..=6u64 {
				for record in Outcomes::<Test>::get(who) {
					if let Outcome::Passed { units } = record.outcome {
						prop_assert!(units > 0);
					}
				}
			}
			Ok(())
		})?;
	}
}

#[test]
fn honest_providers_always_pass_and_liars_are_caught_over_many_periods() {
	new_test_ext().execute_with(|| {
		register(ALICE);
		register(BOB);
		next_block();
		for period in 0..6u32 {
			run_to_block(period_start(period) + 1);
			let honest = Prover::honest(ALICE);
			assert_ok!(submit(commitment_call(ALICE, period, honest.root)).unwrap());
			// Bob skips half of the work: wrong entries where he did not compute.
			let liar = Prover::compute(BOB, |p| lies(p, 50, u64::from(period)));
			assert_ok!(submit(commitment_call(BOB, period, liar.root)).unwrap());
			run_to_block(period_start(period) + 6);
			assert_ok!(submit(opening_call(ALICE, period, honest.openings(ALICE))).unwrap());
			assert_ok!(submit(opening_call(BOB, period, liar.openings(BOB))).unwrap());
			check_invariants();
		}
		assert!(outcomes(ALICE).iter().all(|(_, o)| matches!(o, Outcome::Passed { .. })));
		// With 4 samples and half of the entries wrong, a period passes with probability 1/16.
		let caught = outcomes(BOB).iter().filter(|(_, o)| matches!(o, Outcome::Failed(_))).count();
		assert!(caught >= 3, "caught {caught} times of 6");
	});
}
