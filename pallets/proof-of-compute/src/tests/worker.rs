//! The off-chain worker against a scripted compute service (the test offchain extension's HTTP)
//! and a test transaction pool: what it asks, what it submits, and that it submits nothing
//! without a backend.

use super::*;
use codec::Encode;
use crucible_primitives::{
	challenge::Opening,
	proof_of_compute::service::{
		CommitResponse, ComputeRequest, OpenRequest, OpenResponse, COMMIT_PATH, OPEN_PATH,
	},
};
use crucible_test_support::{
	insert_attestation_key, start_compute_service, worker_ext, ComputeService,
};
use polkadot_sdk::{frame_support::traits::Hooks, sp_runtime::BoundedVec};

/// A test externality with the offchain extensions and Alice's attestation key in the node's
/// keystore; the scripted compute service and the pool's calls.
fn harness(
) -> (polkadot_sdk::sp_io::TestExternalities, ComputeService, impl Fn() -> Vec<Call<Test>>) {
	let (mut ext, service, pool) = worker_ext(new_test_ext());
	ext.execute_with(|| insert_attestation_key(ALICE as u8));
	let submitted = move || {
		pool.take::<Extrinsic>()
			.into_iter()
			.map(|xt| {
				assert!(
					matches!(xt.preamble, polkadot_sdk::sp_runtime::generic::Preamble::General(..)),
					"a general (authorized) transaction"
				);
				match xt.function {
					RuntimeCall::ProofOfCompute(call) => call,
					other => panic!("unexpected call {other:?}"),
				}
			})
			.collect::<Vec<_>>()
	};
	(ext, service, submitted)
}

fn set_endpoint() {
	start_compute_service(b"cpu");
}

#[test]
fn without_a_compute_backend_the_worker_submits_nothing() {
	let (mut ext, _service, submitted) = harness();
	ext.execute_with(|| {
		registered_in_period_zero(&[ALICE]);
		ProofOfCompute::offchain_worker(2);
		ProofOfCompute::offchain_worker(3);
		assert!(submitted().is_empty());
	});
}

#[test]
fn a_node_without_keys_does_nothing() {
	let (mut ext, _service, pool) = worker_ext(new_test_ext());
	ext.execute_with(|| {
		registered_in_period_zero(&[ALICE]);
		set_endpoint();
		ProofOfCompute::offchain_worker(2);
	});
	assert!(pool.take::<Extrinsic>().is_empty());
}

#[test]
fn the_worker_heartbeats_commits_and_opens_through_the_compute_service() {
	let (mut ext, service, submitted) = harness();
	ext.execute_with(|| {
		registered_in_period_zero(&[ALICE]);
		set_endpoint();
		let prover = Prover::honest(ALICE);
		let request = ComputeRequest {
			seed: prover.view.seed,
			shape: prover.shape(),
			leaf_size: prover.view.leaf_size,
		};
		service.expect_post(
			COMMIT_PATH,
			request.encode(),
			CommitResponse { root: prover.root, compute_ms: 12 }.encode(),
		);
		ProofOfCompute::offchain_worker(2);
		let calls = submitted();
		assert_eq!(calls.len(), 2, "a heartbeat and a commitment");
		for call in calls {
			// Each is valid and passes as the pool and block would run it.
			assert_ok!(submit(call).unwrap());
		}
		assert_eq!(Commitments::<Test>::get(ALICE).unwrap().root, prover.root);
		assert_eq!(Heartbeats::<Test>::get(ALICE).unwrap().report.backend, Backend::Cpu);

		// A concurrent or later run in the same window does not compute again.
		ProofOfCompute::offchain_worker(2);
		ProofOfCompute::offchain_worker(3);
		assert!(submitted().is_empty());

		run_to_block(7);
		let view = ProofOfCompute::challenge_view(&ALICE).unwrap();
		let openings: Vec<Opening> = view.positions.iter().map(|p| prover.open(p)).collect();
		let open = OpenRequest {
			challenge: request,
			positions: BoundedVec::truncate_from(view.positions.clone()),
		};
		service.expect_post(
			OPEN_PATH,
			open.encode(),
			OpenResponse { openings: BoundedVec::truncate_from(openings) }.encode(),
		);
		ProofOfCompute::offchain_worker(7);
		let calls = submitted();
		assert_eq!(calls.len(), 1);
		assert_ok!(submit(calls.into_iter().next().unwrap()).unwrap());
		assert_eq!(status(ALICE), Some(pallet_providers::ProviderStatus::Active));
		// The outcome is logged once; nothing more is sent this period.
		ProofOfCompute::offchain_worker(8);
		assert!(submitted().is_empty());
	});
}

#[test]
fn a_failing_compute_service_is_retried_in_a_later_block() {
	let (mut ext, service, submitted) = harness();
	ext.execute_with(|| {
		registered_in_period_zero(&[ALICE]);
		set_endpoint();
		let prover = Prover::honest(ALICE);
		let request = ComputeRequest {
			seed: prover.view.seed,
			shape: prover.shape(),
			leaf_size: prover.view.leaf_size,
		};
		// A malformed answer: nothing is committed, the claim is released.
		service.expect_post(COMMIT_PATH, request.encode(), b"not scale".to_vec());
		ProofOfCompute::offchain_worker(2);
		let calls = submitted();
		assert_eq!(calls.len(), 1, "only the heartbeat");
		assert!(matches!(calls[0], Call::heartbeat { .. }));
		service.expect_post(
			COMMIT_PATH,
			request.encode(),
			CommitResponse { root: prover.root, compute_ms: 3 }.encode(),
		);
		ProofOfCompute::offchain_worker(2);
		let calls = submitted();
		assert!(matches!(calls.as_slice(), [Call::submit_commitment { .. }]));
	});
}

#[test]
fn a_run_does_not_compute_again_while_another_still_computes() {
	let (mut ext, _service, submitted) = harness();
	ext.execute_with(|| {
		// A commit window of 6 blocks (a mainnet-like challenge takes several blocks).
		let mut params = test_params();
		(params.commit_window, params.open_window) = (6, 10);
		assert_ok!(ProofOfCompute::set_params(RuntimeOrigin::root(), params));
		registered_in_period_zero(&[ALICE]);
		set_endpoint();
		// The heartbeat is on chain; the run of block 2 claimed the commitment and is still
		// waiting for the compute service (no root yet).
		assert_ok!(submit(heartbeat_call(ALICE, 0)).unwrap());
		let claimed = crate::offchain::LocalState { commit_claimed: Some(2), ..Default::default() };
		crate::offchain::challenge_record::<Test>(&ALICE, 0).update(|s| *s = claimed);
		// Four blocks later, still inside the window, a run asks nothing (an unexpected HTTP
		// request would fail the test) and submits nothing.
		run_to_block(6);
		ProofOfCompute::offchain_worker(6);
		assert!(submitted().is_empty());
	});
}
