//! Audits by re-execution (`Verification::Audited`).
//!
//! A job posted audited escrows one audit fee (the lease's price) beside the lease, and its
//! winner holds a collateral of at least `max(floor, G / rate, 2·G)` (G: the lease's price, the
//! most that skipping the work could gain) until the audit ends; the lease is paid only then.
//!
//! From the completion attestation (which carries the digest of the provider's root):
//! 1. `Draw` — `AuditDrawDelay` blocks later, the randomness of the blocks in between decides
//!    whether the job is audited (probability `rate`) and picks an auditor: an `Active` provider
//!    meeting the requirement with the job's GPUs free, not the provider, not the developer,
//!    sharing no GPU with the provider, weighted by reputation, among `MaxAuditCandidates` read
//!    from a random place in the registry;
//! 2. `Run` — the auditor's node re-runs the manifest and answers (digest and commitment) within
//!    the job's duration and `AuditSlack`; a silent auditor is slashed `AuditorMissSlash` and
//!    replaced (at most `MAX_REPLACED` times). An answer that disagrees draws a second auditor, who
//!    breaks the tie;
//! 3. `Open` — every party that gave a digest opens its root within `OpenWindow`;
//! 4. the conclusion: the root with two votes wins. The provider's: it is paid, the auditors that
//!    agreed earn the fee, one that disagreed is slashed `AuditorSlash` to the one that confirmed.
//!    Another: the provider is paid nothing, its collateral pays the auditors that won and the rest
//!    goes to the developer, who gets the escrow back. No majority: the dispute origin decides (as
//!    a dispute without deposit). A job not drawn (or with nobody to audit it) is opened by its
//!    provider alone and goes on as any completed job.

use super::*;
use crucible_primitives::{
	audit::{
		audit_commitment, audit_payload, differing_chunks, result_digest, AuditOutcome, AuditStep,
		Receipt, ResultOpening, Verification,
	},
	marketplace::{DisputeReason, JobPhase},
	providers::AttestationSignature,
};
use pallet_providers::{ProviderInspect, ProviderSlash, SlashReason};
use polkadot_sdk::{
	frame_support::{
		ensure,
		pallet_prelude::TransactionSource,
		traits::{fungible::hold::Inspect as _, Get, Randomness},
	},
	frame_system::pallet_prelude::BlockNumberFor,
	sp_core::H256,
	sp_io::hashing::blake2_256,
	sp_runtime::{
		traits::{One, SaturatedConversion, TrailingZeroInput},
		transaction_validity::{
			InvalidTransaction, TransactionValidityWithRefund, ValidTransaction,
		},
		BoundedVec, Permill, RuntimeAppPublic,
	},
};

use codec::{Decode, Encode};

/// What `conclude` found, for its caller.
enum Tally {
	/// The provider's root won (`agreeing` auditors confirmed it).
	Provider { agreeing: alloc::vec::Vec<usize> },
	/// Another root won (`winners`: the auditors holding it).
	Auditors { winners: alloc::vec::Vec<usize> },
	/// No root has two votes.
	None,
}

impl<T: Config> Pallet<T> {
	/// The audit rate of a spec, if it asks for audits.
	pub(crate) fn audit_rate(spec: &JobSpecOf<T>) -> Option<Permill> {
		match spec.verification {
			Verification::None => None,
			Verification::Audited { rate } => Some(rate),
		}
	}

	pub(crate) fn validate_audit_params(params: &AuditParams<BalanceOf<T>>) -> DispatchResult {
		ensure!(
			!params.min_rate.is_zero() && params.min_rate <= params.max_rate,
			Error::<T>::InvalidAuditParams
		);
		Ok(())
	}

	/// The checks `post_job` makes of an audited job: a rate within the bounds, a
	/// deterministic manifest without egress, secrets or private registry.
	pub(crate) fn check_audited_spec(
		spec: &JobSpecOf<T>,
		manifest: Option<&crucible_primitives::marketplace::Manifest>,
	) -> DispatchResult {
		let Some(rate) = Self::audit_rate(spec) else { return Ok(()) };
		let bounds = AuditBounds::<T>::get();
		ensure!(rate >= bounds.min_rate && rate <= bounds.max_rate, Error::<T>::InvalidAuditRate);
		let manifest = manifest.ok_or(Error::<T>::NotDeterministic)?;
		ensure!(manifest.deterministic && !manifest.egress, Error::<T>::NotDeterministic);
		ensure!(!manifest.needs_secrets(), Error::<T>::AuditNeedsPublicManifest);
		Ok(())
	}

	/// The collateral of an audited lease of `spec` at `price` per block:
	/// `max(collateral_floor, ⌈G / rate⌉, 2·G)` with `G = price × duration`; 0 unaudited.
	pub(crate) fn collateral_for(spec: &JobSpecOf<T>, price: BalanceOf<T>) -> BalanceOf<T> {
		let Some(rate) = Self::audit_rate(spec) else { return Zero::zero() };
		let gain = Self::lease_price(spec, price);
		rate.saturating_reciprocal_mul_ceil(gain)
			.max(gain.saturating_mul(2u32.into()))
			.max(AuditBounds::<T>::get().collateral_floor)
	}

	/// `price × duration`.
	pub(crate) fn lease_price(spec: &JobSpecOf<T>, price: BalanceOf<T>) -> BalanceOf<T> {
		let duration: BalanceOf<T> = spec.duration.saturated_into::<u32>().into();
		price.saturating_mul(duration)
	}

	/// Whether `who` can hold the collateral of `job` at `price` (open: the bid's price;
	/// sealed: the job's maximum, the most the winner may be paid).
	pub(crate) fn check_collateral(
		who: &T::AccountId,
		job: &JobOf<T>,
		price: BalanceOf<T>,
	) -> Result<(), Error<T>> {
		let collateral = Self::collateral_for(&job.spec, price);
		ensure!(
			collateral.is_zero() ||
				T::Currency::can_hold(&HoldReason::AuditCollateral.into(), who, collateral),
			Error::<T>::InsufficientCollateral
		);
		Ok(())
	}

	/// The price a collateral check is made at for a bid of `price` on `job`.
	pub(crate) fn collateral_basis(job: &JobOf<T>, price: BalanceOf<T>) -> BalanceOf<T> {
		match job.spec.auction {
			crucible_primitives::marketplace::AuctionKind::Open => price,
			crucible_primitives::marketplace::AuctionKind::Sealed { .. } =>
				job.spec.max_price_per_block,
		}
	}

	/// The copies of the lease's maximum price a job escrows: 2 for an audited job (the lease
	/// and one audit fee), else 1.
	pub(crate) fn escrow_copies(spec: &JobSpecOf<T>) -> BalanceOf<T> {
		if Self::audit_rate(spec).is_some() { 2u32 } else { 1 }.into()
	}

	/// Moves the job's timer to the first queue with room from block `at` (at least the next
	/// block), else from the next block; none: dropped (`TimerDropped`).
	pub(crate) fn move_timer(id: JobId, job: &mut JobOf<T>, at: BlockNumberFor<T>) {
		if let Some(old) = job.timer.take() {
			Self::unschedule(id, old);
		}
		let next = Self::now().saturating_add(One::one());
		job.timer = Self::schedule(id, at.max(next)).or_else(|_| Self::schedule(id, next)).ok();
		if job.timer.is_none() {
			Self::deposit_event(Event::TimerDropped { job: id });
		}
	}

	/// The completion attestation of an audited job, with the digest of the provider's root:
	/// the audit starts with its draw.
	pub(crate) fn start_audit(id: JobId, job: &mut JobOf<T>, digest: H256) {
		let at = Self::now().saturating_add(T::AuditDrawDelay::get());
		job.phase = JobPhase::Verifying { digest };
		Self::move_timer(id, job, at);
		Audits::<T>::insert(
			id,
			Audit {
				digest,
				opened: None,
				audited: None,
				auditors: BoundedVec::new(),
				replaced: BoundedVec::new(),
				stage: AuditStage::Draw { at },
			},
		);
	}

	/// A dropped draw's due check asked for by anyone (`close_auction`): the draw is put off to
	/// `AuditDrawDelay` blocks from now, never run at once — whoever calls it would pick the
	/// block, and with it the randomness (calling again until a draw says "not audited").
	/// Returns whether `id` was such a job.
	pub(crate) fn defer_draw(id: JobId) -> bool {
		let (Some(mut job), Some(mut audit)) = (Jobs::<T>::get(id), Audits::<T>::get(id)) else {
			return false;
		};
		if !matches!(job.phase, JobPhase::Verifying { .. }) ||
			!matches!(audit.stage, AuditStage::Draw { .. })
		{
			return false;
		}
		let at = Self::now().saturating_add(T::AuditDrawDelay::get());
		audit.stage = AuditStage::Draw { at };
		Self::move_timer(id, &mut job, at);
		Self::store_audit(id, job, audit);
		true
	}

	/// An audit's due timer (the job is out of its queue).
	pub(crate) fn audit_due(id: JobId, mut job: JobOf<T>, now: BlockNumberFor<T>) -> TimerWork {
		let Some(mut audit) = Audits::<T>::get(id) else {
			defensive!("a job being verified without its audit");
			return TimerWork::Stale;
		};
		let deadline = match audit.stage {
			AuditStage::Draw { at } => at,
			AuditStage::Run { until } | AuditStage::Open { until } => until,
		};
		if now < deadline {
			Self::move_timer(id, &mut job, deadline);
			Jobs::<T>::insert(id, job);
			return TimerWork::Reschedule;
		}
		match audit.stage {
			AuditStage::Draw { .. } => {
				Self::draw(id, &mut job, &mut audit, now);
				Self::store_audit(id, job, audit);
				TimerWork::Draw
			},
			AuditStage::Run { .. } => {
				Self::auditor_missed(id, &mut job, &mut audit, now);
				Self::store_audit(id, job, audit);
				TimerWork::AuditorMissed
			},
			AuditStage::Open { .. } => {
				Self::conclude(id, job, audit);
				TimerWork::Conclude
			},
		}
	}

	fn store_audit(id: JobId, job: JobOf<T>, audit: AuditOf<T>) {
		Jobs::<T>::insert(id, job);
		Audits::<T>::insert(id, audit);
	}

	/// The seed of draw `round` of job `id`.
	fn seed(id: JobId, round: u32) -> [u8; 32] {
		let (random, _) = T::Randomness::random(&(b"crucible:audit", id, round).encode());
		blake2_256(&(random, id, round).encode())
	}

	/// Decides whether the job is audited (the first time) and draws its next auditor.
	fn draw(id: JobId, job: &mut JobOf<T>, audit: &mut AuditOf<T>, now: BlockNumberFor<T>) {
		let round = audit.auditors.len().saturating_add(audit.replaced.len());
		let seed = Self::seed(id, round.saturated_into());
		if audit.audited.is_none() {
			let rate = Self::audit_rate(&job.spec).unwrap_or_default();
			let word = u32::from_le_bytes([seed[0], seed[1], seed[2], seed[3]]);
			let audited = Permill::from_parts(word % 1_000_000) < rate;
			audit.audited = Some(audited);
			Self::deposit_event(Event::AuditDrawn { job: id, audited });
			if !audited {
				Self::start_opening(id, job, audit, now);
				return;
			}
		}
		let picked =
			Leases::<T>::get(id).and_then(|lease| Self::pick_auditor(job, &lease, audit, &seed));
		let Some(auditor) = picked else {
			Self::deposit_event(Event::AuditUnavailable { job: id });
			// Without a tie-breaker, the answers so far decide what they can at the opening.
			Self::start_opening(id, job, audit, now);
			return;
		};
		let until = now.saturating_add(job.spec.duration).saturating_add(T::AuditSlack::get());
		Self::assign(id, job, &auditor);
		if audit
			.auditors
			.try_push(AuditorRecord { who: auditor.clone(), answer: None, opened: None })
			.is_err()
		{
			defensive!("a third auditor drawn");
		}
		audit.stage = AuditStage::Run { until };
		Self::move_timer(id, job, until);
		Self::deposit_event(Event::AuditorAssigned { job: id, auditor, until });
	}

	/// Picks an auditor from `MaxAuditCandidates` providers read from a random place of the
	/// registry's order (wrapping round), weighted by reputation.
	pub(crate) fn pick_auditor(
		job: &JobOf<T>,
		lease: &LeaseOf<T>,
		audit: &AuditOf<T>,
		seed: &[u8; 32],
	) -> Option<T::AccountId> {
		let limit = T::MaxAuditCandidates::get();
		let start = T::AccountId::decode(&mut TrailingZeroInput::new(&seed[..])).ok();
		let mut candidates = T::Providers::providers_after(start.as_ref(), limit);
		let short = limit.saturating_sub(candidates.len().saturated_into());
		if short > 0 {
			for c in T::Providers::providers_after(None, short) {
				if !candidates.contains(&c) {
					candidates.push(c);
				}
			}
		}
		let provider_gpus = T::Providers::profile(&lease.provider)
			.map(|(p, _)| p.gpu_uuids.into_inner())
			.unwrap_or_default();
		let mut weighted: alloc::vec::Vec<(T::AccountId, u64)> = alloc::vec::Vec::new();
		for c in candidates {
			let taken = c == lease.provider ||
				c == job.owner ||
				audit.auditors.iter().any(|a| a.who == c) ||
				audit.replaced.contains(&c);
			if taken || !Self::can_audit(&c, job, &provider_gpus) {
				continue;
			}
			let reputation = T::Providers::reputation(&c).unwrap_or_default();
			weighted.push((c, u64::from(reputation.deconstruct()).saturating_add(1)));
		}
		let total = weighted.iter().fold(0u64, |t, (_, w)| t.saturating_add(*w));
		if total == 0 {
			return None;
		}
		let word = u64::from_le_bytes([
			seed[8], seed[9], seed[10], seed[11], seed[12], seed[13], seed[14], seed[15],
		]);
		let mut point = word.checked_rem(total).unwrap_or_default();
		for (c, w) in weighted {
			if point < w {
				return Some(c);
			}
			point = point.saturating_sub(w);
		}
		None
	}

	/// Whether `who` may audit `job`: `Active`, meeting its requirement and minimum
	/// reputation, with its GPUs free, room for one more assignment, and no GPU in common with
	/// the provider (`provider_gpus`: one host registered twice does not audit itself).
	fn can_audit(who: &T::AccountId, job: &JobOf<T>, provider_gpus: &[[u8; 16]]) -> bool {
		let Some((reputation, declared)) = T::Providers::capacity(who, &job.spec.requirement)
		else {
			return false;
		};
		let free = LeasedGpus::<T>::get(who).saturating_add(job.spec.requirement.min_gpu_count) <=
			declared;
		let shares_gpu = !provider_gpus.is_empty() &&
			T::Providers::profile(who)
				.is_some_and(|(p, _)| p.gpu_uuids.iter().any(|u| provider_gpus.contains(u)));
		reputation >= job.spec.min_reputation &&
			free && !Assignments::<T>::get(who).is_full() &&
			!shares_gpu
	}

	/// The auditor takes the job's GPUs for the audit.
	fn assign(id: JobId, job: &JobOf<T>, auditor: &T::AccountId) {
		let gpus = job.spec.requirement.min_gpu_count;
		if gpus > 0 {
			LeasedGpus::<T>::mutate(auditor, |n| *n = n.saturating_add(gpus));
		}
		if Assignments::<T>::try_mutate(auditor, |a| a.try_push(id)).is_err() {
			defensive!("an auditor's assignments are full though it was checked");
		}
	}

	/// The auditor's part in the audit is over: its GPUs are free again.
	pub(crate) fn unassign(id: JobId, job: &JobOf<T>, auditor: &T::AccountId) {
		let gpus = job.spec.requirement.min_gpu_count;
		LeasedGpus::<T>::mutate_exists(auditor, |n| {
			let left = n.unwrap_or_default().saturating_sub(gpus);
			*n = (left > 0).then_some(left);
		});
		Assignments::<T>::mutate_exists(auditor, |list| {
			if let Some(l) = list {
				l.retain(|j| *j != id);
				if l.is_empty() {
					*list = None;
				}
			}
		});
	}

	/// The last auditor did not answer: slashed lightly to the developer, replaced (or, with
	/// no replacement left, the answers so far are opened).
	fn auditor_missed(
		id: JobId,
		job: &mut JobOf<T>,
		audit: &mut AuditOf<T>,
		now: BlockNumberFor<T>,
	) {
		let Some(missed) = audit.auditors.pop() else {
			defensive!("an audit running without an auditor");
			Self::start_opening(id, job, audit, now);
			return;
		};
		Self::unassign(id, job, &missed.who);
		let slashed = T::Providers::slash_to(
			&missed.who,
			T::AuditorMissSlash::get(),
			SlashReason::MissedAudit,
			&job.owner,
		)
		.unwrap_or_default();
		Self::deposit_event(Event::AuditorMissed { job: id, auditor: missed.who.clone(), slashed });
		if audit.replaced.try_push(missed.who).is_err() {
			Self::start_opening(id, job, audit, now);
			return;
		}
		let at = now.saturating_add(T::AuditDrawDelay::get());
		audit.stage = AuditStage::Draw { at };
		Self::move_timer(id, job, at);
	}

	/// Every auditor answered (or none will): the parties open their roots.
	fn start_opening(
		id: JobId,
		job: &mut JobOf<T>,
		audit: &mut AuditOf<T>,
		now: BlockNumberFor<T>,
	) {
		let until = now.saturating_add(T::OpenWindow::get());
		audit.stage = AuditStage::Open { until };
		Self::move_timer(id, job, until);
		Self::deposit_event(Event::OpeningStarted { job: id, until });
	}

	/// Every check of an audit report, writing nothing: the job, its audit, and whether the
	/// reporter is the job's provider (else one of its auditors). Who may speak is checked before
	/// an opening is hashed.
	pub(crate) fn check_audit(
		report: &AuditReportOf<T>,
	) -> Result<(JobOf<T>, AuditOf<T>, bool), Error<T>> {
		let id = report.job;
		let job = Jobs::<T>::get(id).ok_or(Error::<T>::UnknownJob)?;
		ensure!(matches!(job.phase, JobPhase::Verifying { .. }), Error::<T>::WrongPhase);
		let audit = Audits::<T>::get(id).ok_or(Error::<T>::WrongPhase)?;
		let is_provider = Leases::<T>::get(id).is_some_and(|l| l.provider == report.who);
		match &report.step {
			AuditStep::Submit { .. } => {
				ensure!(matches!(audit.stage, AuditStage::Run { .. }), Error::<T>::WrongAuditStage);
				let last = audit.auditors.last().ok_or(Error::<T>::NotAuditParty)?;
				ensure!(last.who == report.who && last.answer.is_none(), Error::<T>::NotAuditParty);
			},
			AuditStep::Open { opening } => {
				ensure!(
					matches!(audit.stage, AuditStage::Open { .. }),
					Error::<T>::WrongAuditStage
				);
				// The party's digest (and, for an auditor, its commitment) to open.
				let committed = if is_provider {
					ensure!(audit.opened.is_none(), Error::<T>::NotAuditParty);
					(audit.digest, None)
				} else {
					let auditor = audit
						.auditors
						.iter()
						.find(|a| a.who == report.who && a.opened.is_none())
						.ok_or(Error::<T>::NotAuditParty)?;
					let (digest, commitment) = auditor.answer.ok_or(Error::<T>::NotAuditParty)?;
					(digest, Some(commitment))
				};
				ensure!(opening.is_consistent(), Error::<T>::BadOpening);
				ensure!(result_digest(id, &opening.root) == committed.0, Error::<T>::BadOpening);
				ensure!(
					committed
						.1
						.is_none_or(|c| c == audit_commitment(id, &report.who, &opening.root)),
					Error::<T>::BadOpening
				);
			},
		}
		Ok((job, audit, is_provider))
	}

	pub(crate) fn authorize_audit(
		_source: TransactionSource,
		report: &AuditReportOf<T>,
		signature: &AttestationSignature,
	) -> TransactionValidityWithRefund {
		Self::check_audit(report).map_err(invalid::refusal::<T>)?;
		let key = T::Providers::attestation_key(&report.who)
			.ok_or(super::lease::refuse(invalid::NOT_REGISTERED))?;
		let payload = audit_payload(Self::genesis_hash().as_ref(), report);
		if !key.verify(&payload, signature) {
			return Err(InvalidTransaction::BadProof.into());
		}
		let step: u8 = match report.step {
			AuditStep::Submit { .. } => 0,
			AuditStep::Open { .. } => 1,
		};
		let longevity: u64 = T::OpenWindow::get().saturated_into::<u64>().max(1);
		ValidTransaction::with_tag_prefix("CrucibleAudit")
			.priority(T::UnsignedPriority::get())
			.and_provides((report.job, &report.who, step))
			.longevity(longevity)
			.propagate(true)
			.build()
			.map(|validity| (validity, polkadot_sdk::frame_support::weights::Weight::zero()))
	}

	pub(crate) fn do_audit(report: AuditReportOf<T>) -> DispatchResult {
		let (mut job, mut audit, is_provider) = Self::check_audit(&report)?;
		let id = report.job;
		let now = Self::now();
		match report.step {
			AuditStep::Submit { digest, commitment } => {
				let agrees = digest == audit.digest;
				let answered = audit.auditors.len();
				if let Some(last) = audit.auditors.last_mut() {
					last.answer = Some((digest, commitment));
				}
				Self::deposit_event(Event::AuditAnswered { job: id, auditor: report.who, agrees });
				if answered == 1 && !agrees {
					// A tie-breaker, from randomness not known yet.
					let at = now.saturating_add(T::AuditDrawDelay::get());
					audit.stage = AuditStage::Draw { at };
					Self::move_timer(id, &mut job, at);
				} else {
					Self::start_opening(id, &mut job, &mut audit, now);
				}
				Self::store_audit(id, job, audit);
			},
			AuditStep::Open { opening } => {
				let root = opening.root;
				if is_provider {
					audit.opened = Some(opening);
				} else if let Some(a) = audit.auditors.iter_mut().find(|a| a.who == report.who) {
					a.opened = Some(opening);
				}
				Self::deposit_event(Event::ResultOpened { job: id, who: report.who, root });
				let all = audit.opened.is_some() &&
					audit.auditors.iter().all(|a| a.answer.is_none() || a.opened.is_some());
				if all {
					Self::conclude(id, job, audit);
				} else {
					Self::store_audit(id, job, audit);
				}
			},
		}
		Ok(())
	}

	/// Which root won: the one with two votes (the provider's and each opened answer).
	fn tally(audit: &AuditOf<T>) -> Tally {
		let roots: alloc::vec::Vec<Option<H256>> =
			audit.auditors.iter().map(|a| a.opened.as_ref().map(|o| o.root)).collect();
		if let Some(p) = audit.opened.as_ref().map(|o| o.root) {
			let agreeing: alloc::vec::Vec<usize> = roots
				.iter()
				.enumerate()
				.filter(|(_, r)| **r == Some(p))
				.map(|(i, _)| i)
				.collect();
			if !agreeing.is_empty() {
				return Tally::Provider { agreeing };
			}
		}
		// Two auditors on one root that is not the provider's.
		match roots.as_slice() {
			[Some(a), Some(b)] if a == b => Tally::Auditors { winners: alloc::vec![0, 1] },
			_ => Tally::None,
		}
	}

	/// Ends the audit: pays and slashes by the tally, writes the receipt.
	fn conclude(id: JobId, mut job: JobOf<T>, audit: AuditOf<T>) {
		let Some(mut lease) = Leases::<T>::get(id) else {
			defensive!("an audited job without its lease");
			return;
		};
		// Answers never opened are slashed and count for nothing.
		for a in audit.auditors.iter().filter(|a| a.answer.is_some() && a.opened.is_none()) {
			Self::slash_auditor(id, &a.who, &job.owner);
		}
		let verdict = Self::tally(&audit);
		let nobody = !audit.auditors.iter().any(|a| a.opened.is_some());
		match (verdict, audit.opened.clone()) {
			// Not audited (or no auditor answered): the provider's root goes on as any result.
			(_, Some(opened)) if nobody => {
				Self::deposit_event(Event::AuditConcluded { job: id, outcome: AuditOutcome::None });
				let dispute_until = Self::now().saturating_add(T::DisputeWindow::get());
				job.phase = JobPhase::Completed { result: opened.root, dispute_until };
				Self::move_timer(id, &mut job, dispute_until.saturating_add(One::one()));
				Self::release_auditors(id, &job, &audit);
				Jobs::<T>::insert(id, job);
				Self::deposit_event(Event::JobCompleted {
					job: id,
					result: opened.root,
					dispute_until,
				});
			},
			(Tally::Provider { agreeing }, Some(opened)) => {
				// The losers' slashes go to the first auditor that confirmed the result.
				let confirmer = agreeing
					.first()
					.and_then(|i| audit.auditors.get(*i))
					.map(|a| a.who.clone())
					.unwrap_or_else(|| job.owner.clone());
				for (i, a) in audit.auditors.iter().enumerate() {
					if a.opened.is_some() && !agreeing.contains(&i) {
						Self::slash_auditor(id, &a.who, &confirmer);
					}
				}
				for i in &agreeing {
					if let Some(a) = audit.auditors.get(*i) {
						Self::pay_auditor_from_escrow(id, &mut job, &lease, &a.who);
					}
				}
				let outcome = AuditOutcome::Matched { auditors: agreeing.len().saturated_into() };
				Self::deposit_event(Event::AuditConcluded { job: id, outcome: outcome.clone() });
				let (paid, fee) = Self::pay(id, &mut job, &lease, lease.accrued);
				Self::credit_served(&lease, paid.saturating_add(fee));
				Self::write_receipt(id, &job, &lease, opened.root, outcome);
				// `end_job` frees the auditors (the job is still being verified).
				Self::end_job(id, job, JobEnd::Settled);
			},
			(Tally::Auditors { winners }, provider_opening) => {
				let winning: Option<ResultOpening> = winners
					.first()
					.and_then(|i| audit.auditors.get(*i))
					.and_then(|a| a.opened.clone());
				let winners: alloc::vec::Vec<T::AccountId> = winners
					.iter()
					.filter_map(|i| audit.auditors.get(*i).map(|a| a.who.clone()))
					.collect();
				Self::fail_provider(id, &mut job, &mut lease, &winners, provider_opening, winning);
			},
			(_, None) => {
				// The provider never opened its root: its result is void. Auditors that opened
				// theirs are paid from its collateral.
				let winners: alloc::vec::Vec<T::AccountId> = audit
					.auditors
					.iter()
					.filter(|a| a.opened.is_some())
					.map(|a| a.who.clone())
					.collect();
				let winning = audit.auditors.iter().find_map(|a| a.opened.clone());
				Self::fail_provider(id, &mut job, &mut lease, &winners, None, winning);
			},
			(Tally::None, Some(_)) => {
				// No majority: the dispute origin decides, as for a dispute without deposit,
				// with the provider upheld after `DisputeTimeout`.
				Self::deposit_event(Event::AuditConcluded {
					job: id,
					outcome: AuditOutcome::Unresolved,
				});
				Self::release_auditors(id, &job, &audit);
				let reason: DisputeReason =
					BoundedVec::truncate_from(b"audit: no majority".to_vec());
				Disputes::<T>::insert(
					id,
					Dispute { reason: reason.clone(), deposit: Zero::zero() },
				);
				job.phase = JobPhase::Disputed { result: audit.digest };
				let timeout = Self::now().saturating_add(T::DisputeTimeout::get());
				Self::move_timer(id, &mut job, timeout);
				Jobs::<T>::insert(id, job);
				Audits::<T>::insert(id, audit);
				Self::deposit_event(Event::JobDisputed { job: id, reason });
			},
		}
	}

	/// Frees every auditor's GPUs and assignment.
	fn release_auditors(id: JobId, job: &JobOf<T>, audit: &AuditOf<T>) {
		for a in &audit.auditors {
			Self::unassign(id, job, &a.who);
		}
	}

	/// Slashes an auditor `AuditorSlash` of its bond to `to`.
	fn slash_auditor(id: JobId, auditor: &T::AccountId, to: &T::AccountId) {
		let slashed =
			T::Providers::slash_to(auditor, T::AuditorSlash::get(), SlashReason::WrongAudit, to)
				.unwrap_or_default();
		Self::deposit_event(Event::AuditorSlashed {
			job: id,
			auditor: auditor.clone(),
			slashed,
			to: to.clone(),
		});
	}

	/// Pays an auditor its fee out of the job's escrow (the audit fee the developer escrowed).
	fn pay_auditor_from_escrow(
		id: JobId,
		job: &mut JobOf<T>,
		lease: &LeaseOf<T>,
		auditor: &T::AccountId,
	) {
		// The lease's own payment stays in escrow: only what is beyond it pays audits.
		let lease_part = lease.accrued;
		let amount = lease.audit_fee.min(job.escrow.saturating_sub(lease_part));
		let moved = Self::transfer_held(HoldReason::JobEscrow, &job.owner, auditor, amount);
		job.escrow = job.escrow.saturating_sub(moved);
		Self::deposit_event(Event::AuditorPaid {
			job: id,
			auditor: auditor.clone(),
			amount: moved,
		});
	}

	/// The provider's result lost (or was never opened): nothing paid to it; its collateral
	/// pays `winners` their fee and the rest goes to the developer; the escrow is refunded.
	fn fail_provider(
		id: JobId,
		job: &mut JobOf<T>,
		lease: &mut LeaseOf<T>,
		winners: &[T::AccountId],
		provider: Option<ResultOpening>,
		winning: Option<ResultOpening>,
	) {
		let mut to_auditors: BalanceOf<T> = Zero::zero();
		let mut left = lease.collateral;
		for w in winners {
			let moved = Self::transfer_held(
				HoldReason::AuditCollateral,
				&lease.provider,
				w,
				lease.audit_fee.min(left),
			);
			left = left.saturating_sub(moved);
			to_auditors = to_auditors.saturating_add(moved);
			Self::deposit_event(Event::AuditorPaid { job: id, auditor: w.clone(), amount: moved });
		}
		let to_owner =
			Self::transfer_held(HoldReason::AuditCollateral, &lease.provider, &job.owner, left);
		lease.collateral = left.saturating_sub(to_owner);
		Leases::<T>::insert(id, lease.clone());
		Self::deposit_event(Event::CollateralSlashed {
			job: id,
			provider: lease.provider.clone(),
			to_auditors,
			to_owner,
		});
		let chunks = match (&provider, &winning) {
			(Some(p), Some(w)) => differing_chunks(p, w),
			_ => None,
		};
		let outcome = AuditOutcome::Mismatched {
			span: chunks.as_ref().map_or(0, |(span, _)| *span),
			chunks: chunks.map(|(_, c)| BoundedVec::truncate_from(c)),
		};
		Self::deposit_event(Event::AuditConcluded { job: id, outcome: outcome.clone() });
		let result = winning.map(|w| w.root).unwrap_or_default();
		Self::write_receipt(id, job, lease, result, outcome);
		// `end_job` frees the auditors (the job is still being verified).
		Self::end_job(id, job.clone(), JobEnd::AuditFailed);
	}

	/// Writes a finished job's receipt (kept for the last `MaxReceipts` job ids) and tells it.
	pub(crate) fn write_receipt(
		id: JobId,
		job: &JobOf<T>,
		lease: &LeaseOf<T>,
		result: H256,
		outcome: AuditOutcome,
	) {
		let next = NextJobId::<T>::get();
		if id.saturating_add(u64::from(T::MaxReceipts::get())) < next {
			return;
		}
		let receipt = Receipt {
			provider: lease.provider.clone(),
			spec_hash: H256(blake2_256(&job.spec.encode())),
			image: job.spec.workload.image,
			manifest: job.spec.workload.manifest,
			result,
			verification: job.spec.verification,
			outcome,
			settled_at: Self::now(),
		};
		Receipts::<T>::insert(id, receipt.clone());
		Self::deposit_event(Event::JobReceipt { job: id, receipt });
	}

	/// Drops the receipt that leaves the kept window when job `id` is posted.
	pub(crate) fn prune_receipt(id: JobId) {
		if let Some(old) = id.checked_sub(u64::from(T::MaxReceipts::get())) {
			Receipts::<T>::remove(old);
		}
	}
}
