//! The compute side of a Crucible provider's node.
//!
//! The runtime's off-chain worker never computes a challenge: it asks this service, which the
//! node runs on loopback when started with `--compute-backend cpu|cuda` (or as its own process,
//! `crucible-node provider serve`). The service answers two requests (see
//! [`crucible_primitives::proof_of_compute::service`]):
//!
//! - **commit**: compute the challenge (generate `A` and `B`, multiply, hash every leaf, reduce
//!   each tile to its root) and answer the Merkle root. Only the tile roots are kept.
//! - **open**: for each sampled entry, recompute the tile that holds it, rebuild the tile's subtree
//!   and answer the leaf and its path.
//!
//! Generation, hashing and the tree come from [`crucible_primitives::challenge`], the same code
//! the runtime verifies with; backends only multiply (and, on a GPU, generate and hash) faster.

// Compute loops index matrices whose bounds a validated shape guarantees, and do integer
// arithmetic on sizes bounded by it; a panic cannot reach the node (the service catches it).
#![allow(clippy::arithmetic_side_effects, clippy::indexing_slicing)]

pub mod bench;
pub mod cpu;
pub mod cuda;
pub mod detect;
pub mod runner;
pub mod seal;
pub mod service;

use crucible_primitives::{
	challenge::{prover, splitmix64, Hash, Keys, Opening, Position, Shape},
	proof_of_compute::service::{CommitResponse, ComputeRequest, OpenRequest, OpenResponse},
};
use std::{
	collections::VecDeque,
	sync::{Arc, Mutex},
	time::{Duration, Instant},
};

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

/// A computed challenge: what is kept to open it.
pub struct Committed {
	/// The request it answers.
	pub request: ComputeRequest,
	/// Levels above the tiles (tile roots padded to a power of two, up to the root).
	pub top: Vec<Vec<Hash>>,
	/// The root.
	pub root: Hash,
	/// Where the time went.
	pub timings: Timings,
	/// Wall-clock time of the whole computation.
	pub elapsed: Duration,
}

/// Computed challenges kept for their openings (a few periods' worth of providers).
const CACHE: usize = 16;

/// The service's engine: a backend, the challenges it computed, one computation at a time (the
/// backend uses every core or the whole GPU).
pub struct Engine {
	backend: Arc<dyn Backend>,
	lie: Option<Lie>,
	cache: Mutex<VecDeque<Arc<Committed>>>,
	busy: Mutex<()>,
}

impl Engine {
	/// An engine over `backend`, honest unless `lie` is given.
	pub fn new(backend: Arc<dyn Backend>, lie: Option<Lie>) -> Self {
		Self { backend, lie, cache: Mutex::new(VecDeque::new()), busy: Mutex::new(()) }
	}

	/// The backend's name.
	pub fn backend_name(&self) -> &'static str {
		self.backend.name()
	}

	/// Whether the engine lies (test mode).
	pub fn lies(&self) -> bool {
		self.lie.is_some()
	}

	fn validate(&self, request: &ComputeRequest) -> Result<(), Error> {
		request
			.shape
			.validate(request.leaf_size)
			.map_err(|e| Error::BadRequest(format!("invalid shape {:?}: {e:?}", request.shape)))?;
		let entries = request.shape.entries();
		if entries > self.backend.max_entries() {
			return Err(Error::BadRequest(format!(
				"{entries} output entries is more than the {} backend computes ({})",
				self.backend.name(),
				self.backend.max_entries()
			)));
		}
		Ok(())
	}

	fn cached(&self, request: &ComputeRequest) -> Option<Arc<Committed>> {
		let cache = self.cache.lock().ok()?;
		cache.iter().find(|c| c.request == *request).cloned()
	}

	/// Computes (or finds) the challenge; `progress(products_done)` reports progress.
	pub fn compute(
		&self,
		request: &ComputeRequest,
		progress: &(dyn Fn(u64) + Sync),
	) -> Result<Arc<Committed>, Error> {
		self.validate(request)?;
		if let Some(done) = self.cached(request) {
			return Ok(done);
		}
		let _one_at_a_time = self.busy.lock().map_err(|_| Error::Backend("poisoned".into()))?;
		// Computed by whoever held the lock before us?
		if let Some(done) = self.cached(request) {
			return Ok(done);
		}
		let start = Instant::now();
		let keys = Keys::from_seed(&request.seed);
		let (roots, timings) = self.backend.tile_roots(
			&keys,
			&request.shape,
			request.leaf_size,
			self.lie.as_ref(),
			progress,
		)?;
		if roots.len() as u64 != request.shape.tiles() {
			return Err(Error::Backend(format!(
				"{} tile roots for {} tiles",
				roots.len(),
				request.shape.tiles()
			)));
		}
		let top = prover::top_levels(&roots);
		let root = prover::root(&top);
		let committed = Arc::new(Committed {
			request: request.clone(),
			top,
			root,
			timings,
			elapsed: start.elapsed(),
		});
		if let Ok(mut cache) = self.cache.lock() {
			if cache.len() >= CACHE {
				cache.pop_front();
			}
			cache.push_back(committed.clone());
		}
		Ok(committed)
	}

	/// Answers a commit request.
	pub fn commit(&self, request: &ComputeRequest) -> Result<CommitResponse, Error> {
		let done = self.compute(request, &|_| {})?;
		Ok(CommitResponse { root: done.root, compute_ms: done.elapsed.as_millis() as u64 })
	}

	/// Answers an open request: the challenge is recomputed first if it is not kept (a node
	/// restarted between its commitment and its opening).
	pub fn open(&self, request: &OpenRequest) -> Result<OpenResponse, Error> {
		let challenge = &request.challenge;
		let committed = self.compute(challenge, &|_| {})?;
		let shape = challenge.shape;
		let leaf = challenge.leaf_size;
		let keys = Keys::from_seed(&challenge.seed);
		let mut tiles: Vec<(u64, Vec<i32>)> = Vec::new();
		let mut openings: Vec<Opening> = Vec::with_capacity(request.positions.len());
		for pos in request.positions.iter() {
			if pos.batch >= shape.batch || pos.row >= shape.rows || pos.col >= shape.cols {
				return Err(Error::BadRequest(format!("{pos:?} is outside {shape:?}")));
			}
			let (tile, _, _) = shape.locate(leaf, pos);
			let values = match tiles.iter().find(|(t, _)| *t == tile) {
				Some((_, values)) => values,
				None => {
					let values = self.backend.tile(&keys, &shape, tile, self.lie.as_ref())?;
					tiles.push((tile, values));
					&tiles[tiles.len() - 1].1
				},
			};
			openings.push(prover::open(&shape, leaf, pos, values, &committed.top));
		}
		Ok(OpenResponse {
			openings: openings
				.try_into()
				.map_err(|_| Error::BadRequest("too many positions".into()))?,
		})
	}
}

/// Keeps `Timings::add` reachable for backends that sum per-product timings.
pub(crate) fn add_timings(total: &mut Timings, part: &Timings) {
	total.add(part);
}

#[cfg(test)]
mod tests;
