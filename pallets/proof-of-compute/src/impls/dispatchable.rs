//! What the calls do, and how the workers' free submissions are authorized.
//!
//! `authorize_*` run for every submission that reaches the pool, from anyone: they check the
//! cheap things first (period, window, the provider's state, not already submitted) and the
//! signature last, and give each submission the tag `(phase, provider, period)`, so that the
//! pool keeps one of each and nothing is replayed.

use super::*;
use crucible_primitives::{
	challenge::{sample_positions, MAX_SAMPLES},
	proof_of_compute::{ChallengeParams, FailureReason},
	providers::AttestationSignature,
};
use polkadot_sdk::sp_runtime::{
	transaction_validity::{
		InvalidTransaction, TransactionValidityError, TransactionValidityWithRefund,
		ValidTransaction,
	},
	RuntimeAppPublic, SaturatedConversion,
};

use crate::types::invalid;

fn refuse(code: u8) -> TransactionValidityError {
	InvalidTransaction::Custom(code).into()
}

/// Too early (`Future`, the pool may keep it) or too late (`Stale`).
fn early_or_late(early: bool) -> TransactionValidityError {
	if early {
		InvalidTransaction::Future.into()
	} else {
		InvalidTransaction::Stale.into()
	}
}

impl<T: Config> Pallet<T> {
	/// The validity of a free submission that passed every check, valid until `until`.
	fn valid(
		phase: Phase,
		provider: &T::AccountId,
		period: PeriodIndex,
		until: BlockNumberFor<T>,
	) -> TransactionValidityWithRefund {
		let now = frame_system::Pallet::<T>::block_number();
		let longevity: u64 = until.saturating_sub(now).saturated_into::<u64>().saturating_add(1);
		ValidTransaction::with_tag_prefix("CruciblePoC")
			.priority(T::UnsignedPriority::get())
			.and_provides((phase, provider, period))
			.longevity(longevity)
			.propagate(true)
			.build()
			.map(|validity| (validity, Weight::zero()))
	}

	/// Whether `signature` is `key`'s over `payload` of `phase` on this chain.
	fn signed_by<P: Encode>(
		key: &crucible_primitives::providers::AttestationKey,
		phase: Phase,
		payload: &P,
		signature: &AttestationSignature,
	) -> bool {
		key.verify(&signing_payload(Self::genesis_hash().as_ref(), phase, payload), signature)
	}

	pub(crate) fn authorize_commitment(
		_source: TransactionSource,
		commitment: &CommitmentPayload<T::AccountId>,
		signature: &AttestationSignature,
	) -> TransactionValidityWithRefund {
		let (period, info) = Self::current().ok_or(InvalidTransaction::Future)?;
		if commitment.period != period {
			return Err(early_or_late(commitment.period > period));
		}
		let now = frame_system::Pallet::<T>::block_number();
		if !info.accepts_commitments(now) {
			return Err(early_or_late(now <= info.start));
		}
		if Commitments::<T>::get(&commitment.provider).is_some_and(|c| c.period == period) {
			return Err(InvalidTransaction::Stale.into());
		}
		let prover = T::Providers::prover_info(&commitment.provider)
			.ok_or(refuse(invalid::NOT_REGISTERED))?;
		if !Self::is_challenged(prover.status, prover.status_since, info.start) {
			return Err(refuse(invalid::NOT_CHALLENGED));
		}
		if !Self::signed_by(&prover.attestation_key, Phase::Commit, commitment, signature) {
			return Err(InvalidTransaction::BadProof.into());
		}
		Self::valid(Phase::Commit, &commitment.provider, period, info.commit_until())
	}

	pub(crate) fn authorize_opening(
		_source: TransactionSource,
		opening: &OpeningPayload<T::AccountId, T::MaxSamples>,
		signature: &AttestationSignature,
	) -> TransactionValidityWithRefund {
		let (period, info) = Self::current().ok_or(InvalidTransaction::Future)?;
		if opening.period != period {
			return Err(early_or_late(opening.period > period));
		}
		let now = frame_system::Pallet::<T>::block_number();
		if !info.accepts_openings(now) {
			return Err(early_or_late(now < info.open_from()));
		}
		if Commitments::<T>::get(&opening.provider).is_none_or(|c| c.period != period) {
			return Err(refuse(invalid::NO_COMMITMENT));
		}
		let prover = T::Providers::prover_info(&opening.provider)
			.filter(|p| p.status != ProviderStatus::Leaving)
			.ok_or(refuse(invalid::NOT_REGISTERED))?;
		// The shape of the openings (not their content, which is judged, and slashed, on
		// chain): a malformed submission is refused and may be sent again in the window.
		let shape = info.params.shape_for(&prover.profile);
		let depth = shape.depth(info.params.leaf_size) as usize;
		if opening.openings.len() != info.params.samples as usize ||
			opening
				.openings
				.iter()
				.any(|o| o.leaf.len() != info.params.leaf_size as usize || o.path.len() != depth)
		{
			return Err(refuse(invalid::MALFORMED));
		}
		if !Self::signed_by(&prover.attestation_key, Phase::Open, opening, signature) {
			return Err(InvalidTransaction::BadProof.into());
		}
		Self::valid(Phase::Open, &opening.provider, period, info.open_until())
	}

	pub(crate) fn authorize_heartbeat(
		_source: TransactionSource,
		heartbeat: &HeartbeatPayload<T::AccountId>,
		signature: &AttestationSignature,
	) -> TransactionValidityWithRefund {
		let (period, info) = Self::current().ok_or(InvalidTransaction::Future)?;
		if heartbeat.period != period {
			return Err(early_or_late(heartbeat.period > period));
		}
		if Heartbeats::<T>::get(&heartbeat.provider).is_some_and(|h| h.period >= period) {
			return Err(InvalidTransaction::Stale.into());
		}
		let prover = T::Providers::prover_info(&heartbeat.provider)
			.filter(|p| p.status != ProviderStatus::Leaving)
			.ok_or(refuse(invalid::NOT_REGISTERED))?;
		// A heartbeat says a host in the challenge pool is up and which backend it runs: a
		// paused, suspended or underbonded provider has nothing to be proven for, and would
		// only take free block space.
		if !prover.status.is_challengeable() {
			return Err(refuse(invalid::NOT_CHALLENGEABLE));
		}
		if !Self::signed_by(&prover.attestation_key, Phase::Heartbeat, heartbeat, signature) {
			return Err(InvalidTransaction::BadProof.into());
		}
		let last = info.next_start().saturating_sub(One::one());
		Self::valid(Phase::Heartbeat, &heartbeat.provider, period, last)
	}

	/// Records a commitment. A commitment of an earlier period that was never opened is
	/// settled first, as failed (a root that is not opened proves nothing).
	pub(crate) fn do_submit_commitment(
		commitment: CommitmentPayload<T::AccountId>,
	) -> DispatchResult {
		let (period, info) = Self::current().ok_or(Error::<T>::NoPeriod)?;
		ensure!(commitment.period == period, Error::<T>::WrongPeriod);
		let now = frame_system::Pallet::<T>::block_number();
		ensure!(info.accepts_commitments(now), Error::<T>::OutsideWindow);
		// `authorize` checked in this block that the provider is challenged and signed it.
		let who = commitment.provider;
		if let Some(old) = Commitments::<T>::get(&who) {
			ensure!(old.period != period, Error::<T>::AlreadySubmitted);
			if !Self::has_outcome(&who, old.period) {
				let params: ChallengeParams = Self::period_info(old.period)
					.map(|i| i.params)
					.unwrap_or_else(|| info.params.clone());
				Self::settle(&who, old.period, &params, Outcome::Failed(FailureReason::Unopened));
			}
		}
		Commitments::<T>::insert(&who, Commitment { period, root: commitment.root, at: now });
		Self::deposit_event(Event::Committed { provider: who, period, root: commitment.root });
		Ok(())
	}

	/// Checks the openings against the commitment and settles the challenge. Returns the inner
	/// dimension of the challenge (what the real weight depends on).
	pub(crate) fn do_submit_opening(
		opening: OpeningPayload<T::AccountId, T::MaxSamples>,
	) -> Result<u32, DispatchError> {
		let (period, info) = Self::current().ok_or(Error::<T>::NoPeriod)?;
		ensure!(opening.period == period, Error::<T>::WrongPeriod);
		let now = frame_system::Pallet::<T>::block_number();
		ensure!(info.accepts_openings(now), Error::<T>::OutsideWindow);
		let who = opening.provider;
		let commitment = Commitments::<T>::get(&who)
			.filter(|c| c.period == period)
			.ok_or(Error::<T>::NoCommitment)?;
		ensure!(
			opening.openings.len() == info.params.samples as usize &&
				info.params.samples <= MAX_SAMPLES,
			Error::<T>::WrongSampleCount
		);
		let prover = T::Providers::prover_info(&who).ok_or(Error::<T>::NotRegistered)?;
		let sample_seed = info.sample_seed.ok_or(Error::<T>::OutsideWindow)?;
		let shape = info.params.shape_for(&prover.profile);
		let positions = sample_positions(&sample_seed, &who, period, &shape, info.params.samples);
		let seed = Self::provider_seed(&info, &who, period);
		let outcome = match <T::Verifier as crate::ChallengeVerifier>::verify(
			&seed,
			&shape,
			info.params.leaf_size,
			&commitment.root,
			&positions,
			&opening.openings,
		) {
			Ok(()) => Outcome::Passed { units: shape.ops() },
			Err(reason) => Outcome::Failed(reason),
		};
		Commitments::<T>::remove(&who);
		Self::settle(&who, period, &info.params, outcome);
		Ok(shape.inner)
	}

	/// Records a heartbeat.
	pub(crate) fn do_heartbeat(heartbeat: HeartbeatPayload<T::AccountId>) -> DispatchResult {
		let (period, _) = Self::current().ok_or(Error::<T>::NoPeriod)?;
		ensure!(heartbeat.period == period, Error::<T>::WrongPeriod);
		let who = heartbeat.provider;
		ensure!(
			Heartbeats::<T>::get(&who).is_none_or(|h| h.period < period),
			Error::<T>::AlreadySubmitted
		);
		// `authorize` checked in this block that the provider is registered and signed it.
		let at = frame_system::Pallet::<T>::block_number();
		Heartbeats::<T>::insert(&who, HeartbeatRecord { period, at, report: heartbeat.report });
		Self::deposit_event(Event::HeartbeatReceived {
			provider: who,
			period,
			report: heartbeat.report,
		});
		Ok(())
	}

	pub(crate) fn do_set_params(params: ChallengeParams) -> DispatchResult {
		Self::validate_params(&params)?;
		Params::<T>::put(params.clone());
		Self::deposit_event(Event::ParamsSet { params });
		Ok(())
	}
}

use polkadot_sdk::sp_runtime::traits::One;
