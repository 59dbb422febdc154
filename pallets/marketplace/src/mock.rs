// Tests may panic and overflow: that is how they fail.
#![allow(clippy::arithmetic_side_effects)]

//! A test runtime: System, Balances, the real provider registry and the marketplace. Providers
//! are made `Active` (proven) through the registry's judge interface, as proof of compute does.

use crate::{self as pallet_marketplace, *};
use crucible_primitives::{
	marketplace::{
		signing_payload, AuctionKind, JobId, JobSpec, Usage, WorkAttestation, WorkReport, Workload,
	},
	providers::{AttestationKey, AttestationSignature, GpuVendor, HardwareRequirement},
};
use pallet_providers::{testing, ProviderMutate, ProviderStatus};
use polkadot_sdk::{
	frame_support::{
		derive_impl,
		dispatch::DispatchResultWithPostInfo,
		parameter_types,
		traits::{
			fungible::{hold::Inspect as _, Credit, Inspect as _},
			tokens::imbalance::Imbalance as _,
			ConstU32, ConstU64, OnFinalize, OnInitialize, OnUnbalanced,
		},
	},
	frame_system::{self, EnsureRoot},
	pallet_balances,
	sp_core::{sr25519, Pair, H256},
	sp_io,
	sp_runtime::{
		generic, traits::BlakeTwo256, transaction_validity::TransactionValidityError, BuildStorage,
		Permill,
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
	pub type Marketplace = pallet_marketplace;
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

pub const BOND: Balance = 10_000;

parameter_types! {
	pub const ProtocolFee: Permill = Permill::from_percent(10);
	pub const AbandonSlash: Permill = Permill::from_percent(10);
	pub const DisputeSlash: Permill = Permill::from_percent(20);
}

#[derive_impl(pallet_providers::config_preludes::TestDefaultConfig)]
impl pallet_providers::Config for Test {
	type Currency = Balances;
	type WorkInFlight = Marketplace;
}

crucible_test_support::impl_authorized_transactions!(Test, RuntimeCall, Extrinsic, TxExtension);

thread_local! {
	static FEES: core::cell::RefCell<Balance> = const { core::cell::RefCell::new(0) };
}

/// Counts what reaches the fee handler, then burns it (drops the credit).
pub struct FeeSink;
impl OnUnbalanced<Credit<AccountId, Balances>> for FeeSink {
	fn on_nonzero_unbalanced(credit: Credit<AccountId, Balances>) {
		FEES.with(|f| *f.borrow_mut() += credit.peek());
	}
}

thread_local! {
	static SETTLED: core::cell::RefCell<Vec<(AccountId, Balance, Balance)>> = const { core::cell::RefCell::new(Vec::new()) };
}

/// Records every settled lease's value and fees, as emissions would credit them.
pub struct SettledLog;
impl crate::OnLeaseSettled<AccountId, Balance> for SettledLog {
	fn on_lease_settled(provider: &AccountId, value: Balance, fees: Balance) {
		SETTLED.with(|s| s.borrow_mut().push((*provider, value, fees)));
	}

	fn weight() -> polkadot_sdk::frame_support::weights::Weight {
		polkadot_sdk::frame_support::weights::Weight::zero()
	}
}

/// The settled leases told so far: (provider, value paid, fees).
pub fn settled() -> Vec<(AccountId, Balance, Balance)> {
	SETTLED.with(|s| s.borrow().clone())
}

/// What the fee handler received.
pub fn fees() -> Balance {
	FEES.with(|f| *f.borrow())
}

pub const JOB_DEPOSIT: Balance = 100;
pub const MANIFEST_DEPOSIT: Balance = 30;
pub const BID_DEPOSIT: Balance = 10;
pub const DISPUTE_DEPOSIT: Balance = 50;
pub const MAX_BIDS: u32 = 4;
pub const INTERVAL: u64 = 5;
pub const GRACE: u64 = 12;
pub const DISPUTE_WINDOW: u64 = 6;
pub const CANCEL_BLOCKS: u64 = 3;
pub const DISPUTE_TIMEOUT: u64 = 20;

polkadot_sdk::frame_support::parameter_types! {
	/// A dispute also stakes 10% of the unpaid escrow.
	pub const DisputeDepositRate: Permill = Permill::from_percent(10);
}

impl pallet_marketplace::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Providers = Providers;
	type FeeHandler = FeeSink;
	type OnLeaseSettled = SettledLog;
	type DisputeOrigin = EnsureRoot<AccountId>;
	type ParamsOrigin = EnsureRoot<AccountId>;
	type DefaultMinPrice = ConstU64<1>;
	type JobDeposit = ConstU64<JOB_DEPOSIT>;
	type ManifestDeposit = ConstU64<MANIFEST_DEPOSIT>;
	type BidDeposit = ConstU64<BID_DEPOSIT>;
	type DisputeDeposit = ConstU64<DISPUTE_DEPOSIT>;
	type DisputeDepositRate = DisputeDepositRate;
	type DisputeTimeout = ConstU64<DISPUTE_TIMEOUT>;
	type ProtocolFee = ProtocolFee;
	type AbandonSlash = AbandonSlash;
	type DisputeSlash = DisputeSlash;
	type CancellationBlocks = ConstU64<CANCEL_BLOCKS>;
	type MinBidWindow = ConstU64<2>;
	type MaxBidWindow = ConstU64<100>;
	type MaxDuration = ConstU64<1_000>;
	type MaxBidsPerJob = ConstU32<MAX_BIDS>;
	type MaxClosesPerBlock = ConstU32<3>;
	type MaxTimersPerBlock = ConstU32<3>;
	type MaxLeasesPerProvider = ConstU32<2>;
	type AttestationInterval = ConstU64<INTERVAL>;
	type GraceBlocks = ConstU64<GRACE>;
	type DisputeWindow = ConstU64<DISPUTE_WINDOW>;
	type LowEscrowBlocks = ConstU64<8>;
	type UnsignedPriority = ConstU64<{ 1 << 20 }>;
	type NodeBidPriority = ConstU64<{ 1 << 19 }>;
	type Randomness = TestRandomness;
	type AuditDrawDelay = ConstU64<DRAW_DELAY>;
	type AuditSlack = ConstU64<AUDIT_SLACK>;
	type OpenWindow = ConstU64<OPEN_WINDOW>;
	type AuditorMissSlash = AuditorMissSlash;
	type AuditorSlash = AuditorSlash;
	type MaxAuditCandidates = ConstU32<8>;
	type MaxReceipts = ConstU32<MAX_RECEIPTS>;
	type DefaultAuditParams = DefaultAuditParams;
	type OfferPeriod = ConstU64<OFFER_PERIOD>;
	type WeightInfo = ();
}

pub const DRAW_DELAY: u64 = 4;
pub const AUDIT_SLACK: u64 = 5;
pub const OPEN_WINDOW: u64 = 4;
pub const MAX_RECEIPTS: u32 = 8;
pub const OFFER_PERIOD: u64 = 5;
pub const COLLATERAL_FLOOR: Balance = 500;

polkadot_sdk::frame_support::parameter_types! {
	pub const AuditorMissSlash: Permill = Permill::from_percent(1);
	pub const AuditorSlash: Permill = Permill::from_percent(30);
	pub const DefaultAuditParams: crate::AuditParams<Balance> = crate::AuditParams {
		min_rate: Permill::from_percent(1),
		max_rate: Permill::from_percent(100),
		collateral_floor: COLLATERAL_FLOOR,
	};
	/// What the audit randomness hashes (tests change it to steer draws).
	pub static RandomSeed: u64 = 0;
}

/// The audit randomness: a hash of the subject and `RandomSeed`.
pub struct TestRandomness;
impl polkadot_sdk::frame_support::traits::Randomness<H256, u64> for TestRandomness {
	fn random(subject: &[u8]) -> (H256, u64) {
		use codec::Encode;
		let hash = sp_io::hashing::blake2_256(&(subject, RandomSeed::get()).encode());
		(H256(hash), System::block_number())
	}
}

pub const DEV: AccountId = 1;
pub const DEV2: AccountId = 2;
pub const P1: AccountId = 11;
pub const P2: AccountId = 12;
pub const P3: AccountId = 13;
pub const P4: AccountId = 14;
pub const P5: AccountId = 15;
pub const STRANGER: AccountId = 30;
pub const POOR: AccountId = 31;
pub const ENDOWMENT: Balance = 1_000_000;

pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut t = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	let mut balances: Vec<(AccountId, Balance)> = (1..=30).map(|a| (a, ENDOWMENT)).collect();
	balances.push((POOR, 150));
	pallet_balances::GenesisConfig::<Test> { balances, ..Default::default() }
		.assimilate_storage(&mut t)
		.unwrap();
	let mut ext = sp_io::TestExternalities::new(t);
	ext.register_extension(polkadot_sdk::sp_keystore::KeystoreExt::new(
		polkadot_sdk::sp_keystore::testing::MemoryKeystore::new(),
	));
	FEES.with(|f| *f.borrow_mut() = 0);
	SETTLED.with(|s| s.borrow_mut().clear());
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
	Marketplace::do_try_state().expect("marketplace invariants hold");
}

fn on_initialize(n: u64) {
	<AllPalletsWithSystem as OnInitialize<u64>>::on_initialize(n);
}

/// Ends the current block and starts the next (its `on_initialize` runs the timers).
pub fn next_block() {
	let n = System::block_number();
	<AllPalletsWithSystem as OnFinalize<u64>>::on_finalize(n);
	System::set_block_number(n + 1);
	on_initialize(n + 1);
	check_invariants();
}

/// Advances until the current block is `n`, checking the invariants after every block.
pub fn run_to_block(n: u64) {
	while System::block_number() < n {
		next_block();
	}
}

pub fn now() -> u64 {
	System::block_number()
}

/// The attestation key pair of provider `who` (seed `who`).
pub fn key_pair(who: AccountId) -> sr25519::Pair {
	testing::key_pair(who as u8)
}

pub fn key(who: AccountId) -> AttestationKey {
	testing::key(who as u8)
}

/// Registers `who` (host `who`, `gpus` H100s) with a bond of `BOND`; `Registered`.
pub fn register(who: AccountId, gpus: u8) {
	testing::register_with_seed::<Test>(
		&who,
		who as u8,
		testing::h100_profile(who as u32, gpus.into()),
		BOND,
	)
	.expect("registers");
}

/// Registers `who` with two H100s (as many as `MaxLeasesPerProvider` one-GPU leases) and proves
/// it (`Active`), as passing a challenge does.
pub fn proven(who: AccountId) {
	register(who, 2);
	testing::prove::<Test>(&who).unwrap();
}

pub fn set_reputation(who: AccountId, up: bool) {
	if up {
		<Providers as ProviderMutate<_>>::note_success(&who, Permill::one()).unwrap();
	} else {
		<Providers as ProviderMutate<_>>::note_failure(&who, Permill::one()).unwrap();
	}
}

pub fn demote(who: AccountId) {
	<Providers as ProviderMutate<_>>::set_status(&who, ProviderStatus::Registered).unwrap();
}

pub fn status(who: AccountId) -> Option<ProviderStatus> {
	pallet_providers::Providers::<Test>::get(who).map(|r| r.status)
}

pub fn provider_bond(who: AccountId) -> Balance {
	pallet_providers::Providers::<Test>::get(who).map(|r| r.bond).unwrap_or(0)
}

/// A job for one GPU: `duration` blocks at most `max_price` per block, bids for 10 blocks.
pub fn spec(duration: u64, max_price: Balance, auction: AuctionKind<u64>) -> JobSpecOf<Test> {
	JobSpec {
		requirement: HardwareRequirement {
			min_vram_mib: 40_000,
			min_gpu_count: 1,
			vendor: Some(GpuVendor::Nvidia),
			model: None,
			country: None,
		},
		min_reputation: Permill::zero(),
		workload: Workload {
			image: H256::repeat_byte(0xaa),
			manifest: H256::repeat_byte(0xbb),
			access_key: [7u8; 32],
		},
		duration,
		max_price_per_block: max_price,
		bid_window: 10,
		auction,
		verification: Default::default(),
	}
}

pub fn open_spec() -> JobSpecOf<Test> {
	spec(40, 100, AuctionKind::Open)
}

/// Posts `spec` from `who`; returns the job's id.
pub fn post(who: AccountId, spec: JobSpecOf<Test>) -> JobId {
	let id = NextJobId::<Test>::get();
	Marketplace::post_job(RuntimeOrigin::signed(who), spec, None).expect("posts");
	id
}

pub fn held(reason: HoldReason, who: AccountId) -> Balance {
	Balances::balance_on_hold(&reason.into(), &who)
}

pub fn free(who: AccountId) -> Balance {
	Balances::balance(&who)
}

pub fn job(id: JobId) -> JobOf<Test> {
	Jobs::<Test>::get(id).expect("the job exists")
}

pub fn lease(id: JobId) -> LeaseOf<Test> {
	Leases::<Test>::get(id).expect("the lease exists")
}

pub fn sign(who: AccountId, attestation: &AttestationOf<Test>) -> AttestationSignature {
	let genesis = System::block_hash(0);
	key_pair(who).sign(&signing_payload(genesis.as_ref(), attestation)).into()
}

pub fn attestation(
	who: AccountId,
	job: JobId,
	from: u64,
	to: u64,
	report: WorkReport,
) -> AttestationOf<Test> {
	WorkAttestation { provider: who, job, from, to, report }
}

pub fn running(gpu_seconds: u64) -> WorkReport {
	let usage = Usage { gpu_seconds, cpu_seconds: gpu_seconds, peak_memory_mib: 64 };
	WorkReport::Running { usage, status: H256::repeat_byte(1), access: None }
}

pub fn completed() -> WorkReport {
	WorkReport::Completed {
		usage: Usage { gpu_seconds: 10, cpu_seconds: 10, peak_memory_mib: 64 },
		status: H256::repeat_byte(2),
		result: H256::repeat_byte(3),
	}
}

pub fn attest_call(who: AccountId, attestation: AttestationOf<Test>) -> Call<Test> {
	let signature = sign(who, &attestation);
	Call::attest { attestation, signature }
}

/// What submitting `call` as a general transaction does: `authorize` (as the pool and block
/// builder run it), then dispatch with the authorized origin.
pub fn submit(call: Call<Test>) -> Result<DispatchResultWithPostInfo, TransactionValidityError> {
	crucible_test_support::authorize_and_dispatch::<RuntimeCall, AccountId>(call.into())
}

/// Attests the lease of `job` from where it stands to `to` (a running report).
pub fn attest_to(job: JobId, to: u64) {
	let l = lease(job);
	let a = attestation(l.provider, job, l.attested_through, to, running(1));
	submit(attest_call(l.provider, a)).expect("authorized").expect("attested");
}

pub fn events() -> Vec<Event<Test>> {
	System::events()
		.into_iter()
		.filter_map(|r| match r.event {
			RuntimeEvent::Marketplace(e) => Some(e),
			_ => None,
		})
		.collect()
}

pub fn total_issuance() -> Balance {
	Balances::total_issuance()
}
