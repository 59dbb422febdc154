//! The CRU token (balances) and transaction fees.

use crate::{
	Balance, Balances, Runtime, RuntimeEvent, RuntimeFreezeReason, RuntimeHoldReason, System,
};
use crucible_primitives::currency::{CENTS, EXISTENTIAL_DEPOSIT, MICRO_UNITS};
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
	pallet_transaction_payment::{FungibleAdapter, Multiplier, TargetedFeeAdjustment},
	sp_runtime::{traits::Bounded, FixedPointNumber, Perbill, Perquintill},
	*,
};
use smallvec::smallvec;

impl pallet_balances::Config for Runtime {
	type MaxLocks = ConstU32<50>;
	type MaxReserves = ConstU32<50>;
	type ReserveIdentifier = [u8; 8];
	type Balance = Balance;
	type RuntimeEvent = RuntimeEvent;
	/// Dust of reaped accounts is burned.
	type DustRemoval = ();
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
			drop(burned);
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
