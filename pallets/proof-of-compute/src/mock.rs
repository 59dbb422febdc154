// Tests may panic and overflow: that is how they fail.
#![allow(clippy::arithmetic_side_effects)]

//! A test runtime: System, Balances, the real provider registry and proof of compute, with a
//! deterministic per-block randomness; and an honest (or lying) prover that computes challenges
//! with the reference implementation, as a provider's compute service would.

use crate::{self as pallet_proof_of_compute, *};
use crucible_primitives::{
	challenge::{prover, sample_positions, Hash, Keys, Opening, Position, Shape},
	proof_of_compute::{ChallengeParams, ChallengeView, ClassBatches},
	providers::{AttestationKey, AttestationSignature, HardwareProfile},
};
use pallet_providers::testing;
use polkadot_sdk::{
	frame_support::{
		derive_impl,
		dispatch::DispatchResultWithPostInfo,
		traits::{ConstU32, ConstU64, OnFinalize, OnIdle, OnInitialize, Randomness},
		weights::Weight,
	},
	frame_system::{self, EnsureRoot},
	pallet_balances,
	sp_core::{sr25519, Pair, H256},
	sp_io,
	sp_keystore::{testing::MemoryKeystore, KeystoreExt},
	sp_runtime::{
		generic,
		traits::BlakeTwo256,
		transaction_validity::{TransactionValidityError, ValidTransaction},
		BuildStorage, Permill,
	},
};

pub type AccountId = u64;
pub type Balance = u64;
type TxExtension = frame_system::AuthorizeCall<Test>;
pub type Extrinsic = polkadot_sdk::sp_runtime::testing::TestXt<RuntimeCall, TxExtension>;
type Block = generic::Block<generic::Header<u64, BlakeTwo256>, Extrinsic>;

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
	#[runtime::pallet_index(3)]
	pub type ProofOfCompute = pallet_proof_of_compute;
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

/// The registry's test prelude's `MinBond` (checked in `new_test_ext`).
pub const MIN_BOND: Balance = 1_000;
pub const BOND: Balance = 10_000;

#[derive_impl(pallet_providers::config_preludes::TestDefaultConfig)]
impl pallet_providers::Config for Test {
	type Currency = Balances;
	type WorkInFlight = ProofOfCompute;
}

polkadot_sdk::frame_support::parameter_types! {
	/// At most half a bond per challenge.
	pub const MaxSlash: Permill = Permill::from_percent(50);
}

/// Randomness that differs per block and subject, and is `Some` like BABE's after genesis.
pub struct TestRandomness;
impl Randomness<Option<H256>, u64> for TestRandomness {
	fn random(subject: &[u8]) -> (Option<H256>, u64) {
		let n = System::block_number();
		let mut data = subject.to_vec();
		data.extend_from_slice(&n.to_le_bytes());
		data.extend_from_slice(&SALT.with(|s| *s.borrow()).to_le_bytes());
		(Some(H256(sp_io::hashing::blake2_256(&data))), n)
	}
}

thread_local! {
	/// Changes the randomness of a whole test run (property tests vary it).
	pub static SALT: core::cell::RefCell<u64> = const { core::cell::RefCell::new(0) };
}

crucible_test_support::impl_authorized_transactions!(Test, RuntimeCall, Extrinsic, TxExtension);

impl pallet_proof_of_compute::Config for Test {
	type Providers = Providers;
	type Randomness = TestRandomness;
	type Verifier = SpotCheckedMatmul;
	type ParamsOrigin = EnsureRoot<AccountId>;
	type OnVerifiedCompute = VerifiedLog;
	type MaxSamples = ConstU32<16>;
	type MaxSlash = MaxSlash;
	type MaxInner = ConstU32<{ crucible_primitives::challenge::MAX_INNER }>;
	type MaxLeafSize = ConstU32<64>;
	type MaxPeriod = ConstU32<1_000>;
	type MaxUnsweptPeriods = ConstU32<3>;
	type MaxSweepPerBlock = ConstU32<4>;
	type UnsignedPriority = ConstU64<{ 1 << 20 }>;
	type WeightInfo = ();
}

thread_local! {
	static VERIFIED: core::cell::RefCell<Vec<(AccountId, u32, u128)>> =
		const { core::cell::RefCell::new(Vec::new()) };
}

/// What emissions would be told.
pub struct VerifiedLog;
impl OnVerifiedCompute<AccountId> for VerifiedLog {
	fn on_verified_compute(provider: &AccountId, period: u32, units: u128) {
		VERIFIED.with(|v| v.borrow_mut().push((*provider, period, units)));
	}

	fn weight() -> polkadot_sdk::frame_support::weights::Weight {
		polkadot_sdk::frame_support::weights::Weight::zero()
	}
}

pub fn verified() -> Vec<(AccountId, u32, u128)> {
	VERIFIED.with(|v| v.borrow().clone())
}

/// Tiny challenges: a period of 10 blocks, commits in blocks start+1..=start+2, the sample seed
/// from blocks start+3..=start+5 (fixed at the end of start+5), openings in start+6..=start+8.
pub fn test_params() -> ChallengeParams {
	ChallengeParams {
		period: 10,
		commit_window: 2,
		open_window: 8,
		rows: 8,
		inner: 64,
		cols: 16,
		batches: ClassBatches { h100: 2, a100: 1, rtx4090: 1, l4: 1, other: 1 },
		leaf_size: 4,
		samples: 4,
		failed_slash: Permill::from_percent(10),
		missed_slash: Permill::from_percent(1),
		pass_reputation: Permill::from_percent(5),
		fail_reputation: Permill::from_percent(30),
		miss_reputation: Permill::from_percent(10),
	}
}

pub const ALICE: AccountId = 1;
pub const BOB: AccountId = 2;
pub const CHARLIE: AccountId = 3;
pub const DAVE: AccountId = 4;
pub const ENDOWMENT: Balance = 1_000_000;

pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut t = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_balances::GenesisConfig::<Test> {
		balances: (1..=20).map(|a| (a, ENDOWMENT)).collect(),
		..Default::default()
	}
	.assimilate_storage(&mut t)
	.unwrap();
	pallet_proof_of_compute::GenesisConfig::<Test> {
		params: Some(test_params()),
		_config: Default::default(),
	}
	.assimilate_storage(&mut t)
	.unwrap();
	let mut ext = sp_io::TestExternalities::new(t);
	ext.register_extension(KeystoreExt::new(MemoryKeystore::new()));
	assert_eq!(
		<<Test as pallet_providers::Config>::MinBond as polkadot_sdk::frame_support::traits::Get<
			Balance,
		>>::get(),
		MIN_BOND
	);
	VERIFIED.with(|v| v.borrow_mut().clear());
	ext.execute_with(|| {
		System::set_block_number(1);
		on_initialize(1);
	});
	ext
}

/// Runs `test` from block 1, then checks both pallets' invariants.
pub fn build_and_execute(test: impl FnOnce()) {
	new_test_ext().execute_with(|| {
		test();
		check_invariants();
	});
}

pub fn check_invariants() {
	pallet_providers::Pallet::<Test>::do_try_state().expect("registry invariants hold");
	ProofOfCompute::do_try_state().expect("proof-of-compute invariants hold");
}

fn on_initialize(n: u64) {
	<AllPalletsWithSystem as OnInitialize<u64>>::on_initialize(n);
}

/// Ends the current block (idle time, then `on_finalize`) and starts the next.
pub fn next_block() {
	let n = System::block_number();
	<AllPalletsWithSystem as OnIdle<u64>>::on_idle(n, Weight::MAX);
	<AllPalletsWithSystem as OnFinalize<u64>>::on_finalize(n);
	System::set_block_number(n + 1);
	on_initialize(n + 1);
}

/// Advances until the current block is `n` (each block finalized on the way).
pub fn run_to_block(n: u64) {
	while System::block_number() < n {
		next_block();
	}
}

/// Like `run_to_block`, checking both pallets' invariants after every block.
pub fn run_to_block_checked(n: u64) {
	while System::block_number() < n {
		next_block();
		check_invariants();
	}
}

/// The first block of period `p` (block 1 starts period 0).
pub fn period_start(p: u32) -> u64 {
	1 + 10 * u64::from(p)
}

/// The attestation key pair of provider `who` (seed `who`).
pub fn key_pair(who: AccountId) -> sr25519::Pair {
	testing::key_pair(who as u8)
}

pub fn key(who: AccountId) -> AttestationKey {
	testing::key(who as u8)
}

/// A host with `gpus` H100s.
pub fn profile(host: u8, gpus: u8) -> HardwareProfile {
	testing::h100_profile(host.into(), gpus.into())
}

/// Registers `who` (host `who`, one H100, key `key(who)`) with a bond of `BOND`.
pub fn register(who: AccountId) {
	register_with(who, 1, BOND);
}

pub fn register_with(who: AccountId, gpus: u8, bond: Balance) {
	testing::register_with_seed::<Test>(&who, who as u8, profile(who as u8, gpus), bond)
		.expect("registers");
}

/// Signs `payload` of `phase` with `who`'s attestation key.
pub fn sign<P: codec::Encode>(who: AccountId, phase: Phase, payload: &P) -> AttestationSignature {
	let genesis = System::block_hash(0);
	key_pair(who).sign(&signing_payload(genesis.as_ref(), phase, payload)).into()
}

/// What submitting `call` as a general transaction does: `authorize` (as the pool and block
/// builder run it), then dispatch with the authorized origin.
pub fn submit(call: Call<Test>) -> Result<DispatchResultWithPostInfo, TransactionValidityError> {
	crucible_test_support::authorize_and_dispatch::<RuntimeCall, AccountId>(call.into())
}

/// `authorize` of a call, as the pool runs it.
pub fn validate(
	call: &RuntimeCall,
) -> Result<(ValidTransaction, Weight), TransactionValidityError> {
	crucible_test_support::authorize(call)
}

pub fn commitment_call(who: AccountId, period: u32, root: Hash) -> Call<Test> {
	let commitment = CommitmentPayload { provider: who, period, root };
	let signature = sign(who, Phase::Commit, &commitment);
	Call::submit_commitment { commitment, signature }
}

pub fn opening_call(who: AccountId, period: u32, openings: Vec<Opening>) -> Call<Test> {
	let opening = OpeningPayload { provider: who, period, openings: openings.try_into().unwrap() };
	let signature = sign(who, Phase::Open, &opening);
	Call::submit_opening { opening, signature }
}

pub fn heartbeat_call(who: AccountId, period: u32) -> Call<Test> {
	let heartbeat = HeartbeatPayload {
		provider: who,
		period,
		report: NodeReport { backend: Backend::Cpu, spec_version: 1 },
	};
	let signature = sign(who, Phase::Heartbeat, &heartbeat);
	Call::heartbeat { heartbeat, signature }
}

/// A provider's compute service, in the test: computes the challenge (honestly, or corrupting
/// some entries) and opens samples.
pub struct Prover {
	pub view: ChallengeView<u64>,
	pub tiles: Vec<Vec<i32>>,
	pub top: Vec<Vec<Hash>>,
	pub root: Hash,
}

impl Prover {
	/// Computes `who`'s current challenge; `lie` corrupts every entry `(batch, row, col)` for
	/// which it says so (consistently: the tree is built over the corrupted values).
	pub fn compute(who: AccountId, lie: impl Fn(&Position) -> bool) -> Self {
		let view = ProofOfCompute::challenge_view(&who).expect("challenged");
		let shape = view.shape;
		let keys = Keys::from_seed(&view.seed);
		let leaf = view.leaf_size;
		let tiles: Vec<Vec<i32>> = (0..shape.tiles())
			.map(|t| {
				let mut tile = prover::reference_tile(&keys, &shape, t);
				let origin = shape.tile_origin(t);
				for (i, v) in tile.iter_mut().enumerate() {
					let pos = Position {
						batch: origin.batch,
						row: origin.row + i as u32 / shape.tile_cols(),
						col: origin.col + i as u32 % shape.tile_cols(),
					};
					if lie(&pos) {
						*v = v.wrapping_add(1);
					}
				}
				tile
			})
			.collect();
		let roots: Vec<Hash> = tiles.iter().map(|t| prover::tile_root(&shape, leaf, t)).collect();
		let top = prover::top_levels(&roots);
		let root = prover::root(&top);
		Self { view, tiles, top, root }
	}

	pub fn honest(who: AccountId) -> Self {
		Self::compute(who, |_| false)
	}

	pub fn shape(&self) -> Shape {
		self.view.shape
	}

	/// The openings of the positions the chain sampled (once the sample seed is fixed).
	pub fn openings(&self, who: AccountId) -> Vec<Opening> {
		let info = ProofOfCompute::period_info(self.view.period).unwrap();
		let positions = sample_positions(
			&info.sample_seed.expect("samples fixed"),
			&who,
			self.view.period,
			&self.shape(),
			self.view.samples,
		);
		positions.iter().map(|pos| self.open(pos)).collect()
	}

	pub fn open(&self, pos: &Position) -> Opening {
		let shape = self.shape();
		let (tile, _, _) = shape.locate(self.view.leaf_size, pos);
		prover::open(&shape, self.view.leaf_size, pos, &self.tiles[tile as usize], &self.top)
	}
}

/// Everything of the registry's record.
pub fn status(who: AccountId) -> Option<pallet_providers::ProviderStatus> {
	pallet_providers::Providers::<Test>::get(who).map(|r| r.status)
}

pub fn bond(who: AccountId) -> Balance {
	pallet_providers::Providers::<Test>::get(who).map(|r| r.bond).unwrap_or(0)
}

pub fn reputation(who: AccountId) -> Permill {
	pallet_providers::Providers::<Test>::get(who).unwrap().reputation.score
}

pub fn events() -> Vec<Event<Test>> {
	System::events()
		.into_iter()
		.filter_map(|r| match r.event {
			RuntimeEvent::ProofOfCompute(e) => Some(e),
			_ => None,
		})
		.collect()
}

pub fn outcomes(who: AccountId) -> Vec<(u32, crucible_primitives::proof_of_compute::Outcome)> {
	Outcomes::<Test>::get(who).iter().map(|o| (o.period, o.outcome)).collect()
}
