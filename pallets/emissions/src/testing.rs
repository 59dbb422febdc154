//! What the runtime's property test needs of emissions (the `testing` feature): random claims
//! and parameter changes.

use crate::{Call, Config, CurrentEra, Params};
use crucible_primitives::testing::Rng;
use polkadot_sdk::sp_runtime::Perbill;

/// A random change of the parameters in force, sometimes within the per-change bound, sometimes
/// not: the decay and E0 scaled by 90–114%, and 20% of the time any claim window below 100.
pub fn random_params_change<T: Config>(rng: &mut Rng) -> Call<T> {
	let mut p = Params::<T>::get();
	let pct = 90u32.saturating_add(rng.below(25) as u32);
	let scaled = u64::from(p.decay.deconstruct()).saturating_mul(pct.into()).checked_div(100);
	p.decay = Perbill::from_parts(u32::try_from(scaled.unwrap_or_default()).unwrap_or(u32::MAX));
	p.initial = p.initial.checked_div(100).unwrap_or_default().saturating_mul(pct.into());
	if rng.chance(20) {
		p.claim_window = rng.below(100) as u32;
	}
	Call::set_params { params: p }
}

/// A random emissions call, of 6: a claim for one of the last four eras (5), or a parameter
/// change (1, [`random_params_change`]).
pub fn random_call<T: Config>(rng: &mut Rng) -> Call<T> {
	match rng.below(6) {
		0..=4 => Call::claim { era: CurrentEra::<T>::get().saturating_sub(rng.below(4) as u32) },
		_ => random_params_change::<T>(rng),
	}
}
