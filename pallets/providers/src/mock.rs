// Tests may panic and overflow: that is how they fail.
#![allow(clippy::arithmetic_side_effects)]

//! A test runtime: System, Balances and the registry, with a switchable work-in-flight answer
//! and a slash sink that counts what it receives.

use crate::{self as pallet_providers, ProviderWorkInFlight};
use core::cell::RefCell;
use crucible_primitives::providers::{
	ownership_payload, AttestationKey, AttestationSignature, ComputeCapability, Endpoint, GpuSpec,
	GpuUuid, GpuVendor, HardwareProfile, Interconnect, Region,
};
use polkadot_sdk::{
	frame_support::{
		derive_impl, parameter_types,
		traits::{
			fungible::Credit, tokens::imbalance::Imbalance as _, ConstU32, ConstU64, OnUnbalanced,
		},
	},
	frame_system::{self, EnsureRoot},
	pallet_balances,
	sp_core::{self, sr25519, Pair},
	sp_io,
	sp_keystore::{testing::MemoryKeystore, KeystoreExt},
	sp_runtime::{BuildStorage, Permill},
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

pub const MIN_BOND: Balance = 1_000;
pub const UNBONDING_PERIOD: u64 = 10;
pub const MAX_UNBONDING_PERIOD: u64 = 1_000;
pub const MAX_CHUNKS: u32 = 4;
pub const DECAY_PERIOD: u64 = 100;

parameter_types! {
	pub const MinBond: Balance = MIN_BOND;
	pub const ReputationDecay: Permill = Permill::from_percent(10);
}

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

impl pallet_providers::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type MinBond = MinBond;
	type DefaultUnbondingPeriod = ConstU64<UNBONDING_PERIOD>;
	type MaxUnbondingPeriod = ConstU64<MAX_UNBONDING_PERIOD>;
	type MaxUnbondingChunks = ConstU32<MAX_CHUNKS>;
	type ReputationDecay = ReputationDecay;
	type ReputationDecayPeriod = ConstU64<DECAY_PERIOD>;
	type WorkInFlight = TestWork;
	type OnSlash = SlashSink;
	type ForceOrigin = EnsureRoot<AccountId>;
	type WeightInfo = ();
}

pub const ALICE: AccountId = 1;
pub const BOB: AccountId = 2;
pub const CHARLIE: AccountId = 3;
pub const POOR: AccountId = 9;
pub const ENDOWMENT: Balance = 1_000_000;

/// The test externalities: three funded accounts, a poor one, a keystore (for benchmarks).
pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut t = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_balances::GenesisConfig::<Test> {
		balances: vec![(ALICE, ENDOWMENT), (BOB, ENDOWMENT), (CHARLIE, ENDOWMENT), (POOR, 500)],
		..Default::default()
	}
	.assimilate_storage(&mut t)
	.unwrap();
	let mut ext = sp_io::TestExternalities::new(t);
	ext.register_extension(KeystoreExt::new(MemoryKeystore::new()));
	ext.execute_with(|| System::set_block_number(1));
	ext
}

/// Runs `test`, then checks the registry's invariants.
pub fn build_and_execute(test: impl FnOnce()) {
	new_test_ext().execute_with(|| {
		test();
		Providers::do_try_state().expect("registry invariants hold");
	});
}

/// A deterministic attestation key pair, one per `seed`.
pub fn key_pair(seed: u8) -> sr25519::Pair {
	sr25519::Pair::from_seed(&[seed; 32])
}

/// The public attestation key of `seed`.
pub fn key(seed: u8) -> AttestationKey {
	key_pair(seed).public().into()
}

/// The chain's genesis hash as the registry reads it (frame-system's block hash of block 0).
pub fn genesis_hash() -> sp_core::H256 {
	System::block_hash(0)
}

/// `seed`'s key's ownership proof for `who`, with `who`'s current key nonce.
pub fn proof(seed: u8, who: AccountId) -> AttestationSignature {
	let nonce = crate::KeyNonce::<Test>::get(who);
	proof_with(seed, who, genesis_hash().as_ref(), nonce)
}

/// `seed`'s key's ownership proof for `who` on the chain `genesis`, with key nonce `nonce`.
pub fn proof_with(seed: u8, who: AccountId, genesis: &[u8], nonce: u32) -> AttestationSignature {
	key_pair(seed).sign(&ownership_payload(genesis, &who, nonce)).into()
}

/// A GPU UUID distinct per (`host`, `index`).
pub fn uuid(host: u8, index: u8) -> GpuUuid {
	let mut u = [0u8; 16];
	u[0] = host;
	u[1] = index;
	u
}

/// A host with `gpus` H100s (80 GiB, SXM), UUIDs `uuid(host, 0..gpus)`.
pub fn profile(host: u8, gpus: u8) -> HardwareProfile {
	HardwareProfile {
		gpus: vec![GpuSpec {
			vendor: GpuVendor::Nvidia,
			model: b"NVIDIA H100 80GB HBM3".to_vec().try_into().unwrap(),
			vram_mib: 81_559,
			count: gpus.into(),
			compute_capability: ComputeCapability { major: 9, minor: 0 },
			interconnect: Interconnect::Sxm,
		}]
		.try_into()
		.unwrap(),
		gpu_uuids: (0..gpus).map(|i| uuid(host, i)).collect::<Vec<_>>().try_into().unwrap(),
		cpu_cores: 64,
		ram_mib: 512 * 1024,
		storage_gib: 4_000,
		bandwidth_mbps: 10_000,
	}
}

pub fn endpoint() -> Endpoint {
	b"https://gpu.example.net:8443".to_vec().try_into().unwrap()
}

pub fn region() -> Region {
	Region { country: *b"DE", metro: Some(*b"FRA") }
}

/// Registers `who` with host `host` (`gpus` GPUs), key `seed` and `bond`.
pub fn register(
	who: AccountId,
	host: u8,
	gpus: u8,
	bond: Balance,
) -> polkadot_sdk::sp_runtime::DispatchResult {
	Providers::register(
		RuntimeOrigin::signed(who),
		profile(host, gpus),
		key(host),
		proof(host, who),
		endpoint(),
		region(),
		bond,
	)
}

/// Advances to block `n`.
pub fn run_to_block(n: u64) {
	System::set_block_number(n);
}
