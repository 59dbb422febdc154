// Tests may panic and overflow: that is how they fail.
#![allow(clippy::arithmetic_side_effects)]

//! A test runtime: System, Balances and emissions; a validator pot and a treasury account;
//! account 100 is the governance origin (bounded changes), Root the unbounded one.

use crate::{self as pallet_emissions};
use crucible_primitives::emissions::EmissionParams;
use polkadot_sdk::{
	frame_support::{
		derive_impl, ord_parameter_types, parameter_types,
		traits::{tokens::imbalance::ResolveTo, ConstU128, ConstU32, ConstU64, Hooks},
		PalletId,
	},
	frame_system::{self, EnsureRoot, EnsureSignedBy},
	pallet_balances, sp_io,
	sp_runtime::{BuildStorage, Perbill, Permill},
};

pub type AccountId = u64;
pub type Balance = u128;
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
	pub type Emissions = pallet_emissions;
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
	type ExistentialDeposit = ConstU128<ED>;
	/// Dust is burned and recorded, as in the runtime.
	type DustRemoval = pallet_emissions::Burn<Test>;
}

pub const ED: Balance = 10;
pub const ERA: u64 = 10;
pub const TREASURY: AccountId = 900;
pub const VALIDATOR_POT: AccountId = 901;
pub const ADMIN: AccountId = 100;
pub const ALICE: AccountId = 1;
pub const BOB: AccountId = 2;
pub const CHARLIE: AccountId = 3;
pub const ENDOWMENT: Balance = 1_000_000;
pub const MAX_SUPPLY: Balance = 100_000_000;

pub fn default_params() -> EmissionParams<Balance> {
	EmissionParams {
		initial: 1_000_000,
		decay: Perbill::from_percent(10),
		floor: 100_000,
		providers: Permill::from_percent(70),
		validators: Permill::from_percent(20),
		treasury: Permill::from_percent(10),
		market_weight: Permill::from_percent(40),
		burn_share: Permill::from_percent(50),
		claim_window: 2,
	}
}

parameter_types! {
	pub const EmissionsPalletId: PalletId = PalletId(*b"cru/emis");
	pub const TreasuryAccount: AccountId = TREASURY;
	pub const ValidatorPot: AccountId = VALIDATOR_POT;
	pub const MaxChange: Permill = Permill::from_percent(10);
	pub DefaultParams: EmissionParams<Balance> = default_params();
}
ord_parameter_types! {
	pub const Admin: AccountId = ADMIN;
}

impl pallet_emissions::Config for Test {
	type Currency = Balances;
	type ValidatorRewards = ResolveTo<ValidatorPot, Balances>;
	type TreasuryAccount = TreasuryAccount;
	type PalletId = EmissionsPalletId;
	type GovernanceOrigin = EnsureSignedBy<Admin, AccountId>;
	type UnboundedOrigin = EnsureRoot<AccountId>;
	type EraLength = ConstU64<ERA>;
	type MaxSupply = ConstU128<MAX_SUPPLY>;
	type MaxChange = MaxChange;
	type MaxClaimWindow = ConstU32<4>;
	type DefaultParams = DefaultParams;
	type WeightInfo = ();
}

pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut t = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_balances::GenesisConfig::<Test> {
		balances: vec![
			(ALICE, ENDOWMENT),
			(BOB, ENDOWMENT),
			(CHARLIE, ENDOWMENT),
			(VALIDATOR_POT, ED),
		],
		..Default::default()
	}
	.assimilate_storage(&mut t)
	.unwrap();
	pallet_emissions::GenesisConfig::<Test> { params: None, _config: Default::default() }
		.assimilate_storage(&mut t)
		.unwrap();
	let mut ext = sp_io::TestExternalities::new(t);
	ext.execute_with(|| System::set_block_number(1));
	ext
}

/// Runs `test`, then checks the pallet's invariants.
pub fn build_and_execute(test: impl FnOnce()) {
	new_test_ext().execute_with(|| {
		test();
		Emissions::do_try_state().expect("emissions invariants hold");
	});
}

/// Runs blocks up to `n`, each with the pallet's `on_initialize` and the invariants checked.
pub fn run_to(n: u64) {
	while System::block_number() < n {
		Emissions::on_finalize(System::block_number());
		let next = System::block_number() + 1;
		System::set_block_number(next);
		Emissions::on_initialize(next);
		Emissions::do_try_state().expect("emissions invariants hold");
	}
}

/// Runs to the block that closes the current era.
pub fn close_era() {
	let end = crate::EraStart::<Test>::get() + ERA;
	run_to(end);
}

pub fn events() -> Vec<pallet_emissions::Event<Test>> {
	System::events()
		.into_iter()
		.filter_map(|r| match r.event {
			RuntimeEvent::Emissions(e) => Some(e),
			_ => None,
		})
		.collect()
}
