//! What the registry's neighbours need to test against it, in one place (model: staking's
//! `testing_utils`): hardware profiles, attestation keys with their ownership proofs,
//! registering and proving a provider, and random registry calls for the runtime's property
//! test. Compiled for this crate's tests, for `runtime-benchmarks`, and with the `testing`
//! feature (the other pallets' and the runtime's tests).

use crate::{pallet::*, types::BalanceOf, ProviderMutate, ProviderStatus};
use alloc::{vec, vec::Vec};
use crucible_primitives::providers::{
	AttestationKey, AttestationSignature, ComputeCapability, Endpoint, GpuSpec, GpuUuid, GpuVendor,
	HardwareProfile, Interconnect, Region, MAX_ENDPOINT_LEN, MAX_GPU_KINDS, MAX_MODEL_NAME_LEN,
};
use polkadot_sdk::{
	frame_support::traits::{fungible::Mutate, Get},
	frame_system::RawOrigin,
	sp_runtime::{traits::Saturating, DispatchError, DispatchResult, RuntimeAppPublic},
};

/// The model name of the test hosts' GPUs.
pub const H100: &[u8] = b"NVIDIA H100 80GB HBM3";

/// A GPU UUID unique to (`host`, `index`): the host's number, then the GPU's, little-endian.
pub fn uuid(host: u32, index: u32) -> GpuUuid {
	let mut u = [0u8; 16];
	for (byte, from) in u.iter_mut().zip(host.to_le_bytes().into_iter().chain(index.to_le_bytes()))
	{
		*byte = from;
	}
	u
}

/// A host with `gpus` H100s (80 GiB, SXM), UUIDs `uuid(host, 0..gpus)`.
pub fn h100_profile(host: u32, gpus: u32) -> HardwareProfile {
	HardwareProfile {
		gpus: vec![GpuSpec {
			vendor: GpuVendor::Nvidia,
			model: H100.to_vec().try_into().unwrap_or_default(),
			vram_mib: 81_559,
			count: gpus,
			compute_capability: ComputeCapability { major: 9, minor: 0 },
			interconnect: Interconnect::Sxm,
		}]
		.try_into()
		.unwrap_or_default(),
		gpu_uuids: (0..gpus)
			.map(|i| uuid(host, i))
			.collect::<Vec<_>>()
			.try_into()
			.unwrap_or_default(),
		cpu_cores: 64,
		ram_mib: 512 * 1024,
		storage_gib: 4_000,
		bandwidth_mbps: 10_000,
	}
}

/// The largest profile with `gpus` GPUs, for worst-case benchmarks: every GPU-kind slot used
/// (so that validation reads all of them), the longest model names, UUIDs unique to `host`.
pub fn largest_profile(host: u32, gpus: u32) -> HardwareProfile {
	let kinds = gpus.clamp(1, MAX_GPU_KINDS);
	let specs: Vec<GpuSpec> = (0..kinds)
		.map(|k| GpuSpec {
			vendor: GpuVendor::Nvidia,
			model: vec![b'H'; MAX_MODEL_NAME_LEN as usize].try_into().unwrap_or_default(),
			vram_mib: 81_920,
			// Spread `gpus` over the kinds; the first takes the remainder.
			count: gpus.checked_div(kinds).unwrap_or(0).saturating_add(if k == 0 {
				gpus.checked_rem(kinds).unwrap_or(0)
			} else {
				0
			}),
			compute_capability: ComputeCapability { major: 9, minor: 0 },
			interconnect: Interconnect::NvLink,
		})
		.collect();
	HardwareProfile {
		gpus: specs.try_into().unwrap_or_default(),
		gpu_uuids: (0..gpus)
			.map(|i| uuid(host, i))
			.collect::<Vec<_>>()
			.try_into()
			.unwrap_or_default(),
		cpu_cores: 128,
		ram_mib: 2 * 1024 * 1024,
		storage_gib: 30_000,
		bandwidth_mbps: 100_000,
	}
}

/// The test hosts' endpoint.
pub fn endpoint() -> Endpoint {
	b"https://gpu.example.net:8443".to_vec().try_into().unwrap_or_default()
}

/// The longest endpoint (worst-case benchmarks).
pub fn longest_endpoint() -> Endpoint {
	vec![b'e'; MAX_ENDPOINT_LEN as usize].try_into().unwrap_or_default()
}

/// The test hosts' region: Frankfurt, Germany.
pub fn region() -> Region {
	Region { country: *b"DE", metro: Some(*b"FRA") }
}

/// A new attestation key in the keystore (the benchmarks' and the runtime's: no secret is
/// handled here) and its ownership proof for `who` at `who`'s current key nonce.
pub fn keystore_key<T: Config>(
	who: &T::AccountId,
) -> Result<(AttestationKey, AttestationSignature), DispatchError> {
	let key = AttestationKey::generate_pair(None);
	let proof = key
		.sign(&Pallet::<T>::ownership_payload_of(who))
		.ok_or(DispatchError::Other("no keystore to sign the ownership proof"))?;
	Ok((key, proof))
}

/// Registers `who` through the registry's own call.
pub fn register<T: Config>(
	who: &T::AccountId,
	profile: HardwareProfile,
	key: AttestationKey,
	proof: AttestationSignature,
	bond: BalanceOf<T>,
) -> DispatchResult {
	Pallet::<T>::register(
		RawOrigin::Signed(who.clone()).into(),
		profile,
		key,
		proof,
		endpoint(),
		region(),
		bond,
	)
}

/// Mints `MinBond × 1,000` (and the GPUs' bonds) to `who` and registers it with `profile`, a
/// new keystore key and a bond of its minimum plus nine `MinBond`s; returns the key.
pub fn register_funded<T: Config>(
	who: &T::AccountId,
	profile: HardwareProfile,
) -> Result<AttestationKey, DispatchError> {
	let min = T::MinBond::get();
	let bond = Pallet::<T>::min_bond(&profile).saturating_add(min.saturating_mul(9u32.into()));
	T::Currency::mint_into(who, min.saturating_mul(1_000u32.into()).saturating_add(bond))?;
	let (key, proof) = keystore_key::<T>(who)?;
	register::<T>(who, profile, key.clone(), proof, bond)?;
	Ok(key)
}

/// Proves `who` as passing a proof-of-compute challenge does: `Registered` → `Active`, through
/// the judges' interface.
pub fn prove<T: Config>(who: &T::AccountId) -> DispatchResult {
	<Pallet<T> as ProviderMutate<T::AccountId>>::set_status(who, ProviderStatus::Active)
}

/// Deterministic attestation key pairs, for tests that sign with the secret themselves.
#[cfg(feature = "std")]
mod pairs {
	use super::*;
	use polkadot_sdk::sp_core::{sr25519, Pair};

	/// The attestation key pair of `seed`: `sr25519::Pair::from_seed([seed; 32])`, which is also
	/// what a keystore holds for the secret URI `0x` followed by `seed` 32 times (the worker
	/// tests' `crucible_test_support::insert_attestation_key(seed)`).
	pub fn key_pair(seed: u8) -> sr25519::Pair {
		sr25519::Pair::from_seed(&[seed; 32])
	}

	/// The public attestation key of `seed`.
	pub fn key(seed: u8) -> AttestationKey {
		key_pair(seed).public().into()
	}

	/// `seed`'s ownership proof for `who` on the chain with `genesis`, at key nonce `nonce`.
	pub fn key_proof_with<AccountId: codec::Encode>(
		seed: u8,
		who: &AccountId,
		genesis: &[u8],
		nonce: u32,
	) -> AttestationSignature {
		key_pair(seed)
			.sign(&crucible_primitives::providers::ownership_payload(genesis, who, nonce))
			.into()
	}

	/// `seed`'s ownership proof for `who` on this chain, at `who`'s current key nonce.
	pub fn key_proof<T: Config>(seed: u8, who: &T::AccountId) -> AttestationSignature {
		key_pair(seed).sign(&Pallet::<T>::ownership_payload_of(who)).into()
	}

	/// Registers `who` with `profile`, the key of `seed` and `bond`.
	pub fn register_with_seed<T: Config>(
		who: &T::AccountId,
		seed: u8,
		profile: HardwareProfile,
		bond: BalanceOf<T>,
	) -> DispatchResult {
		register::<T>(who, profile, key(seed), key_proof::<T>(seed, who), bond)
	}
}
#[cfg(feature = "std")]
pub use pairs::*;

/// Random registry calls, for the runtime's property test.
#[cfg(all(feature = "std", feature = "testing"))]
pub mod random {
	use super::*;
	use crate::Call;
	use crucible_primitives::testing::Rng;
	use polkadot_sdk::sp_runtime::SaturatedConversion;

	/// A random registry call by `who`, whose attestation key is [`key`]`(seed)`; `other` is the
	/// provider a governance call names. Of 14: a registration (6) of 1–3 H100s on host `seed`
	/// with a bond of its minimum plus up to `max_extra`, unbonding (2), withdrawing, leaving,
	/// pausing, resuming (1 each), and governance suspending `other` (2).
	pub fn call<T: Config>(
		rng: &mut Rng,
		who: &T::AccountId,
		seed: u8,
		other: &T::AccountId,
		max_extra: u128,
	) -> Call<T> {
		match rng.below(14) {
			0..=5 => {
				let profile =
					h100_profile(u32::from(seed), 1u32.saturating_add(rng.below(3) as u32));
				let bond = Pallet::<T>::min_bond(&profile).saturating_add(
					rng.amount().checked_rem(max_extra).unwrap_or_default().saturated_into(),
				);
				Call::register {
					profile,
					attestation_key: key(seed),
					key_proof: key_proof::<T>(seed, who),
					endpoint: endpoint(),
					region: region(),
					bond,
				}
			},
			6..=7 => Call::unbond { amount: rng.amount().saturated_into() },
			8 => Call::withdraw_unbonded {},
			9 => Call::deregister {},
			10 => Call::pause {},
			11 => Call::resume {},
			_ => Call::force_suspend { provider: other.clone() },
		}
	}
}
