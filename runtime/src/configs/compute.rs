//! The GPU compute pallets: the provider registry and proof of compute (later the marketplace
//! and emissions).

use crate::{
	Balances, BlockNumber, ProofOfCompute, Runtime, RuntimeCall, RuntimeHoldReason,
	UncheckedExtrinsic,
};
use crucible_primitives::{
	challenge::MAX_INNER,
	currency::UNITS,
	time::{DAYS, MINUTES},
	Balance,
};
use polkadot_sdk::{
	frame_support::{parameter_types, traits::ConstU32},
	frame_system::{self, EnsureRoot},
	pallet_babe, pallet_transaction_payment,
	sp_runtime::{generic::Era, transaction_validity::TransactionPriority, Permill},
};

parameter_types! {
	/// The smallest provider bond: 100 CRU, well above the storage its record and its index
	/// entries take (checked in `tests.rs`).
	pub const ProviderMinBond: Balance = 100 * UNITS;
	/// A week until unbonded funds are free: long enough for the proof-of-compute and
	/// marketplace pallets to slash misbehaviour found after the fact.
	pub const ProviderUnbondingPeriod: BlockNumber = 7 * DAYS;
	/// Governance may lengthen the unbonding period to four weeks at most.
	pub const ProviderMaxUnbondingPeriod: BlockNumber = 28 * DAYS;
	/// Reputation forgives 5% of its distance to neutral per day.
	pub const ReputationDecay: Permill = Permill::from_percent(5);
	pub const ReputationDecayPeriod: BlockNumber = DAYS;
	/// Workers' free submissions go before ordinary transactions: a commitment that misses its
	/// window is slashed, however busy the chain is.
	pub const ProofPriority: TransactionPriority = TransactionPriority::MAX / 2;
}

/// Dev and local networks unbond within a minute, so that the whole provider lifecycle can be
/// exercised (and tested end to end) in real time.
pub const DEV_UNBONDING_PERIOD: BlockNumber = MINUTES;

impl pallet_providers::Config for Runtime {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type MinBond = ProviderMinBond;
	type DefaultUnbondingPeriod = ProviderUnbondingPeriod;
	type MaxUnbondingPeriod = ProviderMaxUnbondingPeriod;
	type MaxUnbondingChunks = ConstU32<16>;
	type ReputationDecay = ReputationDecay;
	type ReputationDecayPeriod = ReputationDecayPeriod;
	/// Open challenges keep a provider from leaving or stepping out (the marketplace's leases
	/// join them next).
	type WorkInFlight = ProofOfCompute;
	/// Slashed bond is burned until the treasury exists.
	type OnSlash = ();
	/// Root (sudo on dev networks) until OpenGov has a track for it.
	type ForceOrigin = EnsureRoot<crate::AccountId>;
	type WeightInfo = pallet_providers::weights::SubstrateWeight<Runtime>;
}

impl pallet_proof_of_compute::Config for Runtime {
	type Providers = crate::Providers;
	/// BABE's VRF output; in `on_finalize` (where the pallet reads it) it is this block's.
	type Randomness = pallet_babe::ParentBlockRandomness<Runtime>;
	type Verifier = pallet_proof_of_compute::SpotCheckedMatmul;
	/// Root (sudo on dev networks) until OpenGov's emissions track exists.
	type ParamsOrigin = EnsureRoot<crate::AccountId>;
	/// Emissions will pay for verified compute; until then units are only counted.
	type OnVerifiedCompute = ();
	type MaxSamples = ConstU32<32>;
	type MaxInner = ConstU32<MAX_INNER>;
	type MaxLeafSize = ConstU32<64>;
	/// A day.
	type MaxPeriod = ConstU32<DAYS>;
	type MaxUnsweptPeriods = ConstU32<4>;
	type MaxSweepPerBlock = ConstU32<512>;
	type UnsignedPriority = ProofPriority;
	type MaxLocalKeys = ConstU32<16>;
	type WeightInfo = pallet_proof_of_compute::weights::SubstrateWeight<Runtime>;
}

// Off-chain workers build free, authorized transactions of the runtime's own format.
impl<C> frame_system::offchain::CreateTransactionBase<C> for Runtime
where
	RuntimeCall: From<C>,
{
	type RuntimeCall = RuntimeCall;
	type Extrinsic = UncheckedExtrinsic;
}

impl<C> frame_system::offchain::CreateTransaction<C> for Runtime
where
	RuntimeCall: From<C>,
{
	type Extension = crate::TxExtension;

	fn create_transaction(call: RuntimeCall, extension: crate::TxExtension) -> UncheckedExtrinsic {
		UncheckedExtrinsic::new_transaction(call, extension)
	}
}

impl<C> frame_system::offchain::CreateAuthorizedTransaction<C> for Runtime
where
	RuntimeCall: From<C>,
{
	/// The extensions of a general transaction: nobody signs it, `AuthorizeCall` checks it
	/// (the call's `authorize`), no nonce is used and no fee charged.
	fn create_extension() -> crate::TxExtension {
		(
			frame_system::AuthorizeCall::<Runtime>::new(),
			frame_system::CheckNonZeroSender::<Runtime>::new(),
			frame_system::CheckSpecVersion::<Runtime>::new(),
			frame_system::CheckTxVersion::<Runtime>::new(),
			frame_system::CheckGenesis::<Runtime>::new(),
			frame_system::CheckEra::<Runtime>::from(Era::Immortal),
			frame_system::CheckNonce::<Runtime>::from(0),
			frame_system::CheckWeight::<Runtime>::new(),
			pallet_transaction_payment::ChargeTransactionPayment::<Runtime>::from(0),
			frame_system::WeightReclaim::<Runtime>::new(),
		)
	}
}
