//! OpenGov: preimages, the scheduler, referenda with conviction voting on the tracks of
//! [`tracks`], the origins of [`origins`], and the treasury (as Westend's `governance/`).

pub mod origins;
pub mod tracks;

pub use origins::{
	dev_timings, pallet_custom_origins, DisputeResolver, EmissionsAdmin, Timed, Treasurer,
};
pub use tracks::{TracksInfo, EMISSIONS_ADMIN, ROOT, TREASURER};

use crate::{
	AccountId, Balance, Balances, OriginCaller, Preimage, Referenda, Runtime, RuntimeCall,
	RuntimeEvent, RuntimeHoldReason, RuntimeOrigin, Scheduler, System, Treasury,
};
use crucible_primitives::{
	currency::{deposit, UNITS},
	time::{DAYS, MINUTES},
};
use polkadot_sdk::{
	frame_support::{
		parameter_types,
		traits::{
			fungible::HoldConsideration,
			tokens::{pay::PayFromAccount, UnityAssetBalanceConversion},
			AsEnsureOriginWithArg, ConstU32, EitherOf, EqualPrivilegeOnly, LinearStoragePrice,
		},
		weights::Weight,
		PalletId,
	},
	frame_system::{EnsureRoot, EnsureRootWithSuccess, EnsureSigned, EnsureWithSuccess},
	sp_runtime::{
		traits::{AccountIdConversion, IdentityLookup},
		Perbill,
	},
	*,
};

parameter_types! {
	pub const PreimageBaseDeposit: Balance = deposit(2, 64);
	pub const PreimageByteDeposit: Balance = deposit(0, 1);
	pub const PreimageHoldReason: RuntimeHoldReason =
		RuntimeHoldReason::Preimage(pallet_preimage::HoldReason::Preimage);
}

impl pallet_preimage::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type WeightInfo = pallet_preimage::weights::SubstrateWeight<Runtime>;
	type Currency = Balances;
	type ManagerOrigin = EnsureRoot<AccountId>;
	/// A preimage's deposit is held while it is stored.
	type Consideration = HoldConsideration<
		AccountId,
		Balances,
		PreimageHoldReason,
		LinearStoragePrice<PreimageBaseDeposit, PreimageByteDeposit, Balance>,
	>;
}

parameter_types! {
	/// Scheduled calls (enacted referenda) may take 80% of a block.
	pub MaximumSchedulerWeight: Weight = {
		let max = crate::configs::RuntimeBlockWeights::get().max_block;
		let share = Perbill::from_percent(80);
		Weight::from_parts(share.mul_floor(max.ref_time()), share.mul_floor(max.proof_size()))
	};
}

impl pallet_scheduler::Config for Runtime {
	type RuntimeOrigin = RuntimeOrigin;
	type RuntimeEvent = RuntimeEvent;
	type PalletsOrigin = OriginCaller;
	type RuntimeCall = RuntimeCall;
	type MaximumWeight = MaximumSchedulerWeight;
	/// Only referenda (Root) schedule calls.
	type ScheduleOrigin = EnsureRoot<AccountId>;
	type OriginPrivilegeCmp = EqualPrivilegeOnly;
	type MaxScheduledPerBlock = ConstU32<50>;
	type WeightInfo = pallet_scheduler::weights::SubstrateWeight<Runtime>;
	type Preimages = Preimage;
	type BlockNumberProvider = System;
}

parameter_types! {
	/// Held from whoever submits a referendum (returned once it is decided).
	pub const SubmissionDeposit: Balance = 10 * UNITS;
}

impl pallet_referenda::Config for Runtime {
	type WeightInfo = pallet_referenda::weights::SubstrateWeight<Runtime>;
	type RuntimeCall = RuntimeCall;
	type RuntimeEvent = RuntimeEvent;
	type Scheduler = Scheduler;
	type Currency = Balances;
	/// Any account may submit a referendum on any track.
	type SubmitOrigin = AsEnsureOriginWithArg<EnsureSigned<AccountId>>;
	type CancelOrigin = EnsureRoot<AccountId>;
	type KillOrigin = EnsureRoot<AccountId>;
	/// Deposits of killed referenda go to the treasury.
	type Slash = Treasury;
	type Votes = Balance;
	type Tally = pallet_conviction_voting::TallyOf<Runtime>;
	type SubmissionDeposit = SubmissionDeposit;
	type MaxQueued = ConstU32<100>;
	/// A referendum without a decision deposit times out after 14 days (10 minutes on
	/// development networks).
	type UndecidingTimeout = Timed<{ 14 * DAYS }, { 10 * MINUTES }>;
	type AlarmInterval = ConstU32<1>;
	type Tracks = TracksInfo;
	type Preimages = Preimage;
	type BlockNumberProvider = System;
}

impl pallet_conviction_voting::Config for Runtime {
	type WeightInfo = pallet_conviction_voting::weights::SubstrateWeight<Runtime>;
	type RuntimeEvent = RuntimeEvent;
	type Currency = Balances;
	type Polls = Referenda;
	/// Support is measured against the active issuance.
	type MaxTurnout =
		frame_support::traits::tokens::currency::ActiveIssuanceOf<Balances, AccountId>;
	type MaxVotes = ConstU32<512>;
	/// Conviction 1× locks a vote's balance for 7 days after the referendum (a minute on
	/// development networks), 6× for 32 times that.
	type VoteLockingPeriod = Timed<{ 7 * DAYS }, { MINUTES }>;
	type BlockNumberProvider = System;
	type VotingHooks = ();
}

parameter_types! {
	pub const TreasuryPalletId: PalletId = PalletId(*b"py/trsry");
	pub TreasuryAccount: AccountId = TreasuryPalletId::get().into_account_truncating();
	/// The most one `treasurer` referendum may spend.
	pub const TreasurerSpendLimit: Balance = 100_000 * UNITS;
	pub const MaxSpend: Balance = Balance::MAX;
}

impl pallet_treasury::Config for Runtime {
	type Currency = Balances;
	type RejectOrigin = EitherOf<EnsureRoot<AccountId>, Treasurer>;
	type RuntimeEvent = RuntimeEvent;
	/// Approved spends are paid every 6 days (every 10 blocks on development networks).
	type SpendPeriod = Timed<{ 6 * DAYS }, 10>;
	/// Nothing is burned from the treasury: every burn goes through emissions' record.
	type Burn = ();
	type PalletId = TreasuryPalletId;
	type BurnDestination = ();
	type WeightInfo = pallet_treasury::weights::SubstrateWeight<Runtime>;
	type SpendFunds = ();
	type MaxApprovals = ConstU32<100>;
	/// Root spends without limit; the `treasurer` track up to `TreasurerSpendLimit`.
	type SpendOrigin = EitherOf<
		EnsureRootWithSuccess<AccountId, MaxSpend>,
		EnsureWithSuccess<Treasurer, AccountId, TreasurerSpendLimit>,
	>;
	type AssetKind = ();
	type Beneficiary = AccountId;
	type BeneficiaryLookup = IdentityLookup<AccountId>;
	type Paymaster = PayFromAccount<Balances, TreasuryAccount>;
	type BalanceConverter = UnityAssetBalanceConversion;
	type PayoutPeriod = Timed<{ 30 * DAYS }, { 10 * MINUTES }>;
	type BlockNumberProvider = System;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = ();
}

impl pallet_custom_origins::Config for Runtime {}
