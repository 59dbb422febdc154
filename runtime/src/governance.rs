//! OpenGov: the `root`, `emissions_admin` and `treasurer` tracks, their origins, and the
//! network's timing profile (production, or short periods for development chains).

use crate::{Balance, BlockNumber, RuntimeOrigin};
use alloc::borrow::Cow;
use crucible_primitives::{
	currency::UNITS,
	time::{DAYS, HOURS, MINUTES},
};
use polkadot_sdk::{
	frame_support::traits::{Get, OriginTrait},
	pallet_referenda::{Curve, Track, TrackInfo},
	sp_runtime::Perbill,
	*,
};

pub use pallet_custom_origins::{EmissionsAdmin, Treasurer};

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

/// A track's name, zero-padded. Evaluated at compile time only (the track table is `const`), where
/// an out-of-range index or overflow is a compile error, not a runtime panic.
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
const fn name(s: &str) -> [u8; 25] {
	let mut out = [0u8; 25];
	let bytes = s.as_bytes();
	let mut i = 0;
	while i < bytes.len() && i < 25 {
		out[i] = bytes[i];
		i += 1;
	}
	out
}

const fn linear(ceil: u32, floor: u32) -> Curve {
	Curve::LinearDecreasing {
		length: Perbill::one(),
		floor: Perbill::from_parts(floor),
		ceil: Perbill::from_parts(ceil),
	}
}

/// Perbill parts of a percentage (compile time only, as `name`).
#[allow(clippy::arithmetic_side_effects)]
const fn pct(p: u32) -> u32 {
	p * 10_000_000
}

/// The track ids.
pub const ROOT: u16 = 0;
pub const EMISSIONS_ADMIN: u16 = 1;
pub const TREASURER: u16 = 2;

const PRODUCTION: [Track<u16, Balance, BlockNumber>; 3] = [
	Track {
		id: ROOT,
		info: TrackInfo {
			name: name("root"),
			max_deciding: 1,
			decision_deposit: 100_000 * UNITS,
			prepare_period: 2 * HOURS,
			decision_period: 14 * DAYS,
			confirm_period: DAYS,
			min_enactment_period: DAYS,
			min_approval: linear(pct(100), pct(50)),
			min_support: linear(pct(50), pct(1)),
		},
	},
	Track {
		id: EMISSIONS_ADMIN,
		info: TrackInfo {
			name: name("emissions_admin"),
			max_deciding: 10,
			decision_deposit: 10_000 * UNITS,
			prepare_period: HOURS,
			decision_period: 7 * DAYS,
			confirm_period: 3 * HOURS,
			min_enactment_period: DAYS,
			min_approval: linear(pct(100), pct(50)),
			min_support: linear(pct(10), pct(1) / 2),
		},
	},
	Track {
		id: TREASURER,
		info: TrackInfo {
			name: name("treasurer"),
			max_deciding: 10,
			decision_deposit: 1_000 * UNITS,
			prepare_period: HOURS,
			decision_period: 7 * DAYS,
			confirm_period: DAYS,
			min_enactment_period: DAYS,
			min_approval: linear(pct(100), pct(50)),
			min_support: linear(pct(10), pct(1) / 2),
		},
	},
];

/// Development tracks: each decides in two minutes, a majority of the votes with 0.1% of the
/// issuance behind them passes it.
const fn dev(track: &Track<u16, Balance, BlockNumber>) -> Track<u16, Balance, BlockNumber> {
	Track {
		id: track.id,
		info: TrackInfo {
			name: track.info.name,
			max_deciding: 10,
			decision_deposit: 10 * UNITS,
			prepare_period: 1,
			decision_period: 2 * MINUTES,
			confirm_period: 2,
			min_enactment_period: 1,
			min_approval: linear(pct(60), pct(50)),
			min_support: linear(pct(1) / 10, 0),
		},
	}
}

/// The referenda tracks.
pub struct TracksInfo;
impl pallet_referenda::TracksInfo<Balance, BlockNumber> for TracksInfo {
	type Id = u16;
	type RuntimeOrigin = <RuntimeOrigin as OriginTrait>::PalletsOrigin;

	fn tracks() -> impl Iterator<Item = Cow<'static, Track<Self::Id, Balance, BlockNumber>>> {
		let dev_timings = dev_timings();
		PRODUCTION
			.iter()
			.map(move |t| if dev_timings { Cow::Owned(dev(t)) } else { Cow::Borrowed(t) })
	}

	fn track_for(origin: &Self::RuntimeOrigin) -> Result<Self::Id, ()> {
		if let Ok(system) = frame_system::RawOrigin::try_from(origin.clone()) {
			return match system {
				frame_system::RawOrigin::Root => Ok(ROOT),
				_ => Err(()),
			};
		}
		match pallet_custom_origins::Origin::try_from(origin.clone()) {
			Ok(pallet_custom_origins::Origin::EmissionsAdmin) => Ok(EMISSIONS_ADMIN),
			Ok(pallet_custom_origins::Origin::Treasurer) => Ok(TREASURER),
			Err(_) => Err(()),
		}
	}
}
