//! Block production (BABE), finality (GRANDPA) and the validator set (session +
//! collator-selection).

use crate::{
	AccountId, Babe, Balance, Balances, CollatorSelection, Runtime, RuntimeEvent, Session,
	SessionKeys, EPOCH_DURATION_IN_BLOCKS, EPOCH_DURATION_IN_SLOTS, MILLI_SECS_PER_BLOCK,
};
use crucible_primitives::currency::{deposit, UNITS};
use polkadot_sdk::{
	frame_support::{
		parameter_types,
		traits::{ConstU32, ConstU64},
		PalletId,
	},
	frame_system::EnsureRoot,
	sp_runtime::traits::{AccountIdConversion, OpaqueKeys},
	*,
};

/// At most this many validators (BABE and GRANDPA authorities) at once.
pub const MAX_VALIDATORS: u32 = 100;

parameter_types! {
	pub const EpochDuration: u64 = EPOCH_DURATION_IN_SLOTS;
	pub const ExpectedBlockTime: crate::Moment = MILLI_SECS_PER_BLOCK;
	/// Session keys are stored on chain; their owner pays a deposit for the entry.
	pub const SessionKeyDeposit: Balance = deposit(1, 64);
	/// Block authors are paid out of this account (half of it each block, see
	/// `pallet_collator_selection::note_author`); transaction fees flow into it.
	pub const ValidatorPotId: PalletId = PalletId(*b"cru/vpot");
	/// A candidate that authored nothing for two sessions is removed at the next rotation.
	pub const KickThreshold: crate::BlockNumber = 2 * EPOCH_DURATION_IN_BLOCKS;
	/// The pot's account, derived from [`ValidatorPotId`].
	pub ValidatorPotAccount: AccountId = ValidatorPotId::get().into_account_truncating();
}

/// The minimum candidacy bond at genesis; governance changes it with
/// `collatorSelection.setCandidacyBond`.
pub const GENESIS_CANDIDACY_BOND: Balance = 10_000 * UNITS;

impl pallet_babe::Config for Runtime {
	type EpochDuration = EpochDuration;
	type ExpectedBlockTime = ExpectedBlockTime;
	/// Epochs change at session boundaries, which session drives.
	type EpochChangeTrigger = pallet_babe::ExternalTrigger;
	type DisabledValidators = Session;
	type WeightInfo = ();
	type MaxAuthorities = ConstU32<MAX_VALIDATORS>;
	type MaxNominators = ConstU32<0>;
	// Equivocation reports need an offences pallet and slashable validator stake; until the
	// validator set has those, reports are not accepted.
	type KeyOwnerProof = sp_core::Void;
	type EquivocationReportSystem = ();
}

impl pallet_grandpa::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type WeightInfo = ();
	type MaxAuthorities = ConstU32<MAX_VALIDATORS>;
	type MaxNominators = ConstU32<0>;
	type MaxSetIdSessionEntries = ConstU64<0>;
	type KeyOwnerProof = sp_core::Void;
	type EquivocationReportSystem = ();
}

impl pallet_authorship::Config for Runtime {
	/// The author is the session validator at BABE's authority index.
	type FindAuthor = pallet_session::FindAccountFromAuthorIndex<Self, Babe>;
	/// Collator-selection records who authored (to kick idle candidates) and pays them.
	type EventHandler = CollatorSelection;
}

impl pallet_session::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type ValidatorId = AccountId;
	type ValidatorIdOf = pallet_collator_selection::IdentityCollator;
	/// A session ends with each BABE epoch.
	type ShouldEndSession = Babe;
	type NextSessionRotation = Babe;
	type SessionManager = CollatorSelection;
	type SessionHandler = <SessionKeys as OpaqueKeys>::KeyTypeIdProviders;
	type Keys = SessionKeys;
	type DisablingStrategy = ();
	type WeightInfo = pallet_session::weights::SubstrateWeight<Runtime>;
	type Currency = Balances;
	type KeyDeposit = SessionKeyDeposit;
}

impl pallet_collator_selection::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type Currency = Balances;
	/// Invulnerables and the candidacy bond are set by Root (sudo on development networks, a
	/// referendum on the `root` track elsewhere).
	type UpdateOrigin = EnsureRoot<AccountId>;
	type PotId = ValidatorPotId;
	type MaxCandidates = ConstU32<MAX_VALIDATORS>;
	type MinEligibleCollators = ConstU32<1>;
	type MaxInvulnerables = ConstU32<20>;
	type KickThreshold = KickThreshold;
	type ValidatorId = AccountId;
	type ValidatorIdOf = pallet_collator_selection::IdentityCollator;
	/// Only accounts with session keys registered may become candidates.
	type ValidatorRegistration = Session;
	type WeightInfo = pallet_collator_selection::weights::SubstrateWeight<Runtime>;
}
