//! The marketplace's shared types: what a developer posts, what a provider's node attests, and
//! what the runtime API answers. The pallet stores them; the node's worker and polkadot.js read
//! them (every one is described by the metadata, so no custom type definitions are needed).

use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use polkadot_sdk::{
	sp_core::{ConstU32, H256},
	sp_runtime::{BoundedVec, Permill},
};
use scale_info::TypeInfo;

use crate::{proof_of_compute::GpuClass, providers::HardwareRequirement};

/// A job's number, assigned in posting order.
pub type JobId = u64;

/// Most bytes of access details a provider publishes for the developer (encrypted to the
/// developer's key, or a hash and the provider's endpoint).
pub const MAX_ACCESS_LEN: u32 = 512;

/// Lease prices kept per GPU class for `MarketplaceApi::estimate`.
pub const RECENT_PRICES: u32 = 16;

/// Most bytes of a dispute's reason.
pub const MAX_REASON_LEN: u32 = 256;

/// Access details: opaque bytes, encrypted by the provider to the job's `access_key`.
pub type AccessDetails = BoundedVec<u8, ConstU32<MAX_ACCESS_LEN>>;

/// A dispute's reason, as the developer wrote it.
pub type DisputeReason = BoundedVec<u8, ConstU32<MAX_REASON_LEN>>;

/// What to run. The chain carries references only: a provider's node runs nothing it reads
/// here unless its operator mapped `image` to a command (or a container) it trusts.
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
pub struct Workload {
	/// The OCI image digest (sha256) or content id of the workload.
	pub image: H256,
	/// The hash of its manifest: `manifest_hash(&manifest)` of the [`Manifest`] posted with the
	/// job (the container runner's workloads), or, for a job posted without one, a reference
	/// the operator's `exec` workload map may name.
	pub manifest: H256,
	/// The developer's public key (x25519 or sr25519, 32 bytes) that access details are
	/// encrypted to.
	pub access_key: [u8; 32],
}

/// How the winner is chosen.
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
pub enum AuctionKind<BlockNumber> {
	/// Bids are public; the lowest price wins (ties: higher reputation, then the earlier bid)
	/// and is paid its own price.
	Open,
	/// Bids are committed (`bid_commitment`) in the bid window and revealed in the
	/// `reveal_window` blocks after it; the lowest revealed price wins and is paid the second
	/// lowest revealed price (the job's maximum price when it is the only one).
	Sealed {
		/// Blocks after the bid window in which commitments are revealed.
		reveal_window: BlockNumber,
	},
}

/// What a developer posts.
#[derive(
	Encode, Decode, DecodeWithMemTracking, Clone, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen,
)]
pub struct JobSpec<Balance, BlockNumber> {
	/// The hardware a bidder must have.
	pub requirement: HardwareRequirement,
	/// The least reputation a bidder must have.
	pub min_reputation: Permill,
	/// What to run.
	pub workload: Workload,
	/// The lease's length, in blocks.
	pub duration: BlockNumber,
	/// The most the developer pays per block of attested service.
	pub max_price_per_block: Balance,
	/// Blocks in which bids (or sealed commitments) are taken.
	pub bid_window: BlockNumber,
	/// Open or sealed.
	pub auction: AuctionKind<BlockNumber>,
	/// How the result is checked: not at all (the default), or audited by re-execution with
	/// some probability (the job then needs a deterministic manifest, and escrows one audit fee
	/// beside the lease's price).
	pub verification: crate::audit::Verification,
}

/// Where a job stands.
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
pub enum JobPhase<BlockNumber> {
	/// Taking bids (or sealed commitments) until `closes_at` (exclusive).
	Bidding { closes_at: BlockNumber },
	/// Sealed: taking reveals until `closes_at` (exclusive).
	Revealing { closes_at: BlockNumber },
	/// Leased: the workload runs and is attested.
	Running,
	/// The provider attested the result; the developer may dispute until `dispute_until`
	/// (inclusive), then the job settles.
	Completed { result: H256, dispute_until: BlockNumber },
	/// Disputed: waiting for the dispute origin.
	Disputed { result: H256 },
	/// An audited job's provider attested completion with the digest of its result root
	/// (`audit::result_digest`): the audit is drawn, run and opened (`Marketplace::Audits`).
	Verifying { digest: H256 },
}

/// A live bid.
#[derive(
	Encode, Decode, DecodeWithMemTracking, Clone, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen,
)]
pub struct Bid<AccountId, Balance, BlockNumber> {
	/// Who bids.
	pub provider: AccountId,
	/// The price per block asked.
	pub price: Balance,
	/// The bidder's reputation when it bid (the tie-break).
	pub reputation: Permill,
	/// When it bid (or last lowered its bid): the second tie-break.
	pub placed_at: BlockNumber,
	/// The deposit held for it.
	pub deposit: Balance,
}

/// A running (or completed) lease.
#[derive(
	Encode, Decode, DecodeWithMemTracking, Clone, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen,
)]
pub struct Lease<AccountId, Balance, BlockNumber> {
	/// The winner.
	pub provider: AccountId,
	/// What it is paid per attested block.
	pub price_per_block: Balance,
	/// The block the lease started (the auction closed).
	pub start: BlockNumber,
	/// The block it ends.
	pub end: BlockNumber,
	/// Attestations cover the blocks after `start` up to this one.
	pub attested_through: BlockNumber,
	/// The block of the last attestation (or the start).
	pub last_seen: BlockNumber,
	/// Attested blocks that earned payment (the provider was proving itself).
	pub paid_blocks: BlockNumber,
	/// Attested blocks that earned nothing (the provider was not `Active`).
	pub unpaid_blocks: BlockNumber,
	/// Earned and not yet paid out.
	pub accrued: Balance,
	/// Paid out so far (before the protocol fee).
	pub claimed: Balance,
	/// GPU-seconds the runner reported over the lease, the highest total attested (the rest of
	/// its usage is in each `WorkAttested` event).
	pub gpu_seconds: u64,
	/// The digest of the runner's last status.
	pub status: H256,
	/// Whether `EscrowLow` and `LeaseEnding` were told already.
	pub warned: bool,
	/// For an audited job: the collateral held from the provider until the audit ends (at
	/// least the lease's price over the audit rate); 0 otherwise.
	pub collateral: Balance,
	/// For an audited job: what one auditor is paid (the lease's price, escrowed from the
	/// developer beside it); 0 otherwise.
	pub audit_fee: Balance,
}

/// Most bytes of a manifest's repository (`registry/repository`).
pub const MAX_REPOSITORY_LEN: u32 = 128;
/// Most words of a manifest's command.
pub const MAX_COMMAND_WORDS: u32 = 16;
/// Most bytes of one word of a command, or of one environment value.
pub const MAX_WORD_LEN: u32 = 128;
/// Most environment variables (plain and secret together).
pub const MAX_ENV: u32 = 16;
/// Most bytes of an environment variable's name.
pub const MAX_ENV_NAME: u32 = 32;
/// Most published ports.
pub const MAX_PORTS: u32 = 4;
/// Most secret environment variables a manifest declares.
pub const MAX_SECRETS: u32 = 8;
/// Most bytes of the sealed secrets of a job.
pub const MAX_SEALED_SECRETS: u32 = 2048;

/// A job's secrets, sealed by the developer to the key its provider's node published in the
/// access details (the access details' sealing): JSON `{"env": {"NAME": "value", …},
/// "registry": {"username": "…", "password": "…"}}`, readable by that node only.
pub type SealedSecrets = BoundedVec<u8, ConstU32<MAX_SEALED_SECRETS>>;

/// A command word or an environment value.
pub type Word = BoundedVec<u8, ConstU32<MAX_WORD_LEN>>;
/// An environment variable's name.
pub type EnvName = BoundedVec<u8, ConstU32<MAX_ENV_NAME>>;

/// One environment variable of a manifest.
#[derive(
	Encode, Decode, DecodeWithMemTracking, Clone, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen,
)]
pub struct EnvVar {
	/// Its name: ASCII letters, digits and `_`, not starting with a digit.
	pub name: EnvName,
	/// Its value.
	pub value: Word,
}

/// What a container runner runs for a lease: the job's image (pulled from `repository` by the
/// digest `Workload::image`, never by a tag) and how. Stored on chain beside the job (bounded:
/// at most a few kilobytes), so that every bidder reads what it would run before it bids and
/// no channel from the developer to the provider is needed; its hash is the spec's
/// `workload.manifest`. Nothing secret belongs here: chain state is public.
#[derive(
	Encode, Decode, DecodeWithMemTracking, Clone, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen,
)]
pub struct Manifest {
	/// Where the image is pulled from, without digest: `registry/repository`, e.g.
	/// `ghcr.io/acme/trainer` or `127.0.0.1:5000/app`. The runner pulls it by the job's digest
	/// only; written with a tag (`…/app:v1`), the tag must resolve to that digest or the node
	/// refuses the job (`DigestMismatch`).
	pub repository: BoundedVec<u8, ConstU32<MAX_REPOSITORY_LEN>>,
	/// The program and its arguments; empty: the image's own entrypoint and command.
	pub command: BoundedVec<Word, ConstU32<MAX_COMMAND_WORDS>>,
	/// Environment variables.
	pub env: BoundedVec<EnvVar, ConstU32<MAX_ENV>>,
	/// TCP ports the container listens on; each is published on the provider's host, and the
	/// access details say where.
	pub ports: BoundedVec<u16, ConstU32<MAX_PORTS>>,
	/// The memory limit, MiB (above the operator's maximum: refused).
	pub memory_mib: u32,
	/// The size of `/dev/shm`, MiB.
	pub shm_mib: u32,
	/// Scratch and output space, MiB: the `/out` directory whose files are the job's result;
	/// a container that writes more is stopped (`OutOfResources`).
	pub disk_mib: u32,
	/// Whether the container may open connections to the internet (never to the provider's
	/// host or private addresses); also subject to the operator's policy.
	pub egress: bool,
	/// Environment variables whose values are secret: never on chain, sealed by the developer
	/// to the winning node after the award (`provide_secrets`); the container starts once they
	/// are there.
	pub secrets: BoundedVec<EnvName, ConstU32<MAX_SECRETS>>,
	/// Whether pulling the image needs registry credentials (sealed with the secrets).
	pub private_registry: bool,
	/// Whether the container computes the same outputs from the same image, command and
	/// environment on every host (no network, no clock or randomness in its outputs): what an
	/// audited job needs, since an auditor re-runs it and compares result roots.
	pub deterministic: bool,
}

/// The manifest's hash, the spec's `workload.manifest`: `blake2_256(SCALE(manifest))`.
pub fn manifest_hash(manifest: &Manifest) -> H256 {
	H256(polkadot_sdk::sp_io::hashing::blake2_256(&manifest.encode()))
}

impl Manifest {
	/// Whether the job's container waits for sealed secrets before it starts.
	pub fn needs_secrets(&self) -> bool {
		!self.secrets.is_empty() || self.private_registry
	}

	/// Whether the manifest is well formed: a repository of the characters image names use,
	/// environment names (plain and secret) of letters, digits and `_` (not first a digit) and
	/// no name twice, ports above 0 and none twice, a memory limit of at least 4 MiB.
	pub fn is_well_formed(&self) -> bool {
		let repo_ok = !self.repository.is_empty() &&
			self.repository
				.iter()
				.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || b"._-/:".contains(c)) &&
			!self.repository.contains(&b'@');
		let name_ok = |n: &EnvName| {
			n.first().is_some_and(|c| !c.is_ascii_digit()) &&
				n.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_')
		};
		let names: Vec<&EnvName> =
			self.env.iter().map(|v| &v.name).chain(self.secrets.iter()).collect();
		let names_unique = names
			.iter()
			.enumerate()
			.all(|(i, n)| names.iter().skip(i.saturating_add(1)).all(|m| m != n));
		let ports_unique =
			self.ports.iter().enumerate().all(|(i, p)| {
				*p > 0 && self.ports.iter().skip(i.saturating_add(1)).all(|q| q != p)
			});
		repo_ok &&
			names.iter().all(|n| name_ok(n)) &&
			names_unique &&
			ports_unique &&
			self.memory_mib >= 4
	}
}

/// The size of the chunks a result root is computed over.
pub const RESULT_CHUNK: usize = 64 * 1024;

/// The result root of a workload's outputs: a binary Merkle tree over blake2-256 hashes of
/// `RESULT_CHUNK`-byte chunks of `data` (the last one shorter), leaves `H(0x00 ‖ chunk)`,
/// nodes `H(0x01 ‖ left ‖ right)`, an odd node carried up unchanged; no data: `H(0x00)`. Two
/// roots over data of the same length that differ point, level by level, at the chunks that
/// differ (what an audit compares).
pub fn result_root(data: &[u8]) -> H256 {
	let leaves: Vec<[u8; 32]> = data.chunks(RESULT_CHUNK).map(result_leaf).collect();
	crate::audit::opening_of(&leaves).root
}

/// A result chunk's leaf hash, `H(0x00 ‖ chunk)`.
pub fn result_leaf(chunk: &[u8]) -> [u8; 32] {
	let mut buf = Vec::with_capacity(chunk.len().saturating_add(1));
	buf.push(0u8);
	buf.extend_from_slice(chunk);
	polkadot_sdk::sp_io::hashing::blake2_256(&buf)
}

/// Why a provider's node would not run a workload.
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
pub enum Refusal {
	/// The operator's configuration maps no command to the workload's image.
	UnknownWorkload,
	/// The runner could not start it.
	RunnerFailed,
	/// The job has no manifest, or one the runner cannot run (a container runner needs one).
	BadManifest,
	/// The operator's workload policy does not allow it (registry, image, memory, disk, ports,
	/// network).
	PolicyDenied,
	/// The container engine did not answer.
	EngineUnavailable,
	/// The registry has no such image (or no such repository).
	ImageNotFound,
	/// The manifest's image resolves to another digest than the job's.
	DigestMismatch,
	/// The registry refused the pull (credentials, rate limit).
	PullDenied,
	/// The host has not the GPUs, memory or disk the lease asks for free.
	OutOfResources,
	/// The workload exited with a non-zero status before the lease's end.
	Exited { code: i32 },
	/// The workload was killed for using more memory than its limit.
	OomKilled,
}

/// What a provider's node reports of a lease.
#[derive(
	Encode, Decode, DecodeWithMemTracking, Clone, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen,
)]
pub enum WorkReport {
	/// The workload runs.
	Running {
		/// What the workload used since it started.
		usage: Usage,
		/// A digest of the runner's status.
		status: H256,
		/// Access details for the developer (once, usually with the first attestation).
		access: Option<AccessDetails>,
	},
	/// The workload finished; the attestation must cover the lease to its end.
	Completed {
		/// What the workload used since it started.
		usage: Usage,
		/// A digest of the runner's status.
		status: H256,
		/// The digest of the result: for a container, the [`result_root`] of its outputs.
		result: H256,
	},
	/// The node will not run it: the lease ends, the developer is refunded, nothing is paid.
	Refused { reason: Refusal },
}

/// What a workload used since it started, as its runner measured it (not wall-clock time).
/// Attestations carry these totals (a resent or replaced attestation says the same), and the
/// lease keeps the highest reported.
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
	Default,
)]
pub struct Usage {
	/// GPU-seconds: for each leased GPU, the seconds it was busy (NVML), summed.
	pub gpu_seconds: u64,
	/// CPU-seconds the workload's processes ran (the engine's stats).
	pub cpu_seconds: u64,
	/// The most memory it held at once, MiB.
	pub peak_memory_mib: u32,
}

/// A provider node's signed statement about a lease: the blocks after `from` up to `to`.
#[derive(
	Encode, Decode, DecodeWithMemTracking, Clone, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen,
)]
pub struct WorkAttestation<AccountId, BlockNumber> {
	/// The lease's provider.
	pub provider: AccountId,
	/// The job.
	pub job: JobId,
	/// The last block the previous attestation covered (the lease's `attested_through`).
	pub from: BlockNumber,
	/// The last block this one covers.
	pub to: BlockNumber,
	/// What the node saw.
	pub report: WorkReport,
}

/// The domain of workload attestations' signatures.
pub const SIGNING_CONTEXT: &[u8] = b"crucible:market:v1";

/// What the attestation key signs: `SCALE(SIGNING_CONTEXT, genesis hash, attestation)`, so that
/// a signature is good for one chain and one purpose.
pub fn signing_payload<A: Encode>(genesis: &[u8], attestation: &A) -> Vec<u8> {
	(SIGNING_CONTEXT, genesis, attestation).encode()
}

/// The domain of node bids' signatures (apart from attestations').
pub const NODE_BID_CONTEXT: &[u8] = b"crucible:market:bid:v1";

/// The most blocks a node bid stays valid after it is signed (`NodeBid::valid_until`): a
/// replay of a signed bid (after it was evicted, say) is refused past it. A withdrawal voids
/// the provider's signed bids at once (`NodeBid::withdrawals`).
pub const NODE_BID_LIFETIME: u32 = 10;

/// What a provider's node does in an auction for its operator (`bid_from_node`).
#[derive(
	Encode, Decode, DecodeWithMemTracking, Clone, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen,
)]
pub enum NodeBidAction<Balance> {
	/// An open bid at `price` per block.
	Place { price: Balance },
	/// A sealed commitment, `bid_commitment(job, provider, price, salt)`.
	Commit { commitment: H256 },
	/// The reveal of a sealed bid.
	Reveal { price: Balance, salt: [u8; 32] },
}

/// A provider node's signed bid, made from its operator's bid policy. The bid deposit is held
/// from the provider's account, as for a bid it signs itself.
#[derive(
	Encode, Decode, DecodeWithMemTracking, Clone, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen,
)]
pub struct NodeBid<AccountId, Balance, BlockNumber> {
	/// The provider the node bids for (its attestation key signs).
	pub provider: AccountId,
	/// The job.
	pub job: JobId,
	/// The bid, commitment or reveal.
	pub action: NodeBidAction<Balance>,
	/// The last block the bid may be included in (at most `NODE_BID_LIFETIME` ahead).
	pub valid_until: BlockNumber,
	/// How many bids the provider had withdrawn when this one was signed (the marketplace's
	/// `BidWithdrawals`): a withdrawal voids every node bid signed before it, so that nobody
	/// replays a withdrawn bid and holds its deposit again.
	pub withdrawals: u32,
}

/// What the attestation key signs for a node bid: `SCALE(NODE_BID_CONTEXT, genesis hash, bid)`.
pub fn node_bid_payload<B: Encode>(genesis: &[u8], bid: &B) -> Vec<u8> {
	(NODE_BID_CONTEXT, genesis, bid).encode()
}

/// A sealed bid's commitment: `blake2_256(SCALE(job, provider, price, salt))`.
pub fn bid_commitment<AccountId: Encode, Balance: Encode>(
	job: JobId,
	provider: &AccountId,
	price: &Balance,
	salt: &[u8; 32],
) -> H256 {
	H256(polkadot_sdk::sp_io::hashing::blake2_256(&(job, provider, price, salt).encode()))
}

/// The context of a provider node's standing offer signature.
pub const NODE_OFFER_CONTEXT: &[u8] = b"crucible:market:offer:v1";

/// A provider's standing offer: what its node bids on the jobs its host can serve, published on
/// chain so that a developer knows before posting who would bid and at what price.
#[derive(
	Encode, Decode, DecodeWithMemTracking, Clone, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen,
)]
pub struct Offer<Balance, BlockNumber> {
	/// The price per block and per GPU asked for (a CPU-only job counts as one GPU) its node
	/// bids, for its host's GPU class; its node's open bids are refused above it.
	pub price_per_gpu: Balance,
	/// The most leases it holds (and bids for) at once.
	pub max_leases: u32,
	/// The longest lease it bids for, in blocks (`None`: any).
	pub max_duration: Option<BlockNumber>,
}

/// A standing offer on chain, with the block it was published in.
#[derive(
	Encode, Decode, DecodeWithMemTracking, Clone, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen,
)]
pub struct StandingOffer<Balance, BlockNumber> {
	/// The offer.
	pub offer: Offer<Balance, BlockNumber>,
	/// The block it was published in (the next may come `OfferPeriod` blocks later).
	pub updated_at: BlockNumber,
}

/// A provider node's signed standing offer (or its withdrawal: `offer: None`).
#[derive(
	Encode, Decode, DecodeWithMemTracking, Clone, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen,
)]
pub struct NodeOffer<AccountId, Balance, BlockNumber> {
	/// The provider (its attestation key signs).
	pub provider: AccountId,
	/// The offer, or `None` to withdraw it.
	pub offer: Option<Offer<Balance, BlockNumber>>,
	/// The last block it may be included in (at most `NODE_BID_LIFETIME` ahead).
	pub valid_until: BlockNumber,
}

/// What the attestation key signs for a standing offer:
/// `SCALE(NODE_OFFER_CONTEXT, genesis hash, offer)`.
pub fn node_offer_payload<O: Encode>(genesis: &[u8], offer: &O) -> Vec<u8> {
	(NODE_OFFER_CONTEXT, genesis, offer).encode()
}

/// A provider that would bid on a job, as `estimate` shows it: its standing offer meets the
/// requirement's GPUs and the duration, and it holds fewer leases than its offer's maximum.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug, TypeInfo)]
pub struct OfferQuote<AccountId, Balance, BlockNumber> {
	/// The provider.
	pub provider: AccountId,
	/// Its host's GPU class.
	pub class: GpuClass,
	/// Its price per block and per GPU.
	pub price_per_gpu: Balance,
	/// What it would bid per block for the GPUs asked for.
	pub price_per_block: Balance,
	/// Its GPUs not leased out now.
	pub free_gpus: u32,
	/// The longest lease it bids for (`None`: any).
	pub max_duration: Option<BlockNumber>,
	/// Its reputation now.
	pub reputation: Permill,
}

/// A job as the runtime API shows it.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug, TypeInfo)]
pub struct JobView<AccountId, Balance, BlockNumber> {
	/// The job's number.
	pub id: JobId,
	/// Who posted it.
	pub owner: AccountId,
	/// What was posted.
	pub spec: JobSpec<Balance, BlockNumber>,
	/// Where it stands.
	pub phase: JobPhase<BlockNumber>,
	/// Escrow held and not yet paid out (the job deposit apart).
	pub escrow: Balance,
	/// The job deposit held.
	pub deposit: Balance,
	/// Live public bids, best first (sealed: the revealed ones).
	pub bids: Vec<Bid<AccountId, Balance, BlockNumber>>,
	/// Sealed commitments not revealed yet.
	pub sealed_bids: u32,
	/// The lease, once awarded.
	pub lease: Option<Lease<AccountId, Balance, BlockNumber>>,
	/// Access details the provider published.
	pub access: Option<AccessDetails>,
	/// The container manifest the job was posted with.
	pub manifest: Option<Manifest>,
}

/// Recent lease prices of one GPU class, per block and per GPU asked for.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug, TypeInfo)]
pub struct ClassPrices<Balance> {
	/// The class.
	pub class: GpuClass,
	/// The lowest recent price.
	pub min: Balance,
	/// The highest recent price.
	pub max: Balance,
	/// How many recent leases these come from.
	pub leases: u32,
}

/// What a developer should expect before posting.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug, TypeInfo)]
pub struct Estimate<AccountId, Balance, BlockNumber> {
	/// `Active` providers that meet the requirement (among those scanned).
	pub matching: u32,
	/// Providers looked at.
	pub scanned: u32,
	/// Whether every registered provider was looked at.
	pub complete: bool,
	/// Recent prices of the classes of the matching providers.
	pub prices: Vec<ClassPrices<Balance>>,
	/// At the highest recent price of those classes, what `duration` blocks would cost per
	/// GPU asked for (`None` without recent leases).
	pub cost_at_max: Option<Balance>,
	/// The matching providers whose standing offers would bid, cheapest first (at most
	/// `MAX_QUOTES`).
	pub offers: Vec<OfferQuote<AccountId, Balance, BlockNumber>>,
}

/// Most offers `estimate` returns.
pub const MAX_QUOTES: u32 = 64;

polkadot_sdk::sp_api::decl_runtime_apis! {
	/// Jobs, bids, leases and prices; for polkadot.js (`api.call.marketplaceApi`) and for
	/// providers' nodes.
	pub trait MarketplaceApi<AccountId, Balance, BlockNumber>
	where
		AccountId: codec::Codec,
		Balance: codec::Codec,
		BlockNumber: codec::Codec,
	{
		/// Up to `limit` jobs taking bids or reveals, after job `after` (in storage order).
		fn open_jobs(after: Option<JobId>, limit: u32) -> Vec<JobView<AccountId, Balance, BlockNumber>>;
		/// A job with its bids, lease and accrued payment.
		fn job(id: JobId) -> Option<JobView<AccountId, Balance, BlockNumber>>;
		/// How many `Active` providers meet `requirement`, the recent prices of their classes,
		/// and those whose standing offers would bid on a job of `duration` blocks, with the
		/// price each would bid: what a developer needs to know before posting.
		fn estimate(requirement: HardwareRequirement, duration: BlockNumber) -> Estimate<AccountId, Balance, BlockNumber>;
		/// The jobs leased to `provider` (what its node runs and attests).
		fn leases_of(provider: AccountId) -> Vec<JobId>;
		/// The receipt of a finished job (of the last `MaxReceipts` job ids): its spec, image
		/// and manifest hashes, result root, audit outcome and settlement block.
		fn receipt(id: JobId) -> Option<crate::audit::Receipt<AccountId, BlockNumber>>;
	}
}

/// What a provider's node and its compute service say to each other about leased workloads
/// (HTTP on loopback, SCALE bodies), and the operator's bid policy as the node hands it to its
/// off-chain worker.
pub mod service {
	use super::*;
	use crate::proof_of_compute::GpuClass;

	/// The path of workload requests: start the lease's workload if it is not running, report
	/// its status, finish it at the lease's end.
	pub const WORKLOAD_PATH: &str = "/v1/workload";

	/// The path prefix of a job's logs and outputs on a provider's workload endpoint:
	/// `GET /v1/jobs/<id>/logs[?follow=1]` and `GET /v1/jobs/<id>/outputs`, each signed by the
	/// job's owner ([`request_message`]).
	pub const JOBS_PATH: &str = "/v1/jobs/";

	/// The domain of signed requests to a provider's workload endpoint.
	pub const REQUEST_CONTEXT: &str = "crucible:workload:v1";

	/// How far a signed request's time may be from the provider's clock, milliseconds.
	pub const REQUEST_SKEW_MS: u64 = 120_000;

	/// What the owner's account key (sr25519) signs for a request: the UTF-8 text
	/// `crucible:workload:v1 <METHOD> <path and query> <unix time in ms>`, sent with the
	/// headers `X-Crucible-Account` (0x and the account's 32 bytes in hex), `X-Crucible-Time`
	/// and `X-Crucible-Signature` (0x and 64 bytes). A wallet's `signRaw` (which wraps the
	/// text in `<Bytes>…</Bytes>`) is accepted too.
	pub fn request_message(method: &str, path_and_query: &str, time_ms: u64) -> Vec<u8> {
		alloc::format!("{REQUEST_CONTEXT} {method} {path_and_query} {time_ms}").into_bytes()
	}

	/// The bytes sealing adds to access details: the ephemeral x25519 public key (32), the
	/// AES-GCM nonce (12) and its tag (16).
	pub const SEAL_OVERHEAD: usize = 32 + 12 + 16;

	/// The most plaintext bytes of access details: what fits [`MAX_ACCESS_LEN`] once sealed.
	pub const MAX_ACCESS_PLAINTEXT: usize = MAX_ACCESS_LEN as usize - SEAL_OVERHEAD;

	/// A lease's workload, as the worker asks the service about it.
	#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug, TypeInfo)]
	pub struct WorkloadRequest {
		/// The job.
		pub job: JobId,
		/// What the developer asked to run.
		pub workload: Workload,
		/// The job's manifest, if it was posted with one.
		pub manifest: Option<Manifest>,
		/// The job's sealed secrets, once the developer provided them.
		pub secrets: Option<Vec<u8>>,
		/// The developer's account (its 32 bytes): who may read the workload's logs and
		/// outputs.
		pub owner: [u8; 32],
		/// The GPUs leased (the requirement's count; 0: a CPU-only job).
		pub gpus: u32,
		/// The lease has ended: stop the workload and report its result.
		pub finish: bool,
		/// An audit's re-run (this node is the job's auditor, not its provider): the runner
		/// answers `Finished` as soon as the workload exited, and publishes no access details.
		pub audit: bool,
	}

	/// The service's answer.
	#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug, TypeInfo)]
	pub enum WorkloadReply {
		/// The workload runs (or ran and exited; the lease goes on to its end).
		Running {
			/// What it used since it started.
			usage: Usage,
			/// A digest of the runner's status.
			status: H256,
			/// Access details encrypted to the job's `access_key`, if the operator gives any.
			access: Option<Vec<u8>>,
		},
		/// The lease ended and the workload was stopped.
		Finished {
			/// What it used since it started.
			usage: Usage,
			/// A digest of the runner's final status.
			status: H256,
			/// The digest of the result (the runner's output and exit status).
			result: H256,
			/// The result tree's opening (a container runner's outputs); `None`: the result is
			/// a single leaf (`audit::opening_of(&[result])`).
			opening: Option<crate::audit::ResultOpening>,
		},
		/// The service will not run it.
		Refused { reason: Refusal },
	}

	/// An operator's bid policy.
	#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug, TypeInfo, Default)]
	pub struct BidPolicy {
		/// The least price per block per GPU the node bids, for each GPU class it bids with
		/// (a class that is not listed is never bid).
		pub min_price_per_gpu: Vec<(GpuClass, u128)>,
		/// The most leases (held and bid for) at once.
		pub max_leases: u32,
		/// The longest lease bid for, in blocks (`None`: any).
		pub max_duration: Option<u32>,
	}

	impl BidPolicy {
		/// The policy's price per block per GPU of `class`.
		pub fn price_of(&self, class: GpuClass) -> Option<u128> {
			self.min_price_per_gpu.iter().find(|(c, _)| *c == class).map(|(_, p)| *p)
		}
	}
}
