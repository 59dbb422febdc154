// Tests may panic and overflow: that is how they fail.
#![allow(clippy::arithmetic_side_effects)]

//! A test runtime: System, Balances and the registry (its `TestDefaultConfig`, and what differs:
//! a switchable work-in-flight answer, a slash sink that counts what it receives, a longer
//! unbonding and a shorter decay period, three local keys), and the tests' helpers over
//! `crate::testing`.

use crate::{self as pallet_providers, ProviderWorkInFlight};
use core::cell::RefCell;
use crucible_primitives::providers::{AttestationSignature, HardwareProfile};
use polkadot_sdk::{
	frame_support::{
		derive_impl,
		traits::{
			fungible::Credit, tokens::imbalance::Imbalance as _, ConstU32, ConstU64, OnUnbalanced,
		},
	},
	frame_system, pallet_balances, sp_core, sp_io,
	sp_keystore::{testing::MemoryKeystore, KeystoreExt},
	sp_runtime::BuildStorage,
};

pub type AccountId = u64;
pub type Balance = u64;
type Block = frame_system::mocking::MockBlock<Test>;

#[polkadot_sdk::frame_support::runtime]
mod runtime {
	#[runtime::runtime]
	#[runtime::derive(
		RuntimeCall,
		RuntimeEvent,
		RuntimeError,
		RuntimeOrigin,
		RuntimeHoldReason,
		RuntimeFreezeReason,
		RuntimeTask,
		RuntimeViewFunction
	)]
	pub struct Test;

	#[runtime::pallet_index(0)]
	pub type System = frame_system;
	#[runtime::pallet_index(1)]
	pub type Balances = pallet_balances;
	#[runtime::pallet_index(2)]
	pub type Providers = pallet_providers;
}

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type AccountData = pallet_balances::AccountData<Balance>;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type Balance = Balance;
	type AccountStore = System;
	type RuntimeHoldReason = RuntimeHoldReason;
	type ExistentialDeposit = ConstU64<1>;
}

// The prelude's values, which the tests name.
pub const MIN_BOND: Balance = 1_000;
pub const MAX_UNBONDING_PERIOD: u64 = 1_000;
pub const MAX_CHUNKS: u32 = 4;
// What differs from the prelude.
pub const UNBONDING_PERIOD: u64 = 10;
pub const DECAY_PERIOD: u64 = 100;
pub const MAX_LOCAL_KEYS: u32 = 3;

thread_local! {
	static WORK_IN_FLIGHT: RefCell<Vec<AccountId>> = const { RefCell::new(Vec::new()) };
	static OPEN_CHALLENGE: RefCell<Vec<AccountId>> = const { RefCell::new(Vec::new()) };
	static SLASHED_TO_SINK: RefCell<Balance> = const { RefCell::new(0) };
}

/// Marks `who` as having (or not having) work in flight.
pub fn set_work_in_flight(who: AccountId, busy: bool) {
	WORK_IN_FLIGHT.with(|w| {
		let mut w = w.borrow_mut();
		w.retain(|a| *a != who);
		if busy {
			w.push(who);
		}
	});
}

/// Marks `who` as owing (or not) a proof-of-compute challenge.
pub fn set_open_challenge(who: AccountId, open: bool) {
	OPEN_CHALLENGE.with(|w| {
		let mut w = w.borrow_mut();
		w.retain(|a| *a != who);
		if open {
			w.push(who);
		}
	});
}

/// What the slash sink has received.
pub fn slashed_to_sink() -> Balance {
	SLASHED_TO_SINK.with(|s| *s.borrow())
}

pub struct TestWork;
impl ProviderWorkInFlight<AccountId> for TestWork {
	fn has_work_in_flight(provider: &AccountId) -> bool {
		WORK_IN_FLIGHT.with(|w| w.borrow().contains(provider))
	}
	fn has_open_challenge(provider: &AccountId) -> bool {
		OPEN_CHALLENGE.with(|w| w.borrow().contains(provider))
	}
}

pub struct SlashSink;
impl OnUnbalanced<Credit<AccountId, Balances>> for SlashSink {
	fn on_nonzero_unbalanced(credit: Credit<AccountId, Balances>) {
		SLASHED_TO_SINK.with(|s| *s.borrow_mut() += credit.peek());
		// Dropping the credit burns it (total issuance falls by the same amount).
	}
}

#[derive_impl(pallet_providers::config_preludes::TestDefaultConfig)]
impl pallet_providers::Config for Test {
	type Currency = Balances;
	type DefaultUnbondingPeriod = ConstU64<UNBONDING_PERIOD>;
	type ReputationDecayPeriod = ConstU64<DECAY_PERIOD>;
	type MaxLocalKeys = ConstU32<MAX_LOCAL_KEYS>;
	type WorkInFlight = TestWork;
	type OnSlash = SlashSink;
	type BondPerGpu = BondPerGpu;
}

polkadot_sdk::frame_support::parameter_types! {
	/// 0 as in the prelude, unless a test sets it (`BondPerGpu::set`).
	pub static BondPerGpu: Balance = 0;
}

pub const ALICE: AccountId = 1;
pub const BOB: AccountId = 2;
pub const CHARLIE: AccountId = 3;
pub const DAVE: AccountId = 4;
pub const EVE: AccountId = 5;
pub const POOR: AccountId = 9;
pub const ENDOWMENT: Balance = 1_000_000;

/// The test externalities: three funded accounts, a poor one, a keystore (for benchmarks).
pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut t = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_balances::GenesisConfig::<Test> {
		balances: vec![
			(ALICE, ENDOWMENT),
			(BOB, ENDOWMENT),
			(CHARLIE, ENDOWMENT),
			(DAVE, ENDOWMENT),
			(EVE, ENDOWMENT),
			(POOR, 500),
		],
		..Default::default()
	}
	.assimilate_storage(&mut t)
	.unwrap();
	let mut ext = sp_io::TestExternalities::new(t);
	ext.register_extension(KeystoreExt::new(MemoryKeystore::new()));
	ext.execute_with(|| System::set_block_number(1));
	// The constants the tests name are the prelude's.
	use polkadot_sdk::frame_support::traits::Get;
	assert_eq!(<<Test as crate::Config>::MinBond as Get<Balance>>::get(), MIN_BOND);
	assert_eq!(
		<<Test as crate::Config>::MaxUnbondingPeriod as Get<u64>>::get(),
		MAX_UNBONDING_PERIOD
	);
	assert_eq!(<<Test as crate::Config>::MaxUnbondingChunks as Get<u32>>::get(), MAX_CHUNKS);
	ext
}

/// Runs `test`, then checks the registry's invariants.
pub fn build_and_execute(test: impl FnOnce()) {
	new_test_ext().execute_with(|| {
		test();
		Providers::do_try_state().expect("registry invariants hold");
	});
}

pub use crate::testing::{endpoint, key, region, uuid};

/// The chain's genesis hash as the registry reads it (frame-system's block hash of block 0).
pub fn genesis_hash() -> sp_core::H256 {
	System::block_hash(0)
}

/// `seed`'s key's ownership proof for `who`, with `who`'s current key nonce.
pub fn proof(seed: u8, who: AccountId) -> AttestationSignature {
	crate::testing::key_proof::<Test>(seed, &who)
}

/// `seed`'s key's ownership proof for `who` on the chain `genesis`, with key nonce `nonce`.
pub fn proof_with(seed: u8, who: AccountId, genesis: &[u8], nonce: u32) -> AttestationSignature {
	crate::testing::key_proof_with(seed, &who, genesis, nonce)
}

/// A host with `gpus` H100s (80 GiB, SXM), UUIDs `uuid(host, 0..gpus)`.
pub fn profile(host: u8, gpus: u8) -> HardwareProfile {
	crate::testing::h100_profile(host.into(), gpus.into())
}

/// Registers `who` with host `host` (`gpus` GPUs), key `seed` and `bond`.
pub fn register(
	who: AccountId,
	host: u8,
	gpus: u8,
	bond: Balance,
) -> polkadot_sdk::sp_runtime::DispatchResult {
	crate::testing::register_with_seed::<Test>(&who, host, profile(host, gpus), bond)
}

/// Advances to block `n`.
pub fn run_to_block(n: u64) {
	System::set_block_number(n);
}
