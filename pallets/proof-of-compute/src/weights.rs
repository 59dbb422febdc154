// PLACEHOLDER: overwritten by scripts/benchmark.sh (the benchmark CLI) before commit.
#![allow(missing_docs)]

use core::marker::PhantomData;
use polkadot_sdk::frame_support::weights::Weight;

/// The weight of each of `pallet_proof_of_compute`'s calls and hooks.
pub trait WeightInfo {
	fn submit_commitment() -> Weight;
	fn submit_opening(s: u32, k: u32, d: u32) -> Weight;
	fn heartbeat() -> Weight;
	fn set_params() -> Weight;
	fn authorize_submit_commitment() -> Weight;
	fn authorize_submit_opening(s: u32, d: u32) -> Weight;
	fn authorize_heartbeat() -> Weight;
	fn start_period() -> Weight;
	fn fix_samples() -> Weight;
	fn sweep_base() -> Weight;
	fn sweep_visit() -> Weight;
	fn record_outcome() -> Weight;
}

pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: polkadot_sdk::frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn submit_commitment() -> Weight {
		Weight::from_parts(1, 0)
	}
	fn submit_opening(_s: u32, _k: u32, _d: u32) -> Weight {
		Weight::from_parts(1, 0)
	}
	fn heartbeat() -> Weight {
		Weight::from_parts(1, 0)
	}
	fn set_params() -> Weight {
		Weight::from_parts(1, 0)
	}
	fn authorize_submit_commitment() -> Weight {
		Weight::from_parts(1, 0)
	}
	fn authorize_submit_opening(_s: u32, _d: u32) -> Weight {
		Weight::from_parts(1, 0)
	}
	fn authorize_heartbeat() -> Weight {
		Weight::from_parts(1, 0)
	}
	fn start_period() -> Weight {
		Weight::from_parts(1, 0)
	}
	fn fix_samples() -> Weight {
		Weight::from_parts(1, 0)
	}
	fn sweep_base() -> Weight {
		Weight::from_parts(1, 0)
	}
	fn sweep_visit() -> Weight {
		Weight::from_parts(1, 0)
	}
	fn record_outcome() -> Weight {
		Weight::from_parts(1, 0)
	}
}
impl WeightInfo for () {
	fn submit_commitment() -> Weight {
		Weight::from_parts(1, 0)
	}
	fn submit_opening(_s: u32, _k: u32, _d: u32) -> Weight {
		Weight::from_parts(1, 0)
	}
	fn heartbeat() -> Weight {
		Weight::from_parts(1, 0)
	}
	fn set_params() -> Weight {
		Weight::from_parts(1, 0)
	}
	fn authorize_submit_commitment() -> Weight {
		Weight::from_parts(1, 0)
	}
	fn authorize_submit_opening(_s: u32, _d: u32) -> Weight {
		Weight::from_parts(1, 0)
	}
	fn authorize_heartbeat() -> Weight {
		Weight::from_parts(1, 0)
	}
	fn start_period() -> Weight {
		Weight::from_parts(1, 0)
	}
	fn fix_samples() -> Weight {
		Weight::from_parts(1, 0)
	}
	fn sweep_base() -> Weight {
		Weight::from_parts(1, 0)
	}
	fn sweep_visit() -> Weight {
		Weight::from_parts(1, 0)
	}
	fn record_outcome() -> Weight {
		Weight::from_parts(1, 0)
	}
}
