//! The origins of the tracks other than `root` (a small pallet, as Westend's
//! `governance/origins.rs`), and the network's timing profile that it keeps.

use crate::BlockNumber;
use polkadot_sdk::frame_support::traits::Get;

pub use pallet_custom_origins::{DisputeResolver, EmissionsAdmin, Treasurer};

/// The origins of the tracks other than `root`, and the network's timing profile.
// The pallet macros' generated code calls `expect`.
#[allow(clippy::expect_used)]
#[polkadot_sdk::frame_support::pallet]
pub mod pallet_custom_origins {
	use polkadot_sdk::frame_support::pallet_prelude::*;

	#[pallet::config]
	pub trait Config: polkadot_sdk::frame_system::Config {}

	#[pallet::pallet]
	pub struct Pallet<T>(_);

	/// Whether this network runs with development timings: referenda decide in about two
	/// minutes, emission eras last 20 blocks, votes unlock within minutes. Set at genesis
	/// (the `development` preset) and never changed by any call.
	#[pallet::storage]
	pub type DevTimings<T: Config> = StorageValue<_, bool, ValueQuery>;

	#[pallet::genesis_config]
	#[derive(polkadot_sdk::frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// Development timings (see `DevTimings`).
		pub dev_timings: bool,
		#[serde(skip)]
		pub _config: core::marker::PhantomData<T>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			DevTimings::<T>::put(self.dev_timings);
		}
	}

	/// The origins a referendum of a non-root track dispatches with.
	#[derive(
		PartialEq, Eq, Clone, MaxEncodedLen, Encode, Decode, DecodeWithMemTracking, TypeInfo, Debug,
	)]
	#[pallet::origin]
	pub enum Origin {
		/// Emission and burn parameters (bounded changes), proof-of-compute's challenge
		/// parameters, marketplace disputes, the registry's forced actions.
		EmissionsAdmin,
		/// Treasury spends (up to `TreasurerSpendLimit` each).
		Treasurer,
		/// Marketplace disputes only (`resolve_dispute`): a small, fast track, so that a
		/// dispute is decided before its timeout upholds the provider.
		DisputeResolver,
	}

	macro_rules! decl_ensure {
		($name:ident, $variant:ident) => {
			#[doc = concat!("Ensures the `", stringify!($variant), "` origin.")]
			pub struct $name;
			impl<O: OriginTrait + From<Origin>> EnsureOrigin<O> for $name
			where
				for<'a> &'a O::PalletsOrigin: TryInto<&'a Origin>,
			{
				type Success = ();
				fn try_origin(o: O) -> Result<Self::Success, O> {
					match o.caller().try_into() {
						Ok(Origin::$variant) => return Ok(()),
						_ => (),
					}
					Err(o)
				}
				#[cfg(feature = "runtime-benchmarks")]
				fn try_successful_origin() -> Result<O, ()> {
					Ok(O::from(Origin::$variant))
				}
			}
		};
	}
	decl_ensure!(EmissionsAdmin, EmissionsAdmin);
	decl_ensure!(Treasurer, Treasurer);
	decl_ensure!(DisputeResolver, DisputeResolver);
}

/// Whether this network runs with development timings.
pub fn dev_timings() -> bool {
	pallet_custom_origins::DevTimings::<crate::Runtime>::get()
}

/// `production` on production networks, `dev` on development ones.
pub struct Timed<const PRODUCTION: BlockNumber, const DEV: BlockNumber>;
impl<const PRODUCTION: BlockNumber, const DEV: BlockNumber> Get<BlockNumber>
	for Timed<PRODUCTION, DEV>
{
	fn get() -> BlockNumber {
		if dev_timings() {
			DEV
		} else {
			PRODUCTION
		}
	}
}
