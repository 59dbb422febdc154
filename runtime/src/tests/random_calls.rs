// Tests may panic and overflow: that is how they fail.
#![allow(
	clippy::arithmetic_side_effects,
	clippy::unwrap_used,
	clippy::expect_used,
	clippy::indexing_slicing
)]

//! The runtime-level property test: random signed calls by random accounts across balances,
//! the provider registry, proof of compute, the marketplace, emissions and governance (preimages,
//! referenda, conviction voting, the treasury), over many blocks of the real runtime, from the
//! development genesis. After every block every Crucible pallet's `try_state` holds, and with it
//! the issuance equation (total issuance = genesis + minted − burned).
//!
//! Proof of compute's own calls are free transactions of providers' nodes (authorized, not
//! signed): here they are sent signed by random accounts, as an attacker would, and must fail.
//! The outcomes of its challenges are applied as proof of compute applies them, through the
//! registry's judge interface, its slashes and emissions' verified-compute hook.
//!
//! `CRUCIBLE_FUZZ_CALLS` sets the number of calls (default 3,000; `scripts/test.sh --long` runs
//! 100,000); `CRUCIBLE_FUZZ_SEED` the seed (default: a fixed one, printed).

use crate::{
	configs::{DealWithFees, SettledLeasesToEmissions, VerifiedComputeToEmissions},
	AccountId, Balances, ConvictionVoting, Emissions, Marketplace, OriginCaller, Preimage,
	ProofOfCompute, Providers, Referenda, Runtime, RuntimeCall, RuntimeOrigin, Scheduler, System,
	Treasury, UNITS,
};
use codec::Encode;
use crucible_primitives::{
	marketplace::{AuctionKind, JobSpec, Workload},
	providers::{
		ComputeCapability, GpuSpec, GpuVendor, HardwareProfile, HardwareRequirement, Interconnect,
		Region,
	},
};
use pallet_marketplace::OnLeaseSettled;
use pallet_proof_of_compute::OnVerifiedCompute;
use pallet_providers::{ProviderMutate, ProviderSlash, ProviderStatus, SlashReason};
use polkadot_sdk::{
	frame_support::traits::{
		fungible::Balanced,
		tokens::{Fortitude, Precision, Preservation},
		Bounded, OnFinalize, OnInitialize, OnUnbalanced, StorePreimage,
	},
	pallet_conviction_voting::{AccountVote, Conviction, Vote},
	sp_core::{sr25519, Pair, H256},
	sp_keyring::Sr25519Keyring,
	sp_runtime::{traits::Dispatchable, Perbill, Permill},
	*,
};

/// splitmix64: small, seedable, good enough to pick calls.
struct Rng(u64);
impl Rng {
	fn next(&mut self) -> u64 {
		self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
		let mut z = self.0;
		z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
		z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
		z ^ (z >> 31)
	}
	fn below(&mut self, n: u64) -> u64 {
		self.next() % n.max(1)
	}
	fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
		&items[self.below(items.len() as u64) as usize]
	}
	/// A balance spread over orders of magnitude, from dust to a large holding.
	fn amount(&mut self) -> u128 {
		let exp = self.below(24) as u32;
		(self.below(1_000) as u128 + 1) * 10u128.pow(exp) / 1_000
	}
	fn chance(&mut self, percent: u64) -> bool {
		self.below(100) < percent
	}
}

fn profile(gpus: u32, uuid_seed: u8) -> HardwareProfile {
	HardwareProfile {
		gpus: vec![GpuSpec {
			vendor: GpuVendor::Nvidia,
			model: b"NVIDIA H100 80GB HBM3".to_vec().try_into().unwrap(),
			vram_mib: 81_559,
			count: gpus,
			compute_capability: ComputeCapability { major: 9, minor: 0 },
			interconnect: Interconnect::Sxm,
		}]
		.try_into()
		.unwrap(),
		gpu_uuids: (0..gpus)
			.map(|g| {
				let mut u = [uuid_seed; 16];
				u[15] = g as u8;
				u
			})
			.collect::<Vec<_>>()
			.try_into()
			.unwrap(),
		cpu_cores: 64,
		ram_mib: 512 * 1024,
		storage_gib: 4_000,
		bandwidth_mbps: 10_000,
	}
}

fn job_spec(rng: &mut Rng) -> JobSpec<crate::Balance, crate::BlockNumber> {
	let sealed = rng.chance(30);
	JobSpec {
		requirement: HardwareRequirement {
			min_vram_mib: 40_000,
			min_gpu_count: 1 + rng.below(2) as u32,
			vendor: Some(GpuVendor::Nvidia),
			model: None,
			country: None,
		},
		min_reputation: Permill::zero(),
		workload: Workload {
			image: H256::repeat_byte(rng.below(255) as u8),
			manifest: H256::repeat_byte(1),
			access_key: [7u8; 32],
		},
		duration: 5 + rng.below(40) as u32,
		max_price_per_block: rng.amount() / 1_000 + 1,
		bid_window: 2 + rng.below(10) as u32,
		auction: if sealed {
			AuctionKind::Sealed { reveal_window: 2 + rng.below(4) as u32 }
		} else {
			AuctionKind::Open
		},
	}
}

/// A random emissions parameter change, sometimes within the bound, sometimes not.
fn emission_call(rng: &mut Rng) -> RuntimeCall {
	let mut p = pallet_emissions::Params::<Runtime>::get();
	let pct = 90 + rng.below(25) as u32; // 90%..114% of the value
	p.decay = Perbill::from_parts((p.decay.deconstruct() as u64 * pct as u64 / 100) as u32);
	p.initial = p.initial / 100 * pct as u128;
	if rng.chance(20) {
		p.claim_window = rng.below(100) as u32;
	}
	RuntimeCall::Emissions(pallet_emissions::Call::set_params { params: p })
}

/// Ends the block and starts the next one: the hooks of the pallets this test exercises
/// (consensus pallets need digests a test block has not).
fn next_block() {
	let n = System::block_number();
	ProofOfCompute::on_finalize(n);
	Marketplace::on_finalize(n);
	System::reset_events();
	let next = n + 1;
	System::set_block_number(next);
	<(Scheduler, Referenda, ConvictionVoting, Treasury, Preimage) as OnInitialize<_>>::on_initialize(next);
	<(Providers, ProofOfCompute, Marketplace, Emissions) as OnInitialize<_>>::on_initialize(next);
}

fn check_invariants(context: &str) {
	Providers::do_try_state().unwrap_or_else(|e| panic!("registry after {context}: {e:?}"));
	ProofOfCompute::do_try_state()
		.unwrap_or_else(|e| panic!("proof of compute after {context}: {e:?}"));
	Marketplace::do_try_state().unwrap_or_else(|e| panic!("marketplace after {context}: {e:?}"));
	Emissions::do_try_state().unwrap_or_else(|e| panic!("emissions after {context}: {e:?}"));
}

#[derive(Default, Debug)]
struct Stats {
	calls: u64,
	ok: u64,
	blocks: u64,
	eras: u32,
	referenda: u32,
	referenda_approved: u32,
	provider_claims: u64,
}

#[test]
fn random_calls_keep_every_invariant() {
	let calls: u64 = std::env::var("CRUCIBLE_FUZZ_CALLS")
		.ok()
		.and_then(|v| v.parse().ok())
		.unwrap_or(3_000);
	let seed: u64 = std::env::var("CRUCIBLE_FUZZ_SEED")
		.ok()
		.and_then(|v| v.parse().ok())
		.unwrap_or(0xC0FF_EE00_2026);
	println!("runtime property test: {calls} calls, seed {seed}");
	let mut rng = Rng(seed);
	let mut stats = Stats::default();
	let started = std::time::Instant::now();

	let mut accounts: Vec<AccountId> = Sr25519Keyring::iter().map(|k| k.to_account_id()).collect();
	// Accounts that start empty.
	accounts.extend((0u8..4).map(|i| AccountId::from([200 + i; 32])));
	let keys: Vec<sr25519::Pair> = (0..accounts.len())
		.map(|i| sr25519::Pair::from_seed(&[i as u8 + 1; 32]))
		.collect();
	let mut ext =
		super::tests::ext_from_preset(polkadot_sdk::sp_genesis_builder::DEV_RUNTIME_PRESET);
	ext.execute_with(|| {
		System::set_block_number(1);
		check_invariants("genesis");
	});
	while stats.calls < calls {
		// The state's changes are committed every 5,000 calls: an uncommitted overlay keeps
		// every removed key, and iterating a map walks them all (the test would slow down
		// quadratically).
		let chunk_end = (stats.calls + 5_000).min(calls);
		ext.execute_with(|| {
			while stats.calls < chunk_end {
				let who_index = rng.below(accounts.len() as u64) as usize;
				let who = accounts[who_index].clone();
				let other = rng.pick(&accounts).clone();
				let origin = RuntimeOrigin::signed(who.clone());
				let job = rng.below(pallet_marketplace::NextJobId::<Runtime>::get() + 1);
				let referendum = rng
					.below(pallet_referenda::ReferendumCount::<Runtime>::get() as u64 + 1)
					as u32;
				let call: Option<RuntimeCall> = match rng.below(100) {
					0..=11 =>
						Some(RuntimeCall::Balances(pallet_balances::Call::transfer_keep_alive {
							dest: other.into(),
							value: rng.amount(),
						})),
					12..=15 =>
						Some(RuntimeCall::Balances(pallet_balances::Call::transfer_allow_death {
							dest: other.into(),
							value: rng.amount(),
						})),
					16 => Some(RuntimeCall::Balances(pallet_balances::Call::burn {
						value: rng.amount(),
						keep_alive: false,
					})),
					17..=22 => {
						let key = &keys[who_index];
						let proof = key.sign(&Providers::ownership_payload_of(&who));
						Some(RuntimeCall::Providers(pallet_providers::Call::register {
							profile: profile(1 + rng.below(3) as u32, who_index as u8),
							attestation_key: key.public().into(),
							key_proof: proof.into(),
							endpoint: b"https://gpu.example.net".to_vec().try_into().unwrap(),
							region: Region { country: *b"DE", metro: None },
							bond: 100 * UNITS + rng.amount() % (1_000 * UNITS),
						}))
					},
					23..=24 => Some(RuntimeCall::Providers(pallet_providers::Call::unbond {
						amount: rng.amount(),
					})),
					25 =>
						Some(RuntimeCall::Providers(pallet_providers::Call::withdraw_unbonded {})),
					26 => Some(RuntimeCall::Providers(pallet_providers::Call::deregister {})),
					27 => Some(RuntimeCall::Providers(pallet_providers::Call::pause {})),
					28 => Some(RuntimeCall::Providers(pallet_providers::Call::resume {})),
					29..=30 =>
						Some(RuntimeCall::Providers(pallet_providers::Call::force_suspend {
							provider: other.clone(),
						})),
					31..=36 => {
						// What proof of compute does with a challenge's outcome.
						if pallet_providers::Providers::<Runtime>::contains_key(&who) {
							if rng.chance(80) {
								let _ = <Providers as ProviderMutate<_>>::set_status(
									&who,
									ProviderStatus::Active,
								);
								let _ = <Providers as ProviderMutate<_>>::note_success(
									&who,
									Permill::from_percent(5),
								);
								VerifiedComputeToEmissions::on_verified_compute(
									&who,
									0,
									rng.amount(),
								);
							} else {
								let _ = <Providers as ProviderSlash<_>>::slash(
									&who,
									Permill::from_percent(1),
									SlashReason::MissedChallenge,
								);
								let _ = <Providers as ProviderMutate<_>>::set_status(
									&who,
									ProviderStatus::Registered,
								);
							}
						}
						None
					},
					37 => Some(RuntimeCall::ProofOfCompute(
						pallet_proof_of_compute::Call::set_params {
							params:
								crucible_primitives::proof_of_compute::ChallengeParams::development(
								),
						},
					)),
					38..=44 => Some(RuntimeCall::Marketplace(pallet_marketplace::Call::post_job {
						spec: job_spec(&mut rng),
					})),
					45..=51 =>
						Some(RuntimeCall::Marketplace(pallet_marketplace::Call::place_bid {
							job,
							price: rng.amount() / 1_000 + 1,
						})),
					52 => Some(RuntimeCall::Marketplace(pallet_marketplace::Call::withdraw_bid {
						job,
					})),
					53 =>
						Some(RuntimeCall::Marketplace(pallet_marketplace::Call::cancel_job { job })),
					54..=55 =>
						Some(RuntimeCall::Marketplace(pallet_marketplace::Call::claim { job })),
					56 => Some(RuntimeCall::Marketplace(pallet_marketplace::Call::close_auction {
						job,
					})),
					57 => {
						// A settled lease, as the marketplace reports it.
						SettledLeasesToEmissions::on_lease_settled(&who, rng.below(1_000) as u128);
						None
					},
					58..=62 => Some(RuntimeCall::Emissions(pallet_emissions::Call::claim {
						era: pallet_emissions::CurrentEra::<Runtime>::get()
							.saturating_sub(rng.below(4) as u32),
					})),
					63 => Some(emission_call(&mut rng)),
					64..=67 => {
						// A referendum on the emissions track (or the root track).
						let proposal = emission_call(&mut rng);
						let bounded = <Preimage as StorePreimage>::bound(proposal).ok();
						let track: OriginCaller = if rng.chance(80) {
							crate::governance::pallet_custom_origins::Origin::EmissionsAdmin.into()
						} else {
							polkadot_sdk::frame_system::RawOrigin::Root.into()
						};
						bounded.map(|proposal: Bounded<RuntimeCall, _>| {
							RuntimeCall::Referenda(pallet_referenda::Call::submit {
								proposal_origin: Box::new(track),
								proposal,
								enactment_moment: polkadot_sdk::frame_support::traits::schedule::DispatchTime::After(1),
							})
						})
					},
					68..=70 => Some(RuntimeCall::Referenda(
						pallet_referenda::Call::place_decision_deposit { index: referendum },
					)),
					71..=77 =>
						Some(RuntimeCall::ConvictionVoting(pallet_conviction_voting::Call::vote {
							poll_index: referendum,
							vote: AccountVote::Standard {
								vote: Vote {
									aye: rng.chance(75),
									conviction: match rng.below(7) {
										0 => Conviction::None,
										1 => Conviction::Locked1x,
										2 => Conviction::Locked2x,
										3 => Conviction::Locked3x,
										4 => Conviction::Locked4x,
										5 => Conviction::Locked5x,
										_ => Conviction::Locked6x,
									},
								},
								balance: rng.amount(),
							},
						})),
					78 => Some(RuntimeCall::ConvictionVoting(
						pallet_conviction_voting::Call::remove_vote {
							class: None,
							index: referendum,
						},
					)),
					79 => Some(RuntimeCall::ConvictionVoting(
						pallet_conviction_voting::Call::unlock {
							class: rng.below(3) as u16,
							target: other.into(),
						},
					)),
					80 => Some(RuntimeCall::Referenda(
						pallet_referenda::Call::refund_decision_deposit { index: referendum },
					)),
					81 => Some(RuntimeCall::Preimage(pallet_preimage::Call::note_preimage {
						bytes: vec![rng.below(255) as u8; rng.below(200) as usize],
					})),
					82 => Some(RuntimeCall::Treasury(pallet_treasury::Call::spend_local {
						amount: rng.amount(),
						beneficiary: other.into(),
					})),
					83..=87 => {
						// A transaction fee and tip, as transaction-payment hands them over.
						if let Ok(fee) = Balances::withdraw(
							&who,
							rng.amount() % (10 * UNITS),
							Precision::BestEffort,
							Preservation::Preserve,
							Fortitude::Polite,
						) {
							DealWithFees::on_unbalanceds([fee].into_iter());
						}
						None
					},
					_ => {
						let blocks = 1 + rng.below(6);
						for _ in 0..blocks {
							next_block();
							stats.blocks += 1;
							check_invariants("a block");
						}
						None
					},
				};
				if let Some(call) = call {
					stats.calls += 1;
					if stats.calls % 10_000 == 0 {
						println!(
							"runtime property test: {} calls, {} blocks, {:?} s",
							stats.calls,
							stats.blocks,
							started.elapsed().as_secs()
						);
					}
					let name = format!("{:?}", call.encode().get(..2));
					let is_claim = matches!(
						call,
						RuntimeCall::Emissions(pallet_emissions::Call::claim { .. })
					);
					if call.dispatch(origin).is_ok() {
						stats.ok += 1;
						stats.provider_claims += u64::from(is_claim);
					}
					// Every block is checked; calls are checked now and then (the checks are
					// the expensive part of this test).
					if stats.calls % 64 == 0 {
						check_invariants(&name);
					}
				}
			}
		});
		ext.commit_all().expect("the overlay commits");
	}
	ext.execute_with(|| {
		next_block();
		check_invariants("the last block");
		stats.eras = pallet_emissions::CurrentEra::<Runtime>::get();
		stats.referenda = pallet_referenda::ReferendumCount::<Runtime>::get();
		stats.referenda_approved = pallet_referenda::ReferendumInfoFor::<Runtime>::iter()
			.filter(|(_, info)| matches!(info, pallet_referenda::ReferendumInfo::Approved(..)))
			.count() as u32;
	});
	println!("runtime property test: {stats:?}");
	assert!(stats.ok > stats.calls / 10, "most calls cannot all fail: {stats:?}");
	assert!(stats.eras >= 1, "at least one era closed: {stats:?}");
}
