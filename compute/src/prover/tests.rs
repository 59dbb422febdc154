//! The cpu backend against the reference implementation, the engine's openings against the
//! chain's verification, the lying mode, and requests outside the bounds. (The CUDA backend's
//! tests are in `cuda.rs`.)

use super::*;
use crate::test_support::{cpu_engine, hex, known_request, reference_root};
use crucible_primitives::{
	challenge::{known_answer, sample_positions, verify_opening, Keys, OpeningError, Shape},
	proof_of_compute::service::{ComputeRequest, OpenRequest},
};

#[test]
fn the_cpu_backend_reproduces_the_known_answer() {
	let engine = cpu_engine(None);
	let committed = engine.commit(&known_request()).unwrap();
	assert_eq!(hex(&committed.root), known_answer::ROOT);
}

#[test]
fn the_cpu_backend_matches_the_reference_across_tiles_and_inner_blocks() {
	// 512 x 512 outputs: four tiles per product; inner 4160 spans two K blocks.
	for request in [
		ComputeRequest {
			seed: [3u8; 32],
			shape: Shape { batch: 1, rows: 512, inner: 64, cols: 512 },
			leaf_size: 32,
		},
		ComputeRequest {
			seed: [4u8; 32],
			shape: Shape { batch: 3, rows: 2, inner: 4160, cols: 16 },
			leaf_size: 8,
		},
	] {
		let engine = cpu_engine(None);
		assert_eq!(engine.commit(&request).unwrap().root, reference_root(&request), "{request:?}");
	}
}

#[test]
fn openings_from_the_engine_verify_as_the_chain_checks_them() {
	let engine = cpu_engine(None);
	let request = ComputeRequest {
		seed: [5u8; 32],
		shape: Shape { batch: 2, rows: 512, inner: 128, cols: 256 },
		leaf_size: 16,
	};
	let root = engine.commit(&request).unwrap().root;
	let positions = sample_positions(&[9u8; 32], &42u64, 7, &request.shape, 16);
	let opened = engine
		.open(&OpenRequest {
			challenge: request.clone(),
			positions: positions.clone().try_into().unwrap(),
		})
		.unwrap();
	let keys = Keys::from_seed(&request.seed);
	for (pos, opening) in positions.iter().zip(opened.openings.iter()) {
		assert_eq!(verify_opening(&keys, &request.shape, 16, &root, pos, opening), Ok(()));
	}
}

#[test]
fn an_engine_restarted_between_commit_and_open_recomputes_and_still_opens() {
	let request = known_request();
	let root = cpu_engine(None).commit(&request).unwrap().root;
	// Another engine (a restarted node) never saw the commitment.
	let fresh = cpu_engine(None);
	let positions = sample_positions(&[1u8; 32], &1u64, 1, &request.shape, 4);
	let opened = fresh
		.open(&OpenRequest {
			challenge: request.clone(),
			positions: positions.clone().try_into().unwrap(),
		})
		.unwrap();
	let keys = Keys::from_seed(&request.seed);
	for (pos, opening) in positions.iter().zip(opened.openings.iter()) {
		assert_eq!(
			verify_opening(&keys, &request.shape, request.leaf_size, &root, pos, opening),
			Ok(())
		);
	}
}

#[test]
fn a_lying_engine_commits_consistently_and_is_caught_on_the_corrupted_entries() {
	let request = ComputeRequest {
		seed: [6u8; 32],
		shape: Shape { batch: 2, rows: 64, inner: 64, cols: 64 },
		leaf_size: 16,
	};
	let lie = Lie { fraction: 0.5 };
	let engine = cpu_engine(Some(lie));
	let root = engine.commit(&request).unwrap().root;
	assert_ne!(root, reference_root(&request));
	let positions = sample_positions(&[2u8; 32], &9u64, 3, &request.shape, 64);
	let opened = engine
		.open(&OpenRequest {
			challenge: request.clone(),
			positions: positions.clone().try_into().unwrap(),
		})
		.unwrap();
	let keys = Keys::from_seed(&request.seed);
	let mut caught = 0;
	for (pos, opening) in positions.iter().zip(opened.openings.iter()) {
		let result = verify_opening(&keys, &request.shape, 16, &root, pos, opening);
		// The paths always check (the tree is built over the lies); exactly the corrupted
		// entries fail.
		if lie.corrupts(&keys, &request.shape, pos) {
			assert_eq!(result, Err(OpeningError::WrongEntry));
			caught += 1;
		} else {
			assert_eq!(result, Ok(()));
		}
	}
	assert!((16..=48).contains(&caught), "about half of 64 samples: {caught}");
}

#[test]
fn requests_outside_the_bounds_are_refused_by_name() {
	let engine = cpu_engine(None);
	let bad_shape = ComputeRequest {
		shape: Shape { batch: 1, rows: 3, inner: 64, cols: 16 },
		..known_request()
	};
	assert!(
		matches!(engine.commit(&bad_shape), Err(Error::BadRequest(e)) if e.contains("invalid shape"))
	);
	let too_big = ComputeRequest {
		shape: Shape { batch: 1 << 20, rows: 1024, inner: 64, cols: 1024 },
		..known_request()
	};
	assert!(
		matches!(engine.commit(&too_big), Err(Error::BadRequest(e)) if e.contains("more than"))
	);
	let outside = OpenRequest {
		challenge: known_request(),
		positions: vec![crucible_primitives::challenge::Position { batch: 2, row: 0, col: 0 }]
			.try_into()
			.unwrap(),
	};
	assert!(matches!(engine.open(&outside), Err(Error::BadRequest(e)) if e.contains("outside")));
}
