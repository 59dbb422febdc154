//! What the marketplace tells the rest of the runtime, which the runtime wires (emissions).

use polkadot_sdk::frame_support::weights::Weight;

/// Told when a lease is settled (paid after its dispute window, or after a dispute the provider
/// won): emissions credits the provider with what the lease was paid, so that its market pool
/// pays only for work a developer paid for (a wash lease between one's own accounts earns
/// back at most the fees it paid).
pub trait OnLeaseSettled<AccountId, Balance> {
	/// `provider`'s lease paid out `value` over its life (the provider's pay and the protocol
	/// fees), of which `fees` went to the fee handler.
	fn on_lease_settled(provider: &AccountId, value: Balance, fees: Balance);

	/// The most `on_lease_settled` costs (from the handler's own benchmark): added to the
	/// weight of every settlement.
	fn weight() -> Weight;
}

impl<AccountId, Balance> OnLeaseSettled<AccountId, Balance> for () {
	fn on_lease_settled(_: &AccountId, _: Balance, _: Balance) {}

	fn weight() -> Weight {
		Weight::zero()
	}
}
