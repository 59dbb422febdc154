//! What the runtime's property test needs of proof of compute (the `testing` feature): the
//! effect of a challenge's outcome on a provider, without the challenge.

use crate::{Config, OnVerifiedCompute};
use crucible_primitives::testing::Rng;
use pallet_providers::{
	ProviderInspect, ProviderMutate, ProviderSlash, ProviderStatus, SlashReason,
};
use polkadot_sdk::sp_runtime::Permill;

/// Applies a random challenge outcome to `who`, as settling a challenge applies it through the
/// registry and emissions: 80% a pass (proven, reputation up, random verified units reported to
/// `OnVerifiedCompute`), else a miss (1% slashed, back to `Registered`). Nothing for an account
/// that is not registered.
pub fn random_outcome<T: Config>(rng: &mut Rng, who: &T::AccountId) {
	if T::Providers::status(who).is_none() {
		return;
	}
	// The registry may refuse a move (a paused or suspended provider): the test goes on, as
	// settling does.
	if rng.chance(80) {
		let _ = T::Providers::set_status(who, ProviderStatus::Active);
		let _ = T::Providers::note_success(who, Permill::from_percent(5));
		T::OnVerifiedCompute::on_verified_compute(who, 0, rng.amount());
	} else {
		let _ = T::Providers::slash(who, Permill::from_percent(1), SlashReason::MissedChallenge);
		let _ = T::Providers::set_status(who, ProviderStatus::Registered);
	}
}
