//! The off-chain worker of a provider's node. It never does the work itself: it asks the
//! node's compute service (HTTP on loopback, SCALE bodies, see
//! [`crucible_primitives::proof_of_compute::service`]) and submits what comes back, signed with
//! the attestation keys in the node's keystore, as free authorized transactions.
//!
//! Each run (one per imported block, possibly several at once) does, for each of the registry's
//! local provers (`ProviderInspect::local_provers`: registered providers whose attestation key
//! is in the keystore, at most the runtime's `MaxLocalKeys`): a heartbeat once per period; the
//! commitment while the commit window is open; the openings once the sample seed is fixed; and
//! one log line when the challenge is settled. A per-(provider, period) `LocalRecord` in the
//! offchain database, claimed with compare-and-set, keeps concurrent runs from repeating work.

use crate::{impls::LOG_TARGET, pallet::*, types::*};

use codec::{Decode, Encode};
use crucible_primitives::{
	challenge::{sample_positions, Hash},
	offchain::{endpoint, hex, keys, post},
	proof_of_compute::{
		service::{
			CommitResponse, ComputeRequest, OpenRequest, OpenResponse, COMMIT_PATH, OPEN_PATH,
		},
		Outcome,
	},
	providers::AttestationKey,
};
use pallet_providers::{
	offchain::{LocalProver, LocalRecord, RESEND_AFTER},
	ProverInfo, ProviderInspect,
};
use polkadot_sdk::{
	frame_support::traits::Get,
	frame_system::{self, offchain::SubmitTransaction, pallet_prelude::BlockNumberFor},
	sp_io::offchain,
	sp_runtime::{
		offchain::{Duration, StorageKind, Timestamp},
		traits::Saturating,
		BoundedVec, RuntimeAppPublic, SaturatedConversion,
	},
};

/// Milliseconds per block, to turn block deadlines into the HTTP deadlines.
const BLOCK_MILLIS: u64 = crucible_primitives::time::MILLI_SECS_PER_BLOCK;

/// What this node's worker did for one provider in one period (offchain database).
#[derive(Encode, Decode, Clone, Default, PartialEq, Eq, Debug)]
pub(crate) struct LocalState {
	/// The block whose worker claimed the commitment (computing or sent).
	pub(crate) commit_claimed: Option<u32>,
	/// The root and compute time the service answered.
	pub(crate) computed: Option<(Hash, u64)>,
	/// The block whose worker sent the openings.
	pub(crate) open_sent: Option<u32>,
	/// The block whose worker sent the heartbeat.
	pub(crate) heartbeat_sent: Option<u32>,
	/// Whether "no compute backend" was logged.
	pub(crate) no_backend_logged: bool,
	/// Whether the outcome was logged.
	pub(crate) outcome_logged: bool,
}

/// This node's record of (`provider`, `period`).
pub(crate) fn challenge_record<T: Config>(
	provider: &T::AccountId,
	period: PeriodIndex,
) -> LocalRecord<LocalState> {
	LocalRecord::of(keys::CHALLENGE_RECORD, provider, period)
}

fn backend() -> Backend {
	match offchain::local_storage_get(StorageKind::PERSISTENT, keys::COMPUTE_BACKEND).as_deref() {
		Some(b"cpu") => Backend::Cpu,
		Some(b"cuda") => Backend::Cuda,
		_ => Backend::None,
	}
}

/// The worker's entry point, for block `now`.
pub fn run<T: Config>(now: BlockNumberFor<T>) {
	let Some((period, info)) = Pallet::<T>::current() else { return };
	let provers = T::Providers::local_provers();
	if provers.is_empty() {
		return;
	}
	let endpoint = endpoint();
	for LocalProver { key, provider, info: prover } in provers {
		let work = Work::<T> { now, provider, key, prover, period, info: info.clone() };
		match &endpoint {
			Some(url) => work.run(url),
			None => work.no_backend(),
		}
	}
}

/// One provider's work in one run.
struct Work<T: Config> {
	now: BlockNumberFor<T>,
	provider: T::AccountId,
	key: AttestationKey,
	prover: ProverInfo<BlockNumberFor<T>>,
	period: PeriodIndex,
	info: PeriodInfo<BlockNumberFor<T>>,
}

impl<T: Config> Work<T> {
	fn now(&self) -> u32 {
		self.now.saturated_into()
	}

	/// The block our transactions go into at the earliest.
	fn next(&self) -> BlockNumberFor<T> {
		self.now.saturating_add(1u32.into())
	}

	fn challenged(&self) -> bool {
		Pallet::<T>::is_challenged(self.prover.status, self.prover.status_since, self.info.start)
	}

	/// The HTTP deadline for work that must land by block `until`.
	fn deadline(&self, until: BlockNumberFor<T>) -> Timestamp {
		let blocks: u64 = until.saturating_sub(self.now).saturated_into();
		offchain::timestamp()
			.add(Duration::from_millis(blocks.saturating_mul(BLOCK_MILLIS).max(1_000)))
	}

	fn no_backend(&self) {
		if challenge_record::<T>(&self.provider, self.period)
			.claim_once(|s| &mut s.no_backend_logged)
		{
			log::warn!(
				target: LOG_TARGET,
				"proof of compute, period {}: no compute backend on this node (start it with --compute-backend cpu|cuda); \
				 nothing is submitted for provider {:?}",
				self.period,
				self.provider,
			);
		}
	}

	fn run(&self, url: &str) {
		self.heartbeat();
		if self.challenged() {
			self.commit(url);
			self.open(url);
		}
		self.log_outcome();
	}

	fn heartbeat(&self) {
		let on_chain =
			Heartbeats::<T>::get(&self.provider).is_some_and(|h| h.period >= self.period);
		let now = self.now();
		// Only hosts in the challenge pool send one (the chain refuses the rest).
		if on_chain ||
			!self.prover.status.is_challengeable() ||
			!challenge_record::<T>(&self.provider, self.period)
				.claim_send(now, |s| &mut s.heartbeat_sent)
		{
			return;
		}
		let payload = HeartbeatPayload {
			provider: self.provider.clone(),
			period: self.period,
			report: NodeReport {
				backend: backend(),
				spec_version: <T as frame_system::Config>::Version::get().spec_version,
			},
		};
		if let Some(signature) = self.sign(Phase::Heartbeat, &payload) {
			self.submit(Call::heartbeat { heartbeat: payload, signature }, "heartbeat");
		}
	}

	fn commit(&self, url: &str) {
		let committed =
			Commitments::<T>::get(&self.provider).is_some_and(|c| c.period == self.period);
		if committed || !self.info.accepts_commitments(self.next()) {
			return;
		}
		let now = self.now();
		let window = self.info.params.commit_window;
		let mut known = None;
		let record = challenge_record::<T>(&self.provider, self.period);
		let claimed = record.claim(|s| {
			let free = match (s.commit_claimed, s.computed) {
				(None, _) => true,
				// Sent, not on chain after a few blocks: the pool may have dropped it.
				(Some(at), Some(_)) => now >= at.saturating_add(RESEND_AFTER),
				// Still computing (a mainnet challenge takes several blocks), unless the worker
				// that claimed it is gone.
				(Some(at), None) => now >= at.saturating_add(window),
			};
			if free {
				known = s.computed;
				s.commit_claimed = Some(now);
			}
			free
		});
		if !claimed {
			return;
		}
		let request = self.request();
		let (root, compute_ms) = match known {
			Some(done) => done,
			None => {
				let deadline = self.deadline(self.info.commit_until());
				let response =
					post(url, COMMIT_PATH, request.encode(), deadline).and_then(|body| {
						CommitResponse::decode(&mut &body[..])
							.map_err(|_| "a malformed answer".into())
					});
				match response {
					Ok(r) => (r.root, r.compute_ms),
					Err(e) => {
						log::warn!(
							target: LOG_TARGET,
							"proof of compute, period {}: the compute service could not commit for {:?}: {e}",
							self.period,
							self.provider,
						);
						// Let a later run try again while the window is open.
						record.update(|s| s.commit_claimed = None);
						return;
					},
				}
			},
		};
		record.update(|s| s.computed = Some((root, compute_ms)));
		let payload =
			CommitmentPayload { provider: self.provider.clone(), period: self.period, root };
		if let Some(signature) = self.sign(Phase::Commit, &payload) {
			self.submit(Call::submit_commitment { commitment: payload, signature }, "commitment");
		}
	}

	fn open(&self, url: &str) {
		let Some(commitment) =
			Commitments::<T>::get(&self.provider).filter(|c| c.period == self.period)
		else {
			return;
		};
		let Some(sample_seed) = self.info.sample_seed else { return };
		if !self.info.accepts_openings(self.next()) {
			return;
		}
		let now = self.now();
		let record = challenge_record::<T>(&self.provider, self.period);
		if !record.claim_send(now, |s| &mut s.open_sent) {
			return;
		}
		let shape = self.info.params.shape_for(&self.prover.profile);
		let positions = sample_positions(
			&sample_seed,
			&self.provider,
			self.period,
			&shape,
			self.info.params.samples,
		);
		let request = OpenRequest {
			challenge: self.request(),
			positions: BoundedVec::truncate_from(positions),
		};
		let deadline = self.deadline(self.info.open_until());
		let openings = match post(url, OPEN_PATH, request.encode(), deadline).and_then(|body| {
			OpenResponse::decode(&mut &body[..]).map_err(|_| "a malformed answer".into())
		}) {
			Ok(r) => r.openings,
			Err(e) => {
				log::warn!(
					target: LOG_TARGET,
					"proof of compute, period {}: the compute service could not open for {:?} (root {}): {e}",
					self.period,
					self.provider,
					hex(&commitment.root),
				);
				record.update(|s| s.open_sent = None);
				return;
			},
		};
		let payload = OpeningPayload::<T::AccountId, T::MaxSamples> {
			provider: self.provider.clone(),
			period: self.period,
			openings: BoundedVec::truncate_from(openings.into_inner()),
		};
		if let Some(signature) = self.sign(Phase::Open, &payload) {
			self.submit(Call::submit_opening { opening: payload, signature }, "opening");
		}
	}

	/// One log line per settled challenge: period, shape, compute time, outcome.
	fn log_outcome(&self) {
		// This period's outcome, or the previous one's (settled by the sweep after it ended).
		let outcomes = Outcomes::<T>::get(&self.provider);
		for record in outcomes.iter().rev().take(2) {
			let period = record.period;
			if period.saturating_add(1) < self.period {
				continue;
			}
			let this = challenge_record::<T>(&self.provider, period);
			if !this.claim_once(|s| &mut s.outcome_logged) {
				continue;
			}
			let state = this.load();
			let shape = self.info.params.shape_for(&self.prover.profile);
			let compute = state
				.computed
				.map(|(_, ms)| alloc::format!("{ms} ms"))
				.unwrap_or_else(|| "not computed here".into());
			let outcome = match record.outcome {
				Outcome::Passed { units } => alloc::format!("passed, {units} compute units"),
				Outcome::Failed(reason) => alloc::format!("FAILED ({reason:?}), slashed"),
				Outcome::Missed => "MISSED, slashed".into(),
			};
			log::info!(
				target: LOG_TARGET,
				"proof of compute, period {period}: provider {:?}, shape {}x{}x{}x{} (batch x rows x inner x cols), \
				 compute {compute}, outcome {outcome}",
				self.provider,
				shape.batch,
				shape.rows,
				shape.inner,
				shape.cols,
			);
			// The record of a period long past is no longer needed.
			if let Some(old) = period.checked_sub(2) {
				challenge_record::<T>(&self.provider, old).clear();
			}
		}
	}

	fn request(&self) -> ComputeRequest {
		ComputeRequest {
			seed: Pallet::<T>::provider_seed(&self.info, &self.provider, self.period),
			shape: self.info.params.shape_for(&self.prover.profile),
			leaf_size: self.info.params.leaf_size,
		}
	}

	fn sign<P: Encode>(
		&self,
		phase: Phase,
		payload: &P,
	) -> Option<crucible_primitives::providers::AttestationSignature> {
		let message = signing_payload(Pallet::<T>::genesis_hash().as_ref(), phase, payload);
		let signature = self.key.sign(&message);
		if signature.is_none() {
			log::error!(target: LOG_TARGET, "the keystore could not sign with {:?}", self.key);
		}
		signature
	}

	fn submit(&self, call: Call<T>, what: &str) {
		let xt = T::create_authorized_transaction(call.into());
		match SubmitTransaction::<T, Call<T>>::submit_transaction(xt) {
			Ok(()) => log::debug!(
				target: LOG_TARGET,
				"proof of compute, period {}: {what} of {:?} sent",
				self.period,
				self.provider
			),
			Err(()) => log::warn!(
				target: LOG_TARGET,
				"proof of compute, period {}: the pool refused the {what} of {:?}",
				self.period,
				self.provider
			),
		}
	}
}
