//! The CRU token (balances) and transaction fees.

use crate::{
	AccountId, Balance, Balances, Runtime, RuntimeEvent, RuntimeFreezeReason, RuntimeHoldReason,
	System,
};
use crucible_primitives::{
	currency::{CENTS, EXISTENTIAL_DEPOSIT, MICRO_UNITS, UNITS},
	emissions::EmissionParams,
	time::DAYS,
};
use polkadot_sdk::{
	frame_support::{
		parameter_types,
		traits::{
			fungible::Credit, tokens::imbalance::ResolveTo, ConstU32, Imbalance, OnUnbalanced,
			VariantCountOf,
		},
		weights::{
			constants::ExtrinsicBaseWeight, ConstantMultiplier, WeightToFeeCoefficient,
			WeightToFeeCoefficients, WeightToFeePolynomial,
		},
	},
	frame_system::EnsureRoot,
	pallet_transaction_payment::{FungibleAdapter, Multiplier, TargetedFeeAdjustment},
	sp_runtime::{traits::Bounded, FixedPointNumber, Perbill, Permill, Perquintill},
	*,
};
use smallvec::smallvec;

impl pallet_balances::Config for Runtime {
	type MaxLocks = ConstU32<50>;
	type MaxReserves = ConstU32<50>;
	type ReserveIdentifier = [u8; 8];
	type Balance = Balance;
	type RuntimeEvent = RuntimeEvent;
	/// Dust of reaped accounts is burned (and recorded by emissions).
	type DustRemoval = pallet_emissions::Burn<Runtime>;
	type ExistentialDeposit = ExistentialDeposit;
	type AccountStore = System;
	type WeightInfo = pallet_balances::weights::SubstrateWeight<Runtime>;
	type FreezeIdentifier = RuntimeFreezeReason;
	type MaxFreezes = VariantCountOf<RuntimeFreezeReason>;
	type RuntimeHoldReason = RuntimeHoldReason;
	type RuntimeFreezeReason = RuntimeFreezeReason;
	type DoneSlashHandler = ();
}

parameter_types! {
	pub const ExistentialDeposit: Balance = EXISTENTIAL_DEPOSIT;
	/// Each byte of a transaction costs this much.
	pub const TransactionByteFee: Balance = 10 * MICRO_UNITS;
	/// Operational transactions pay 5x the tip-derived priority.
	pub const OperationalFeeMultiplier: u8 = 5;
	/// Fee multiplier: target 25% full blocks, adjust by at most ~0.3% per block.
	pub const TargetBlockFullness: Perquintill = Perquintill::from_percent(25);
	pub AdjustmentVariable: Multiplier = Multiplier::saturating_from_rational(3, 100_000);
	pub MinimumMultiplier: Multiplier = Multiplier::saturating_from_rational(1, 10u128);
	pub MaximumMultiplier: Multiplier = Bounded::max_value();
	/// The share of every transaction fee that is burned; the rest pays block authors.
	pub const FeeBurnShare: Perbill = Perbill::from_percent(50);
}

/// Maps weight to fee so that the base weight of an extrinsic costs 1/100 CRU.
pub struct WeightToFee;
impl WeightToFeePolynomial for WeightToFee {
	type Balance = Balance;
	fn polynomial() -> WeightToFeeCoefficients<Self::Balance> {
		let p = CENTS;
		let q = Balance::from(ExtrinsicBaseWeight::get().ref_time()).max(1);
		smallvec![WeightToFeeCoefficient {
			degree: 1,
			negative: false,
			coeff_frac: Perbill::from_rational(p.checked_rem(q).unwrap_or_default(), q),
			coeff_integer: p.checked_div(q).unwrap_or_default(),
		}]
	}
}

/// Splits transaction fees and tips: [`FeeBurnShare`] is burned (dropping a credit burns it),
/// the rest goes to the validator pot, from which collator-selection pays block authors.
pub struct DealWithFees;
impl OnUnbalanced<Credit<crate::AccountId, Balances>> for DealWithFees {
	fn on_unbalanceds(
		mut fees_then_tips: impl Iterator<Item = Credit<crate::AccountId, Balances>>,
	) {
		if let Some(mut fees) = fees_then_tips.next() {
			if let Some(tips) = fees_then_tips.next() {
				tips.merge_into(&mut fees);
			}
			let burn = FeeBurnShare::get().mul_floor(fees.peek());
			let (burned, to_pot) = fees.split(burn);
			pallet_emissions::Burn::<Runtime>::on_unbalanced(burned);
			ResolveTo::<super::ValidatorPotAccount, Balances>::on_unbalanced(to_pot);
		}
	}
}

impl pallet_transaction_payment::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type OnChargeTransaction = FungibleAdapter<Balances, DealWithFees>;
	type OperationalFeeMultiplier = OperationalFeeMultiplier;
	type WeightToFee = WeightToFee;
	type LengthToFee = ConstantMultiplier<Balance, TransactionByteFee>;
	type FeeMultiplierUpdate = TargetedFeeAdjustment<
		Self,
		TargetBlockFullness,
		AdjustmentVariable,
		MinimumMultiplier,
		MaximumMultiplier,
	>;
	type WeightInfo = pallet_transaction_payment::weights::SubstrateWeight<Runtime>;
}

parameter_types! {
	pub const EmissionsPalletId: frame_support::PalletId = frame_support::PalletId(*b"cru/emis");
	/// A bounded (`emissions_admin`) change moves a parameter by at most 10% of its value.
	pub const EmissionsMaxChange: Permill = Permill::from_percent(10);
	/// The supply no mint goes past: one billion CRU.
	pub const MaxSupply: Balance = 1_000_000_000 * UNITS;
	pub DefaultEmissionParams: EmissionParams<Balance> = mainnet_emission_params();
}

/// Mainnet's emission: 100,000 CRU a day at first, 0.1% less each day (about 30% less a
/// year), never under 10,000 CRU a day; 70% to providers for verified work (half of it for
/// settled leases), 20% to validators, 10% to the treasury; half of every protocol fee burned;
/// 30 days to claim.
pub fn mainnet_emission_params() -> EmissionParams<Balance> {
	EmissionParams {
		initial: 100_000 * UNITS,
		decay: Perbill::from_rational(1u32, 1_000u32),
		floor: 10_000 * UNITS,
		providers: Permill::from_percent(70),
		validators: Permill::from_percent(20),
		treasury: Permill::from_percent(10),
		market_weight: Permill::from_percent(50),
		burn_share: Permill::from_percent(50),
		claim_window: 30,
	}
}

impl pallet_emissions::Config for Runtime {
	type Currency = Balances;
	/// The validators' share joins the pot that pays block authors.
	type ValidatorRewards = ResolveTo<super::ValidatorPotAccount, Balances>;
	type TreasuryAccount = crate::governance::TreasuryAccount;
	type PalletId = EmissionsPalletId;
	/// The `emissions_admin` track: bounded changes.
	type GovernanceOrigin = crate::governance::EmissionsAdmin;
	/// The `root` track: unbounded.
	type UnboundedOrigin = EnsureRoot<AccountId>;
	/// A day (20 blocks, two minutes, on development networks).
	type EraLength = crate::governance::Timed<{ DAYS }, 20>;
	type MaxSupply = MaxSupply;
	type MaxChange = EmissionsMaxChange;
	type MaxClaimWindow = ConstU32<90>;
	type DefaultParams = DefaultEmissionParams;
	type WeightInfo = pallet_emissions::weights::SubstrateWeight<Runtime>;
}
