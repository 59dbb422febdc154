//! Crucible primitives: the types that the runtime, the pallets and the node must agree on.
//!
//! Everything here is `no_std` and is compiled both into the wasm runtime and into the node.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub mod audit;
pub mod challenge;
pub mod emissions;
pub mod marketplace;
pub mod offchain;
pub mod proof_of_compute;
pub mod providers;
#[cfg(any(test, feature = "testing"))]
pub mod testing;

use polkadot_sdk::{
	sp_core::H256,
	sp_runtime::{
		generic,
		traits::{BlakeTwo256, IdentifyAccount, Verify},
		MultiSignature, OpaqueExtrinsic,
	},
};

/// Block number: `u32` covers ~800 years of 6-second blocks.
pub type BlockNumber = u32;

/// A signature of a transaction: sr25519, ed25519 or ecdsa, as wallets produce them.
pub type Signature = MultiSignature;

/// An account: the public key behind a [`Signature`], as a 32-byte id.
pub type AccountId = <<Signature as Verify>::Signer as IdentifyAccount>::AccountId;

/// An amount of CRU in its smallest unit (planck): 10^-[`TOKEN_DECIMALS`] CRU.
pub type Balance = u128;

/// The index of a transaction in an account's sequence.
pub type Nonce = u32;

/// The hash of a block or of anything else on chain.
pub type Hash = H256;

/// Block header type.
pub type Header = generic::Header<BlockNumber, BlakeTwo256>;

/// An opaque block, for the node, which does not need to know the runtime's extrinsic format.
pub type Block = generic::Block<Header, OpaqueExtrinsic>;

/// Milliseconds since the Unix epoch.
pub type Moment = u64;

/// The token's symbol as wallets show it.
pub const TOKEN_SYMBOL: &str = "CRU";
/// Decimal places of one CRU.
pub const TOKEN_DECIMALS: u8 = 12;
/// The SS58 address prefix: 42 is the generic Substrate prefix, until Crucible registers its own.
pub const SS58_PREFIX: u16 = 42;

/// Token units, in planck.
pub mod currency {
	use super::Balance;

	/// One CRU.
	pub const UNITS: Balance = 1_000_000_000_000;
	/// 1/100 CRU.
	pub const CENTS: Balance = UNITS / 100;
	/// 1/1000 CRU.
	pub const MILLI_UNITS: Balance = UNITS / 1_000;
	/// 1/1_000_000 CRU.
	pub const MICRO_UNITS: Balance = UNITS / 1_000_000;
	/// The smallest balance an account may hold: below it the account is removed.
	pub const EXISTENTIAL_DEPOSIT: Balance = MILLI_UNITS;

	/// The deposit for a storage entry of `items` items and `bytes` bytes: what storage costs.
	pub const fn deposit(items: u32, bytes: u32) -> Balance {
		(items as Balance)
			.saturating_mul(20 * CENTS)
			.saturating_add((bytes as Balance).saturating_mul(10 * MICRO_UNITS))
	}
}

/// Block times.
pub mod time {
	use super::BlockNumber;

	/// A block every 6 seconds: the BABE slot duration.
	pub const MILLI_SECS_PER_BLOCK: u64 = 6000;
	/// The slot duration, for BABE and the timestamp pallet.
	pub const SLOT_DURATION: u64 = MILLI_SECS_PER_BLOCK;

	/// One minute in blocks.
	pub const MINUTES: BlockNumber = 60_000 / (MILLI_SECS_PER_BLOCK as BlockNumber);
	/// One hour in blocks.
	pub const HOURS: BlockNumber = MINUTES * 60;
	/// One day in blocks.
	pub const DAYS: BlockNumber = HOURS * 24;

	/// A BABE epoch (and so a session, when the validator set may change): 10 minutes.
	pub const EPOCH_DURATION_IN_BLOCKS: BlockNumber = 10 * MINUTES;
	/// The same, in slots (one block per slot in the normal case).
	pub const EPOCH_DURATION_IN_SLOTS: u64 = EPOCH_DURATION_IN_BLOCKS as u64;

	/// BABE's probability that a slot has a primary author: 1/4, the rest by secondary slots.
	pub const PRIMARY_PROBABILITY: (u64, u64) = (1, 4);
}

// The unit definitions agree with each other; checked when the crate compiles.
const _: () = {
	assert!(currency::UNITS == 10u128.pow(TOKEN_DECIMALS as u32));
	assert!(currency::EXISTENTIAL_DEPOSIT > 0);
	assert!(time::EPOCH_DURATION_IN_BLOCKS as u64 * time::MILLI_SECS_PER_BLOCK == 600_000);
};

#[cfg(test)]
mod tests {
	use super::currency::*;

	#[test]
	fn deposits_price_items_and_bytes_and_saturate() {
		assert_eq!(deposit(1, 0), 20 * CENTS);
		assert_eq!(deposit(0, 100), 1000 * MICRO_UNITS);
		assert_eq!(deposit(2, 64), 40 * CENTS + 640 * MICRO_UNITS);
		assert!(deposit(u32::MAX, u32::MAX) > deposit(u32::MAX, 0));
	}
}
