#![doc = include_str!("../README.md")]
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

mod impls;
pub mod migrations;
pub mod offchain;
pub mod traits;
pub mod types;
pub mod weights;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(any(test, feature = "runtime-benchmarks", feature = "testing"))]
pub mod testing;
#[cfg(test)]
mod tests;

pub use pallet::*;
pub use traits::*;
pub use types::*;
pub use weights::WeightInfo;

// The pallet macros' generated code (storage info, metadata, error encoding) calls `expect`;
// the calls here only check the origin and hand over to `impls/`, where the lint applies.
#[allow(clippy::expect_used)]
#[polkadot_sdk::frame_support::pallet]
pub mod pallet {
	use super::*;
	use crucible_primitives::providers::{
		AttestationKey, AttestationSignature, Endpoint, GpuUuid, HardwareProfile, Region, MAX_GPUS,
	};
	use polkadot_sdk::{
		frame_support::{
			pallet_prelude::*,
			traits::{
				fungible::{self, Credit},
				OnUnbalanced,
			},
		},
		frame_system::pallet_prelude::*,
		sp_runtime::Permill,
	};

	/// Storage layout version: 1 since `Providers` counts its records itself
	/// ([`migrations::v1`]).
	pub const STORAGE_VERSION: StorageVersion = StorageVersion::new(1);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	/// Why funds are held.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// A provider's bond, active or unbonding.
		#[codec(index = 0)]
		ProviderBond,
	}

	/// Defaults for test runtimes:
	/// `#[derive_impl(pallet_providers::config_preludes::TestDefaultConfig)]` and name only
	/// `Currency` and what differs (block numbers and balances are `u64`).
	pub mod config_preludes {
		use super::*;
		use polkadot_sdk::{
			frame_support::{derive_impl, parameter_types, traits::ConstU64},
			frame_system::{self, EnsureRoot},
		};

		/// The defaults: `MinBond` 1,000; unbonding 5 blocks (at most 1,000), 4 chunks; reputation
		/// forgives 10% of its distance to neutral per 1,000 blocks; 16 local keys; nothing in
		/// flight; slashes burned; Root forces.
		pub struct TestDefaultConfig;

		parameter_types! {
			/// 10% of the distance to neutral per decay period.
			pub const TestReputationDecay: Permill = Permill::from_percent(10);
		}

		#[derive_impl(frame_system::config_preludes::TestDefaultConfig, no_aggregated_types)]
		impl frame_system::DefaultConfig for TestDefaultConfig {}

		#[polkadot_sdk::frame_support::register_default_impl(TestDefaultConfig)]
		impl DefaultConfig for TestDefaultConfig {
			#[inject_runtime_type]
			type RuntimeHoldReason = ();
			type MinBond = ConstU64<1_000>;
			type BondPerGpu = ConstU64<0>;
			type DefaultUnbondingPeriod = ConstU64<5>;
			type MaxUnbondingPeriod = ConstU64<1_000>;
			type MaxUnbondingChunks = ConstU32<4>;
			type ReputationDecay = TestReputationDecay;
			type ReputationDecayPeriod = ConstU64<1_000>;
			type MaxLocalKeys = ConstU32<16>;
			type WorkInFlight = ();
			type OnSlash = ();
			type ForceOrigin = EnsureRoot<u64>;
			type WeightInfo = ();
		}
	}

	#[pallet::config(with_default)]
	pub trait Config: polkadot_sdk::frame_system::Config {
		/// The token bonds are held in.
		#[pallet::no_default]
		type Currency: fungible::Inspect<Self::AccountId>
			+ fungible::Mutate<Self::AccountId>
			+ fungible::hold::Mutate<Self::AccountId, Reason = Self::RuntimeHoldReason>
			+ fungible::hold::Balanced<Self::AccountId>;

		/// The runtime's hold reasons, which include this pallet's.
		#[pallet::no_default_bounds]
		type RuntimeHoldReason: From<HoldReason>;

		/// The smallest bond a provider may have; it also pays for the record's storage.
		#[pallet::constant]
		#[pallet::no_default_bounds]
		type MinBond: Get<BalanceOf<Self>>;

		/// The bond each declared GPU adds to `MinBond`: a provider's minimum bond grows with
		/// the hardware it claims, so that a slash (a share of the bond) costs a lie in
		/// proportion to what the lie could earn. Changed by a runtime upgrade (the root track).
		#[pallet::constant]
		#[pallet::no_default_bounds]
		type BondPerGpu: Get<BalanceOf<Self>>;

		/// The unbonding period until genesis or `ForceOrigin` sets another (see
		/// [`UnbondingPeriod`]).
		#[pallet::constant]
		#[pallet::no_default_bounds]
		type DefaultUnbondingPeriod: Get<BlockNumberFor<Self>>;

		/// The longest unbonding period `set_unbonding_period` accepts.
		#[pallet::constant]
		#[pallet::no_default_bounds]
		type MaxUnbondingPeriod: Get<BlockNumberFor<Self>>;

		/// Most unbonding chunks a provider may have waiting at once.
		#[pallet::constant]
		type MaxUnbondingChunks: Get<u32>;

		/// How fast reputation returns to neutral: the share of the distance to 50% that is
		/// forgiven per `ReputationDecayPeriod` blocks.
		#[pallet::constant]
		type ReputationDecay: Get<Permill>;

		/// The period of reputation decay, in blocks.
		#[pallet::constant]
		#[pallet::no_default_bounds]
		type ReputationDecayPeriod: Get<BlockNumberFor<Self>>;

		/// Most attestation keys a provider's node acts for: its off-chain workers (proof of
		/// compute's and the marketplace's) serve the first `MaxLocalKeys` registered providers
		/// whose keys are in its keystore, in key order ([`offchain::local_provers`]).
		#[pallet::constant]
		type MaxLocalKeys: Get<u32>;

		/// Whether a provider has work in flight (leases, open challenges); asked before it may
		/// deregister. The marketplace and proof-of-compute pallets answer; `()` says no.
		type WorkInFlight: ProviderWorkInFlight<Self::AccountId>;

		/// Where slashed bond goes (treasury, burn).
		#[pallet::no_default_bounds]
		type OnSlash: OnUnbalanced<Credit<Self::AccountId, Self::Currency>>;

		/// Who may suspend or deregister a provider by force (root / governance).
		#[pallet::no_default_bounds]
		type ForceOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// Weights, generated by the benchmark CLI.
		type WeightInfo: WeightInfo;
	}

	/// Every provider's record, by its account, and how many there are
	/// (`Providers::<T>::count()`, stored as `CounterForProviders`). Written by this pallet's
	/// calls, and by the proof-of-compute and marketplace pallets through [`ProviderMutate`] and
	/// [`ProviderSlash`].
	#[pallet::storage]
	pub type Providers<T: Config> =
		CountedStorageMap<_, Blake2_128Concat, T::AccountId, ProviderRecord<T>, OptionQuery>;

	/// Which provider an attestation key belongs to (each key to one provider at most).
	#[pallet::storage]
	pub type AttestationKeyOwner<T: Config> =
		StorageMap<_, Blake2_128Concat, AttestationKey, T::AccountId, OptionQuery>;

	/// Which provider a GPU (by driver UUID) is registered to: the same card cannot be
	/// registered twice.
	#[pallet::storage]
	pub type GpuOwner<T: Config> =
		StorageMap<_, Blake2_128Concat, GpuUuid, T::AccountId, OptionQuery>;

	/// How many attestation keys each account has adopted (`register`, `rotate_attestation_key`):
	/// the nonce its next ownership proof must sign, so that every proof is good once. Kept
	/// when the record goes, so that a re-registration cannot replay an old proof. Written by
	/// those two calls.
	#[pallet::storage]
	pub type KeyNonce<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, u32, ValueQuery>;

	/// Blocks between `unbond` (or `deregister`) and the funds being withdrawable; a governed
	/// parameter (short on dev chains, set in genesis), written by `set_unbonding_period`.
	/// Changing it does not move chunks already unbonding.
	#[pallet::storage]
	pub type UnbondingPeriod<T: Config> =
		StorageValue<_, BlockNumberFor<T>, ValueQuery, T::DefaultUnbondingPeriod>;

	/// The registry's genesis: its parameters.
	#[pallet::genesis_config]
	#[derive(polkadot_sdk::frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// The unbonding period; `None` keeps `DefaultUnbondingPeriod`.
		pub unbonding_period: Option<BlockNumberFor<T>>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			if let Some(period) = self.unbonding_period {
				assert!(
					period <= T::MaxUnbondingPeriod::get(),
					"unbonding period above the maximum"
				);
				UnbondingPeriod::<T>::put(period);
			}
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A provider registered and its bond is held.
		ProviderRegistered { provider: T::AccountId, bond: BalanceOf<T> },
		/// A provider's hardware profile, endpoint or region changed; hardware changes send an
		/// active provider back to `Registered` until proven again.
		ProfileUpdated { provider: T::AccountId, status: ProviderStatus },
		/// A provider's attestation key changed.
		AttestationKeyRotated { provider: T::AccountId, key: AttestationKey },
		/// More bond was held.
		Bonded { provider: T::AccountId, amount: BalanceOf<T> },
		/// Bond started unbonding; it may be withdrawn from `unlock_at`.
		Unbonding { provider: T::AccountId, amount: BalanceOf<T>, unlock_at: BlockNumberFor<T> },
		/// Unbonded funds were released to the provider.
		Withdrawn { provider: T::AccountId, amount: BalanceOf<T> },
		/// A provider's status changed (by itself, governance, or the proof-of-compute pallet).
		StatusChanged { provider: T::AccountId, from: ProviderStatus, to: ProviderStatus },
		/// A provider deregistered; its bond is unbonding.
		ProviderLeaving { provider: T::AccountId, unlock_at: BlockNumberFor<T> },
		/// A provider's record was removed (all bond withdrawn or slashed).
		ProviderRemoved { provider: T::AccountId },
		/// Part of a provider's bond was slashed.
		Slashed { provider: T::AccountId, amount: BalanceOf<T>, reason: SlashReason },
		/// A provider's reputation changed.
		ReputationChanged { provider: T::AccountId, score: Permill },
		/// Governance set the unbonding period (for chunks unbonded from now on).
		UnbondingPeriodSet { blocks: BlockNumberFor<T> },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The account already has a provider record.
		AlreadyRegistered,
		/// The account has no provider record.
		NotRegistered,
		/// The bond would be below `MinBond`.
		BondTooLow,
		/// The attestation key already belongs to a provider.
		KeyInUse,
		/// The ownership proof is not the attestation key's signature over the caller's
		/// ownership payload.
		InvalidKeyProof,
		/// A GPU UUID is already registered (to this or another provider).
		GpuAlreadyRegistered,
		/// The same GPU UUID appears twice in the profile.
		DuplicateGpuUuid,
		/// The profile lists no GPUs.
		EmptyGpuList,
		/// A GPU entry has a zero count or zero memory.
		InvalidGpuSpec,
		/// The number of GPU UUIDs differs from the number of GPUs.
		GpuUuidCountMismatch,
		/// A model name is empty or not printable ASCII.
		InvalidModelName,
		/// The region is not uppercase ISO codes.
		InvalidRegion,
		/// The endpoint is empty.
		EmptyEndpoint,
		/// Too many unbonding chunks are waiting: withdraw first.
		TooManyUnbondingChunks,
		/// Nothing to unbond, or more than the bond.
		InsufficientBond,
		/// Nothing is withdrawable yet.
		NothingToWithdraw,
		/// The provider has work in flight and cannot leave (or change its hardware under its
		/// leases).
		HasActiveWork,
		/// The provider's status does not allow this.
		InvalidStatus,
		/// The provider's balance cannot cover the bond.
		InsufficientBalance,
		/// The unbonding period is above `MaxUnbondingPeriod`.
		UnbondingPeriodTooLong,
		/// The provider owes a proof-of-compute challenge: it may pause or change its hardware
		/// once the challenge is settled.
		ChallengeOpen,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn integrity_test() {
			assert!(T::MaxUnbondingChunks::get() > 0, "MaxUnbondingChunks must be positive");
			assert!(!T::ReputationDecayPeriod::get().is_zero(), "ReputationDecayPeriod is 0");
			assert!(
				T::DefaultUnbondingPeriod::get() <= T::MaxUnbondingPeriod::get(),
				"DefaultUnbondingPeriod above MaxUnbondingPeriod"
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
		/// Registers the caller as a GPU provider and holds `bond`.
		///
		/// - `origin`: signed by the provider's (funded) account.
		/// - `profile`: the host's hardware; every GPU UUID must be new to the chain.
		/// - `attestation_key`: the sr25519 public key (`crat` key type) of the node's keystore.
		/// - `key_proof`: the attestation key's signature over
		///   `crucible_primitives::providers::ownership_payload(genesis hash, caller,
		///   keyNonce(caller))` (`crucible-node attestation-key` prints both).
		/// - `endpoint`: where developers reach the provider's workloads.
		/// - `region`: where the host is.
		/// - `bond`: at least `MinBond`.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::register(profile.gpu_uuids.len() as u32))]
		pub fn register(
			origin: OriginFor<T>,
			profile: HardwareProfile,
			attestation_key: AttestationKey,
			key_proof: AttestationSignature,
			endpoint: Endpoint,
			region: Region,
			bond: BalanceOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_register(who, profile, attestation_key, key_proof, endpoint, region, bond)
		}

		/// Replaces the caller's hardware profile, endpoint and region. A change of hardware
		/// sends an `Active` provider back to `Registered` until it is proven again, and waits
		/// until the provider's open challenge (if any) is settled and its leases have ended
		/// (they hold its GPUs).
		///
		/// - `origin`: signed by the provider.
		/// - `profile`, `endpoint`, `region`: as for `register`; the GPU UUIDs may be the caller's
		///   own or new to the chain.
		///
		/// Charged for `MAX_GPUS` old GPUs up front, refunded down to the real number.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::update_profile(MAX_GPUS, profile.gpu_uuids.len() as u32))]
		pub fn update_profile(
			origin: OriginFor<T>,
			profile: HardwareProfile,
			endpoint: Endpoint,
			region: Region,
		) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			let new_gpus = profile.gpu_uuids.len() as u32;
			let old_gpus = Self::do_update_profile(who, profile, endpoint, region)?;
			Ok(Some(T::WeightInfo::update_profile(old_gpus, new_gpus)).into())
		}

		/// Replaces the caller's attestation key.
		///
		/// - `origin`: signed by the provider.
		/// - `key`: the new key, not used by any provider.
		/// - `key_proof`: the new key's signature over the caller's ownership payload (with the
		///   caller's current `keyNonce`).
		#[pallet::call_index(2)]
		pub fn rotate_attestation_key(
			origin: OriginFor<T>,
			key: AttestationKey,
			key_proof: AttestationSignature,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_rotate_attestation_key(who, key, key_proof)
		}

		/// Holds `amount` more as bond. An `Underbonded` provider whose bond reaches `MinBond`
		/// is `Registered` again (to be proven again).
		///
		/// - `origin`: signed by the provider.
		#[pallet::call_index(3)]
		pub fn bond_extra(
			origin: OriginFor<T>,
			#[pallet::compact] amount: BalanceOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_bond_extra(who, amount)
		}

		/// Starts unbonding `amount`; the active bond must stay at least `MinBond`.
		///
		/// - `origin`: signed by the provider.
		#[pallet::call_index(4)]
		pub fn unbond(
			origin: OriginFor<T>,
			#[pallet::compact] amount: BalanceOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_unbond(who, amount)
		}

		/// Releases every unbonding chunk whose period has passed. A leaving provider whose
		/// bond is all withdrawn is removed.
		///
		/// - `origin`: signed by the provider.
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::withdraw_unbonded(T::MaxUnbondingChunks::get()))]
		pub fn withdraw_unbonded(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_withdraw_unbonded(who)
		}

		/// Stops taking new work (`Active` or `Registered` → `Paused`), once the provider's open
		/// challenge (if any) is settled.
		///
		/// - `origin`: signed by the provider.
		#[pallet::call_index(6)]
		pub fn pause(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_pause(who)
		}

		/// Takes work again (`Paused` → `Registered`, to be proven again).
		///
		/// - `origin`: signed by the provider.
		#[pallet::call_index(7)]
		pub fn resume(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_resume(who)
		}

		/// Leaves the registry: only without work in flight or an open challenge; the whole
		/// bond unbonds and the record is removed once it is withdrawn (at once if nothing is
		/// bonded). The attestation key and GPU UUIDs are freed at once.
		///
		/// - `origin`: signed by the provider.
		///
		/// Charged for `MAX_GPUS` GPUs up front, refunded down to the real number.
		#[pallet::call_index(8)]
		#[pallet::weight(T::WeightInfo::deregister(MAX_GPUS))]
		pub fn deregister(origin: OriginFor<T>) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			let gpus = Self::do_deregister(who)?;
			Ok(Some(T::WeightInfo::deregister(gpus)).into())
		}

		/// Suspends a provider: it takes no work until `force_resume`.
		///
		/// - `origin`: `ForceOrigin` (in the runtime: Root or the `emissions_admin` track).
		/// - `provider`: a registered provider that is not leaving.
		#[pallet::call_index(9)]
		pub fn force_suspend(origin: OriginFor<T>, provider: T::AccountId) -> DispatchResult {
			T::ForceOrigin::ensure_origin(origin)?;
			Self::do_force_suspend(&provider)
		}

		/// Deregisters a provider regardless of its wishes (work in flight still blocks it); its
		/// whole bond unbonds, and stays slashable until withdrawn.
		///
		/// - `origin`: `ForceOrigin`.
		/// - `provider`: a registered provider that is not leaving.
		#[pallet::call_index(10)]
		#[pallet::weight(T::WeightInfo::force_deregister(MAX_GPUS))]
		pub fn force_deregister(
			origin: OriginFor<T>,
			provider: T::AccountId,
		) -> DispatchResultWithPostInfo {
			T::ForceOrigin::ensure_origin(origin)?;
			let gpus = Self::do_deregister(provider)?;
			Ok(Some(T::WeightInfo::force_deregister(gpus)).into())
		}

		/// Lifts a suspension: the provider is `Registered` again and must be proven before it
		/// earns (`Underbonded` if its bond is below `MinBond`).
		///
		/// - `origin`: `ForceOrigin`.
		/// - `provider`: a suspended provider.
		#[pallet::call_index(11)]
		pub fn force_resume(origin: OriginFor<T>, provider: T::AccountId) -> DispatchResult {
			T::ForceOrigin::ensure_origin(origin)?;
			Self::do_force_resume(&provider)
		}

		/// Sets the unbonding period for chunks unbonded from now on.
		///
		/// - `origin`: `ForceOrigin`.
		/// - `blocks`: at most `MaxUnbondingPeriod`.
		#[pallet::call_index(12)]
		pub fn set_unbonding_period(
			origin: OriginFor<T>,
			blocks: BlockNumberFor<T>,
		) -> DispatchResult {
			T::ForceOrigin::ensure_origin(origin)?;
			Self::do_set_unbonding_period(blocks)
		}
	}
}
