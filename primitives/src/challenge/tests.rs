// Tests may panic and index: that is how they fail.
#![allow(clippy::arithmetic_side_effects)]

//! The challenge's properties: an honest prover's openings verify; any flipped entry, sibling,
//! leaf, seed or period fails; the generator, the fused recomputation and the tile numbering
//! agree with each other.

use super::{prover::*, *};
use proptest::prelude::*;

/// Everything an honest prover computes for a challenge: every tile's entries, the tile roots,
/// the levels above the tiles and the root.
struct Honest {
	keys: Keys,
	shape: Shape,
	leaf: u32,
	tiles: Vec<Vec<i32>>,
	top: Vec<Vec<Hash>>,
	root: Hash,
}

impl Honest {
	fn new(seed: Hash, shape: Shape, leaf: u32) -> Self {
		let keys = Keys::from_seed(&seed);
		let tiles: Vec<Vec<i32>> =
			(0..shape.tiles()).map(|t| reference_tile(&keys, &shape, t)).collect();
		let roots: Vec<Hash> = tiles.iter().map(|t| tile_root(&shape, leaf, t)).collect();
		let top = top_levels(&roots);
		let root = prover::root(&top);
		Self { keys, shape, leaf, tiles, top, root }
	}

	fn open(&self, pos: &Position) -> Opening {
		let (tile, _, _) = self.shape.locate(self.leaf, pos);
		open(&self.shape, self.leaf, pos, &self.tiles[tile as usize], &self.top)
	}

	fn verify(&self, pos: &Position, opening: &Opening) -> Result<(), OpeningError> {
		verify_opening(&self.keys, &self.shape, self.leaf, &self.root, pos, opening)
	}
}

/// Small valid shapes with a leaf size that fits them: several tiles in some cases (rows or
/// columns up to 512 are cut into 256-wide tiles only above 256, so use a tiny TILE check via
/// batch > 1 and the padding of the top tree).
fn shapes() -> impl Strategy<Value = (Shape, u32)> {
	(1u32..=3, 0u32..=5, 1u32..=3, 0u32..=5, 0u32..=4).prop_filter_map(
		"leaf fits the columns",
		|(batch, rows_log, inner_mult, cols_log, leaf_log)| {
			let shape =
				Shape { batch, rows: 1 << rows_log, inner: 64 * inner_mult, cols: 1 << cols_log };
			let leaf = 1u32 << leaf_log;
			shape.validate(leaf).ok().map(|()| (shape, leaf))
		},
	)
}

fn seed() -> impl Strategy<Value = Hash> {
	any::<[u8; 32]>()
}

proptest! {
	#![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

	#[test]
	fn an_honest_proof_verifies(
		(shape, leaf) in shapes(),
		seed in seed(),
		sample_seed in seed(),
		provider in any::<u64>(),
		period in any::<u32>(),
	) {
		let honest = Honest::new(seed, shape, leaf);
		for pos in sample_positions(&sample_seed, &provider, period, &shape, 8) {
			prop_assert_eq!(honest.verify(&pos, &honest.open(&pos)), Ok(()));
		}
	}

	#[test]
	fn a_flipped_sampled_entry_fails_as_a_wrong_entry_when_the_tree_was_built_on_it(
		(shape, leaf) in shapes(),
		seed in seed(),
		sample_seed in seed(),
		delta in 1i32..=i32::MAX,
	) {
		// A liar who committed to a wrong value: the path is consistent, the value is not.
		let mut liar = Honest::new(seed, shape, leaf);
		let pos = sample_positions(&sample_seed, &1u64, 1, &shape, 1)[0];
		let (tile, leaf_in_tile, offset) = shape.locate(leaf, &pos);
		let index = leaf_in_tile as usize * leaf as usize + offset as usize;
		liar.tiles[tile as usize][index] = liar.tiles[tile as usize][index].wrapping_add(delta);
		let roots: Vec<Hash> = liar.tiles.iter().map(|t| tile_root(&shape, leaf, t)).collect();
		liar.top = top_levels(&roots);
		liar.root = prover::root(&liar.top);
		prop_assert_eq!(liar.verify(&pos, &liar.open(&pos)), Err(OpeningError::WrongEntry));
	}

	#[test]
	fn any_flipped_entry_of_an_opened_leaf_fails(
		(shape, leaf) in shapes(),
		seed in seed(),
		sample_seed in seed(),
		which in any::<prop::sample::Index>(),
		delta in 1i32..=i32::MAX,
	) {
		let honest = Honest::new(seed, shape, leaf);
		let pos = sample_positions(&sample_seed, &7u64, 3, &shape, 1)[0];
		let mut opening = honest.open(&pos);
		let i = which.index(opening.leaf.len());
		opening.leaf[i] = opening.leaf[i].wrapping_add(delta);
		// Changing any entry changes the leaf hash: the path no longer leads to the root.
		prop_assert_eq!(honest.verify(&pos, &opening), Err(OpeningError::RootMismatch));
	}

	#[test]
	fn any_flipped_sibling_fails(
		(shape, leaf) in shapes(),
		seed in seed(),
		sample_seed in seed(),
		which in any::<prop::sample::Index>(),
		bit in 0u8..8,
	) {
		let honest = Honest::new(seed, shape, leaf);
		let pos = sample_positions(&sample_seed, &7u64, 3, &shape, 1)[0];
		let mut opening = honest.open(&pos);
		prop_assume!(!opening.path.is_empty());
		let i = which.index(opening.path.len());
		opening.path[i][0] ^= 1 << bit;
		prop_assert_eq!(honest.verify(&pos, &opening), Err(OpeningError::RootMismatch));
	}

	#[test]
	fn the_opening_of_another_leaf_fails(
		(shape, leaf) in shapes(),
		seed in seed(),
		sample_seed in seed(),
	) {
		let honest = Honest::new(seed, shape, leaf);
		let positions = sample_positions(&sample_seed, &7u64, 3, &shape, 2);
		let (asked, other) = (positions[0], positions[1]);
		prop_assume!(shape.leaf_index(leaf, &asked) != shape.leaf_index(leaf, &other));
		// A valid opening, of the wrong leaf (a wrong leaf index).
		prop_assert_eq!(
			honest.verify(&asked, &honest.open(&other)),
			Err(OpeningError::RootMismatch)
		);
	}

	#[test]
	fn another_seed_fails(
		(shape, leaf) in shapes(),
		seed in seed(),
		other_seed in seed(),
		sample_seed in seed(),
	) {
		prop_assume!(Keys::from_seed(&seed) != Keys::from_seed(&other_seed));
		// Work done for another challenge (another seed), committed honestly.
		let other = Honest::new(other_seed, shape, leaf);
		let mut judge = Honest::new(seed, shape, leaf);
		judge.root = other.root;
		let results: Vec<_> = sample_positions(&sample_seed, &7u64, 3, &shape, 8)
			.iter()
			.map(|pos| judge.verify(pos, &other.open(pos)))
			.collect();
		// Every opening is consistent with the root, but the entries are another product's
		// (an entry can coincide by chance; not eight of them).
		prop_assert!(results.iter().all(|r| matches!(r, Ok(()) | Err(OpeningError::WrongEntry))));
		prop_assert!(results.contains(&Err(OpeningError::WrongEntry)));
	}

	#[test]
	fn another_period_samples_other_entries(
		(shape, leaf) in shapes(),
		seed in seed(),
		sample_seed in seed(),
		period in 0u32..u32::MAX,
	) {
		prop_assume!(shape.leaves(leaf) >= 64);
		let honest = Honest::new(seed, shape, leaf);
		// Openings prepared for one period, presented for the next: they answer other samples.
		let prepared = sample_positions(&sample_seed, &7u64, period, &shape, 8);
		let asked = sample_positions(&sample_seed, &7u64, period + 1, &shape, 8);
		let failures = asked
			.iter()
			.zip(prepared.iter())
			.filter(|(a, p)| honest.verify(a, &honest.open(p)).is_err())
			.count();
		prop_assert!(failures > 0);
	}

	#[test]
	fn the_fused_entry_is_the_dot_product_of_the_generated_row_and_column(
		(shape, _leaf) in shapes(),
		seed in seed(),
		b in any::<prop::sample::Index>(),
		r in any::<prop::sample::Index>(),
		c in any::<prop::sample::Index>(),
	) {
		let keys = Keys::from_seed(&seed);
		let pos = Position {
			batch: b.index(shape.batch as usize) as u32,
			row: r.index(shape.rows as usize) as u32,
			col: c.index(shape.cols as usize) as u32,
		};
		let mut a = vec![0i8; shape.inner as usize];
		let mut bcol = vec![0i8; shape.inner as usize];
		fill_a_row(&keys, &shape, pos.batch, pos.row, &mut a);
		fill_b_col(&keys, &shape, pos.batch, pos.col, &mut bcol);
		let naive: i64 = a.iter().zip(&bcol).map(|(x, y)| i64::from(*x) * i64::from(*y)).sum();
		prop_assert_eq!(i64::from(entry(&keys, &shape, &pos)), naive);
	}

	#[test]
	fn leaf_numbering_is_a_bijection_with_tiles_as_subtrees(
		(shape, leaf) in shapes(),
	) {
		let mut seen = std::collections::BTreeSet::new();
		for b in 0..shape.batch {
			for r in 0..shape.rows {
				for c in (0..shape.cols).step_by(leaf as usize) {
					let pos = Position { batch: b, row: r, col: c };
					let (tile, leaf_in_tile, offset) = shape.locate(leaf, &pos);
					prop_assert_eq!(offset, 0);
					prop_assert!(leaf_in_tile < shape.leaves_per_tile(leaf));
					let origin = shape.tile_origin(tile);
					prop_assert_eq!(origin.batch, b);
					prop_assert!(origin.row <= r && r < origin.row + shape.tile_rows());
					prop_assert!(origin.col <= c && c < origin.col + shape.tile_cols());
					prop_assert!(seen.insert(shape.leaf_index(leaf, &pos)));
				}
			}
		}
		prop_assert_eq!(seen.len() as u64, shape.leaves(leaf));
		prop_assert_eq!(seen.iter().next_back().copied(), Some(shape.leaves(leaf) - 1));
	}
}

#[test]
fn int32_accumulation_stays_exact_at_the_largest_inner_dimension() {
	// The worst case: every product is (-128)·(-128).
	let worst = i64::from(MAX_INNER) * 128 * 128;
	assert!(worst <= i64::from(i32::MAX), "{worst}");
	assert_eq!(MAX_INNER % INNER_ALIGN, 0);
	assert!(i64::from(MAX_INNER + INNER_ALIGN) * 128 * 128 > i64::from(i32::MAX));
}

#[test]
fn shapes_outside_the_bounds_are_refused_by_name() {
	let ok = Shape { batch: 1, rows: 64, inner: 512, cols: 64 };
	assert_eq!(ok.validate(16), Ok(()));
	assert_eq!(Shape { batch: 0, ..ok }.validate(16), Err(ShapeError::Batch));
	assert_eq!(Shape { batch: MAX_BATCH + 1, ..ok }.validate(16), Err(ShapeError::Batch));
	assert_eq!(Shape { rows: 48, ..ok }.validate(16), Err(ShapeError::Rows));
	assert_eq!(Shape { rows: 0, ..ok }.validate(16), Err(ShapeError::Rows));
	assert_eq!(Shape { cols: 2 * MAX_DIM, ..ok }.validate(16), Err(ShapeError::Cols));
	assert_eq!(Shape { inner: 500, ..ok }.validate(16), Err(ShapeError::Inner));
	assert_eq!(Shape { inner: MAX_INNER + 64, ..ok }.validate(16), Err(ShapeError::Inner));
	assert_eq!(ok.validate(3), Err(ShapeError::LeafSize));
	assert_eq!(ok.validate(128), Err(ShapeError::LeafSize));
	assert_eq!(Shape { cols: 8, ..ok }.validate(16), Err(ShapeError::LeafSize));
}

#[test]
fn tiles_and_depth_of_a_large_shape() {
	let shape = Shape { batch: 3, rows: 1024, inner: 65_536, cols: 512 };
	assert_eq!(shape.tile_grid(), (4, 2));
	assert_eq!(shape.tiles(), 24);
	assert_eq!(shape.leaves_per_tile(32), 2048);
	// 11 levels in a tile, 5 above 24 tiles (padded to 32).
	assert_eq!(shape.depth(32), 16);
	assert_eq!(shape.ops(), 2 * 3 * 1024 * 512 * 65_536);
	assert_eq!(ceil_log2(0), 0);
	assert_eq!(ceil_log2(1), 0);
	assert_eq!(ceil_log2(2), 1);
	assert_eq!(ceil_log2(3), 2);
	assert_eq!(ceil_log2(1 << 40), 40);
	assert_eq!(ceil_log2((1 << 40) + 1), 41);
}

#[test]
fn a_tile_spanning_several_tiles_of_a_product_opens_and_verifies() {
	// 512 columns: two tiles across; the second tile's leaves must be found in it.
	let shape = Shape { batch: 1, rows: 2, inner: 64, cols: 512 };
	let honest = Honest::new([9u8; 32], shape, 16);
	assert_eq!(shape.tiles(), 2);
	for col in [0, 255, 256, 300, 511] {
		let pos = Position { batch: 0, row: 1, col };
		assert_eq!(honest.verify(&pos, &honest.open(&pos)), Ok(()), "col {col}");
	}
}

#[test]
fn malformed_openings_are_named() {
	let shape = Shape { batch: 1, rows: 8, inner: 64, cols: 16 };
	let honest = Honest::new([1u8; 32], shape, 8);
	let pos = Position { batch: 0, row: 3, col: 5 };
	let good = honest.open(&pos);
	let mut short = good.clone();
	short.leaf.pop();
	assert_eq!(honest.verify(&pos, &short), Err(OpeningError::LeafLength));
	let mut long_path = good.clone();
	long_path.path.try_push([0u8; 32]).unwrap();
	assert_eq!(honest.verify(&pos, &long_path), Err(OpeningError::PathLength));
}

use super::known_answer::{
	LEAF_SIZE as KNOWN_LEAF, ROOT as KNOWN_ROOT, SEED as KNOWN_SEED, SHAPE as KNOWN_SHAPE,
};

#[test]
fn known_answer() {
	assert_eq!(splitmix64(0, 0), 0xE220_A839_7B1D_CDAF, "SplitMix64's first output of seed 0");
	let honest = Honest::new(KNOWN_SEED, KNOWN_SHAPE, KNOWN_LEAF);
	let keys = Keys::from_seed(&KNOWN_SEED);
	let pos = Position { batch: 1, row: 2, col: 17 };
	// Product 1 is tile 1; row 2, column 17 is entry 2·32 + 17 of it.
	assert_eq!(entry(&keys, &KNOWN_SHAPE, &pos), honest.tiles[1][2 * 32 + 17]);
	assert_eq!(hex(&honest.root), KNOWN_ROOT);
}

fn hex(bytes: &[u8]) -> String {
	bytes.iter().map(|b| format!("{b:02x}")).collect()
}
