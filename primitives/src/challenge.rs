//! The proof-of-compute challenge: one implementation of generation, leaf hashing, the Merkle
//! tree, sampling and verification, compiled into the runtime (no_std) and into the node.
//!
//! # The work
//! A challenge is a batch of independent int8 products `C_b = A_b · B_b` (`A_b` is
//! `rows × inner`, `B_b` is `inner × cols`) with exact int32 accumulation. Every int8 of `A` and
//! `B` comes from a counter-based generator ([`splitmix64`]) keyed by the challenge seed, eight
//! int8 per 64-bit output: any row of `A` or column of `B` regenerates alone in `O(inner)`, and
//! any entry of `C` is recomputed by [`entry`] in `O(inner)` without materialising anything.
//!
//! # The commitment
//! The output is cut into tiles of at most [`TILE_DIM`]² entries, each tile into leaves of
//! `leaf_size` consecutive entries of a row. A leaf hashes to `blake2_256(LE bytes of its
//! int32 entries)`; an inner node to `blake2_256(0x01 ‖ left ‖ right)` (65 bytes, so a node can
//! never be read as a leaf, whose length is a multiple of 4). Leaves are numbered tile-major
//! (batch, tile row, tile column, then row and leaf within the tile), so each tile is one
//! complete subtree: a provider keeps only the tile roots and rebuilds a tile's subtree when one
//! of its leaves is opened. Above the tiles the tree is complete over the tile count rounded up
//! to a power of two, the missing tile roots being [`PADDING`].
//!
//! # The check
//! Randomness drawn after the commitment picks `s` entries ([`sample_positions`]); for each the
//! provider opens the leaf that holds it with its Merkle path, and the chain checks the path to
//! the committed root and recomputes the sampled entry exactly ([`verify_opening`]). A provider
//! that skipped a fraction `f` of the entries passes with probability about `(1 − f)^s`.

use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use polkadot_sdk::sp_runtime::{traits::ConstU32, BoundedVec};
use scale_info::TypeInfo;

/// Tiles are at most this many rows and columns of output.
pub const TILE_DIM: u32 = 256;
/// The inner dimension is a multiple of this (whole 64-bit generator words, tensor-core tiles).
pub const INNER_ALIGN: u32 = 64;
/// The largest inner dimension: `inner · 128 · 128` must stay below `2^31` so that int32
/// accumulation of int8 products is exact (131,008 · 16,384 = 2,146,435,072).
pub const MAX_INNER: u32 = 131_008;
/// The largest number of rows or columns of one product.
pub const MAX_DIM: u32 = 1 << 16;
/// The largest batch (bounds the generator's counters and the entry count).
pub const MAX_BATCH: u32 = 1 << 24;
/// The most entries in one leaf.
pub const MAX_LEAF_SIZE: u32 = 64;
/// The longest Merkle path any valid shape can have.
pub const MAX_DEPTH: u32 = 64;
/// The most samples (and so openings) one challenge can ask for.
pub const MAX_SAMPLES: u32 = 64;
/// The node value standing in for tiles past the last one.
pub const PADDING: Hash = [0u8; 32];

/// A 32-byte hash (blake2b-256).
pub type Hash = [u8; 32];

/// The golden-ratio increment of SplitMix64.
const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;
/// Counters of `B`'s stream have this bit set, `A`'s do not: the two never overlap.
const B_STREAM: u64 = 1 << 63;

/// The size of one challenge: `batch` products of `rows × inner` by `inner × cols`.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	TypeInfo,
	MaxEncodedLen,
	Default,
)]
pub struct Shape {
	/// Independent products.
	pub batch: u32,
	/// Rows of each `A` (and `C`); a power of two.
	pub rows: u32,
	/// The inner (accumulation) dimension; a multiple of [`INNER_ALIGN`], at most [`MAX_INNER`].
	pub inner: u32,
	/// Columns of each `B` (and `C`); a power of two, at least the leaf size.
	pub cols: u32,
}

/// Why a shape (with a leaf size) is not a valid challenge.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ShapeError {
	/// `batch` is zero or above [`MAX_BATCH`].
	Batch,
	/// `rows` is not a power of two in `1..=MAX_DIM`.
	Rows,
	/// `cols` is not a power of two in `1..=MAX_DIM`.
	Cols,
	/// `inner` is not a positive multiple of [`INNER_ALIGN`] up to [`MAX_INNER`].
	Inner,
	/// The leaf size is not a power of two up to [`MAX_LEAF_SIZE`] and the tile width.
	LeafSize,
	/// The Merkle tree would be deeper than [`MAX_DEPTH`].
	TooDeep,
}

impl Shape {
	/// Checks the shape and leaf size against the bounds every other function relies on.
	pub fn validate(&self, leaf_size: u32) -> Result<(), ShapeError> {
		if self.batch == 0 || self.batch > MAX_BATCH {
			return Err(ShapeError::Batch);
		}
		if !self.rows.is_power_of_two() || self.rows > MAX_DIM {
			return Err(ShapeError::Rows);
		}
		if !self.cols.is_power_of_two() || self.cols > MAX_DIM {
			return Err(ShapeError::Cols);
		}
		if self.inner == 0 || !self.inner.is_multiple_of(INNER_ALIGN) || self.inner > MAX_INNER {
			return Err(ShapeError::Inner);
		}
		if !leaf_size.is_power_of_two() || leaf_size > MAX_LEAF_SIZE || leaf_size > self.tile_cols()
		{
			return Err(ShapeError::LeafSize);
		}
		if self.depth(leaf_size) > MAX_DEPTH {
			return Err(ShapeError::TooDeep);
		}
		Ok(())
	}

	/// Entries of the whole output (`batch · rows · cols`).
	pub fn entries(&self) -> u64 {
		u64::from(self.batch)
			.saturating_mul(u64::from(self.rows))
			.saturating_mul(u64::from(self.cols))
	}

	/// Integer operations of the work: a multiply and an add per inner step of every entry.
	pub fn ops(&self) -> u128 {
		u128::from(self.entries())
			.saturating_mul(u128::from(self.inner))
			.saturating_mul(2)
	}

	/// Rows of one tile.
	pub fn tile_rows(&self) -> u32 {
		self.rows.min(TILE_DIM)
	}

	/// Columns of one tile.
	pub fn tile_cols(&self) -> u32 {
		self.cols.min(TILE_DIM)
	}

	/// Tiles per product along the rows and along the columns.
	pub fn tile_grid(&self) -> (u32, u32) {
		(
			self.rows.checked_div(self.tile_rows()).unwrap_or(0),
			self.cols.checked_div(self.tile_cols()).unwrap_or(0),
		)
	}

	/// Tiles of the whole output.
	pub fn tiles(&self) -> u64 {
		let (down, across) = self.tile_grid();
		u64::from(self.batch)
			.saturating_mul(u64::from(down))
			.saturating_mul(u64::from(across))
	}

	/// Leaves per tile: a power of two.
	pub fn leaves_per_tile(&self, leaf_size: u32) -> u64 {
		u64::from(self.tile_rows())
			.saturating_mul(u64::from(self.tile_cols()))
			.checked_div(u64::from(leaf_size))
			.unwrap_or(0)
	}

	/// Leaves of the whole output.
	pub fn leaves(&self, leaf_size: u32) -> u64 {
		self.entries().checked_div(u64::from(leaf_size)).unwrap_or(0)
	}

	/// Levels of a tile's subtree.
	pub fn tile_depth(&self, leaf_size: u32) -> u32 {
		self.leaves_per_tile(leaf_size).max(1).trailing_zeros()
	}

	/// Levels above the tiles (the tile count rounded up to a power of two).
	pub fn top_depth(&self) -> u32 {
		ceil_log2(self.tiles())
	}

	/// The length of every Merkle path.
	pub fn depth(&self, leaf_size: u32) -> u32 {
		self.tile_depth(leaf_size).saturating_add(self.top_depth())
	}

	/// `(tile, leaf within the tile, entry within the leaf)` of the entry at `pos`: the
	/// tile-major numbering the tree uses. `pos` must be inside the shape.
	pub fn locate(&self, leaf_size: u32, pos: &Position) -> (u64, u64, u32) {
		let (tr, tc) = (self.tile_rows(), self.tile_cols());
		let (down, across) = self.tile_grid();
		let tile_row = pos.row.checked_div(tr).unwrap_or(0);
		let tile_col = pos.col.checked_div(tc).unwrap_or(0);
		let tile = u64::from(pos.batch)
			.saturating_mul(u64::from(down))
			.saturating_add(u64::from(tile_row))
			.saturating_mul(u64::from(across))
			.saturating_add(u64::from(tile_col));
		let row_in = pos.row.checked_rem(tr).unwrap_or(0);
		let col_in = pos.col.checked_rem(tc).unwrap_or(0);
		let leaves_per_row = tc.checked_div(leaf_size).unwrap_or(0);
		let leaf_in_tile = u64::from(row_in)
			.saturating_mul(u64::from(leaves_per_row))
			.saturating_add(u64::from(col_in.checked_div(leaf_size).unwrap_or(0)));
		(tile, leaf_in_tile, col_in.checked_rem(leaf_size).unwrap_or(0))
	}

	/// The global index of the leaf that holds `pos`.
	pub fn leaf_index(&self, leaf_size: u32, pos: &Position) -> u64 {
		let (tile, leaf_in_tile, _) = self.locate(leaf_size, pos);
		tile.saturating_mul(self.leaves_per_tile(leaf_size))
			.saturating_add(leaf_in_tile)
	}

	/// The product and the top-left entry of tile `tile` (tile-major numbering).
	pub fn tile_origin(&self, tile: u64) -> Position {
		let (down, across) = self.tile_grid();
		let per_product = u64::from(down).saturating_mul(u64::from(across)).max(1);
		let batch = tile.checked_div(per_product).unwrap_or(0);
		let within = tile.checked_rem(per_product).unwrap_or(0);
		let across = u64::from(across).max(1);
		let tile_row = within.checked_div(across).unwrap_or(0);
		let tile_col = within.checked_rem(across).unwrap_or(0);
		Position {
			batch: batch as u32,
			row: (tile_row as u32).saturating_mul(self.tile_rows()),
			col: (tile_col as u32).saturating_mul(self.tile_cols()),
		}
	}
}

/// `ceil(log2(n))`, 0 for `n ≤ 1`.
pub fn ceil_log2(n: u64) -> u32 {
	if n <= 1 {
		0
	} else {
		64u32.saturating_sub(n.saturating_sub(1).leading_zeros())
	}
}

/// One entry of the output: product `batch`, row `row`, column `col`.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	TypeInfo,
	MaxEncodedLen,
)]
pub struct Position {
	/// The product.
	pub batch: u32,
	/// The row of `C`.
	pub row: u32,
	/// The column of `C`.
	pub col: u32,
}

/// The keys of a challenge's generator, derived from its seed.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Keys {
	/// The generator key: `A` and `B` use disjoint counter ranges of it.
	pub key: u64,
}

impl Keys {
	/// The generator key of the challenge with this seed.
	pub fn from_seed(seed: &Hash) -> Self {
		Self { key: u64::from_le_bytes(seed.first_chunk::<8>().copied().unwrap_or_default()) }
	}
}

/// SplitMix64 as a counter-based generator: the `counter`-th output of the stream `key`.
/// Cheap in wasm and on a GPU (two 64-bit multiplies), and any output is computed alone.
#[inline(always)]
pub fn splitmix64(key: u64, counter: u64) -> u64 {
	let mut z = key.wrapping_add(counter.wrapping_add(1).wrapping_mul(GOLDEN));
	z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
	z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
	z ^ (z >> 31)
}

/// Generator words per row of `A` (or column of `B`): eight int8 each.
#[inline(always)]
pub fn words(shape: &Shape) -> u64 {
	u64::from(shape.inner / 8)
}

/// The `word`-th generator word of row `row` of `A_batch`: int8 `8·word .. 8·word + 8` of the row,
/// least significant byte first.
#[inline(always)]
pub fn a_word(keys: &Keys, shape: &Shape, batch: u32, row: u32, word: u64) -> u64 {
	let base = u64::from(batch)
		.wrapping_mul(u64::from(shape.rows))
		.wrapping_add(u64::from(row))
		.wrapping_mul(words(shape));
	splitmix64(keys.key, base.wrapping_add(word))
}

/// The `word`-th generator word of column `col` of `B_batch` (int8 `8·word .. 8·word + 8` of
/// the column, going down the inner dimension).
#[inline(always)]
pub fn b_word(keys: &Keys, shape: &Shape, batch: u32, col: u32, word: u64) -> u64 {
	let base = u64::from(batch)
		.wrapping_mul(u64::from(shape.cols))
		.wrapping_add(u64::from(col))
		.wrapping_mul(words(shape));
	splitmix64(keys.key, base.wrapping_add(word) | B_STREAM)
}

/// The dot product of the eight int8 lanes of two generator words.
#[inline(always)]
pub fn dot8(x: u64, y: u64) -> i32 {
	let mut acc = 0i32;
	let mut shift = 0u32;
	while shift < 64 {
		let a = i32::from((x >> shift) as u8 as i8);
		let b = i32::from((y >> shift) as u8 as i8);
		acc = acc.wrapping_add(a.wrapping_mul(b));
		shift = shift.wrapping_add(8);
	}
	acc
}

/// Entry `(batch, row, col)` of the output, recomputed exactly in `O(inner)` from the
/// generator: what the chain does for every opened sample.
pub fn entry(keys: &Keys, shape: &Shape, pos: &Position) -> i32 {
	let n = words(shape);
	let mut acc = 0i32;
	let mut w = 0u64;
	while w < n {
		let x = a_word(keys, shape, pos.batch, pos.row, w);
		let y = b_word(keys, shape, pos.batch, pos.col, w);
		acc = acc.wrapping_add(dot8(x, y));
		w = w.wrapping_add(1);
	}
	acc
}

/// Writes row `row` of `A_batch` (`inner` int8) into `out`.
pub fn fill_a_row(keys: &Keys, shape: &Shape, batch: u32, row: u32, out: &mut [i8]) {
	for (w, chunk) in out.chunks_exact_mut(8).enumerate() {
		let word = a_word(keys, shape, batch, row, w as u64);
		for (i, v) in chunk.iter_mut().enumerate() {
			*v = (word >> (i as u32).wrapping_mul(8)) as u8 as i8;
		}
	}
}

/// Writes column `col` of `B_batch` (`inner` int8, top to bottom) into `out`.
pub fn fill_b_col(keys: &Keys, shape: &Shape, batch: u32, col: u32, out: &mut [i8]) {
	for (w, chunk) in out.chunks_exact_mut(8).enumerate() {
		let word = b_word(keys, shape, batch, col, w as u64);
		for (i, v) in chunk.iter_mut().enumerate() {
			*v = (word >> (i as u32).wrapping_mul(8)) as u8 as i8;
		}
	}
}

/// blake2b-256.
#[inline(always)]
pub fn hash(data: &[u8]) -> Hash {
	polkadot_sdk::sp_io::hashing::blake2_256(data)
}

/// The hash of a leaf: blake2b-256 of its int32 entries, little-endian.
pub fn leaf_hash(values: &[i32]) -> Hash {
	let mut buf = [0u8; (MAX_LEAF_SIZE as usize) * 4];
	let mut len = 0usize;
	for (dst, v) in buf.chunks_exact_mut(4).zip(values.iter()) {
		dst.copy_from_slice(&v.to_le_bytes());
		len = len.saturating_add(4);
	}
	hash(buf.get(..len).unwrap_or(&[]))
}

/// The hash of an inner node: blake2b-256 of `0x01 ‖ left ‖ right`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
	let mut buf = [1u8; 65];
	for (dst, src) in buf.iter_mut().skip(1).zip(left.iter().chain(right.iter())) {
		*dst = *src;
	}
	hash(&buf)
}

/// The root that `path` leads to from the leaf hash at `index` (siblings bottom-up; the
/// index's bits say on which side each sibling sits).
pub fn root_from_path(leaf: Hash, index: u64, path: &[Hash]) -> Hash {
	let mut node = leaf;
	let mut index = index;
	for sibling in path {
		node = if index & 1 == 0 { node_hash(&node, sibling) } else { node_hash(sibling, &node) };
		index >>= 1;
	}
	node
}

/// The seed of one provider's challenge in one period: `blake2_256("crucible:poc:challenge" ‖
/// period seed ‖ SCALE(provider) ‖ period)`.
pub fn challenge_seed<AccountId: Encode>(
	period_seed: &Hash,
	provider: &AccountId,
	period: u32,
) -> Hash {
	let mut data = b"crucible:poc:challenge".to_vec();
	data.extend_from_slice(period_seed);
	provider.encode_to(&mut data);
	data.extend_from_slice(&period.to_le_bytes());
	hash(&data)
}

/// The `samples` entries a provider must open: `blake2_256("crucible:poc:sample" ‖ sample seed
/// ‖ SCALE(provider) ‖ period ‖ i)` reduced modulo the entry count, for `i` in `0..samples`.
pub fn sample_positions<AccountId: Encode>(
	sample_seed: &Hash,
	provider: &AccountId,
	period: u32,
	shape: &Shape,
	samples: u32,
) -> Vec<Position> {
	let entries = u128::from(shape.entries().max(1));
	let plane = u128::from(shape.rows).saturating_mul(u128::from(shape.cols)).max(1);
	let cols = u128::from(shape.cols).max(1);
	let mut prefix = b"crucible:poc:sample".to_vec();
	prefix.extend_from_slice(sample_seed);
	provider.encode_to(&mut prefix);
	prefix.extend_from_slice(&period.to_le_bytes());
	(0..samples)
		.map(|i| {
			let mut data = prefix.clone();
			data.extend_from_slice(&i.to_le_bytes());
			let h = hash(&data);
			let low = h.first_chunk::<16>().copied().unwrap_or_default();
			let n = u128::from_le_bytes(low).checked_rem(entries).unwrap_or(0);
			let batch = n.checked_div(plane).unwrap_or(0);
			let within = n.checked_rem(plane).unwrap_or(0);
			Position {
				batch: batch as u32,
				row: within.checked_div(cols).unwrap_or(0) as u32,
				col: within.checked_rem(cols).unwrap_or(0) as u32,
			}
		})
		.collect()
}

/// The opening of one sampled entry: the whole leaf that holds it and the leaf's Merkle path.
#[derive(
	Encode, Decode, DecodeWithMemTracking, Clone, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen,
)]
pub struct Opening {
	/// The leaf's entries, in column order.
	pub leaf: BoundedVec<i32, ConstU32<MAX_LEAF_SIZE>>,
	/// Sibling hashes from the leaf up to the root.
	pub path: BoundedVec<Hash, ConstU32<MAX_DEPTH>>,
}

/// Why an opening does not prove its sample.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	TypeInfo,
	MaxEncodedLen,
)]
pub enum OpeningError {
	/// The leaf does not have `leaf_size` entries.
	LeafLength,
	/// The path does not have the tree's depth.
	PathLength,
	/// The leaf and path do not lead to the committed root.
	RootMismatch,
	/// The path is right but the sampled entry is not the product's.
	WrongEntry,
}

/// Checks one opening of the entry at `pos` against the committed `root`: shape of the
/// opening, Merkle path, then the exact recomputation of the sampled entry (the costly part,
/// `O(inner)`, done last).
pub fn verify_opening(
	keys: &Keys,
	shape: &Shape,
	leaf_size: u32,
	root: &Hash,
	pos: &Position,
	opening: &Opening,
) -> Result<(), OpeningError> {
	if opening.leaf.len() as u64 != u64::from(leaf_size) {
		return Err(OpeningError::LeafLength);
	}
	if opening.path.len() as u64 != u64::from(shape.depth(leaf_size)) {
		return Err(OpeningError::PathLength);
	}
	let index = shape.leaf_index(leaf_size, pos);
	if root_from_path(leaf_hash(&opening.leaf), index, &opening.path) != *root {
		return Err(OpeningError::RootMismatch);
	}
	let (_, _, offset) = shape.locate(leaf_size, pos);
	let claimed = opening.leaf.get(offset as usize).copied().ok_or(OpeningError::LeafLength)?;
	if claimed != entry(keys, shape, pos) {
		return Err(OpeningError::WrongEntry);
	}
	Ok(())
}

/// What a prover needs besides the product itself: building tile subtrees, the tree above the
/// tiles, and openings. Shared by the node's backends and the tests.
pub mod prover {
	use super::*;

	/// The leaf hashes of one tile, in tile order, from its `tile_rows × tile_cols` entries
	/// (row-major).
	pub fn tile_leaf_hashes(shape: &Shape, leaf_size: u32, tile: &[i32]) -> Vec<Hash> {
		// Rows of a tile are `tile_cols` long and `leaf_size` divides it, so consecutive chunks
		// of the row-major tile are exactly the tile's leaves in order.
		tile.chunks_exact(leaf_size.max(1) as usize)
			.take(shape.leaves_per_tile(leaf_size) as usize)
			.map(leaf_hash)
			.collect()
	}

	/// Every level of a complete binary tree over `leaves` (a power of two of them), from the
	/// leaves up to the root.
	pub fn levels(leaves: Vec<Hash>) -> Vec<Vec<Hash>> {
		let mut levels = alloc::vec![leaves];
		while levels.last().is_some_and(|l| l.len() > 1) {
			let below = levels.last().map(|l| l.as_slice()).unwrap_or(&[]);
			let up = below
				.chunks(2)
				.map(|pair| match pair {
					[l, r] => node_hash(l, r),
					[l] => node_hash(l, &PADDING),
					_ => PADDING,
				})
				.collect();
			levels.push(up);
		}
		levels
	}

	/// The root of a tile from its entries.
	pub fn tile_root(shape: &Shape, leaf_size: u32, tile: &[i32]) -> Hash {
		root(&levels(tile_leaf_hashes(shape, leaf_size, tile)))
	}

	/// The levels above the tiles: the tile roots padded with [`PADDING`] to a power of two.
	pub fn top_levels(tile_roots: &[Hash]) -> Vec<Vec<Hash>> {
		let width = tile_roots.len().next_power_of_two();
		let mut leaves = tile_roots.to_vec();
		leaves.resize(width, PADDING);
		levels(leaves)
	}

	/// The root of a set of levels.
	pub fn root(levels: &[Vec<Hash>]) -> Hash {
		levels.last().and_then(|l| l.first()).copied().unwrap_or(PADDING)
	}

	/// The sibling path of leaf `index` in `levels`.
	pub fn path(levels: &[Vec<Hash>], index: u64) -> Vec<Hash> {
		let mut index = index as usize;
		let mut path = Vec::new();
		for level in levels.iter().take(levels.len().saturating_sub(1)) {
			path.push(level.get(index ^ 1).copied().unwrap_or(PADDING));
			index >>= 1;
		}
		path
	}

	/// The opening of the entry at `pos`, given the entries of the tile that holds it and the
	/// levels above the tiles.
	pub fn open(
		shape: &Shape,
		leaf_size: u32,
		pos: &Position,
		tile: &[i32],
		top: &[Vec<Hash>],
	) -> Opening {
		let (tile_index, leaf_in_tile, _) = shape.locate(leaf_size, pos);
		let tile_levels = levels(tile_leaf_hashes(shape, leaf_size, tile));
		let mut full = path(&tile_levels, leaf_in_tile);
		full.extend(path(top, tile_index));
		let start = (leaf_in_tile as usize).saturating_mul(leaf_size as usize);
		let leaf = tile
			.get(start..start.saturating_add(leaf_size as usize))
			.map(|s| s.to_vec())
			.unwrap_or_default();
		Opening { leaf: BoundedVec::truncate_from(leaf), path: BoundedVec::truncate_from(full) }
	}

	/// The entries of tile `tile`, recomputed entry by entry from the generator: the slow
	/// reference every backend must agree with (tests and tiny shapes only).
	pub fn reference_tile(keys: &Keys, shape: &Shape, tile: u64) -> Vec<i32> {
		let origin = shape.tile_origin(tile);
		let mut out = Vec::new();
		for r in 0..shape.tile_rows() {
			for c in 0..shape.tile_cols() {
				let pos = Position {
					batch: origin.batch,
					row: origin.row.saturating_add(r),
					col: origin.col.saturating_add(c),
				};
				out.push(entry(keys, shape, &pos));
			}
		}
		out
	}
}

/// A fixed challenge and its root: every implementation (the runtime's, each backend of the
/// node, the CUDA kernels) must reproduce it.
pub mod known_answer {
	use super::Shape;
	/// The challenge seed.
	pub const SEED: [u8; 32] = [7u8; 32];
	/// Two products, two leaves of 16 per row.
	pub const SHAPE: Shape = Shape { batch: 2, rows: 4, inner: 128, cols: 32 };
	/// Entries per leaf.
	pub const LEAF_SIZE: u32 = 16;
	/// The root, hex.
	pub const ROOT: &str = "13dac585f21092f7e26cb363641b2076d8262509cb2b7d80da72e3206082f29e";
}

#[cfg(test)]
mod tests;
