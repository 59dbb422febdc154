//! The referenda tracks: `root`, `emissions_admin`, `treasurer` and `disputes`, with production
//! periods, or short ones on development networks.

use super::origins::{dev_timings, pallet_custom_origins};
use crate::{Balance, BlockNumber, RuntimeOrigin};
use alloc::borrow::Cow;
use crucible_primitives::{
	currency::UNITS,
	time::{DAYS, HOURS, MINUTES},
};
use polkadot_sdk::{
	frame_support::traits::OriginTrait,
	pallet_referenda::{Curve, Track, TrackInfo},
	sp_runtime::Perbill,
	*,
};

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
pub const DISPUTES: u16 = 3;

const PRODUCTION: [Track<u16, Balance, BlockNumber>; 4] = [
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
	// Disputes: many at once, a small deposit, decided within a day — before the
	// marketplace's two-day `DisputeTimeout` upholds the provider.
	Track {
		id: DISPUTES,
		info: TrackInfo {
			name: name("disputes"),
			max_deciding: 50,
			decision_deposit: 100 * UNITS,
			prepare_period: 10 * MINUTES,
			decision_period: DAYS,
			confirm_period: HOURS,
			min_enactment_period: MINUTES,
			min_approval: linear(pct(100), pct(50)),
			min_support: linear(pct(5), pct(1) / 10),
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
			Ok(pallet_custom_origins::Origin::DisputeResolver) => Ok(DISPUTES),
			Err(_) => Err(()),
		}
	}
}
