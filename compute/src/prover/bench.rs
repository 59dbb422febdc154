//! `crucible-node provider bench`: one challenge computed locally, with progress, then opened
//! and verified as the chain would, and a report of where the time went.

use super::{Engine, Error, Timings};
use crucible_primitives::{
	challenge::{sample_positions, verify_opening, Keys, Shape},
	proof_of_compute::service::{ComputeRequest, OpenRequest},
};
use indicatif::{ProgressBar, ProgressStyle};
use std::time::{Duration, Instant};

/// What one local challenge cost.
#[derive(Debug, Clone)]
pub struct Report {
	/// The backend.
	pub backend: &'static str,
	/// The challenge.
	pub shape: Shape,
	/// Entries per leaf.
	pub leaf_size: u32,
	/// Samples opened and verified.
	pub samples: u32,
	/// Wall time of the whole commitment.
	pub compute: Duration,
	/// Its phases.
	pub timings: Timings,
	/// Opening the samples (recomputing their tiles, paths).
	pub open: Duration,
	/// Verifying the openings natively, as the chain does (in wasm it takes a few times
	/// longer: the benchmarked weights are the reference).
	pub verify: Duration,
}

impl Report {
	/// Integer operations per second of the whole commitment.
	pub fn ops_per_second(&self) -> f64 {
		self.shape.ops() as f64 / self.compute.as_secs_f64().max(1e-9)
	}

	/// Generation, hashing and opening as a share of the products' time.
	pub fn overhead(&self) -> f64 {
		let extra = self.timings.generate + self.timings.hash + self.open;
		extra.as_secs_f64() / self.timings.multiply.as_secs_f64().max(1e-9)
	}

	/// How many times cheaper the chain's check is than the work, in time on this host.
	pub fn time_ratio(&self) -> f64 {
		self.compute.as_secs_f64() / self.verify.as_secs_f64().max(1e-9)
	}

	/// How many times fewer operations the chain's check does than the work (the chain
	/// recomputes one entry, `2 · inner` operations, per sample).
	pub fn ops_ratio(&self) -> f64 {
		self.shape.ops() as f64 / (2.0 * f64::from(self.shape.inner) * f64::from(self.samples))
	}

	/// The report, for people.
	pub fn lines(&self) -> Vec<String> {
		let ms = |d: Duration| format!("{:.1} ms", d.as_secs_f64() * 1e3);
		vec![
			format!(
				"challenge: {} x {} x {} x {} (batch x rows x inner x cols), leaves of {}, {} samples, backend {}",
				self.shape.batch,
				self.shape.rows,
				self.shape.inner,
				self.shape.cols,
				self.leaf_size,
				self.samples,
				self.backend
			),
			format!(
				"work: {:.3e} int8 operations in {} = {:.3} TOPS",
				self.shape.ops() as f64,
				ms(self.compute),
				self.ops_per_second() / 1e12
			),
			format!(
				"phases: generate {}, multiply {}, hash {}, open {}",
				ms(self.timings.generate),
				ms(self.timings.multiply),
				ms(self.timings.hash),
				ms(self.open)
			),
			format!(
				"provider overhead (generate + hash + open) / multiply: {:.1}%",
				self.overhead() * 100.0
			),
			format!(
				"chain check (native): {} for {} samples: {:.3e}x less time than the work here, \
				 {:.3e}x fewer operations",
				ms(self.verify),
				self.samples,
				self.time_ratio(),
				self.ops_ratio()
			),
		]
	}
}

/// Parses `BATCHxROWSxINNERxCOLS`.
pub fn parse_shape(text: &str) -> Result<Shape, String> {
	let parts: Vec<u32> = text
		.split(['x', 'X', '×'])
		.map(|p| p.trim().parse::<u32>().map_err(|e| format!("{p}: {e}")))
		.collect::<Result<_, _>>()?;
	match parts.as_slice() {
		[batch, rows, inner, cols] =>
			Ok(Shape { batch: *batch, rows: *rows, inner: *inner, cols: *cols }),
		_ => Err(format!("expected BATCHxROWSxINNERxCOLS, got {text}")),
	}
}

/// Computes, opens and verifies one challenge; a progress bar on the terminal if `progress`.
pub fn run(
	engine: &Engine,
	request: ComputeRequest,
	samples: u32,
	progress: bool,
) -> Result<Report, Error> {
	request
		.shape
		.validate(request.leaf_size)
		.map_err(|e| Error::BadRequest(format!("{:?}: {e:?}", request.shape)))?;
	let bar = if progress {
		let bar = ProgressBar::new(u64::from(request.shape.batch));
		if let Ok(style) = ProgressStyle::with_template(
			"{spinner} computing [{bar:40}] {pos}/{len} products, {elapsed_precise}",
		) {
			bar.set_style(style);
		}
		bar
	} else {
		ProgressBar::hidden()
	};
	let committed = engine.compute(&request, &|done| bar.set_position(done))?;
	bar.finish_and_clear();

	let positions = sample_positions(&committed.root, &"bench", 0, &request.shape, samples);
	let start = Instant::now();
	let opened = engine.open(&OpenRequest {
		challenge: request.clone(),
		positions: positions
			.clone()
			.try_into()
			.map_err(|_| Error::BadRequest("too many samples".into()))?,
	})?;
	let open = start.elapsed();

	let keys = Keys::from_seed(&request.seed);
	let start = Instant::now();
	for (pos, opening) in positions.iter().zip(opened.openings.iter()) {
		verify_opening(&keys, &request.shape, request.leaf_size, &committed.root, pos, opening)
			.map_err(|e| {
				Error::Backend(format!("an opening of this backend does not verify: {e:?}"))
			})?;
	}
	let verify = start.elapsed();
	Ok(Report {
		backend: engine.backend_name(),
		shape: request.shape,
		leaf_size: request.leaf_size,
		samples,
		compute: committed.elapsed,
		timings: committed.timings,
		open,
		verify,
	})
}
