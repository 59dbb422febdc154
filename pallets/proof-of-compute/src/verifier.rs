//! The verification rule, behind a trait so that it can change (another work function, another
//! sampling) without touching the pallet's state machine.

use crucible_primitives::{
	challenge::{verify_opening, Hash, Keys, Opening, OpeningError, Position, Shape},
	proof_of_compute::FailureReason,
};

/// Checks a challenge's openings.
pub trait ChallengeVerifier {
	/// Checks `openings` (one per position, in order) of the challenge with `seed` and `shape`
	/// against the committed `root`. Stops at the first bad opening and says why.
	fn verify(
		seed: &Hash,
		shape: &Shape,
		leaf_size: u32,
		root: &Hash,
		positions: &[Position],
		openings: &[Opening],
	) -> Result<(), FailureReason>;
}

/// The spot-checked int8 matrix product of [`crucible_primitives::challenge`]: each sampled
/// entry's leaf must lead to the root, and the entry must be the product's, recomputed exactly
/// in `O(inner)`.
pub struct SpotCheckedMatmul;

impl ChallengeVerifier for SpotCheckedMatmul {
	fn verify(
		seed: &Hash,
		shape: &Shape,
		leaf_size: u32,
		root: &Hash,
		positions: &[Position],
		openings: &[Opening],
	) -> Result<(), FailureReason> {
		if positions.len() != openings.len() {
			return Err(FailureReason::Malformed);
		}
		let keys = Keys::from_seed(seed);
		for (pos, opening) in positions.iter().zip(openings) {
			verify_opening(&keys, shape, leaf_size, root, pos, opening).map_err(|e| match e {
				OpeningError::LeafLength | OpeningError::PathLength => FailureReason::Malformed,
				OpeningError::RootMismatch => FailureReason::WrongPath,
				OpeningError::WrongEntry => FailureReason::WrongEntry,
			})?;
		}
		Ok(())
	}
}
