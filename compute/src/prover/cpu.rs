//! The portable backend: every core through rayon. For tests, dev chains and hosts without a
//! GPU; it proves only small challenges in time.
//!
//! Per product: the columns of `B` are generated once (`cols × inner` int8); then for each band
//! of tile rows, the rows of `A` (`tile_rows × inner`), every tile of the band (int8 dot products
//! over contiguous rows and columns, blocked along the inner dimension to stay in cache), and
//! the tiles' leaf hashes and subtree roots.

use super::{add_timings, Backend, Error, Lie, Timings};
use crucible_primitives::challenge::{fill_a_row, fill_b_col, prover, Hash, Keys, Shape};
use rayon::prelude::*;
use std::time::Instant;

/// The most output entries the CPU backend computes (2^30: seconds on a workstation for the
/// dev chain's inner dimensions; a GPU class's challenge is far beyond it).
pub const MAX_ENTRIES: u64 = 1 << 30;

/// The most bytes of `B` the backend holds at once.
const MAX_B_BYTES: u64 = 1 << 31;

/// Inner-dimension block of the dot products: a band's rows and a tile's columns of one block
/// stay in the L2 cache.
const K_BLOCK: usize = 4096;

/// The CPU backend, on a thread pool of its own.
pub struct CpuBackend {
	pool: rayon::ThreadPool,
}

impl CpuBackend {
	/// A backend with `threads` threads (0: one per core).
	pub fn new(threads: usize) -> Result<Self, Error> {
		let pool = rayon::ThreadPoolBuilder::new()
			.num_threads(threads)
			.thread_name(|i| format!("compute-cpu-{i}"))
			.build()
			.map_err(|e| Error::Backend(format!("cannot start the thread pool: {e}")))?;
		Ok(Self { pool })
	}

	/// The thread count.
	pub fn threads(&self) -> usize {
		self.pool.current_num_threads()
	}
}

/// `Σ a[k]·b[k]` with int32 accumulation (exact for the inner dimensions a shape allows).
#[inline]
fn dot(a: &[i8], b: &[i8]) -> i32 {
	a.iter()
		.zip(b)
		.fold(0i32, |acc, (x, y)| acc.wrapping_add(i32::from(*x) * i32::from(*y)))
}

/// The generated columns of `B_batch`, `inner` int8 each.
fn b_columns(keys: &Keys, shape: &Shape, batch: u32) -> Vec<i8> {
	let inner = shape.inner as usize;
	let mut cols = vec![0i8; shape.cols as usize * inner];
	cols.par_chunks_mut(inner)
		.enumerate()
		.for_each(|(c, col)| fill_b_col(keys, shape, batch, c as u32, col));
	cols
}

/// The generated rows `first..first + count` of `A_batch`.
fn a_rows(keys: &Keys, shape: &Shape, batch: u32, first: u32, count: u32) -> Vec<i8> {
	let inner = shape.inner as usize;
	let mut rows = vec![0i8; count as usize * inner];
	rows.par_chunks_mut(inner)
		.enumerate()
		.for_each(|(r, row)| fill_a_row(keys, shape, batch, first + r as u32, row));
	rows
}

/// The entries of one tile: `a` holds the band's rows, `b` the tile's columns (`inner` int8
/// each).
fn tile_values(shape: &Shape, a: &[i8], b: &[i8]) -> Vec<i32> {
	let inner = shape.inner as usize;
	let (tr, tc) = (shape.tile_rows() as usize, shape.tile_cols() as usize);
	let mut out = vec![0i32; tr * tc];
	out.par_chunks_mut(tc).enumerate().for_each(|(r, row_out)| {
		let a_row = &a[r * inner..(r + 1) * inner];
		for k0 in (0..inner).step_by(K_BLOCK) {
			let k1 = (k0 + K_BLOCK).min(inner);
			for (c, v) in row_out.iter_mut().enumerate() {
				let b_col = &b[c * inner + k0..c * inner + k1];
				*v = v.wrapping_add(dot(&a_row[k0..k1], b_col));
			}
		}
	});
	out
}

impl CpuBackend {
	fn check_memory(shape: &Shape) -> Result<(), Error> {
		let b_bytes = u64::from(shape.cols) * u64::from(shape.inner);
		if b_bytes > MAX_B_BYTES {
			return Err(Error::BadRequest(format!(
				"B of {} x {} int8 is more than the cpu backend holds",
				shape.inner, shape.cols
			)));
		}
		Ok(())
	}
}

impl Backend for CpuBackend {
	fn name(&self) -> &'static str {
		"cpu"
	}

	fn max_entries(&self) -> u64 {
		MAX_ENTRIES
	}

	fn tile_roots(
		&self,
		keys: &Keys,
		shape: &Shape,
		leaf_size: u32,
		lie: Option<&Lie>,
		progress: &(dyn Fn(u64) + Sync),
	) -> Result<(Vec<Hash>, Timings), Error> {
		Self::check_memory(shape)?;
		let (down, across) = shape.tile_grid();
		let tile_rows = shape.tile_rows();
		let per_product = u64::from(down) * u64::from(across);
		self.pool.install(|| {
			let mut roots = Vec::with_capacity(shape.tiles() as usize);
			let mut timings = Timings::default();
			for batch in 0..shape.batch {
				let mut t = Timings::default();
				let start = Instant::now();
				let b = b_columns(keys, shape, batch);
				t.generate += start.elapsed();
				for band in 0..down {
					let start = Instant::now();
					let a = a_rows(keys, shape, batch, band * tile_rows, tile_rows);
					t.generate += start.elapsed();

					let start = Instant::now();
					let width = shape.tile_cols() as usize * shape.inner as usize;
					let mut tiles: Vec<Vec<i32>> = b
						.chunks_exact(width)
						.map(|columns| tile_values(shape, &a, columns))
						.collect();
					t.multiply += start.elapsed();

					let start = Instant::now();
					let first =
						u64::from(batch) * per_product + u64::from(band) * u64::from(across);
					if let Some(lie) = lie {
						for (i, tile) in tiles.iter_mut().enumerate() {
							lie.apply(keys, shape, first + i as u64, tile);
						}
					}
					let band_roots: Vec<Hash> = tiles
						.par_iter()
						.map(|tile| prover::tile_root(shape, leaf_size, tile))
						.collect();
					roots.extend(band_roots);
					t.hash += start.elapsed();
				}
				add_timings(&mut timings, &t);
				progress(u64::from(batch) + 1);
			}
			Ok((roots, timings))
		})
	}

	fn tile(
		&self,
		keys: &Keys,
		shape: &Shape,
		tile: u64,
		lie: Option<&Lie>,
	) -> Result<Vec<i32>, Error> {
		if tile >= shape.tiles() {
			return Err(Error::BadRequest(format!("tile {tile} of {}", shape.tiles())));
		}
		let origin = shape.tile_origin(tile);
		let inner = shape.inner as usize;
		let tc = shape.tile_cols();
		self.pool.install(|| {
			let a = a_rows(keys, shape, origin.batch, origin.row, shape.tile_rows());
			// Only this tile's columns of B.
			let mut b = vec![0i8; tc as usize * inner];
			b.par_chunks_mut(inner).enumerate().for_each(|(c, col)| {
				fill_b_col(keys, shape, origin.batch, origin.col + c as u32, col)
			});
			let mut values = tile_values(shape, &a, &b);
			if let Some(lie) = lie {
				lie.apply(keys, shape, tile, &mut values);
			}
			Ok(values)
		})
	}
}
