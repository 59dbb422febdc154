//! The registry's logic: what the calls and the inter-pallet traits do, one module per
//! feature (as the marketplace's `impls/`):
//!
//! - `register`: joining (profile and key checks, the ownership proof), changing the profile or
//!   key, leaving;
//! - `bond`: bonding more, unbonding, withdrawing, the unbonding period;
//! - `status`: the status machine (pause, resume, suspension, the judges' moves) and reputation;
//! - `slash`: slashing a bond across its active part and unbonding chunks;
//! - `inspect`: what other pallets and the runtime API read (`ProviderInspect`, views, search);
//! - `invariants`: `do_try_state`.

mod bond;
mod inspect;
#[cfg(any(feature = "try-runtime", feature = "std"))]
mod invariants;
mod register;
mod slash;
mod status;

use polkadot_sdk::sp_runtime::Permill;

/// Most records one `providers_matching` call reads.
pub const MAX_SCAN: u32 = 1_000;

/// A neutral reputation: where scores start and what they decay towards.
pub const NEUTRAL_REPUTATION: Permill = Permill::from_percent(50);
