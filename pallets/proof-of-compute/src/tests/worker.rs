//! The off-chain worker against a scripted compute service (the test offchain extension's HTTP)
//! and a test transaction pool: what it asks, what it submits, and that it submits nothing
//! without a backend.

use super::*;
use codec::{Decode, Encode};
use crucible_primitives::{
	challenge::Opening,
	proof_of_compute::service::{
		CommitResponse, ComputeRequest, OpenRequest, OpenResponse, COMMIT_PATH, ENDPOINT_KEY,
		OPEN_PATH,
	},
	providers::ATTESTATION_KEY_TYPE,
};
use polkadot_sdk::{
	frame_support::traits::Hooks,
	sp_core::offchain::{
		testing::{PendingRequest, TestOffchainExt, TestTransactionPoolExt},
		OffchainDbExt, OffchainWorkerExt, StorageKind, TransactionPoolExt,
	},
	sp_io,
	sp_runtime::BoundedVec,
};

const URL: &str = "http://127.0.0.1:9955";

/// A test externality with the offchain extensions and Alice's attestation key in the
/// keystore; `expect_post(path, body, response)` scripts the compute service, `submitted()`
/// takes the calls the worker put into the pool.
#[allow(clippy::type_complexity)]
fn harness() -> (
	polkadot_sdk::sp_io::TestExternalities,
	impl Fn(&str, Vec<u8>, Vec<u8>),
	impl Fn() -> Vec<Call<Test>>,
) {
	let mut ext = new_test_ext();
	let (offchain, http) = TestOffchainExt::new();
	let (pool, pool_state) = TestTransactionPoolExt::new();
	ext.register_extension(OffchainDbExt::new(offchain.clone()));
	ext.register_extension(OffchainWorkerExt::new(offchain));
	ext.register_extension(TransactionPoolExt::new(pool));
	ext.execute_with(|| {
		// Alice's attestation key in the node's keystore.
		let seed = format!("0x{}", "01".repeat(32));
		sp_io::crypto::sr25519_generate(ATTESTATION_KEY_TYPE, Some(seed.into_bytes()));
	});
	let expect_post = move |path: &str, body: Vec<u8>, response: Vec<u8>| {
		http.write().expect_request(PendingRequest {
			method: "POST".into(),
			uri: format!("{URL}{path}"),
			headers: vec![
				("Content-Type".into(), "application/octet-stream".into()),
				("Content-Length".into(), body.len().to_string()),
			],
			body,
			response: Some(response),
			sent: true,
			..Default::default()
		});
	};
	let submitted = move || {
		let txs = std::mem::take(&mut pool_state.write().transactions);
		txs.into_iter()
			.map(|tx| {
				let xt = Extrinsic::decode(&mut &tx[..]).expect("an extrinsic");
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
	(ext, expect_post, submitted)
}

fn set_endpoint() {
	sp_io::offchain::local_storage_set(StorageKind::PERSISTENT, ENDPOINT_KEY, URL.as_bytes());
	sp_io::offchain::local_storage_set(
		StorageKind::PERSISTENT,
		crate::offchain::BACKEND_KEY,
		b"cpu",
	);
}

#[test]
fn without_a_compute_backend_the_worker_submits_nothing() {
	let (mut ext, _expect_post, submitted) = harness();
	ext.execute_with(|| {
		registered_in_period_zero(&[ALICE]);
		ProofOfCompute::offchain_worker(2);
		ProofOfCompute::offchain_worker(3);
		assert!(submitted().is_empty());
	});
}

#[test]
fn a_node_without_keys_does_nothing() {
	let mut ext = new_test_ext();
	let (offchain, _http) = TestOffchainExt::new();
	let (pool, pool_state) = TestTransactionPoolExt::new();
	ext.register_extension(OffchainDbExt::new(offchain.clone()));
	ext.register_extension(OffchainWorkerExt::new(offchain));
	ext.register_extension(TransactionPoolExt::new(pool));
	ext.execute_with(|| {
		registered_in_period_zero(&[ALICE]);
		set_endpoint();
		ProofOfCompute::offchain_worker(2);
	});
	assert!(pool_state.read().transactions.is_empty());
}

#[test]
fn the_worker_heartbeats_commits_and_opens_through_the_compute_service() {
	let (mut ext, expect_post, submitted) = harness();
	ext.execute_with(|| {
		registered_in_period_zero(&[ALICE]);
		set_endpoint();
		let prover = Prover::honest(ALICE);
		let request = ComputeRequest {
			seed: prover.view.seed,
			shape: prover.shape(),
			leaf_size: prover.view.leaf_size,
		};
		expect_post(
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

		run_to_block(5);
		let view = ProofOfCompute::challenge_view(&ALICE).unwrap();
		let openings: Vec<Opening> = view.positions.iter().map(|p| prover.open(p)).collect();
		let open = OpenRequest {
			challenge: request,
			positions: BoundedVec::truncate_from(view.positions.clone()),
		};
		expect_post(
			OPEN_PATH,
			open.encode(),
			OpenResponse { openings: BoundedVec::truncate_from(openings) }.encode(),
		);
		ProofOfCompute::offchain_worker(5);
		let calls = submitted();
		assert_eq!(calls.len(), 1);
		assert_ok!(submit(calls.into_iter().next().unwrap()).unwrap());
		assert_eq!(status(ALICE), Some(pallet_providers::ProviderStatus::Active));
		// The outcome is logged once; nothing more is sent this period.
		ProofOfCompute::offchain_worker(6);
		assert!(submitted().is_empty());
	});
}

#[test]
fn a_failing_compute_service_is_retried_in_a_later_block() {
	let (mut ext, expect_post, submitted) = harness();
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
		expect_post(COMMIT_PATH, request.encode(), b"not scale".to_vec());
		ProofOfCompute::offchain_worker(2);
		let calls = submitted();
		assert_eq!(calls.len(), 1, "only the heartbeat");
		assert!(matches!(calls[0], Call::heartbeat { .. }));
		expect_post(
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
	let (mut ext, _expect_post, submitted) = harness();
	ext.execute_with(|| {
		// A commit window of 6 blocks (a mainnet-like challenge takes several blocks).
		let mut params = test_params();
		(params.commit_window, params.open_window) = (6, 9);
		assert_ok!(ProofOfCompute::set_params(RuntimeOrigin::root(), params));
		registered_in_period_zero(&[ALICE]);
		set_endpoint();
		// The heartbeat is on chain; the run of block 2 claimed the commitment and is still
		// waiting for the compute service (no root yet).
		assert_ok!(submit(heartbeat_call(ALICE, 0)).unwrap());
		let claimed = crate::offchain::LocalState { commit_claimed: Some(2), ..Default::default() };
		polkadot_sdk::sp_runtime::offchain::storage::StorageValueRef::persistent(
			&crate::offchain::state_key::<Test>(&ALICE, 0),
		)
		.set(&claimed);
		// Four blocks later, still inside the window, a run asks nothing (an unexpected HTTP
		// request would fail the test) and submits nothing.
		run_to_block(6);
		ProofOfCompute::offchain_worker(6);
		assert!(submitted().is_empty());
	});
}
