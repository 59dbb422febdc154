//! What proof of compute offers the other pallets (emissions reads verified compute units).

use crucible_primitives::proof_of_compute::PeriodIndex;
use polkadot_sdk::frame_support::weights::Weight;

/// Told of every passed challenge: emissions accumulates its era sums from it, so that nothing
/// iterates providers to pay them.
pub trait OnVerifiedCompute<AccountId> {
	/// `provider` earned `units` verified compute units (int8 operations) in `period`.
	fn on_verified_compute(provider: &AccountId, period: PeriodIndex, units: u128);

	/// The most `on_verified_compute` costs (from the handler's own benchmark): added to the
	/// weight of every opening, which may pass a challenge.
	fn weight() -> Weight;
}

impl<AccountId> OnVerifiedCompute<AccountId> for () {
	fn on_verified_compute(_: &AccountId, _: PeriodIndex, _: u128) {}

	fn weight() -> Weight {
		Weight::zero()
	}
}

/// Read access to verified compute units.
pub trait VerifiedComputeInspect<AccountId> {
	/// The current period, if one has started.
	fn current_period() -> Option<PeriodIndex>;
	/// Units `provider` earned in `period` (among its recent outcomes; 0 otherwise).
	fn units_in(provider: &AccountId, period: PeriodIndex) -> u128;
	/// Units all providers earned in `period` (kept for the last `UNITS_RETENTION` periods).
	fn period_units(period: PeriodIndex) -> u128;
	/// Units `provider` earned over its life.
	fn lifetime_units(provider: &AccountId) -> u128;
}
