//! The marketplace's off-chain worker, on a provider's node. Like proof of compute's, it does
//! no work itself: it asks the node's compute service (`POST /v1/workload`, SCALE bodies, see
//! [`crucible_primitives::marketplace::service`]) to start, report and finish each leased
//! workload, and signs what comes back with the provider's attestation key as free authorized
//! transactions. It never runs anything taken from the chain: the service runs only what its
//! operator mapped a workload's image to, and refuses the rest (the lease then ends refunded).
//!
//! Each run (one per imported block), for each local attestation key whose provider is
//! registered:
//! - every lease of the provider: ask the service (which starts the workload the first time);
//!   attest `Running` once `AttestationInterval` blocks are uncovered, `Completed` at the end
//!   (after the service stopped the workload), `Refused` if the service refuses;
//! - with an operator's bid policy (`--bid-policy`): publish the provider's standing offer (its
//!   class's price, most leases, longest lease) when it differs from the one on chain (at most once
//!   per `OfferPeriod`; without a policy, withdraw it); and, for an `Active` provider, bid on open
//!   jobs it can serve at the published price (open auctions: a bid; sealed: a commitment, revealed
//!   in the reveal window), while leases and live bids stay under the maximum.
//!
//! The providers it acts for are the registry's local provers (`ProviderInspect::local_provers`:
//! at most the runtime's `MaxLocalKeys`, the same bound and order as proof of compute's worker).
//! A per-(provider, job) `LocalRecord` in the offchain database, changed with compare-and-set,
//! keeps concurrent runs from sending the same transaction twice and remembers sealed bids'
//! salts.

use crate::{pallet::*, types::*};
use alloc::vec::Vec;
use codec::{Decode, Encode};
use crucible_primitives::{
	audit::{
		audit_commitment, audit_payload, opening_of, result_digest, AuditReport, AuditStep,
		ResultOpening,
	},
	marketplace::{
		bid_commitment, node_bid_payload, node_offer_payload,
		service::{BidPolicy, WorkloadReply, WorkloadRequest, WORKLOAD_PATH},
		signing_payload, AccessDetails, AuctionKind, JobId, JobPhase, NodeBid, NodeBidAction,
		NodeOffer, Offer, WorkAttestation, WorkReport, NODE_BID_LIFETIME,
	},
	offchain::{endpoint, hex, keys, post},
	proof_of_compute::GpuClass,
	providers::AttestationKey,
};
use pallet_providers::{
	offchain::{LocalProver, LocalRecord, RESEND_AFTER},
	ProviderInspect, ProviderStatus,
};
use polkadot_sdk::{
	frame_support::traits::Get,
	frame_system::{offchain::SubmitTransaction, pallet_prelude::BlockNumberFor},
	sp_io::offchain,
	sp_runtime::{
		offchain::{Duration, StorageKind},
		traits::Saturating,
		RuntimeAppPublic, SaturatedConversion,
	},
};

/// The log target of the worker's lines.
const LOG_TARGET: &str = "marketplace";

/// Most jobs looked at per run for bidding: the newest ones by id (jobs posted after cannot hide
/// them from a later run, and junk posted before does not hide new ones), and the jobs the
/// worker has a live bid or commitment on.
const MAX_SCAN: u64 = 256;

/// How long the worker waits for the compute service per request.
const SERVICE_MILLIS: u64 = 4_000;

/// What this node's worker did for one provider and one job (offchain database).
#[derive(Encode, Decode, Clone, Default, PartialEq, Eq, Debug)]
pub(crate) struct JobRecord {
	/// The `from` of the last attestation sent, and the block it was sent in.
	pub(crate) attested: Option<(u32, u32)>,
	/// The block the bid (or commitment) was sent in.
	pub(crate) bid_sent: Option<u32>,
	/// The block the reveal was sent in.
	pub(crate) reveal_sent: Option<u32>,
	/// A sealed bid's price and salt (to reveal it).
	pub(crate) sealed: Option<(u128, [u8; 32])>,
	/// Whether "above the job's maximum" was logged.
	pub(crate) priced_out_logged: bool,
	/// Whether the lease's start was logged.
	pub(crate) lease_logged: bool,
	/// Whether "no compute service" was logged.
	pub(crate) no_service_logged: bool,
	/// An audited job's (or an audit's) result: its root and frontier, opened when asked.
	pub(crate) opening: Option<ResultOpening>,
	/// The block an auditor's answer was sent in.
	pub(crate) answer_sent: Option<u32>,
	/// The block the opening was sent in.
	pub(crate) open_sent: Option<u32>,
	/// Whether the audit's start was logged.
	pub(crate) audit_logged: bool,
}

/// What this node's worker sent of one provider's standing offer (offchain database).
#[derive(Encode, Decode, Clone, Default, PartialEq, Eq, Debug)]
pub(crate) struct OfferRecord {
	/// The block the offer was last sent in.
	pub(crate) sent: Option<u32>,
}

/// This node's record of `provider`'s standing offer.
fn offer_record(provider: &impl Encode) -> LocalRecord<OfferRecord> {
	LocalRecord::of(keys::OFFER_RECORD, provider, ())
}

/// This node's record of (`provider`, `job`).
fn job_record(provider: &impl Encode, job: JobId) -> LocalRecord<JobRecord> {
	LocalRecord::of(keys::JOB_RECORD, provider, job)
}

/// This node's list of the jobs `provider` has a live bid or commitment on.
fn bidding_record(provider: &impl Encode) -> LocalRecord<Vec<JobId>> {
	LocalRecord::of(keys::BIDDING, provider, ())
}

/// An account id as the compute service takes it: 32 bytes (the runtime's; a shorter test id
/// is zero-padded).
fn owner_bytes(owner: &impl Encode) -> [u8; 32] {
	let mut bytes = [0u8; 32];
	for (to, from) in bytes.iter_mut().zip(owner.encode()) {
		*to = from;
	}
	bytes
}

/// Asks the node's compute service about a workload (`POST /v1/workload`).
fn ask(url: &str, request: &WorkloadRequest) -> Result<WorkloadReply, alloc::string::String> {
	let deadline = offchain::timestamp().add(Duration::from_millis(SERVICE_MILLIS));
	post(url, WORKLOAD_PATH, request.encode(), deadline).and_then(|body| {
		WorkloadReply::decode(&mut &body[..]).map_err(|_| "a malformed answer".into())
	})
}

/// The operator's bid policy, if the node was given one.
fn policy() -> Option<BidPolicy> {
	let raw = offchain::local_storage_get(StorageKind::PERSISTENT, keys::BID_POLICY)?;
	BidPolicy::decode(&mut &raw[..]).ok().filter(|p| p.max_leases > 0)
}

/// The worker's entry point, for block `now`.
pub fn run<T: Config>(now: BlockNumberFor<T>) {
	let provers = T::Providers::local_provers();
	if provers.is_empty() {
		return;
	}
	let endpoint = endpoint();
	let policy = policy();
	for LocalProver { key, provider, info } in provers {
		let worker = Worker::<T> { now, provider, key };
		let leases = worker.leases(endpoint.as_deref());
		worker.audits(endpoint.as_deref());
		let class = info
			.profile
			.gpus
			.first()
			.map(|g| GpuClass::of(g.vendor, &g.model))
			.unwrap_or(GpuClass::Other);
		let offer = worker.publish_offer(policy.as_ref(), class);
		if let Some(offer) = offer {
			if info.status == ProviderStatus::Active {
				worker.bid(&offer, leases);
			}
		}
	}
}

/// One provider's work in one run.
struct Worker<T: Config> {
	now: BlockNumberFor<T>,
	provider: T::AccountId,
	key: AttestationKey,
}

impl<T: Config> Worker<T> {
	fn block(&self) -> u32 {
		self.now.saturated_into()
	}

	/// Serves every lease of the provider; returns how many it holds.
	fn leases(&self, endpoint: Option<&str>) -> u32 {
		let jobs = ProviderLeases::<T>::get(&self.provider);
		for id in jobs.iter().copied() {
			let (Some(job), Some(lease)) = (Jobs::<T>::get(id), Leases::<T>::get(id)) else {
				continue;
			};
			if matches!(job.phase, JobPhase::Verifying { .. }) {
				// The provider's part in its job's audit: open its root when asked.
				self.open_when_asked(id);
				continue;
			}
			if job.phase != JobPhase::Running {
				continue;
			}
			if job_record(&self.provider, id).claim_once(|r| &mut r.lease_logged) {
				log::info!(
					target: LOG_TARGET,
					"job {id}: leased to {:?} at {:?} per block, blocks {:?}..{:?}; image 0x{}",
					self.provider,
					lease.price_per_block,
					lease.start,
					lease.end,
					hex(job.spec.workload.image.as_bytes()),
				);
			}
			let Some(url) = endpoint else {
				if job_record(&self.provider, id).claim_once(|r| &mut r.no_service_logged) {
					log::warn!(
						target: LOG_TARGET,
						"job {id}: no compute service on this node (--compute-backend): the workload cannot run"
					);
				}
				continue;
			};
			self.serve(url, id, &job, &lease);
		}
		jobs.len().saturated_into()
	}

	fn serve(&self, url: &str, id: JobId, job: &JobOf<T>, lease: &LeaseOf<T>) {
		let finish = self.now >= lease.end;
		let interval = T::AttestationInterval::get();
		let due = finish || self.now.saturating_sub(lease.attested_through) >= interval;
		let owner = owner_bytes(&job.owner);
		let request = WorkloadRequest {
			job: id,
			workload: job.spec.workload.clone(),
			manifest: Manifests::<T>::get(id),
			secrets: Secrets::<T>::get(id).map(|s| s.into_inner()),
			owner,
			gpus: job.spec.requirement.min_gpu_count,
			finish,
			audit: false,
		};
		let reply = match ask(url, &request) {
			Ok(reply) => reply,
			Err(e) => {
				log::warn!(target: LOG_TARGET, "job {id}: the compute service did not answer: {e}");
				return;
			},
		};
		let from = lease.attested_through;
		let (to, report) = match reply {
			WorkloadReply::Refused { reason } => {
				log::warn!(
					target: LOG_TARGET,
					"job {id}: this node refuses the workload ({reason:?}); the lease ends and the developer is refunded"
				);
				(from, WorkReport::Refused { reason })
			},
			WorkloadReply::Running { usage, status, access } if !finish => {
				let access = access
					.filter(|_| !Access::<T>::contains_key(id))
					.and_then(|bytes| AccessDetails::try_from(bytes).ok());
				match (due, access) {
					(true, access) => (self.now, WorkReport::Running { usage, status, access }),
					// Not due yet, but the developer can reach the workload: publish where
					// at once (an attestation of no blocks).
					(false, Some(access)) =>
						(from, WorkReport::Running { usage, status, access: Some(access) }),
					(false, None) => return,
				}
			},
			WorkloadReply::Finished { usage, status, result, opening } if finish => {
				let result = if Pallet::<T>::audit_rate(&job.spec).is_some() {
					// An audited job attests the digest of its root, and opens the root when
					// its audit asks (nobody can copy it before).
					let opening = opening.unwrap_or_else(|| opening_of(&[result.0]));
					let digest = result_digest(id, &opening.root);
					job_record(&self.provider, id).update(|r| r.opening = Some(opening));
					digest
				} else {
					result
				};
				(lease.end, WorkReport::Completed { usage, status, result })
			},
			_ => return,
		};
		let now = self.block();
		let from_n: u32 = from.saturated_into();
		let free = job_record(&self.provider, id).claim(|r| match r.attested {
			Some((f, at)) if f == from_n && now < at.saturating_add(RESEND_AFTER) => false,
			_ => {
				r.attested = Some((from_n, now));
				true
			},
		});
		if !free {
			return;
		}
		let attestation =
			WorkAttestation { provider: self.provider.clone(), job: id, from, to, report };
		let payload = signing_payload(Pallet::<T>::genesis_hash().as_ref(), &attestation);
		let Some(signature) = self.key.sign(&payload) else {
			log::error!(target: LOG_TARGET, "the keystore could not sign with {:?}", self.key);
			return;
		};
		log::info!(
			target: LOG_TARGET,
			"job {id}: attesting blocks {from:?}..{to:?} ({})",
			match &attestation.report {
				WorkReport::Running { .. } => "running",
				WorkReport::Completed { .. } => "completed",
				WorkReport::Refused { .. } => "refused",
			}
		);
		self.submit(Call::attest { attestation, signature }, id, "attestation");
	}

	/// Re-runs the jobs this provider audits (`Assignments`), answers with the digest of its
	/// root and its commitment, and opens the root when every auditor answered.
	fn audits(&self, endpoint: Option<&str>) {
		for id in Assignments::<T>::get(&self.provider).iter().copied() {
			let (Some(job), Some(audit)) = (Jobs::<T>::get(id), Audits::<T>::get(id)) else {
				continue;
			};
			let Some(me) = audit.auditors.iter().find(|a| a.who == self.provider) else {
				continue;
			};
			match audit.stage {
				AuditStage::Run { until } if me.answer.is_none() => {
					if job_record(&self.provider, id).claim_once(|r| &mut r.audit_logged) {
						log::info!(
							target: LOG_TARGET,
							"job {id}: auditing it (re-running image 0x{}); answer due by block {until:?}",
							hex(job.spec.workload.image.as_bytes()),
						);
					}
					let Some(url) = endpoint else { continue };
					self.audit_run(url, id, &job, until);
				},
				AuditStage::Open { .. } if me.answer.is_some() && me.opened.is_none() =>
					self.send_opening(id),
				_ => {},
			}
		}
	}

	/// Asks the service to re-run the job for its audit (or to stop it, near the deadline)
	/// and answers once it finished.
	fn audit_run(&self, url: &str, id: JobId, job: &JobOf<T>, until: BlockNumberFor<T>) {
		let known = job_record(&self.provider, id).load().opening;
		let opening = match known {
			Some(opening) => opening,
			None => {
				let owner = owner_bytes(&job.owner);
				// Stopped a few blocks before the deadline, so that the answer is on time.
				let margin: BlockNumberFor<T> = (2 * RESEND_AFTER).into();
				let request = WorkloadRequest {
					job: id,
					workload: job.spec.workload.clone(),
					manifest: Manifests::<T>::get(id),
					secrets: None,
					owner,
					gpus: job.spec.requirement.min_gpu_count,
					finish: self.now.saturating_add(margin) >= until,
					audit: true,
				};
				match ask(url, &request) {
					Ok(WorkloadReply::Finished { result, opening, .. }) => {
						let opening = opening.unwrap_or_else(|| opening_of(&[result.0]));
						log::info!(target: LOG_TARGET, "job {id}: audit re-run finished, result root {:?}", opening.root);
						job_record(&self.provider, id)
							.update(|r| r.opening = Some(opening.clone()));
						opening
					},
					Ok(WorkloadReply::Refused { reason }) => {
						log::warn!(target: LOG_TARGET, "job {id}: this node cannot re-run the job for its audit ({reason:?})");
						return;
					},
					Ok(WorkloadReply::Running { .. }) => return,
					Err(e) => {
						log::warn!(target: LOG_TARGET, "job {id}: the compute service did not answer: {e}");
						return;
					},
				}
			},
		};
		if !job_record(&self.provider, id).claim_send(self.block(), |r| &mut r.answer_sent) {
			return;
		}
		let step = AuditStep::Submit {
			digest: result_digest(id, &opening.root),
			commitment: audit_commitment(id, &self.provider, &opening.root),
		};
		log::info!(target: LOG_TARGET, "job {id}: answering its audit");
		self.send_audit(id, step);
	}

	/// The provider of an audited job: opens its root once the audit asks for openings.
	fn open_when_asked(&self, id: JobId) {
		let Some(audit) = Audits::<T>::get(id) else { return };
		if matches!(audit.stage, AuditStage::Open { .. }) && audit.opened.is_none() {
			self.send_opening(id);
		}
	}

	fn send_opening(&self, id: JobId) {
		let Some(opening) = job_record(&self.provider, id).load().opening else {
			log::warn!(target: LOG_TARGET, "job {id}: asked to open a result this node does not have");
			return;
		};
		if !job_record(&self.provider, id).claim_send(self.block(), |r| &mut r.open_sent) {
			return;
		}
		log::info!(target: LOG_TARGET, "job {id}: opening result root {:?}", opening.root);
		self.send_audit(id, AuditStep::Open { opening });
	}

	fn send_audit(&self, id: JobId, step: AuditStep) {
		let report = AuditReport { who: self.provider.clone(), job: id, step };
		let payload = audit_payload(Pallet::<T>::genesis_hash().as_ref(), &report);
		let Some(signature) = self.key.sign(&payload) else {
			log::error!(target: LOG_TARGET, "the keystore could not sign with {:?}", self.key);
			return;
		};
		self.submit(Call::audit { report, signature }, id, "audit report");
	}

	/// The standing offer `policy` makes for a host of `class` (none without a price for it).
	fn offer_of(policy: Option<&BidPolicy>, class: GpuClass) -> Option<OfferOf<T>> {
		let policy = policy?;
		Some(Offer {
			price_per_gpu: policy.price_of(class)?.saturated_into(),
			max_leases: policy.max_leases,
			max_duration: policy.max_duration.map(Into::into),
		})
	}

	/// Publishes the offer of `policy` if the chain's differs and may be replaced now (or
	/// withdraws it without a policy); returns the offer to bid by: the one on chain, which
	/// the chain holds open bids to, or the policy's until one is there; none when the policy
	/// makes no offer.
	fn publish_offer(&self, policy: Option<&BidPolicy>, class: GpuClass) -> Option<OfferOf<T>> {
		let wanted = Self::offer_of(policy, class);
		let standing = Offers::<T>::get(&self.provider);
		let current = standing.as_ref().map(|s| s.offer.clone());
		if current != wanted &&
			standing
				.as_ref()
				.is_none_or(|s| self.now >= s.updated_at.saturating_add(T::OfferPeriod::get())) &&
			offer_record(&self.provider).claim_send(self.block(), |r| &mut r.sent)
		{
			let offer = NodeOffer {
				provider: self.provider.clone(),
				offer: wanted.clone(),
				valid_until: self.now.saturating_add(NODE_BID_LIFETIME.into()),
			};
			let payload = node_offer_payload(Pallet::<T>::genesis_hash().as_ref(), &offer);
			match self.key.sign(&payload) {
				Some(signature) => {
					log::info!(target: LOG_TARGET, "publishing the standing offer {wanted:?}");
					let xt = T::create_authorized_transaction(
						Call::publish_offer { offer, signature }.into(),
					);
					if SubmitTransaction::<T, Call<T>>::submit_transaction(xt).is_err() {
						log::warn!(target: LOG_TARGET, "the pool refused the standing offer of {:?}", self.provider);
					}
				},
				None =>
					log::error!(target: LOG_TARGET, "the keystore could not sign with {:?}", self.key),
			}
		}
		// A policy without a price for this class bids nothing (its withdrawal is on its way).
		wanted.map(|w| current.unwrap_or(w))
	}

	/// Bids `offer` on the open jobs this provider (holding `leases`) serves.
	fn bid(&self, offer: &OfferOf<T>, leases: u32) {
		let per_gpu: u128 = offer.price_per_gpu.saturated_into();
		let next = self.now.saturating_add(1u32.into());
		let mut live = leases;
		let mut candidates = Vec::new();
		// The newest jobs, then those this provider bid on (whatever was posted since).
		let newest = NextJobId::<T>::get();
		let tracked = bidding_record(&self.provider).load();
		let mut seen = alloc::collections::BTreeSet::new();
		let mut still_bidding = Vec::new();
		let ids = (newest.saturating_sub(MAX_SCAN)..newest).rev().chain(tracked.iter().copied());
		for id in ids {
			if !seen.insert(id) {
				continue;
			}
			let Some(job) = Jobs::<T>::get(id) else { continue };
			match job.phase {
				JobPhase::Bidding { closes_at } if next < closes_at => {
					let ours = SealedBids::<T>::contains_key(id, &self.provider) ||
						Bids::<T>::get(id).iter().any(|b| b.provider == self.provider);
					if ours {
						live = live.saturating_add(1);
						still_bidding.push(id);
					} else {
						candidates.push((id, job));
					}
				},
				JobPhase::Revealing { closes_at }
					if SealedBids::<T>::contains_key(id, &self.provider) =>
				{
					live = live.saturating_add(1);
					still_bidding.push(id);
					if next < closes_at {
						self.reveal(id);
					}
				},
				_ => {},
			}
		}
		// Jobs bid on in this run are added as their bids are sent (below).
		bidding_record(&self.provider).update(|r| {
			r.retain(|id| still_bidding.contains(id));
			for id in &still_bidding {
				if !r.contains(id) {
					r.push(*id);
				}
			}
		});
		candidates.sort_by_key(|(id, _)| *id);
		for (id, job) in candidates {
			if live >= offer.max_leases {
				break;
			}
			if offer.max_duration.is_some_and(|d| job.spec.duration > d) {
				continue;
			}
			if T::Providers::eligibility(&self.provider, &job.spec.requirement)
				.is_none_or(|r| r < job.spec.min_reputation)
			{
				continue;
			}
			let gpus = u128::from(job.spec.requirement.min_gpu_count.max(1));
			let price_u128 = per_gpu.saturating_mul(gpus);
			let price: BalanceOf<T> = price_u128.saturated_into();
			if price > job.spec.max_price_per_block {
				if job_record(&self.provider, id).claim_once(|r| &mut r.priced_out_logged) {
					log::info!(
						target: LOG_TARGET,
						"job {id}: not bidding: the offer's {per_gpu} per GPU × {gpus} is above the job's maximum {:?}",
						job.spec.max_price_per_block,
					);
				}
				continue;
			}
			if !job_record(&self.provider, id).claim_send(self.block(), |r| &mut r.bid_sent) {
				live = live.saturating_add(1);
				continue;
			}
			let action = match job.spec.auction {
				AuctionKind::Open => NodeBidAction::Place { price },
				AuctionKind::Sealed { .. } => {
					// A resend commits to the same salt (read and kept in one compare-and-set).
					let mut salt = [0u8; 32];
					job_record(&self.provider, id).update(|r| {
						salt = r
							.sealed
							.filter(|(p, _)| *p == price_u128)
							.map(|(_, s)| s)
							.unwrap_or_else(offchain::random_seed);
						r.sealed = Some((price_u128, salt));
					});
					NodeBidAction::Commit {
						commitment: bid_commitment(id, &self.provider, &price, &salt),
					}
				},
			};
			log::info!(
				target: LOG_TARGET,
				"job {id}: bidding {price_u128} per block ({per_gpu} per GPU × {gpus}, {})",
				if matches!(action, NodeBidAction::Place { .. }) { "open" } else { "sealed" },
			);
			self.send_bid(id, action);
			bidding_record(&self.provider).update(|r| {
				if !r.contains(&id) {
					r.push(id);
				}
			});
			live = live.saturating_add(1);
		}
	}

	fn reveal(&self, id: JobId) {
		let job = job_record(&self.provider, id);
		let Some((price, salt)) = job.load().sealed else { return };
		if !job.claim_send(self.block(), |r| &mut r.reveal_sent) {
			return;
		}
		log::info!(target: LOG_TARGET, "job {id}: revealing the sealed bid of {price} per block");
		self.send_bid(id, NodeBidAction::Reveal { price: price.saturated_into(), salt });
	}

	fn send_bid(&self, id: JobId, action: NodeBidAction<BalanceOf<T>>) {
		let bid = NodeBid {
			provider: self.provider.clone(),
			job: id,
			action,
			valid_until: self.now.saturating_add(NODE_BID_LIFETIME.into()),
			withdrawals: BidWithdrawals::<T>::get(&self.provider),
		};
		let payload = node_bid_payload(Pallet::<T>::genesis_hash().as_ref(), &bid);
		let Some(signature) = self.key.sign(&payload) else {
			log::error!(target: LOG_TARGET, "the keystore could not sign with {:?}", self.key);
			return;
		};
		self.submit(Call::bid_from_node { bid, signature }, id, "bid");
	}

	fn submit(&self, call: Call<T>, id: JobId, what: &str) {
		let xt = T::create_authorized_transaction(call.into());
		if SubmitTransaction::<T, Call<T>>::submit_transaction(xt).is_err() {
			log::warn!(target: LOG_TARGET, "job {id}: the pool refused the {what} of {:?}", self.provider);
		}
	}
}
