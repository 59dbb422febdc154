//! A seeded random sequence for property tests (the runtime's random-call test and the pallets'
//! call generators): the outputs of [`crate::challenge::splitmix64`] keyed by the seed, in
//! counter order. Compiled with the `testing` feature only.

use crate::challenge::splitmix64;

/// Random numbers from a seed: output `n` is `splitmix64(seed, n)` (the classic SplitMix64
/// sequence started at `seed`).
#[derive(Clone, Debug)]
pub struct Rng {
	seed: u64,
	counter: u64,
}

impl Rng {
	/// The sequence of `seed`.
	pub fn new(seed: u64) -> Self {
		Self { seed, counter: 0 }
	}

	/// The next output.
	pub fn next_u64(&mut self) -> u64 {
		let out = splitmix64(self.seed, self.counter);
		self.counter = self.counter.wrapping_add(1);
		out
	}

	/// A number below `n` (0 when `n` is 0 or 1).
	pub fn below(&mut self, n: u64) -> u64 {
		self.next_u64().checked_rem(n.max(1)).unwrap_or_default()
	}

	/// One of `items` (`None` if there are none).
	pub fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
		let index = self.below(items.len() as u64);
		items.get(usize::try_from(index).unwrap_or_default())
	}

	/// An amount spread over orders of magnitude, from dust to a large holding: 1 to 1,000
	/// times `10^k / 1,000` for `k` in `0..24`.
	pub fn amount(&mut self) -> u128 {
		let exp = self.below(24) as u32;
		u128::from(self.below(1_000))
			.saturating_add(1)
			.saturating_mul(10u128.saturating_pow(exp))
			.checked_div(1_000)
			.unwrap_or_default()
	}

	/// `true` with probability `percent`%.
	pub fn chance(&mut self, percent: u64) -> bool {
		self.below(100) < percent
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	/// The sequence is SplitMix64's: the state advances by the golden gamma, then is mixed.
	#[test]
	fn the_sequence_is_splitmix64() {
		let mut state: u64 = 0xC0FF_EE00_2026;
		let mut rng = Rng::new(state);
		for _ in 0..100 {
			state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
			let mut z = state;
			z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
			z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
			assert_eq!(rng.next_u64(), z ^ (z >> 31));
		}
		assert_eq!(rng.below(0), 0);
		assert!(rng.pick::<u8>(&[]).is_none());
		assert!((0..1_000).all(|_| rng.below(7) < 7));
	}
}
