//! Standing offers: a provider's node publishes, from its operator's bid policy, the price per
//! GPU and block it bids, the most leases it holds and the longest lease it takes, so that
//! `estimate` can tell a developer before posting who would bid and at what price. The call is
//! free and signed by the attestation key, like node bids; what keeps it from being spammed is
//! `OfferPeriod` (one offer per provider per period, checked when the pool validates it) and one
//! offer per provider in the pool. An offer is also the ceiling of its node's open bids (a
//! sealed bid, committed before an offer may change, is not held to it).

use super::{lease::refuse, *};
use alloc::vec::Vec;
use crucible_primitives::{
	marketplace::{node_offer_payload, OfferQuote, StandingOffer, MAX_QUOTES},
	proof_of_compute::GpuClass,
	providers::{AttestationSignature, HardwareRequirement},
};
use pallet_providers::ProviderInspect;
use polkadot_sdk::{
	frame_support::{ensure, pallet_prelude::TransactionSource, traits::Get},
	frame_system::pallet_prelude::BlockNumberFor,
	sp_runtime::{
		traits::{Saturating, Zero},
		transaction_validity::{InvalidTransaction, TransactionValidityWithRefund},
		Permill, RuntimeAppPublic,
	},
};

impl<T: Config> Pallet<T> {
	/// Every check `publish_offer` makes, writing nothing (a free call the pool takes cannot
	/// fail in the block).
	pub(crate) fn check_offer(offer: &NodeOfferOf<T>) -> Result<(), Error<T>> {
		let now = Self::now();
		ensure!(Self::within_lifetime(offer.valid_until), Error::<T>::BidExpired);
		ensure!(T::Providers::attestation_key(&offer.provider).is_some(), Error::<T>::NotEligible);
		let current = Offers::<T>::get(&offer.provider);
		if let Some(current) = &current {
			ensure!(
				now >= current.updated_at.saturating_add(T::OfferPeriod::get()),
				Error::<T>::OfferTooSoon
			);
		}
		ensure!(
			current.as_ref().map(|c| &c.offer) != offer.offer.as_ref(),
			Error::<T>::OfferUnchanged
		);
		if let Some(o) = &offer.offer {
			ensure!(
				!o.price_per_gpu.is_zero() &&
					o.price_per_gpu >= MinPrice::<T>::get() &&
					o.max_leases > 0 &&
					o.max_duration.is_none_or(|d| !d.is_zero()),
				Error::<T>::BadOffer
			);
		}
		Ok(())
	}

	pub(crate) fn authorize_offer(
		_source: TransactionSource,
		offer: &NodeOfferOf<T>,
		signature: &AttestationSignature,
	) -> TransactionValidityWithRefund {
		Self::check_offer(offer).map_err(invalid::refusal)?;
		let key = T::Providers::attestation_key(&offer.provider)
			.ok_or(refuse(invalid::NOT_REGISTERED))?;
		let payload = node_offer_payload(Self::genesis_hash().as_ref(), offer);
		if !key.verify(&payload, signature) {
			return Err(InvalidTransaction::BadProof.into());
		}
		Self::node_call_validity("CrucibleNodeOffer", &offer.provider, offer.valid_until)
	}

	pub(crate) fn do_publish_offer(offer: NodeOfferOf<T>) -> DispatchResult {
		Self::check_offer(&offer)?;
		match &offer.offer {
			Some(o) => Offers::<T>::insert(
				&offer.provider,
				StandingOffer { offer: o.clone(), updated_at: Self::now() },
			),
			None => Offers::<T>::remove(&offer.provider),
		}
		Self::deposit_event(Event::OfferPublished { provider: offer.provider, offer: offer.offer });
		Ok(())
	}

	/// An open node bid of `price` on `job` must not be above its provider's standing offer for the
	/// job's GPUs (a CPU-only job counts one).
	pub(crate) fn check_within_offer(
		provider: &T::AccountId,
		job: JobId,
		price: BalanceOf<T>,
	) -> Result<(), Error<T>> {
		let Some(standing) = Offers::<T>::get(provider) else { return Ok(()) };
		let job = Jobs::<T>::get(job).ok_or(Error::<T>::UnknownJob)?;
		let gpus: BalanceOf<T> = job.spec.requirement.min_gpu_count.max(1).into();
		ensure!(price <= standing.offer.price_per_gpu.saturating_mul(gpus), Error::<T>::AboveOffer);
		Ok(())
	}

	/// The quote of `provider` — `Active`, meeting the requirement with `reputation`, `gpus`
	/// declared and of `class` (what `estimate` read) — for a job of `duration` blocks needing
	/// `requirement`, if its standing offer would bid on it: it has the GPUs free, holds fewer
	/// leases than its offer's maximum, and takes leases that long.
	pub(crate) fn quote(
		provider: &T::AccountId,
		(reputation, gpus, class): (Permill, u32, GpuClass),
		requirement: &HardwareRequirement,
		duration: BlockNumberFor<T>,
	) -> Option<OfferQuoteOf<T>> {
		let standing = Offers::<T>::get(provider)?;
		let free_gpus = gpus.saturating_sub(LeasedGpus::<T>::get(provider));
		let asked = requirement.min_gpu_count.max(1);
		let leases = ProviderLeases::<T>::get(provider).len() as u32;
		if (requirement.min_gpu_count > free_gpus) ||
			leases >= standing.offer.max_leases ||
			standing.offer.max_duration.is_some_and(|d| duration > d)
		{
			return None;
		}
		Some(OfferQuote {
			provider: provider.clone(),
			class,
			price_per_gpu: standing.offer.price_per_gpu,
			price_per_block: standing.offer.price_per_gpu.saturating_mul(asked.into()),
			free_gpus,
			max_duration: standing.offer.max_duration,
			reputation,
		})
	}

	/// The cheapest `MAX_QUOTES` of `quotes` (then by reputation, best first).
	pub(crate) fn cheapest(mut quotes: Vec<OfferQuoteOf<T>>) -> Vec<OfferQuoteOf<T>> {
		quotes.sort_by(|a, b| {
			a.price_per_block.cmp(&b.price_per_block).then(b.reputation.cmp(&a.reputation))
		});
		quotes.truncate(MAX_QUOTES as usize);
		quotes
	}
}
