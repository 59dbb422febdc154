//! Audits of a job's result by re-execution: what a developer asks for, what the provider's
//! and the auditors' nodes sign, and the receipt a settled job leaves.
//!
//! A job posted with [`Verification::Audited`] and a deterministic manifest is audited with
//! probability `rate`, decided from randomness fixed after the provider's completion
//! attestation. Nobody can copy another party's answer:
//! - the provider attests the **digest** of its result root, `result_digest(job, root)`, which does
//!   not reveal the root;
//! - an auditor re-runs the manifest and submits its own digest together with a **commitment**
//!   bound to it, `audit_commitment(job, auditor, root)`: copying the provider's (or another
//!   auditor's) digest is possible, but then the auditor cannot open a commitment to a root it
//!   never computed;
//! - once every auditor has submitted, each party **opens** its root with the [`ResultOpening`]'s
//!   frontier of the Merkle tree, so that roots that differ point at the chunks that differ
//!   ([`differing_chunks`]).

use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use polkadot_sdk::{
	sp_core::{ConstU32, H256},
	sp_io::hashing::blake2_256,
	sp_runtime::{BoundedVec, Permill},
};
use scale_info::TypeInfo;

use crate::marketplace::JobId;

/// Most nodes of a result tree's frontier (the lowest level of the tree with at most this many
/// nodes), and so most chunk ranges an audit's outcome names.
pub const MAX_FRONTIER: u32 = 64;

/// Most auditors of one job that answer (the first and the one breaking a tie).
pub const MAX_AUDITORS: u32 = 2;

/// Most auditors of one job replaced for not answering in time.
pub const MAX_REPLACED: u32 = 2;

/// How a job's result is checked.
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
pub enum Verification {
	/// Not at all: the developer may dispute the result (decided by governance).
	#[default]
	None,
	/// Re-executed by another provider with probability `rate` (within the governed bounds);
	/// the manifest must be deterministic.
	Audited {
		/// The probability that the job is audited.
		rate: Permill,
	},
}

/// The nodes of a result tree at its frontier level, left to right.
pub type Frontier = BoundedVec<H256, ConstU32<MAX_FRONTIER>>;

/// A party's result, opened: the result root, how many chunks it covers and the tree's
/// frontier, which hashes up to the root.
#[derive(
	Encode, Decode, DecodeWithMemTracking, Clone, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen,
)]
pub struct ResultOpening {
	/// The result root ([`crate::marketplace::result_root`]).
	pub root: H256,
	/// Its leaves (chunks of `RESULT_CHUNK` bytes; no data is one leaf).
	pub chunks: u32,
	/// The nodes of the lowest level of the tree with at most `MAX_FRONTIER` of them.
	pub frontier: Frontier,
}

/// The level of a tree of `chunks` leaves at which it has at most `MAX_FRONTIER` nodes (0: the
/// leaves themselves); a node `i` there covers the chunks from `i << level`, `1 << level` of
/// them (the last one fewer).
pub fn frontier_level(chunks: u32) -> u32 {
	let mut level = 0u32;
	let mut nodes = chunks.max(1);
	while nodes > MAX_FRONTIER {
		nodes = nodes.div_ceil(2);
		level = level.saturating_add(1);
	}
	level
}

/// How many nodes a tree of `chunks` leaves has at its frontier level.
pub fn frontier_len(chunks: u32) -> u32 {
	let level = frontier_level(chunks);
	let mut nodes = chunks.max(1);
	for _ in 0..level {
		nodes = nodes.div_ceil(2);
	}
	nodes
}

/// One level up a result tree: `H(0x01 ‖ left ‖ right)` per pair, an odd node carried up.
pub fn parent_level(level: &[[u8; 32]]) -> Vec<[u8; 32]> {
	level
		.chunks(2)
		.map(|pair| match pair {
			[l, r] => {
				let mut buf = [0u8; 65];
				buf[0] = 1;
				buf[1..33].copy_from_slice(l);
				buf[33..].copy_from_slice(r);
				blake2_256(&buf)
			},
			[one] => *one,
			_ => [0u8; 32],
		})
		.collect()
}

/// The root over a level of nodes.
pub fn root_of(level: &[[u8; 32]]) -> H256 {
	let mut level: Vec<[u8; 32]> = level.to_vec();
	while level.len() > 1 {
		level = parent_level(&level);
	}
	H256(level.first().copied().unwrap_or_default())
}

/// The opening of a result from its leaves (`result_leaf` of each chunk; none: no data).
pub fn opening_of(leaves: &[[u8; 32]]) -> ResultOpening {
	let empty = [blake2_256(&[0u8])];
	let leaves = if leaves.is_empty() { &empty[..] } else { leaves };
	let chunks = u32::try_from(leaves.len()).unwrap_or(u32::MAX);
	let mut level = leaves.to_vec();
	for _ in 0..frontier_level(chunks) {
		level = parent_level(&level);
	}
	let frontier: Vec<H256> = level.iter().map(|n| H256(*n)).collect();
	ResultOpening { root: root_of(&level), chunks, frontier: Frontier::truncate_from(frontier) }
}

impl ResultOpening {
	/// Whether the frontier has the length `chunks` gives it and hashes up to `root`.
	pub fn is_consistent(&self) -> bool {
		let nodes: Vec<[u8; 32]> = self.frontier.iter().map(|n| n.0).collect();
		self.chunks > 0 &&
			u32::try_from(nodes.len()).ok() == Some(frontier_len(self.chunks)) &&
			root_of(&nodes) == self.root
	}
}

/// Where two openings differ: the span (chunks per frontier node) and the first chunk of each
/// frontier node that differs; `None` when the two cover different numbers of chunks (the
/// outputs' lengths differ: every chunk from the shorter one's end does).
pub fn differing_chunks(a: &ResultOpening, b: &ResultOpening) -> Option<(u32, Vec<u32>)> {
	if a.chunks != b.chunks {
		return None;
	}
	let level = frontier_level(a.chunks);
	let span = 1u32.checked_shl(level).unwrap_or(u32::MAX);
	let firsts = a
		.frontier
		.iter()
		.zip(b.frontier.iter())
		.enumerate()
		.filter(|(_, (x, y))| x != y)
		.map(|(i, _)| u32::try_from(i).unwrap_or(u32::MAX).saturating_mul(span))
		.collect();
	Some((span, firsts))
}

/// The digest of a result root a provider attests for an audited job (and an auditor submits):
/// `blake2_256(SCALE("crucible:audit:digest", job, root))`. Equal digests are equal roots; the
/// digest does not tell the root.
pub fn result_digest(job: JobId, root: &H256) -> H256 {
	H256(blake2_256(&(b"crucible:audit:digest", job, root).encode()))
}

/// An auditor's commitment to its root, bound to the auditor:
/// `blake2_256(SCALE("crucible:audit:commit", job, auditor, root))`.
pub fn audit_commitment<AccountId: Encode>(job: JobId, auditor: &AccountId, root: &H256) -> H256 {
	H256(blake2_256(&(b"crucible:audit:commit", job, auditor, root).encode()))
}

/// What a provider's or an auditor's node says in an audit.
#[derive(
	Encode, Decode, DecodeWithMemTracking, Clone, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen,
)]
pub enum AuditStep {
	/// An auditor's answer: the digest of its root and its commitment to the root.
	Submit {
		/// `result_digest(job, root)`.
		digest: H256,
		/// `audit_commitment(job, auditor, root)`.
		commitment: H256,
	},
	/// The provider's or an auditor's root, opened once every auditor answered.
	Open {
		/// The root and its frontier.
		opening: ResultOpening,
	},
}

/// A node's signed statement in an audit (`Marketplace::audit`).
#[derive(
	Encode, Decode, DecodeWithMemTracking, Clone, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen,
)]
pub struct AuditReport<AccountId> {
	/// The provider or auditor whose attestation key signs.
	pub who: AccountId,
	/// The job.
	pub job: JobId,
	/// What it says.
	pub step: AuditStep,
}

/// The domain of audit reports' signatures.
pub const AUDIT_CONTEXT: &[u8] = b"crucible:market:audit:v1";

/// What the attestation key signs for an audit report:
/// `SCALE(AUDIT_CONTEXT, genesis hash, report)`.
pub fn audit_payload<R: Encode>(genesis: &[u8], report: &R) -> Vec<u8> {
	(AUDIT_CONTEXT, genesis, report).encode()
}

/// What an audit found.
#[derive(
	Encode, Decode, DecodeWithMemTracking, Clone, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen,
)]
pub enum AuditOutcome {
	/// The job was not audited (not drawn, or no auditor could be found).
	None,
	/// The provider's root was confirmed (`auditors` agreed: 1, or 2 after a tie-break).
	Matched { auditors: u8 },
	/// The provider's root was wrong (two auditors agreed on another one, or it was never
	/// opened): the chunks from each of `chunks`, `span` of them each, differ (`None`: the
	/// outputs' lengths differ, or the provider did not open its root).
	Mismatched { span: u32, chunks: Option<BoundedVec<u32, ConstU32<MAX_FRONTIER>>> },
	/// No majority (three different roots, or the auditors did not answer): decided by the
	/// dispute origin.
	Unresolved,
}

/// What a finished job leaves on chain for anyone to check, without trusting an RPC node, from
/// a storage proof of `Marketplace::Receipts(job)` against a finalized block's state root.
#[derive(
	Encode, Decode, DecodeWithMemTracking, Clone, PartialEq, Eq, Debug, TypeInfo, MaxEncodedLen,
)]
pub struct Receipt<AccountId, BlockNumber> {
	/// The job's provider.
	pub provider: AccountId,
	/// `blake2_256(SCALE(spec))` of the job's spec.
	pub spec_hash: H256,
	/// The image digest run.
	pub image: H256,
	/// The manifest's hash.
	pub manifest: H256,
	/// The result root (the provider's; for a mismatched audit, the majority's).
	pub result: H256,
	/// How the result was checked.
	pub verification: Verification,
	/// What the audit found.
	pub outcome: AuditOutcome,
	/// The block the job settled in.
	pub settled_at: BlockNumber,
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::marketplace::{result_leaf, result_root, RESULT_CHUNK};

	fn leaves(data: &[u8]) -> Vec<[u8; 32]> {
		data.chunks(RESULT_CHUNK).map(result_leaf).collect()
	}

	#[test]
	fn openings_hash_to_the_result_root_at_every_size() {
		for chunks in [0usize, 1, 2, 3, 63, 64, 65, 127, 128, 129, 1000] {
			let data: Vec<u8> =
				(0..chunks * RESULT_CHUNK).map(|i| (i / RESULT_CHUNK) as u8 ^ i as u8).collect();
			let opening = opening_of(&leaves(&data));
			assert_eq!(opening.root, result_root(&data), "{chunks} chunks");
			assert!(opening.is_consistent(), "{chunks} chunks");
			assert!(opening.frontier.len() as u32 <= MAX_FRONTIER);
			assert_eq!(opening.frontier.len() as u32, frontier_len(opening.chunks));
		}
	}

	#[test]
	fn a_tampered_opening_is_inconsistent() {
		let data = alloc::vec![7u8; 200 * RESULT_CHUNK];
		let good = opening_of(&leaves(&data));
		let mut bad = good.clone();
		bad.frontier[3] = H256::repeat_byte(1);
		assert!(!bad.is_consistent());
		let mut short = good.clone();
		short.chunks = 300;
		assert!(!short.is_consistent());
		let mut other_root = good;
		other_root.root = H256::repeat_byte(2);
		assert!(!other_root.is_consistent());
	}

	#[test]
	fn differing_chunks_name_the_changed_chunks() {
		let a = alloc::vec![1u8; 300 * RESULT_CHUNK];
		let mut b = a.clone();
		// 300 chunks: frontier level 3 (38 nodes of 8 chunks).
		b[5 * RESULT_CHUNK] ^= 1;
		b[299 * RESULT_CHUNK + 9] ^= 1;
		let (oa, ob) = (opening_of(&leaves(&a)), opening_of(&leaves(&b)));
		assert_eq!(frontier_level(300), 3);
		let (span, chunks) = differing_chunks(&oa, &ob).unwrap();
		assert_eq!(span, 8);
		assert_eq!(chunks, alloc::vec![0, 296]);
		assert_eq!(differing_chunks(&oa, &oa), Some((8, alloc::vec![])));
		let shorter = opening_of(&leaves(&a[..RESULT_CHUNK]));
		assert_eq!(differing_chunks(&oa, &shorter), None);
	}

	#[test]
	fn digests_and_commitments_bind_what_they_should() {
		let root = H256::repeat_byte(9);
		assert_ne!(result_digest(1, &root), result_digest(2, &root));
		assert_ne!(result_digest(1, &root), result_digest(1, &H256::repeat_byte(8)));
		assert_ne!(audit_commitment(1, &1u64, &root), audit_commitment(1, &2u64, &root));
	}
}
