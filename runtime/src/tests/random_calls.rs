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
//! Each Crucible pallet's `testing` module supplies its own random calls (the Cosmos SDK's
//! `simulation/` way): `pallet_providers::testing::random`, proof of compute's
//! `random_outcome`, the marketplace's and emissions' `random_call`; this test picks the
//! pallet, the caller and the blocks, and adds the runtime-level calls (balances, governance,
//! fees). Random numbers are `crucible_primitives::testing::Rng` (SplitMix64, as the challenge's
//! generator).
//!
//! Adversarial actors ride along: a free-transaction spammer (node bids and refusals signed by a
//! provider's attestation key: whatever `authorize` admits must dispatch without error), a wash
//! trader (a provider bidding on its own jobs is one of the random calls, and emissions' lease
//! pool never exceeds the lease fees, checked by its `try_state`), and a governance compounder
//! (a referendum enacting a batch of ten bounded emission changes), and a timer flooder (bursts
//! of jobs closing in one block: after every block the marketplace's timer cursor has caught up).
//!
//! `CRUCIBLE_FUZZ_CALLS` sets the number of calls (default 3,000; `scripts/test.sh --long` runs
//! 100,000); `CRUCIBLE_FUZZ_SEED` the seed (default: a fixed one, printed).

use crate::{
	configs::DealWithFees, AccountId, Balances, ConvictionVoting, Emissions, Marketplace,
	OriginCaller, Preimage, ProofOfCompute, Providers, Referenda, Runtime, RuntimeCall,
	RuntimeOrigin, Scheduler, System, Treasury, UNITS,
};
use codec::Encode;
use crucible_primitives::testing::Rng;
use polkadot_sdk::{
	frame_support::traits::{
		fungible::Balanced,
		tokens::{Fortitude, Precision, Preservation},
		Bounded, OnFinalize, OnInitialize, OnUnbalanced, StorePreimage,
	},
	pallet_conviction_voting::{AccountVote, Conviction, Vote},
	sp_keyring::Sr25519Keyring,
	sp_runtime::traits::Dispatchable,
	*,
};

/// Ends the block and starts the next one: the hooks of the pallets this test exercises
/// (consensus pallets need digests a test block has not).
fn next_block() {
	let n = System::block_number();
	ProofOfCompute::on_finalize(n);
	Marketplace::on_finalize(n);
	Emissions::on_finalize(n);
	System::reset_events();
	let next = n + 1;
	System::set_block_number(next);
	<(Scheduler, Referenda, ConvictionVoting, Treasury, Preimage) as OnInitialize<_>>::on_initialize(next);
	<(Providers, ProofOfCompute, Marketplace, Emissions) as OnInitialize<_>>::on_initialize(next);
	// Admission ≤ processing: the block's own timer queue is always emptied in it.
	assert_eq!(
		pallet_marketplace::TimerCursor::<Runtime>::get(),
		Some(next + 1),
		"the timer queue fell behind at block {next}"
	);
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
	/// Bursts of 40 jobs closing in one block the timer flooder sent.
	floods: u32,
	/// Free transactions the spammer sent, and how many the pool would have admitted.
	free_sent: u64,
	free_admitted: u64,
	/// Audited jobs posted with a bid from an `Active` provider (the audited-lease scenario).
	audited_posts: u64,
}

thread_local! {
	static FREE_ADMITTED: core::cell::Cell<u64> = const { core::cell::Cell::new(0) };
	static AUDIT_ADMITTED: core::cell::Cell<u64> = const { core::cell::Cell::new(0) };
	static OFFERS_ADMITTED: core::cell::Cell<u64> = const { core::cell::Cell::new(0) };
}

/// A free (authorized) marketplace call as a provider's node, or an attacker holding a
/// provider's attestation key (`seed`), sends it: a standing offer (random price, leases,
/// longest lease, lifetime; sometimes a withdrawal), a node bid at a random price and lifetime,
/// or a refusal attestation of a random job. `authorize` is run as the pool runs it; whatever it
/// admits is dispatched with the authorized origin and must succeed (a free call that fails
/// changes nothing and would be valid again in the next block: free block space).
fn free_transaction(rng: &mut Rng, accounts: &[AccountId], who_index: usize, job: u64) {
	use crucible_primitives::marketplace::{
		node_bid_payload, node_offer_payload, signing_payload, NodeBid, NodeBidAction, NodeOffer,
		Offer, Refusal, WorkAttestation, WorkReport,
	};
	use polkadot_sdk::{
		frame_support::{pallet_prelude::TransactionSource, traits::Authorize},
		sp_core::Pair,
	};
	// Each account's attestation key is its own (seed: its index + 1).
	let key_of = |who: &AccountId| {
		let index = accounts.iter().position(|a| a == who).unwrap_or(who_index);
		pallet_providers::testing::key_pair(index as u8 + 1)
	};
	let genesis = System::block_hash(0);
	let now = System::block_number();
	// Half the time the newest job (the one most likely still taking bids).
	let job = if rng.chance(50) {
		pallet_marketplace::NextJobId::<Runtime>::get().saturating_sub(1)
	} else {
		job
	};
	let max = pallet_marketplace::Jobs::<Runtime>::get(job).map(|j| j.spec.max_price_per_block);
	let lease = pallet_marketplace::Leases::<Runtime>::get(job);
	if rng.chance(30) {
		if let Some(call) = audit_transaction(rng, &lease, job, &key_of) {
			let call = RuntimeCall::Marketplace(call);
			let Some(Ok(_)) = call.authorize(TransactionSource::External) else { return };
			FREE_ADMITTED.with(|n| n.set(n.get() + 1));
			AUDIT_ADMITTED.with(|n| n.set(n.get() + 1));
			let result =
				call.clone().dispatch(polkadot_sdk::frame_system::RawOrigin::Authorized.into());
			assert!(
				result.is_ok(),
				"an authorized audit call failed in the block: {call:?}: {result:?}"
			);
			return;
		}
	}
	let call = if rng.chance(12) {
		let who = accounts[who_index].clone();
		let offer = NodeOffer {
			provider: who.clone(),
			offer: (!rng.chance(20)).then(|| Offer {
				price_per_gpu: match max {
					Some(max) if rng.chance(50) => max / 2,
					_ => rng.amount() % (UNITS / 10),
				},
				max_leases: rng.below(4) as u32,
				max_duration: rng.chance(50).then(|| rng.below(200) as u32),
			}),
			valid_until: now + rng.below(13) as u32,
		};
		let signature = key_of(&who).sign(&node_offer_payload(genesis.as_ref(), &offer)).into();
		pallet_marketplace::Call::<Runtime>::publish_offer { offer, signature }
	} else if rng.chance(75) {
		// Half the time the lease's own provider (a refusal of a completed job is the classic).
		let who = match &lease {
			Some(l) if rng.chance(50) => l.provider.clone(),
			_ => accounts[who_index].clone(),
		};
		// Half the time a price the job would take, else anything.
		let price = match max {
			Some(max) if rng.chance(50) => max / 2,
			_ => rng.amount() % (UNITS / 10),
		};
		let bid = NodeBid {
			provider: who.clone(),
			job,
			action: NodeBidAction::Place { price },
			valid_until: now + rng.below(13) as u32,
			withdrawals: pallet_marketplace::BidWithdrawals::<Runtime>::get(&who),
		};
		let signature = key_of(&who).sign(&node_bid_payload(genesis.as_ref(), &bid)).into();
		pallet_marketplace::Call::<Runtime>::bid_from_node { bid, signature }
	} else {
		let (who, at) = match &lease {
			Some(l) => (l.provider.clone(), l.attested_through),
			None => (accounts[who_index].clone(), 0),
		};
		let attestation = WorkAttestation {
			provider: who.clone(),
			job,
			from: at,
			to: at,
			report: WorkReport::Refused { reason: Refusal::RunnerFailed },
		};
		let signature = key_of(&who).sign(&signing_payload(genesis.as_ref(), &attestation)).into();
		pallet_marketplace::Call::<Runtime>::attest { attestation, signature }
	};
	let offer = matches!(call, pallet_marketplace::Call::publish_offer { .. });
	let call = RuntimeCall::Marketplace(call);
	let Some(Ok(_)) = call.authorize(TransactionSource::External) else { return };
	FREE_ADMITTED.with(|n| n.set(n.get() + 1));
	if offer {
		OFFERS_ADMITTED.with(|n| n.set(n.get() + 1));
	}
	let result = call.clone().dispatch(polkadot_sdk::frame_system::RawOrigin::Authorized.into());
	assert!(result.is_ok(), "an authorized free call failed in the block: {call:?}: {result:?}");
}

/// What an audited job's parties' nodes send: the provider's completion (at the lease's end),
/// an auditor's answer, a party's opening. Each party computes the job's true output, except
/// now and then (a liar, or a lazy copier); a call its dispatch would refuse is refused by
/// `authorize` instead.
fn audit_transaction(
	rng: &mut Rng,
	lease: &Option<pallet_marketplace::LeaseOf<Runtime>>,
	job: u64,
	key_of: &dyn Fn(&AccountId) -> polkadot_sdk::sp_core::sr25519::Pair,
) -> Option<pallet_marketplace::Call<Runtime>> {
	use crucible_primitives::{
		audit::{
			audit_commitment, audit_payload, opening_of, result_digest, AuditReport, AuditStep,
		},
		marketplace::{signing_payload, JobPhase, Usage, WorkAttestation, WorkReport},
	};
	use polkadot_sdk::{sp_core::Pair, sp_io::hashing::blake2_256};
	// Mostly one of the audited leases (few of the random jobs are), else the job drawn.
	let audited: Vec<(u64, pallet_marketplace::LeaseOf<Runtime>)> =
		pallet_marketplace::Leases::<Runtime>::iter()
			.filter(|(id, _)| {
				pallet_marketplace::Jobs::<Runtime>::get(id)
					.is_some_and(|j| j.spec.verification != Default::default())
			})
			.collect();
	let (job, lease) = match rng.pick(&audited) {
		Some((id, l)) if rng.chance(90) => (*id, l.clone()),
		_ => (job, lease.clone()?),
	};
	let genesis = System::block_hash(0);
	let output = |who: &AccountId, lies: bool| {
		let leaf = if lies { blake2_256(&(job, who).encode()) } else { blake2_256(&job.encode()) };
		opening_of(&[leaf])
	};
	let phase = pallet_marketplace::Jobs::<Runtime>::get(job)?.phase;
	match phase {
		JobPhase::Running => {
			let root = output(&lease.provider, rng.chance(20)).root;
			let attestation = WorkAttestation {
				provider: lease.provider.clone(),
				job,
				from: lease.attested_through,
				to: lease.end,
				report: WorkReport::Completed {
					usage: Usage::default(),
					status: Default::default(),
					result: result_digest(job, &root),
				},
			};
			let signature = key_of(&lease.provider)
				.sign(&signing_payload(genesis.as_ref(), &attestation))
				.into();
			Some(pallet_marketplace::Call::attest { attestation, signature })
		},
		JobPhase::Verifying { .. } => {
			let audit = pallet_marketplace::Audits::<Runtime>::get(job)?;
			let mut parties: Vec<AccountId> =
				audit.auditors.iter().map(|a| a.who.clone()).collect();
			parties.push(lease.provider.clone());
			let who = rng.pick(&parties)?.clone();
			let lies = rng.chance(15);
			let opening = output(&who, lies);
			let step = if rng.chance(50) {
				AuditStep::Submit {
					digest: if rng.chance(10) {
						audit.digest
					} else {
						result_digest(job, &opening.root)
					},
					commitment: audit_commitment(job, &who, &opening.root),
				}
			} else {
				AuditStep::Open { opening }
			};
			let report = AuditReport { who: who.clone(), job, step };
			let signature = key_of(&who).sign(&audit_payload(genesis.as_ref(), &report)).into();
			Some(pallet_marketplace::Call::audit { report, signature })
		},
		_ => None,
	}
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
	let mut rng = Rng::new(seed);
	let mut stats = Stats::default();
	let started = std::time::Instant::now();

	let mut accounts: Vec<AccountId> = Sr25519Keyring::iter().map(|k| k.to_account_id()).collect();
	// Accounts that start empty.
	accounts.extend((0u8..4).map(|i| AccountId::from([200 + i; 32])));
	let mut ext = super::ext_from_preset(polkadot_sdk::sp_genesis_builder::DEV_RUNTIME_PRESET);
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
				let other = rng.pick(&accounts).expect("accounts").clone();
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
					17..=30 =>
						Some(RuntimeCall::Providers(pallet_providers::testing::random::call::<
							Runtime,
						>(
							&mut rng,
							&who,
							// Each account's attestation key (and host) is its own.
							who_index as u8 + 1,
							&other,
							1_000 * UNITS,
						))),
					31..=36 => {
						// What proof of compute does with a challenge's outcome.
						pallet_proof_of_compute::testing::random_outcome::<Runtime>(&mut rng, &who);
						None
					},
					37 => Some(RuntimeCall::ProofOfCompute(
						pallet_proof_of_compute::Call::set_params {
							params:
								crucible_primitives::proof_of_compute::ChallengeParams::development(
								),
						},
					)),
					38..=57 =>
						pallet_marketplace::testing::random_call::<Runtime>(&mut rng, &who, job)
							.map(RuntimeCall::Marketplace),
					58..=63 =>
						Some(RuntimeCall::Emissions(pallet_emissions::testing::random_call::<
							Runtime,
						>(&mut rng))),
					64..=67 => {
						// A referendum on the emissions track (or the root track).
						let proposal = RuntimeCall::Emissions(
							pallet_emissions::testing::random_params_change::<Runtime>(&mut rng),
						);
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
					88..=91 => {
						// The free-transaction spammer: a node bid (often one its call would
						// refuse) or a refusal attestation, signed by the caller's own
						// attestation key. What the pool admits must never fail in the block.
						free_transaction(&mut rng, &accounts, who_index, job);
						stats.free_sent += 1;
						None
					},
					92 => {
						// The governance compounder: one referendum enacting a batch of bounded
						// emission changes, each a step from the last.
						let steps = (0..10)
							.map(|_| {
								RuntimeCall::Emissions(
									pallet_emissions::testing::random_params_change::<Runtime>(
										&mut rng,
									),
								)
							})
							.collect();
						let batch =
							RuntimeCall::Utility(pallet_utility::Call::batch { calls: steps });
						<Preimage as StorePreimage>::bound(batch).ok().map(
							|proposal: Bounded<RuntimeCall, _>| {
								RuntimeCall::Referenda(pallet_referenda::Call::submit {
									proposal_origin: Box::new(
										crate::governance::pallet_custom_origins::Origin::EmissionsAdmin
											.into(),
									),
									proposal,
									enactment_moment: polkadot_sdk::frame_support::traits::schedule::DispatchTime::After(1),
								})
							},
						)
					},
					94 => {
						// The audited lease: a deterministic job audited at 50–100%, and a bid on
						// it from an `Active` provider, so that the audits' parties (driven by
						// `audit_transaction`) and their invariants are reached in the runtime too.
						let active: Vec<AccountId> = accounts
							.iter()
							.filter(|a| {
								pallet_providers::Providers::<Runtime>::get(a).is_some_and(|r| {
									r.status == pallet_providers::ProviderStatus::Active
								})
							})
							.cloned()
							.collect();
						if let Some(bidder) = rng.pick(&active).cloned() {
							let manifest = crucible_primitives::marketplace::Manifest {
								deterministic: true,
								egress: false,
								secrets: Default::default(),
								..pallet_marketplace::testing::random_manifest(&mut rng)
									.unwrap_or_else(|| {
										pallet_marketplace::testing::deterministic_manifest()
									})
							};
							let mut spec =
								pallet_marketplace::testing::random_job_spec::<Runtime>(&mut rng);
							spec.requirement.min_gpu_count = 0;
							spec.workload.manifest =
								crucible_primitives::marketplace::manifest_hash(&manifest);
							spec.max_price_per_block = spec.max_price_per_block.max(UNITS / 1_000);
							spec.verification = crucible_primitives::audit::Verification::Audited {
								rate: polkadot_sdk::sp_runtime::Permill::from_percent(
									50 + rng.below(51) as u32,
								),
							};
							let id = pallet_marketplace::NextJobId::<Runtime>::get();
							let post =
								RuntimeCall::Marketplace(pallet_marketplace::Call::post_job {
									spec: spec.clone(),
									manifest: Some(manifest),
								});
							stats.calls += 1;
							if post.dispatch(origin.clone()).is_ok() {
								stats.ok += 1;
								let bid =
									RuntimeCall::Marketplace(pallet_marketplace::Call::place_bid {
										job: id,
										price: spec.max_price_per_block / 2,
									});
								stats.calls += 1;
								if bid.dispatch(RuntimeOrigin::signed(bidder)).is_ok() {
									stats.ok += 1;
									stats.audited_posts += 1;
								}
							}
						}
						None
					},
					93 => {
						// The timer flooder: a burst of cheap jobs whose auctions all close in
						// the same block. Admission never outruns processing: past what the
						// queues ahead hold, `post_job` is refused, and every block's hook
						// still empties its own queue (checked after each block).
						let mut spec =
							pallet_marketplace::testing::random_job_spec::<Runtime>(&mut rng);
						spec.max_price_per_block = spec.max_price_per_block.max(UNITS / 1_000);
						for _ in 0..40 {
							let call =
								RuntimeCall::Marketplace(pallet_marketplace::Call::post_job {
									spec: spec.clone(),
									manifest: None,
								});
							stats.calls += 1;
							if call.dispatch(origin.clone()).is_ok() {
								stats.ok += 1;
							}
						}
						stats.floods += 1;
						None
					},
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
	stats.free_admitted = FREE_ADMITTED.with(|n| n.get());
	println!("runtime property test: {stats:?}");
	println!(
		"runtime property test: {} audit steps admitted, {} receipts, {} leases now, {} standing offers admitted ({} on chain)",
		AUDIT_ADMITTED.with(|n| n.get()),
		ext.execute_with(|| pallet_marketplace::Receipts::<Runtime>::iter().count()),
		ext.execute_with(|| pallet_marketplace::Leases::<Runtime>::iter().count()),
		OFFERS_ADMITTED.with(|n| n.get()),
		ext.execute_with(|| pallet_marketplace::Offers::<Runtime>::iter().count())
	);
	assert!(stats.ok > stats.calls / 10, "most calls cannot all fail: {stats:?}");
	assert!(stats.eras >= 1, "at least one era closed: {stats:?}");
}
