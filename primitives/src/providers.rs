//! The GPU provider registry's domain types: what a provider declares about its host, and the
//! attestation key its node signs proofs with. Shared by `pallet-providers`, the runtime API that
//! finds providers, and the node's hardware detection (`crucible-node provider detect`).
//!
//! Every type is bounded and described by metadata, so polkadot.js encodes it without custom
//! type definitions.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use core::fmt::Debug;
use polkadot_sdk::sp_runtime::{traits::ConstU32, BoundedVec};
use scale_info::TypeInfo;

/// The key type of providers' attestation keys in the node keystore:
/// `crucible-node key insert --key-type crat --scheme sr25519 --suri <secret>`.
pub const ATTESTATION_KEY_TYPE: polkadot_sdk::sp_core::crypto::KeyTypeId =
	polkadot_sdk::sp_core::crypto::KeyTypeId(*b"crat");

/// Attestation keys: sr25519 keys of their own key type. This hot key lives on the GPU host and
/// signs proofs and workload attestations; it cannot move funds.
pub mod attestation {
	use polkadot_sdk::sp_application_crypto::{app_crypto, sr25519};
	app_crypto!(sr25519, super::ATTESTATION_KEY_TYPE);
}

/// A provider's attestation public key.
pub type AttestationKey = attestation::Public;
/// A signature by an attestation key.
pub type AttestationSignature = attestation::Signature;

/// The domain tag of an attestation-key ownership proof.
pub const OWNERSHIP_PROOF_CONTEXT: &[u8] = b"crucible:attestation-key-owner:";

/// The message an attestation key signs to prove it belongs to `account`'s provider:
/// `OWNERSHIP_PROOF_CONTEXT ‖ genesis hash ‖ SCALE(account) ‖ nonce (u32, little-endian)`.
///
/// It shows that whoever registers the key holds it, so nobody can claim another provider's
/// key, and with it that provider's proofs. The genesis hash binds the proof to one chain (a
/// proof made for a testnet is worthless on mainnet); `nonce` is the account's
/// `providers.keyNonce`, which every registration and key rotation increments, so a proof is
/// good once: a rotated-away key cannot be put back with its old, public proof.
pub fn ownership_payload<AccountId: Encode>(
	genesis_hash: &[u8],
	account: &AccountId,
	nonce: u32,
) -> alloc::vec::Vec<u8> {
	let mut payload = OWNERSHIP_PROOF_CONTEXT.to_vec();
	payload.extend_from_slice(genesis_hash);
	account.encode_to(&mut payload);
	payload.extend_from_slice(&nonce.to_le_bytes());
	payload
}

/// Most distinct GPU models in one host profile.
pub const MAX_GPU_KINDS: u32 = 8;
/// Most GPUs (and so GPU UUIDs) in one host.
pub const MAX_GPUS: u32 = 64;
/// Longest GPU model name, in bytes (`"NVIDIA H100 80GB HBM3"` is 21).
pub const MAX_MODEL_NAME_LEN: u32 = 64;
/// Longest service endpoint, in bytes.
pub const MAX_ENDPOINT_LEN: u32 = 256;

/// A GPU model name as the driver reports it (UTF-8, printable ASCII enforced by the registry).
pub type ModelName = BoundedVec<u8, ConstU32<MAX_MODEL_NAME_LEN>>;
/// A GPU's UUID as the driver reports it: the 16 bytes behind NVIDIA's `GPU-xxxxxxxx-…`.
pub type GpuUuid = [u8; 16];
/// A provider's service endpoint (URL or multiaddr) where developers reach its workloads.
pub type Endpoint = BoundedVec<u8, ConstU32<MAX_ENDPOINT_LEN>>;

/// Who made the GPU.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	TypeInfo,
	MaxEncodedLen,
)]
pub enum GpuVendor {
	/// NVIDIA.
	Nvidia,
	/// AMD.
	Amd,
	/// Intel.
	Intel,
}

/// How the GPUs of a host talk to each other.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	TypeInfo,
	MaxEncodedLen,
)]
pub enum Interconnect {
	/// PCI Express of the given generation (3, 4, 5, 6).
	Pcie(u8),
	/// SXM modules on an HGX-style baseboard.
	Sxm,
	/// NVLink bridges or switches.
	NvLink,
}

/// The compute capability (architecture generation) of a GPU, e.g. 9.0 for Hopper.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	TypeInfo,
	MaxEncodedLen,
)]
pub struct ComputeCapability {
	/// Major version.
	pub major: u8,
	/// Minor version.
	pub minor: u8,
}

/// One model of GPU in a host, and how many of it.
#[derive(
	Encode, Decode, DecodeWithMemTracking, Clone, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen,
)]
pub struct GpuSpec {
	/// The maker.
	pub vendor: GpuVendor,
	/// The model name as the driver reports it.
	pub model: ModelName,
	/// Memory per GPU, MiB.
	pub vram_mib: u32,
	/// How many GPUs of this model the host has (at least 1).
	pub count: u32,
	/// The compute capability.
	pub compute_capability: ComputeCapability,
	/// How they are connected.
	pub interconnect: Interconnect,
}

/// Where a host is: an ISO 3166-1 alpha-2 country code (`*b"DE"`) and optionally a metro code
/// (IATA-style, `*b"FRA"`), uppercase ASCII letters.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	TypeInfo,
	MaxEncodedLen,
)]
pub struct Region {
	/// ISO 3166-1 alpha-2 country code.
	pub country: [u8; 2],
	/// Optional metro code.
	pub metro: Option<[u8; 3]>,
}

impl Region {
	/// Whether the codes are uppercase ASCII letters, as ISO 3166-1 alpha-2 and metro codes are.
	pub fn is_well_formed(&self) -> bool {
		self.country.iter().all(u8::is_ascii_uppercase) &&
			self.metro.is_none_or(|m| m.iter().all(u8::is_ascii_uppercase))
	}
}

/// One page of providers matching a requirement, as the `ProvidersApi` runtime API returns it.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug, TypeInfo)]
pub struct ProviderPage<AccountId> {
	/// The matching providers, in storage order.
	pub providers: alloc::vec::Vec<AccountId>,
	/// Where the next page starts (pass it as `start_after`); `None` when the scan is complete.
	pub next: Option<AccountId>,
}

polkadot_sdk::sp_api::decl_runtime_apis! {
	/// Finds providers and reads their records; for polkadot.js `api.call.providersApi` and for
	/// the node. `View` is the registry's view of a provider (`pallet_providers::ProviderView`).
	///
	/// Version 2: `provider` returns the view made for callers (reputation as of the block,
	/// bond totals), no longer the storage record.
	#[api_version(2)]
	pub trait ProvidersApi<AccountId, View> where AccountId: codec::Codec, View: codec::Codec {
		/// A provider as readers should see it, if it is registered: its reputation decayed to
		/// the current block, its bond and everything held for it.
		fn provider(who: AccountId) -> Option<View>;

		/// Up to `limit` providers meeting `requirement`, starting after `start_after` in storage
		/// order. Only `Active` providers match, and `Registered` (not yet proven) ones too when
		/// `include_unproven`. A call scans a bounded number of records; `next` says where to go
		/// on.
		fn providers_matching(
			requirement: HardwareRequirement,
			include_unproven: bool,
			start_after: Option<AccountId>,
			limit: u32,
		) -> ProviderPage<AccountId>;
	}
}

/// Everything a provider declares about its host.
#[derive(
	Encode, Decode, DecodeWithMemTracking, Clone, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen,
)]
pub struct HardwareProfile {
	/// The GPU models, with counts.
	pub gpus: BoundedVec<GpuSpec, ConstU32<MAX_GPU_KINDS>>,
	/// The UUID of every GPU: one per GPU counted in `gpus`, none twice.
	pub gpu_uuids: BoundedVec<GpuUuid, ConstU32<MAX_GPUS>>,
	/// CPU cores.
	pub cpu_cores: u32,
	/// System memory, MiB.
	pub ram_mib: u64,
	/// Local storage, GiB.
	pub storage_gib: u64,
	/// Network bandwidth, Mbit/s.
	pub bandwidth_mbps: u32,
}

impl HardwareProfile {
	/// The number of GPUs in the host (saturating).
	pub fn gpu_count(&self) -> u32 {
		self.gpus.iter().fold(0u32, |n, g| n.saturating_add(g.count))
	}
}

/// What a job needs of a host; `None` fields match anything.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	Clone,
	PartialEq,
	Eq,
	Debug,
	TypeInfo,
	MaxEncodedLen,
	Default,
)]
pub struct HardwareRequirement {
	/// At least this much memory on each GPU of the matching model, MiB.
	pub min_vram_mib: u32,
	/// At least this many GPUs (of the matching vendor/model, if given).
	pub min_gpu_count: u32,
	/// Only GPUs of this vendor count.
	pub vendor: Option<GpuVendor>,
	/// Only GPUs of exactly this model name count.
	pub model: Option<ModelName>,
	/// Only hosts in this country.
	pub country: Option<[u8; 2]>,
}

impl HardwareRequirement {
	/// Whether a host with `profile` in `region` meets the requirement: enough GPUs that match
	/// the vendor and model filters and have at least `min_vram_mib` each.
	pub fn is_met_by(&self, profile: &HardwareProfile, region: &Region) -> bool {
		if self.country.is_some_and(|c| c != region.country) {
			return false;
		}
		let matching = profile
			.gpus
			.iter()
			.filter(|g| self.vendor.is_none_or(|v| v == g.vendor))
			.filter(|g| self.model.as_ref().is_none_or(|m| *m == g.model))
			.filter(|g| g.vram_mib >= self.min_vram_mib)
			.fold(0u32, |n, g| n.saturating_add(g.count));
		matching >= self.min_gpu_count.max(1)
	}
}
