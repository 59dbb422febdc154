//! Bids made by a provider's node from its operator's bid policy. The node holds no funded key:
//! it signs with the provider's attestation key, and the call is a free authorized
//! transaction whose deposit is held from the provider's account, as for a bid the provider
//! signs itself. Each signed bid is good for `NODE_BID_LIFETIME` blocks, once per (job,
//! provider, action).

use super::{lease::refuse, *};
use crucible_primitives::{
	marketplace::{node_bid_payload, AuctionKind, JobPhase, NodeBidAction, NODE_BID_LIFETIME},
	providers::AttestationSignature,
};
use pallet_providers::ProviderInspect;
use polkadot_sdk::{
	frame_support::{ensure, pallet_prelude::TransactionSource, traits::Get},
	sp_runtime::{
		traits::SaturatedConversion,
		transaction_validity::{
			InvalidTransaction, TransactionValidityError, TransactionValidityWithRefund,
			ValidTransaction,
		},
		RuntimeAppPublic,
	},
};

impl<T: Config> Pallet<T> {
	/// Whether `bid` is within its validity: not past `valid_until`, which is at most
	/// `NODE_BID_LIFETIME` blocks ahead.
	fn bid_is_current(bid: &NodeBidOf<T>) -> bool {
		let now = Self::now();
		bid.valid_until >= now && bid.valid_until <= now.saturating_add(NODE_BID_LIFETIME.into())
	}

	/// Whether the job takes `bid`'s action from its provider now (cheap checks that keep the
	/// pool clean; the call checks everything again).
	fn check_node_bid(bid: &NodeBidOf<T>) -> Result<(), TransactionValidityError> {
		if !Self::bid_is_current(bid) {
			return Err(refuse(invalid::EXPIRED));
		}
		let job = Jobs::<T>::get(bid.job).ok_or(refuse(invalid::NOT_BIDDABLE))?;
		let now = Self::now();
		let sealed = matches!(job.spec.auction, AuctionKind::Sealed { .. });
		match (&bid.action, job.phase) {
			(NodeBidAction::Place { .. }, JobPhase::Bidding { closes_at })
				if !sealed && now < closes_at =>
				if Bids::<T>::get(bid.job).iter().any(|b| b.provider == bid.provider) {
					return Err(refuse(invalid::ALREADY_BID));
				},
			(NodeBidAction::Commit { .. }, JobPhase::Bidding { closes_at })
				if sealed && now < closes_at =>
				if SealedBids::<T>::contains_key(bid.job, &bid.provider) {
					return Err(refuse(invalid::ALREADY_BID));
				},
			(NodeBidAction::Reveal { .. }, JobPhase::Revealing { closes_at })
				if now < closes_at =>
				if !SealedBids::<T>::contains_key(bid.job, &bid.provider) {
					return Err(refuse(invalid::ALREADY_BID));
				},
			_ => return Err(refuse(invalid::NOT_BIDDABLE)),
		}
		Ok(())
	}

	pub(crate) fn authorize_node_bid(
		_source: TransactionSource,
		bid: &NodeBidOf<T>,
		signature: &AttestationSignature,
	) -> TransactionValidityWithRefund {
		Self::check_node_bid(bid)?;
		let key =
			T::Providers::attestation_key(&bid.provider).ok_or(refuse(invalid::NOT_REGISTERED))?;
		let payload = node_bid_payload(Self::genesis_hash().as_ref(), bid);
		if !key.verify(&payload, signature) {
			return Err(InvalidTransaction::BadProof.into());
		}
		let action: u8 = match bid.action {
			NodeBidAction::Place { .. } => 0,
			NodeBidAction::Commit { .. } => 1,
			NodeBidAction::Reveal { .. } => 2,
		};
		let longevity: u64 = bid
			.valid_until
			.saturating_sub(Self::now())
			.saturated_into::<u64>()
			.saturating_add(1);
		ValidTransaction::with_tag_prefix("CrucibleNodeBid")
			.priority(T::UnsignedPriority::get())
			.and_provides((bid.job, &bid.provider, action))
			.longevity(longevity)
			.propagate(true)
			.build()
			.map(|validity| (validity, polkadot_sdk::frame_support::weights::Weight::zero()))
	}

	pub(crate) fn do_node_bid(bid: NodeBidOf<T>) -> DispatchResult {
		ensure!(Self::bid_is_current(&bid), Error::<T>::BidExpired);
		match bid.action {
			NodeBidAction::Place { price } => Self::do_place_bid(bid.provider, bid.job, price),
			NodeBidAction::Commit { commitment } =>
				Self::do_commit_bid(bid.provider, bid.job, commitment),
			NodeBidAction::Reveal { price, salt } =>
				Self::do_reveal_bid(bid.provider, bid.job, price, salt),
		}
	}
}
