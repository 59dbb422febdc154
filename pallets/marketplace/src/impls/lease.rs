//! Leases: workload attestations (and how they are authorized), claims, disputes, and the ends
//! of a lease (settled, abandoned, refused, resolved).
//!
//! Payment accrues per attested block, and only while the provider is `Active` (passing its
//! proof-of-compute challenges); it is paid out by `claim` (lazily: nothing iterates leases)
//! and at settlement.

use super::*;
use crucible_primitives::{
	audit::AuditOutcome,
	marketplace::{signing_payload, DisputeReason, JobPhase, WorkReport},
	providers::AttestationSignature,
};
use pallet_providers::{ProviderInspect, ProviderSlash, ProviderStatus, SlashReason};
use polkadot_sdk::{
	frame_support::{
		ensure,
		pallet_prelude::TransactionSource,
		traits::{fungible::hold::Inspect as _, Get},
	},
	frame_system::{self, pallet_prelude::BlockNumberFor},
	sp_runtime::{
		traits::{One, SaturatedConversion},
		transaction_validity::{
			InvalidTransaction, TransactionValidityError, TransactionValidityWithRefund,
			ValidTransaction,
		},
		RuntimeAppPublic,
	},
};

/// Custom validity codes (`InvalidTransaction::Custom`) of refused attestations.
pub mod invalid {
	/// No lease for the job.
	pub const NO_LEASE: u8 = 1;
	/// The attester is not the lease's provider.
	pub const NOT_PROVIDER: u8 = 2;
	/// The stretch is too short, goes past the lease's end, or the report does not fit it.
	pub const MALFORMED: u8 = 3;
	/// The provider is not registered, or is leaving.
	pub const NOT_REGISTERED: u8 = 4;
	/// A node bid for a job that does not take it now (unknown, other phase or kind, closed).
	pub const NOT_BIDDABLE: u8 = 5;
	/// A node bid from a provider that already bid (or has no commitment to reveal).
	pub const ALREADY_BID: u8 = 6;
	/// A node bid whose `valid_until` has passed or lies too far ahead, or that was signed
	/// before the provider's last withdrawal.
	pub const EXPIRED: u8 = 7;
	/// A free call its dispatch would refuse with another of the pallet's errors:
	/// `CALL_FAILS` + that error's index in the pallet's `Error` (as in the metadata).
	pub const CALL_FAILS: u8 = 64;

	/// What `authorize` answers for a free call its dispatch would refuse with `error`: the
	/// codes above where one fits, `CALL_FAILS + index` otherwise.
	pub fn refusal<T: crate::Config>(
		error: crate::Error<T>,
	) -> polkadot_sdk::sp_runtime::transaction_validity::TransactionValidityError {
		use crate::Error as E;
		let code = match error {
			E::UnknownJob | E::JobNotOpen | E::AuctionClosed | E::WrongAuctionKind => NOT_BIDDABLE,
			E::AlreadyBid | E::NoBid => ALREADY_BID,
			E::BidExpired => EXPIRED,
			other => {
				let index = codec::Encode::encode(&other).first().copied().unwrap_or_default();
				CALL_FAILS.saturating_add(index)
			},
		};
		super::refuse(code)
	}
}

pub(crate) fn refuse(code: u8) -> TransactionValidityError {
	InvalidTransaction::Custom(code).into()
}

impl<T: Config> Pallet<T> {
	pub(crate) fn genesis_hash() -> T::Hash {
		frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::zero())
	}

	/// Whether the attestation's stretch and report fit the lease; `Err` says why not
	/// (`Stale`: already covered; `Future`: not yet; a custom code otherwise).
	fn check_stretch(
		attestation: &AttestationOf<T>,
		lease: &LeaseOf<T>,
	) -> Result<(), TransactionValidityError> {
		if attestation.provider != lease.provider {
			return Err(refuse(invalid::NOT_PROVIDER));
		}
		if attestation.from < lease.attested_through {
			return Err(InvalidTransaction::Stale.into());
		}
		if attestation.from > lease.attested_through || attestation.to > Self::now() {
			return Err(InvalidTransaction::Future.into());
		}
		let (from, to, end) = (attestation.from, attestation.to, lease.end);
		let fits = match &attestation.report {
			// The access details as soon as the workload runs: a stretch of no blocks (nothing
			// paid) that only publishes them, once.
			WorkReport::Running { access: Some(_), .. } if to == from =>
				!Access::<T>::contains_key(attestation.job),
			WorkReport::Running { .. } =>
				to < end && to.saturating_sub(from) >= T::AttestationInterval::get(),
			WorkReport::Completed { .. } => to == end && to > from,
			WorkReport::Refused { .. } => to == from,
		};
		if !fits {
			return Err(refuse(invalid::MALFORMED));
		}
		Ok(())
	}

	pub(crate) fn authorize_attest(
		_source: TransactionSource,
		attestation: &AttestationOf<T>,
		signature: &AttestationSignature,
	) -> TransactionValidityWithRefund {
		let lease = Leases::<T>::get(attestation.job).ok_or(refuse(invalid::NO_LEASE))?;
		Self::check_stretch(attestation, &lease)?;
		// As the call: only a running job takes attestations (a completed or disputed one
		// would refuse it in the block, and the same call would be valid again next block).
		let running =
			Jobs::<T>::get(attestation.job).is_some_and(|job| job.phase == JobPhase::Running);
		if !running {
			return Err(invalid::refusal(Error::<T>::WrongPhase));
		}
		let key = T::Providers::attestation_key(&attestation.provider)
			.ok_or(refuse(invalid::NOT_REGISTERED))?;
		let payload = signing_payload(Self::genesis_hash().as_ref(), attestation);
		if !key.verify(&payload, signature) {
			return Err(InvalidTransaction::BadProof.into());
		}
		let longevity: u64 = T::GraceBlocks::get().saturated_into::<u64>().max(1);
		ValidTransaction::with_tag_prefix("CrucibleMarket")
			.priority(T::UnsignedPriority::get())
			.and_provides((attestation.job, attestation.from))
			.longevity(longevity)
			.propagate(true)
			.build()
			.map(|validity| (validity, polkadot_sdk::frame_support::weights::Weight::zero()))
	}

	pub(crate) fn do_provide_secrets(
		who: T::AccountId,
		id: JobId,
		sealed: crucible_primitives::marketplace::SealedSecrets,
	) -> DispatchResult {
		let job = Jobs::<T>::get(id).ok_or(Error::<T>::UnknownJob)?;
		ensure!(job.owner == who, Error::<T>::NotOwner);
		ensure!(job.phase == JobPhase::Running, Error::<T>::WrongPhase);
		let needs = Manifests::<T>::get(id).is_some_and(|m| m.needs_secrets());
		ensure!(needs, Error::<T>::NoSecretsDeclared);
		ensure!(!Secrets::<T>::contains_key(id), Error::<T>::SecretsAlreadyProvided);
		Secrets::<T>::insert(id, sealed);
		Self::deposit_event(Event::SecretsProvided { job: id });
		Ok(())
	}

	pub(crate) fn do_attest(attestation: AttestationOf<T>) -> DispatchResult {
		let id = attestation.job;
		let mut lease = Leases::<T>::get(id).ok_or(Error::<T>::UnknownJob)?;
		let mut job = Jobs::<T>::get(id).ok_or(Error::<T>::UnknownJob)?;
		ensure!(job.phase == JobPhase::Running, Error::<T>::WrongPhase);
		Self::check_stretch(&attestation, &lease).map_err(|_| Error::<T>::BadStretch)?;
		let now = Self::now();
		let (usage, status) = match &attestation.report {
			WorkReport::Refused { reason } => {
				let accrued = lease.accrued;
				Self::pay(id, &mut job, &lease, accrued);
				Self::end_job(id, job, JobEnd::Refused { reason: *reason });
				return Ok(());
			},
			WorkReport::Running { usage, status, access } => {
				if let Some(access) = access {
					Access::<T>::insert(id, access);
					Self::deposit_event(Event::AccessPublished { job: id });
				}
				(*usage, *status)
			},
			WorkReport::Completed { usage, status, .. } => (*usage, *status),
		};
		let blocks = attestation.to.saturating_sub(attestation.from);
		let active = T::Providers::status(&lease.provider) == Some(ProviderStatus::Active);
		let earned = if active {
			let n: BalanceOf<T> = blocks.saturated_into::<u32>().into();
			let unspent = job.escrow.saturating_sub(lease.accrued);
			lease.paid_blocks = lease.paid_blocks.saturating_add(blocks);
			lease.price_per_block.saturating_mul(n).min(unspent)
		} else {
			lease.unpaid_blocks = lease.unpaid_blocks.saturating_add(blocks);
			Zero::zero()
		};
		lease.accrued = lease.accrued.saturating_add(earned);
		lease.attested_through = attestation.to;
		// Only attested blocks show the provider is serving: the access details' attestation
		// of no blocks (sent once, at any time) must not put off the grace period's end.
		if !blocks.is_zero() {
			lease.last_seen = now;
		}
		lease.gpu_seconds = lease.gpu_seconds.max(usage.gpu_seconds);
		lease.status = status;
		Self::deposit_event(Event::WorkAttested {
			job: id,
			provider: lease.provider.clone(),
			from: attestation.from,
			to: attestation.to,
			earned,
			accrued: lease.accrued,
			usage,
		});
		let left = lease.end.saturating_sub(attestation.to);
		if !lease.warned && !left.is_zero() && left < T::LowEscrowBlocks::get() {
			lease.warned = true;
			let escrow = job.escrow.saturating_sub(lease.accrued);
			Self::deposit_event(Event::EscrowLow { job: id, escrow });
			Self::deposit_event(Event::LeaseEnding { job: id, end: lease.end });
		}
		if let (WorkReport::Completed { result, .. }, Some(_)) =
			(&attestation.report, Self::audit_rate(&job.spec))
		{
			// An audited job's result is the digest of its root: the audit starts.
			Self::start_audit(id, &mut job, *result);
			Jobs::<T>::insert(id, job);
		} else if let WorkReport::Completed { result, .. } = attestation.report {
			let dispute_until = now.saturating_add(T::DisputeWindow::get());
			job.phase = JobPhase::Completed { result, dispute_until };
			Self::rearm(id, &mut job, dispute_until.saturating_add(One::one()));
			Jobs::<T>::insert(id, job);
			Self::deposit_event(Event::JobCompleted { job: id, result, dispute_until });
		} else if job.timer.is_none() {
			// The lease's check was dropped (every queue ahead was full): back in a queue.
			Self::rearm(id, &mut job, now.saturating_add(T::GraceBlocks::get()));
			Jobs::<T>::insert(id, job);
		}
		Leases::<T>::insert(id, lease);
		Ok(())
	}

	pub(crate) fn do_claim(who: T::AccountId, id: JobId) -> DispatchResult {
		let mut lease = Leases::<T>::get(id).ok_or(Error::<T>::UnknownJob)?;
		ensure!(lease.provider == who, Error::<T>::NotLeaseProvider);
		let mut job = Jobs::<T>::get(id).ok_or(Error::<T>::UnknownJob)?;
		ensure!(job.phase == JobPhase::Running, Error::<T>::WrongPhase);
		ensure!(Self::audit_rate(&job.spec).is_none(), Error::<T>::PaidAtSettlement);
		ensure!(!lease.accrued.is_zero(), Error::<T>::NothingToClaim);
		let (paid, fee) = Self::pay(id, &mut job, &lease, lease.accrued);
		let out = paid.saturating_add(fee);
		lease.accrued = lease.accrued.saturating_sub(out);
		lease.claimed = lease.claimed.saturating_add(out);
		Leases::<T>::insert(id, lease);
		Jobs::<T>::insert(id, job);
		Ok(())
	}

	pub(crate) fn do_dispute(
		who: T::AccountId,
		id: JobId,
		reason: DisputeReason,
	) -> DispatchResult {
		let mut job = Jobs::<T>::get(id).ok_or(Error::<T>::UnknownJob)?;
		ensure!(job.owner == who, Error::<T>::NotOwner);
		let JobPhase::Completed { result, dispute_until } = job.phase else {
			return Err(Error::<T>::WrongPhase.into());
		};
		ensure!(Self::now() <= dispute_until, Error::<T>::DisputeWindowClosed);
		let deposit = T::DisputeDeposit::get()
			.saturating_add(T::DisputeDepositRate::get().mul_ceil(job.escrow));
		ensure!(
			T::Currency::can_hold(&HoldReason::DisputeDeposit.into(), &who, deposit),
			Error::<T>::InsufficientFunds
		);
		// The deadline: resolved for the provider if nobody decides by then.
		let deadline = Self::schedule(id, Self::now().saturating_add(T::DisputeTimeout::get()))?;
		Self::hold(HoldReason::DisputeDeposit, &who, deposit)?;
		if let Some(at) = job.timer.replace(deadline) {
			Self::unschedule(id, at);
		}
		job.phase = JobPhase::Disputed { result };
		Jobs::<T>::insert(id, job);
		Disputes::<T>::insert(id, Dispute { reason: reason.clone(), deposit });
		Self::deposit_event(Event::JobDisputed { job: id, reason });
		Ok(())
	}

	pub(crate) fn do_resolve_dispute(id: JobId, verdict: Verdict) -> DispatchResult {
		let job = Jobs::<T>::get(id).ok_or(Error::<T>::UnknownJob)?;
		Self::resolve(id, job, verdict, false)
	}

	/// Decides a dispute (`timed_out`: nobody did in `DisputeTimeout`).
	pub(crate) fn resolve(
		id: JobId,
		mut job: JobOf<T>,
		verdict: Verdict,
		timed_out: bool,
	) -> DispatchResult {
		ensure!(matches!(job.phase, JobPhase::Disputed { .. }), Error::<T>::NotDisputed);
		let dispute = Disputes::<T>::take(id).ok_or(Error::<T>::NotDisputed)?;
		let lease = Leases::<T>::get(id).ok_or(Error::<T>::NotDisputed)?;
		Self::deposit_event(Event::DisputeResolved { job: id, verdict, timed_out });
		match verdict {
			Verdict::Developer => {
				Self::release(HoldReason::DisputeDeposit, &job.owner, dispute.deposit);
				Self::slash_provider(
					id,
					&job,
					&lease.provider,
					T::DisputeSlash::get(),
					SlashReason::LostDispute,
				);
				Self::end_job(id, job, JobEnd::Refunded);
			},
			Verdict::Provider => {
				let moved = Self::transfer_held(
					HoldReason::DisputeDeposit,
					&job.owner,
					&lease.provider,
					dispute.deposit,
				);
				// What the provider could not take goes back.
				Self::release(
					HoldReason::DisputeDeposit,
					&job.owner,
					dispute.deposit.saturating_sub(moved),
				);
				let (paid, fee) = Self::pay(id, &mut job, &lease, lease.accrued);
				Self::credit_served(&lease, paid.saturating_add(fee));
				let (result, outcome) = Self::disputed_result(id, &job);
				Self::write_receipt(id, &job, &lease, result, outcome);
				Self::end_job(id, job, JobEnd::Settled);
			},
		}
		Ok(())
	}

	/// Slashes `share` of the provider's bond to the job's owner.
	fn slash_provider(
		id: JobId,
		job: &JobOf<T>,
		provider: &T::AccountId,
		share: polkadot_sdk::sp_runtime::Permill,
		reason: SlashReason,
	) {
		match T::Providers::slash_to(provider, share, reason, &job.owner) {
			Ok(compensation) => Self::deposit_event(Event::ProviderSlashed {
				job: id,
				provider: provider.clone(),
				compensation,
				reason,
			}),
			Err(_) => {
				defensive!("a lease's provider is not registered");
			},
		}
	}

	/// A completed job past its dispute window: the provider is paid, the rest returned.
	pub(crate) fn settle(id: JobId, mut job: JobOf<T>) {
		if let Some(lease) = Leases::<T>::get(id) {
			let (paid, fee) = Self::pay(id, &mut job, &lease, lease.accrued);
			Self::credit_served(&lease, paid.saturating_add(fee));
			if let JobPhase::Completed { result, .. } = job.phase {
				Self::write_receipt(id, &job, &lease, result, AuditOutcome::None);
			}
		}
		Self::end_job(id, job, JobEnd::Settled);
	}

	/// The result and audit outcome of a disputed job upheld for its provider: an audit
	/// without a majority names the provider's opened root.
	fn disputed_result(id: JobId, job: &JobOf<T>) -> (polkadot_sdk::sp_core::H256, AuditOutcome) {
		let result = match job.phase {
			JobPhase::Disputed { result } => result,
			_ => Default::default(),
		};
		match Audits::<T>::get(id) {
			Some(audit) => (
				audit.opened.map_or(result, |o| o.root),
				if audit.auditors.is_empty() {
					AuditOutcome::None
				} else {
					AuditOutcome::Unresolved
				},
			),
			None => (result, AuditOutcome::None),
		}
	}

	/// Tells `OnLeaseSettled` what a settled lease paid out over its life (claims and `last`,
	/// the final payment) and the protocol fees of it (`ProtocolFee` of the total, as `pay`
	/// counts them): emissions pays for work someone paid for, never more than its fees.
	pub(crate) fn credit_served(lease: &LeaseOf<T>, last: BalanceOf<T>) {
		let value = lease.claimed.saturating_add(last);
		let fees = T::ProtocolFee::get().mul_floor(value);
		T::OnLeaseSettled::on_lease_settled(&lease.provider, value, fees);
	}

	/// A lease without attestations for `GraceBlocks`: what was attested is paid, the
	/// provider is slashed to the developer, the rest returned.
	pub(crate) fn abandon(id: JobId, mut job: JobOf<T>, lease: LeaseOf<T>) {
		Self::pay(id, &mut job, &lease, lease.accrued);
		Self::slash_provider(
			id,
			&job,
			&lease.provider,
			T::AbandonSlash::get(),
			SlashReason::AbandonedLease,
		);
		Self::end_job(id, job, JobEnd::Abandoned);
	}
}
