//! What the runtime's property test needs of the marketplace (the `testing` feature): random
//! job specs and random developers' and providers' calls.

use crate::{BalanceOf, Call, Config, JobSpecOf, OnLeaseSettled};
use crucible_primitives::{
	audit::Verification,
	marketplace::{manifest_hash, AuctionKind, JobId, JobSpec, Manifest, Workload},
	providers::{GpuVendor, HardwareRequirement},
	testing::Rng,
};
use polkadot_sdk::{
	frame_support::traits::Get,
	sp_core::H256,
	sp_runtime::{Permill, SaturatedConversion},
};

/// A random job's manifest (a third of the jobs have one): a small container of 0–2 ports;
/// half of them deterministic, a quarter waiting for a secret.
/// A small deterministic manifest (what an audited job needs).
pub fn deterministic_manifest() -> Manifest {
	Manifest {
		repository: b"127.0.0.1:5000/app".to_vec().try_into().unwrap_or_default(),
		command: Default::default(),
		env: Default::default(),
		ports: Default::default(),
		memory_mib: 64,
		shm_mib: 0,
		disk_mib: 16,
		egress: false,
		secrets: Default::default(),
		private_registry: false,
		deterministic: true,
	}
}

pub fn random_manifest(rng: &mut Rng) -> Option<Manifest> {
	if !rng.chance(33) {
		return None;
	}
	// Half of them deterministic (what an audited job needs): offline, without secrets.
	let deterministic = rng.chance(50);
	Some(Manifest {
		repository: b"127.0.0.1:5000/app".to_vec().try_into().unwrap_or_default(),
		command: Default::default(),
		env: Default::default(),
		ports: (1..=rng.below(3) as u16)
			.map(|p| p.saturating_add(8_000))
			.collect::<alloc::vec::Vec<_>>()
			.try_into()
			.unwrap_or_default(),
		memory_mib: 64u32.saturating_add(rng.below(1_000) as u32),
		shm_mib: 0,
		disk_mib: 16,
		egress: !deterministic && rng.chance(50),
		secrets: if !deterministic && rng.chance(50) {
			alloc::vec![b"API_TOKEN".to_vec().try_into().unwrap_or_default()]
				.try_into()
				.unwrap_or_default()
		} else {
			Default::default()
		},
		private_registry: false,
		deterministic,
	})
}

/// A random job: 0–2 H100-class GPUs of 40 GB, 5–44 blocks at a maximum price spread over
/// orders of magnitude, a bid window of 2–11 blocks, sealed 30% of the time (reveals in 2–5).
pub fn random_job_spec<T: Config>(rng: &mut Rng) -> JobSpecOf<T> {
	let sealed = rng.chance(30);
	JobSpec {
		requirement: HardwareRequirement {
			min_vram_mib: 40_000,
			min_gpu_count: rng.below(3) as u32,
			vendor: Some(GpuVendor::Nvidia),
			model: None,
			country: None,
		},
		min_reputation: Permill::zero(),
		workload: Workload {
			image: H256::repeat_byte(rng.below(255) as u8),
			manifest: H256::repeat_byte(1),
			access_key: [7u8; 32],
		},
		duration: 5u32.saturating_add(rng.below(40) as u32).into(),
		max_price_per_block: rng
			.amount()
			.checked_div(1_000)
			.unwrap_or_default()
			.saturating_add(1)
			.saturated_into(),
		bid_window: 2u32.saturating_add(rng.below(10) as u32).into(),
		auction: if sealed {
			AuctionKind::Sealed { reveal_window: 2u32.saturating_add(rng.below(4) as u32).into() }
		} else {
			AuctionKind::Open
		},
		verification: Verification::None,
	}
}

/// A random marketplace call on `job` (or a new one), of 20: posting a job (7), bidding (7),
/// withdrawing a bid, cancelling a job, claiming a lease's pay, providing secrets, closing an
/// auction (1 each); or (1) a lease of `who` settled as the marketplace reports it to
/// `OnLeaseSettled` (emissions), which is applied here and answers `None`.
pub fn random_call<T: Config>(rng: &mut Rng, who: &T::AccountId, job: JobId) -> Option<Call<T>> {
	Some(match rng.below(20) {
		0..=6 => {
			let mut spec = random_job_spec::<T>(rng);
			let manifest = random_manifest(rng);
			if let Some(manifest) = &manifest {
				spec.workload.manifest = manifest_hash(manifest);
				// Most deterministic ones audited (a few with rates the bounds refuse).
				if manifest.deterministic && rng.chance(80) {
					let rate = Permill::from_parts(rng.below(1_000_001) as u32);
					spec.verification = Verification::Audited { rate };
				}
			}
			Call::post_job { spec, manifest }
		},
		7..=13 => Call::place_bid {
			job,
			price: rng
				.amount()
				.checked_div(1_000)
				.unwrap_or_default()
				.saturating_add(1)
				.saturated_into(),
		},
		14 => Call::withdraw_bid { job },
		15 => Call::cancel_job { job },
		16 => Call::claim { job },
		17 => Call::provide_secrets {
			job,
			sealed: alloc::vec![0x5e; rng.below(64) as usize].try_into().unwrap_or_default(),
		},
		18 => Call::close_auction { job },
		_ => {
			let value: BalanceOf<T> =
				rng.amount().checked_div(1_000).unwrap_or_default().saturated_into();
			let fees = T::ProtocolFee::get().mul_floor(value);
			T::OnLeaseSettled::on_lease_settled(who, value, fees);
			return None;
		},
	})
}
