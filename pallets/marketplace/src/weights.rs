// Bootstrap: replaced by scripts/benchmark.sh before it lands.

#![allow(missing_docs)]
use polkadot_sdk::frame_support::weights::Weight;
use core::marker::PhantomData;

pub trait WeightInfo {
	fn post_job() -> Weight;
	fn place_bid(b: u32, ) -> Weight;
	fn lower_bid() -> Weight;
	fn withdraw_bid() -> Weight;
	fn commit_bid() -> Weight;
	fn reveal_bid() -> Weight;
	fn close_auction() -> Weight;
	fn close_unrevealed() -> Weight;
	fn cancel_job_bidding() -> Weight;
	fn cancel_job_running() -> Weight;
	fn attest_running() -> Weight;
	fn attest_completed() -> Weight;
	fn attest_refused() -> Weight;
	fn authorize_attest() -> Weight;
	fn claim() -> Weight;
	fn dispute() -> Weight;
	fn resolve_dispute_developer() -> Weight;
	fn resolve_dispute_provider() -> Weight;
	fn timers_base() -> Weight;
	fn timer_reschedule() -> Weight;
	fn timer_abandon() -> Weight;
	fn timer_settle() -> Weight;
}
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: polkadot_sdk::frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn post_job() -> Weight { Weight::from_parts(1_000_000, 1_000) }
	fn place_bid(_b: u32, ) -> Weight { Weight::from_parts(1_000_000, 1_000) }
	fn lower_bid() -> Weight { Weight::from_parts(1_000_000, 1_000) }
	fn withdraw_bid() -> Weight { Weight::from_parts(1_000_000, 1_000) }
	fn commit_bid() -> Weight { Weight::from_parts(1_000_000, 1_000) }
	fn reveal_bid() -> Weight { Weight::from_parts(1_000_000, 1_000) }
	fn close_auction() -> Weight { Weight::from_parts(1_000_000, 1_000) }
	fn close_unrevealed() -> Weight { Weight::from_parts(1_000_000, 1_000) }
	fn cancel_job_bidding() -> Weight { Weight::from_parts(1_000_000, 1_000) }
	fn cancel_job_running() -> Weight { Weight::from_parts(1_000_000, 1_000) }
	fn attest_running() -> Weight { Weight::from_parts(1_000_000, 1_000) }
	fn attest_completed() -> Weight { Weight::from_parts(1_000_000, 1_000) }
	fn attest_refused() -> Weight { Weight::from_parts(1_000_000, 1_000) }
	fn authorize_attest() -> Weight { Weight::from_parts(1_000_000, 1_000) }
	fn claim() -> Weight { Weight::from_parts(1_000_000, 1_000) }
	fn dispute() -> Weight { Weight::from_parts(1_000_000, 1_000) }
	fn resolve_dispute_developer() -> Weight { Weight::from_parts(1_000_000, 1_000) }
	fn resolve_dispute_provider() -> Weight { Weight::from_parts(1_000_000, 1_000) }
	fn timers_base() -> Weight { Weight::from_parts(1_000_000, 1_000) }
	fn timer_reschedule() -> Weight { Weight::from_parts(1_000_000, 1_000) }
	fn timer_abandon() -> Weight { Weight::from_parts(1_000_000, 1_000) }
	fn timer_settle() -> Weight { Weight::from_parts(1_000_000, 1_000) }
}
impl WeightInfo for () {
	fn post_job() -> Weight { Weight::from_parts(1_000_000, 1_000) }
	fn place_bid(_b: u32, ) -> Weight { Weight::from_parts(1_000_000, 1_000) }
	fn lower_bid() -> Weight { Weight::from_parts(1_000_000, 1_000) }
	fn withdraw_bid() -> Weight { Weight::from_parts(1_000_000, 1_000) }
	fn commit_bid() -> Weight { Weight::from_parts(1_000_000, 1_000) }
	fn reveal_bid() -> Weight { Weight::from_parts(1_000_000, 1_000) }
	fn close_auction() -> Weight { Weight::from_parts(1_000_000, 1_000) }
	fn close_unrevealed() -> Weight { Weight::from_parts(1_000_000, 1_000) }
	fn cancel_job_bidding() -> Weight { Weight::from_parts(1_000_000, 1_000) }
	fn cancel_job_running() -> Weight { Weight::from_parts(1_000_000, 1_000) }
	fn attest_running() -> Weight { Weight::from_parts(1_000_000, 1_000) }
	fn attest_completed() -> Weight { Weight::from_parts(1_000_000, 1_000) }
	fn attest_refused() -> Weight { Weight::from_parts(1_000_000, 1_000) }
	fn authorize_attest() -> Weight { Weight::from_parts(1_000_000, 1_000) }
	fn claim() -> Weight { Weight::from_parts(1_000_000, 1_000) }
	fn dispute() -> Weight { Weight::from_parts(1_000_000, 1_000) }
	fn resolve_dispute_developer() -> Weight { Weight::from_parts(1_000_000, 1_000) }
	fn resolve_dispute_provider() -> Weight { Weight::from_parts(1_000_000, 1_000) }
	fn timers_base() -> Weight { Weight::from_parts(1_000_000, 1_000) }
	fn timer_reschedule() -> Weight { Weight::from_parts(1_000_000, 1_000) }
	fn timer_abandon() -> Weight { Weight::from_parts(1_000_000, 1_000) }
	fn timer_settle() -> Weight { Weight::from_parts(1_000_000, 1_000) }
}
