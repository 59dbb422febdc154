#![doc = include_str!("../README.md")]
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

mod impls;
/// Random calls for the runtime's property test (the `testing` feature).
#[cfg(feature = "testing")]
pub mod testing;
pub mod types;
pub mod weights;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;

/// A claim reads the same seven items whatever the number of providers; only the state trie's
/// depth grows with their records (the benchmark's component `p`, up to 10⁴ providers who worked
/// in the era). Claims are charged at that size.
pub const CLAIM_BENCHMARKED_PROVIDERS: u32 = 10_000;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;

pub use impls::{Burn, FeeSplit, SlashToTreasury};
pub use pallet::*;
pub use types::*;
pub use weights::WeightInfo;

// The pallet macros' generated code (storage info, metadata, error encoding) calls `expect`;
// the calls here only check the origin and hand over to `impls`, where the lint applies.
#[allow(clippy::expect_used)]
#[polkadot_sdk::frame_support::pallet]
pub mod pallet {
	use super::*;
	use crucible_primitives::{
		emissions::{EraIndex, EraRecord},
		Balance,
	};
	use polkadot_sdk::{
		frame_support::{
			pallet_prelude::*,
			traits::{
				fungible::{self, Credit},
				EnsureOrigin, OnUnbalanced,
			},
			PalletId,
		},
		frame_system::pallet_prelude::*,
		sp_runtime::Permill,
	};

	/// Storage layout version.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: polkadot_sdk::frame_system::Config {
		/// The token: minted into, burned from, paid out of the rewards pot.
		type Currency: fungible::Inspect<Self::AccountId, Balance = Balance>
			+ fungible::Mutate<Self::AccountId>
			+ fungible::Balanced<Self::AccountId>;

		/// Receives the validators' share of each era (the block-author reward pot).
		type ValidatorRewards: OnUnbalanced<Credit<Self::AccountId, Self::Currency>>;

		/// The treasury's account: its share, the protocol fee not burned, slashes, expired
		/// rewards.
		type TreasuryAccount: Get<Self::AccountId>;

		/// The account of the providers' rewards pot (minted at an era's close, paid by claims).
		#[pallet::constant]
		type PalletId: Get<PalletId>;

		/// Changes parameters within the bounds: each by at most `MaxChange` of its value (the
		/// `emissions_admin` governance track).
		type GovernanceOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// Changes parameters without the per-change bounds (Root: the `root` track).
		type UnboundedOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// Blocks per era.
		#[pallet::constant]
		type EraLength: Get<BlockNumberFor<Self>>;

		/// No mint takes the total issuance past this.
		#[pallet::constant]
		type MaxSupply: Get<Balance>;

		/// The most a bounded change may move a parameter, relative to its current value.
		#[pallet::constant]
		type MaxChange: Get<Permill>;

		/// The longest claim window governance may set, in eras (it bounds each provider's
		/// work records).
		#[pallet::constant]
		type MaxClaimWindow: Get<EraIndex>;

		/// The parameters before genesis or governance set any.
		type DefaultParams: Get<ParamsOf>;

		/// Weights of this pallet's calls and hooks.
		type WeightInfo: WeightInfo;
	}

	/// The parameters in force.
	#[pallet::storage]
	pub type Params<T: Config> = StorageValue<_, ParamsOf, ValueQuery, T::DefaultParams>;

	/// The parameters as they stood when the current era started (or as Root last set them in
	/// it): every bounded change of the era is checked against these, not against the values
	/// an earlier change of the same era left, so that no batch of changes (nor parallel
	/// referenda) compounds them past one step per era. Written by the era's first change;
	/// removed when the era closes.
	#[pallet::storage]
	pub type EraBaseline<T: Config> = StorageValue<_, ParamsOf, OptionQuery>;

	/// The era running now.
	#[pallet::storage]
	pub type CurrentEra<T: Config> = StorageValue<_, EraIndex, ValueQuery>;

	/// The block the current era started.
	#[pallet::storage]
	pub type EraStart<T: Config> = StorageValue<_, BlockNumberFor<T>, ValueQuery>;

	/// The oldest era whose record is kept: rewards of eras from it up to the current one may
	/// still be claimed (the current one once it closes). Bounded: at most `MaxClaimWindow + 2`
	/// records live, older ones are expired one per block.
	#[pallet::storage]
	pub type OldestEra<T: Config> = StorageValue<_, EraIndex, ValueQuery>;

	/// Each live era's record: its work, pools, claims, burn and slashes.
	#[pallet::storage]
	pub type Eras<T: Config> =
		StorageMap<_, Twox64Concat, EraIndex, EraRecord<Balance>, OptionQuery>;

	/// Each provider's unclaimed work per era (the eras from `OldestEra` on; older records are
	/// dropped when the list is next written).
	#[pallet::storage]
	pub type ProviderWork<T: Config> = StorageMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		BoundedVec<WorkRecord, WorkRecordsBound<T>>,
		ValueQuery,
	>;

	/// Cumulative minted, burned and slashed, and the genesis issuance they start from (burns
	/// of the current block are in `BlockBurned` until `on_finalize`).
	#[pallet::storage]
	pub type Totals<T: Config> = StorageValue<_, IssuanceTotals, ValueQuery>;

	/// What this block has burned so far: every transaction burns a share of its fee, and adds
	/// it here rather than to `Totals`. Taken (added to `Totals`) in `on_finalize`, so it never
	/// reaches the database: whitelisted, like the system pallet's per-block items, and the
	/// one `Totals` write a block costs is part of `on_initialize`'s weight.
	#[pallet::storage]
	#[pallet::whitelist_storage]
	pub type BlockBurned<T: Config> = StorageValue<_, Balance, ValueQuery>;

	#[pallet::genesis_config]
	#[derive(polkadot_sdk::frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// The parameters; `None` keeps `DefaultParams`.
		pub params: Option<ParamsOf>,
		#[serde(skip)]
		pub _config: core::marker::PhantomData<T>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			if let Some(params) = &self.params {
				assert!(
					Pallet::<T>::validate(params).is_ok(),
					"invalid emission parameters in genesis"
				);
				Params::<T>::put(params.clone());
			}
			Pallet::<T>::start_at_genesis();
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// An era closed: `minted` in all, the providers' two pools (claimable), the
		/// validators' and the treasury's shares.
		EraClosed {
			era: EraIndex,
			minted: Balance,
			compute_pool: Balance,
			lease_pool: Balance,
			validators: Balance,
			treasury: Balance,
		},
		/// A provider claimed its share of an era.
		Claimed { provider: T::AccountId, era: EraIndex, amount: Balance },
		/// An era's claim window ended: what was not claimed went to the treasury.
		EraExpired { era: EraIndex, to_treasury: Balance },
		/// The parameters changed (from the next era close on).
		ParamsSet { params: ParamsOf },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The era has not closed yet: its rewards are not known.
		EraNotClosed,
		/// The era's claim window has ended.
		ClaimExpired,
		/// The caller has no unclaimed work in that era.
		NothingToClaim,
		/// The three shares do not sum to 100%.
		SharesNotWhole,
		/// The claim window is 0 or above `MaxClaimWindow`.
		InvalidClaimWindow,
		/// The per-era emission (`initial`) moves by more than the bound.
		InitialChangeTooLarge,
		/// The decay moves by more than the bound.
		DecayChangeTooLarge,
		/// The floor moves by more than the bound.
		FloorChangeTooLarge,
		/// A share (providers', validators' or treasury's) moves by more than the bound.
		ShareChangeTooLarge,
		/// The marketplace's weight in the providers' share moves by more than the bound.
		MarketWeightChangeTooLarge,
		/// The burn share of protocol fees moves by more than the bound.
		BurnShareChangeTooLarge,
		/// The claim window moves by more than the bound.
		ClaimWindowChangeTooLarge,
		/// The rewards pot cannot pay (never expected: it holds every unclaimed pool).
		PotExhausted,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		/// Closes the era when it is due (one close a block) and expires the oldest era whose
		/// claim window has ended (one a block); its weight includes `on_finalize`'s.
		fn on_initialize(now: BlockNumberFor<T>) -> Weight {
			Self::do_on_initialize(now)
		}

		/// Adds the block's burns to `Totals` (weighed in `on_initialize`).
		fn on_finalize(_now: BlockNumberFor<T>) {
			Self::fold_burned();
		}

		fn integrity_test() {
			assert!(T::EraLength::get() > 0u32.into(), "EraLength must be positive");
			assert!(T::MaxClaimWindow::get() > 0, "MaxClaimWindow must be positive");
			assert!(
				Self::validate(&T::DefaultParams::get()).is_ok(),
				"DefaultParams must be valid"
			);
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(
			_n: BlockNumberFor<T>,
		) -> Result<(), polkadot_sdk::sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call(weight(<T as Config>::WeightInfo))]
	impl<T: Config> Pallet<T> {
		/// Pays the caller its share of a closed era's providers' pools: pro rata to its
		/// verified compute units in the era's compute pool, to its settled leased GPU-blocks
		/// in the lease pool.
		///
		/// - `origin`: signed by the provider.
		/// - `era`: a closed era within its claim window.
		///
		/// The cost does not depend on how many providers there are.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::claim(CLAIM_BENCHMARKED_PROVIDERS))]
		pub fn claim(origin: OriginFor<T>, era: EraIndex) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_claim(&who, era)
		}

		/// Sets the emission parameters, in force from the next era close (the burn share
		/// from the next fee).
		///
		/// - `origin`: `UnboundedOrigin` (Root) sets any valid parameters; `GovernanceOrigin` (the
		///   `emissions_admin` track) moves each by at most `MaxChange` of its value at the era's
		///   start (`EraBaseline`; at least one step: 1 percentage point of a share, 0.01 point of
		///   decay, one era of claim window, 1% of `initial` for the floor), however many changes
		///   the era sees.
		/// - `params`: the shares sum to 100%; 1 ≤ `claim_window` ≤ `MaxClaimWindow`.
		#[pallet::call_index(1)]
		pub fn set_params(origin: OriginFor<T>, params: ParamsOf) -> DispatchResult {
			let bounded = match T::UnboundedOrigin::try_origin(origin) {
				Ok(_) => false,
				Err(origin) => {
					T::GovernanceOrigin::ensure_origin(origin)?;
					true
				},
			};
			Self::do_set_params(params, bounded)
		}
	}
}
