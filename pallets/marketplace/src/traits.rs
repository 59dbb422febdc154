//! What the marketplace tells the rest of the runtime, which the runtime wires (emissions).

/// Told when a lease is settled (paid after its dispute window, or after a dispute the provider
/// won): emissions credits the provider with the GPU-blocks it served and was paid for.
pub trait OnLeaseSettled<AccountId> {
	/// `provider` served `gpu_blocks` (attested, paid blocks × the job's GPUs).
	fn on_lease_settled(provider: &AccountId, gpu_blocks: u128);
}

impl<AccountId> OnLeaseSettled<AccountId> for () {
	fn on_lease_settled(_: &AccountId, _: u128) {}
}
