//! The engine: one computation at a time over a backend, the commitments it keeps, and the
//! openings it answers.

use super::{Backend, Error, Lie, Timings};
use crucible_primitives::{
	challenge::{prover, Hash, Keys, Opening},
	proof_of_compute::service::{CommitResponse, ComputeRequest, OpenRequest, OpenResponse},
};
use std::{
	collections::VecDeque,
	sync::{Arc, Mutex},
	time::{Duration, Instant},
};

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
