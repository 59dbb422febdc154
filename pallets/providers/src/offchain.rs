//! What every off-chain worker of a provider's node shares, kept beside the registry that knows
//! whose keys are whose (as `pallet-im-online` keeps `local_authority_keys()` and its lock):
//!
//! - [`local_provers`]: the registered providers whose current attestation key is in this node's
//!   keystore, at most `MaxLocalKeys` of them, always the same ones in the same order;
//! - [`LocalRecord`]: a worker's record in the offchain database, changed only by compare-and-set,
//!   so that of the worker runs that overlap (one per imported block) exactly one claims each piece
//!   of work, and a transaction the pool dropped is sent again after [`RESEND_AFTER`] blocks.
//!
//! The database keys themselves live in `crucible_primitives::offchain::keys`.

use crate::{ProverInfo, ProviderInspect, ProviderStatus};
use alloc::vec::Vec;
use codec::{Decode, Encode};
use core::marker::PhantomData;
use crucible_primitives::{offchain::keys, providers::AttestationKey};
use polkadot_sdk::sp_runtime::{
	offchain::storage::StorageValueRef, traits::Saturating, RuntimeAppPublic,
};

/// The log target of the registry's off-chain lines.
const LOG_TARGET: &str = "providers";

/// A transaction not seen on chain this many blocks after it was sent is sent again (the pool
/// may have dropped it).
pub const RESEND_AFTER: u32 = 3;

/// A registered provider whose attestation key is in this node's keystore: the worker acts for
/// it and signs with `key`.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct LocalProver<AccountId, BlockNumber> {
	/// The key in the keystore, which is the provider's current attestation key.
	pub key: AttestationKey,
	/// The provider.
	pub provider: AccountId,
	/// Its status, hardware and key, read once.
	pub info: ProverInfo<BlockNumber>,
}

/// The local provers of the registry `P`: the providers whose current attestation key is in this
/// node's keystore and who are not leaving, ordered by key, at most `max` of them. Keys that are
/// not (or no longer) a provider's count for nothing. A node holding more provers than `max`
/// serves the first `max` in key order every run (never a different subset from one block to
/// the next) and warns once about the rest.
pub fn local_provers<AccountId, P>(max: u32) -> Vec<LocalProver<AccountId, P::BlockNumber>>
where
	P: ProviderInspect<AccountId>,
{
	let mut local = AttestationKey::all();
	if local.is_empty() {
		return Vec::new();
	}
	local.sort();
	let mut provers = Vec::new();
	let mut left_out = 0u32;
	for key in local {
		let Some(provider) = P::provider_of_key(&key) else { continue };
		let Some(info) = P::prover_info(&provider) else { continue };
		if info.attestation_key != key || info.status == ProviderStatus::Leaving {
			continue;
		}
		if provers.len() >= max as usize {
			left_out.saturating_inc();
			continue;
		}
		provers.push(LocalProver { key, provider, info });
	}
	let told = LocalRecord::<u32>::new(keys::LOCAL_PROVERS_LEFT_OUT.to_vec());
	if told.claim(|last| core::mem::replace(last, left_out) != left_out) && left_out > 0 {
		log::warn!(
			target: LOG_TARGET,
			"this node holds the attestation keys of {} registered providers; its workers act for \
			 the first {max} (by key) and for none of the other {left_out}",
			max.saturating_add(left_out),
		);
	}
	provers
}

/// A worker's record of type `R` in the offchain database's persistent storage, under one key.
/// Every change is a compare-and-set: of concurrent worker runs, one wins it, and the others
/// see the winner's record.
pub struct LocalRecord<R> {
	key: Vec<u8>,
	_record: PhantomData<R>,
}

impl<R: Encode + Decode + Default> LocalRecord<R> {
	/// The record under `key`.
	pub fn new(key: Vec<u8>) -> Self {
		Self { key, _record: PhantomData }
	}

	/// The record of `provider` and `item` (a period, a job) under `prefix`: the key is
	/// `prefix ‖ SCALE(provider) ‖ SCALE(item)`.
	pub fn of(prefix: &[u8], provider: &impl Encode, item: impl Encode) -> Self {
		let mut key = prefix.to_vec();
		provider.encode_to(&mut key);
		item.encode_to(&mut key);
		Self::new(key)
	}

	/// The record as it is (the default if there is none, or it does not decode).
	pub fn load(&self) -> R {
		StorageValueRef::persistent(&self.key)
			.get::<R>()
			.ok()
			.flatten()
			.unwrap_or_default()
	}

	/// Changes the record with `f` if `f` accepts it (returns `true`); returns whether this run
	/// made the change. `f` sees the record as the winner of any concurrent change left it.
	pub fn claim(&self, f: impl FnOnce(&mut R) -> bool) -> bool {
		StorageValueRef::persistent(&self.key)
			.mutate::<R, (), _>(|current| {
				let mut record = current.ok().flatten().unwrap_or_default();
				if f(&mut record) {
					Ok(record)
				} else {
					Err(())
				}
			})
			.is_ok()
	}

	/// Changes the record with `f`, whatever it holds.
	pub fn update(&self, f: impl FnOnce(&mut R)) {
		self.claim(|record| {
			f(record);
			true
		});
	}

	/// Claims a send in block `now` in the slot that `slot` picks: free if nothing was sent, or
	/// if it was sent at least [`RESEND_AFTER`] blocks ago and is not on chain yet (the caller
	/// asks only then).
	pub fn claim_send(&self, now: u32, slot: impl FnOnce(&mut R) -> &mut Option<u32>) -> bool {
		self.claim(|record| {
			let sent = slot(record);
			match sent {
				Some(at) if now < at.saturating_add(RESEND_AFTER) => false,
				_ => {
					*sent = Some(now);
					true
				},
			}
		})
	}

	/// Claims something done once (a log line): `true` the first time `flag` is claimed.
	pub fn claim_once(&self, flag: impl FnOnce(&mut R) -> &mut bool) -> bool {
		self.claim(|record| !core::mem::replace(flag(record), true))
	}

	/// Removes the record.
	pub fn clear(&self) {
		StorageValueRef::persistent(&self.key).clear();
	}
}
