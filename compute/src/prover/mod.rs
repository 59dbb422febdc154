//! Proving: computing proof-of-compute challenges for the commit and open requests. A
//! [`Backend`] (`cpu`, `cuda`) multiplies (and, on a GPU, generates and hashes); the [`Engine`]
//! validates requests, runs one computation at a time, keeps what each commitment needs to be
//! opened, and answers openings; `bench` measures a challenge the way the chain checks it.

pub mod bench;
pub mod cpu;
pub mod cuda;
mod engine;

pub use engine::{Committed, Engine};

use crucible_primitives::challenge::{splitmix64, Hash, Keys, Position, Shape};
use std::time::Duration;

/// Why a request could not be answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
	/// The request is malformed or outside what this service computes.
	BadRequest(String),
	/// The backend failed (driver error, out of memory, ...).
	Backend(String),
}

impl std::fmt::Display for Error {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		match self {
			Error::BadRequest(e) => write!(f, "bad request: {e}"),
			Error::Backend(e) => write!(f, "backend error: {e}"),
		}
	}
}

impl std::error::Error for Error {}

/// Where the time of a computation went.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Timings {
	/// Generating `A` and `B`.
	pub generate: Duration,
	/// The products.
	pub multiply: Duration,
	/// Hashing leaves and reducing tiles to their roots.
	pub hash: Duration,
}

impl Timings {
	/// Everything.
	pub fn total(&self) -> Duration {
		self.generate + self.multiply + self.hash
	}

	fn add(&mut self, other: &Timings) {
		self.generate += other.generate;
		self.multiply += other.multiply;
		self.hash += other.hash;
	}
}

/// A test-only lying mode: the backend corrupts (adds 1 to) a deterministic `fraction` of the
/// output entries, consistently in commitments and openings, so that the chain must catch it by
/// recomputing samples. Started with the node's hidden `--compute-lie-fraction`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Lie {
	/// The share of entries corrupted, in `0.0..=1.0`.
	pub fraction: f64,
}

impl Lie {
	/// Whether the entry at `pos` is corrupted in the challenge with `keys`.
	pub fn corrupts(&self, keys: &Keys, shape: &Shape, pos: &Position) -> bool {
		let index = (u64::from(pos.batch) * u64::from(shape.rows) + u64::from(pos.row)) *
			u64::from(shape.cols) +
			u64::from(pos.col);
		let r = splitmix64(keys.key ^ 0x4C49_4552_4C49_4552, index);
		(r as f64) < self.fraction * (u64::MAX as f64)
	}

	/// Corrupts the entries of tile `tile` (row-major values) that this lie corrupts.
	pub fn apply(&self, keys: &Keys, shape: &Shape, tile: u64, values: &mut [i32]) {
		let origin = shape.tile_origin(tile);
		let cols = shape.tile_cols() as usize;
		for (i, v) in values.iter_mut().enumerate() {
			let pos = Position {
				batch: origin.batch,
				row: origin.row + (i / cols) as u32,
				col: origin.col + (i % cols) as u32,
			};
			if self.corrupts(keys, shape, &pos) {
				*v = v.wrapping_add(1);
			}
		}
	}
}

/// A way to compute challenges.
pub trait Backend: Send + Sync {
	/// `"cpu"` or `"cuda"`.
	fn name(&self) -> &'static str;

	/// The root of every tile of the challenge, in tile order, and where the time went.
	/// `progress(products_done)` is called as products complete.
	fn tile_roots(
		&self,
		keys: &Keys,
		shape: &Shape,
		leaf_size: u32,
		lie: Option<&Lie>,
		progress: &(dyn Fn(u64) + Sync),
	) -> Result<(Vec<Hash>, Timings), Error>;

	/// The entries of tile `tile`, row-major (`tile_rows × tile_cols`), as committed (with the
	/// lie applied, if any).
	fn tile(
		&self,
		keys: &Keys,
		shape: &Shape,
		tile: u64,
		lie: Option<&Lie>,
	) -> Result<Vec<i32>, Error>;

	/// The most entries a challenge may have for this backend (memory and time).
	fn max_entries(&self) -> u64;
}

/// Keeps `Timings::add` reachable for backends that sum per-product timings.
pub(crate) fn add_timings(total: &mut Timings, part: &Timings) {
	total.add(part);
}

#[cfg(test)]
mod tests;
