//! Bids made by a provider's node from its operator's bid policy. The node holds no funded key:
//! it signs with the provider's attestation key, and the call is a free authorized
//! transaction whose deposit is held from the provider's account, as for a bid the provider
//! signs itself. Each signed bid is good for `NODE_BID_LIFETIME` blocks, once per (job,
//! provider, action), until the provider withdraws a bid. Authorization runs every check of
//! the call, so a node bid the pool takes cannot fail in the block, and node bids queue behind
//! proofs and attestations (`NodeBidPriority`).

use super::{lease::refuse, *};
use codec::Encode;
use crucible_primitives::{
	marketplace::{node_bid_payload, NodeBidAction, NODE_BID_LIFETIME},
	providers::AttestationSignature,
};
use pallet_providers::ProviderInspect;
use polkadot_sdk::{
	frame_support::{ensure, pallet_prelude::TransactionSource, traits::Get},
	frame_system::pallet_prelude::BlockNumberFor,
	sp_runtime::{
		traits::SaturatedConversion,
		transaction_validity::{
			InvalidTransaction, TransactionValidityWithRefund, ValidTransaction,
		},
		RuntimeAppPublic,
	},
};

impl<T: Config> Pallet<T> {
	/// Whether `bid` is within its validity: not past `valid_until`, which is at most
	/// `NODE_BID_LIFETIME` blocks ahead, and signed after the provider's last withdrawal.
	fn bid_is_current(bid: &NodeBidOf<T>) -> bool {
		Self::within_lifetime(bid.valid_until) &&
			bid.withdrawals == BidWithdrawals::<T>::get(&bid.provider)
	}

	/// Whether a node's signed call good until `valid_until` may be taken now: not past it, and
	/// it at most `NODE_BID_LIFETIME` blocks ahead (node bids and standing offers alike).
	pub(crate) fn within_lifetime(valid_until: BlockNumberFor<T>) -> bool {
		let now = Self::now();
		valid_until >= now && valid_until <= now.saturating_add(NODE_BID_LIFETIME.into())
	}

	/// The pool's validity of a node's free call good until `valid_until`: `NodeBidPriority`,
	/// `provides` under `tag`, living until `valid_until`, propagated.
	pub(crate) fn node_call_validity(
		tag: &'static str,
		provides: impl Encode,
		valid_until: BlockNumberFor<T>,
	) -> TransactionValidityWithRefund {
		let longevity: u64 = valid_until
			.saturating_sub(Self::now())
			.saturated_into::<u64>()
			.saturating_add(1);
		ValidTransaction::with_tag_prefix(tag)
			.priority(T::NodeBidPriority::get())
			.and_provides(provides)
			.longevity(longevity)
			.propagate(true)
			.build()
			.map(|validity| (validity, polkadot_sdk::frame_support::weights::Weight::zero()))
	}

	/// Every check the call makes, writing nothing: a node bid the pool takes cannot fail in
	/// the block (a failed free call changes nothing, so it would be valid again in the next).
	fn check_node_bid(bid: &NodeBidOf<T>) -> Result<(), Error<T>> {
		ensure!(Self::bid_is_current(bid), Error::<T>::BidExpired);
		match &bid.action {
			NodeBidAction::Place { price } => {
				Self::check_place_bid(&bid.provider, bid.job, *price)?;
				Self::check_within_offer(&bid.provider, bid.job, *price)
			},
			NodeBidAction::Commit { .. } =>
				Self::check_commit_bid(&bid.provider, bid.job).map(|_| ()),
			NodeBidAction::Reveal { price, salt } =>
				Self::check_reveal_bid(&bid.provider, bid.job, *price, salt).map(|_| ()),
		}
	}

	pub(crate) fn authorize_node_bid(
		_source: TransactionSource,
		bid: &NodeBidOf<T>,
		signature: &AttestationSignature,
	) -> TransactionValidityWithRefund {
		// State first (a few reads), the signature last.
		Self::check_node_bid(bid).map_err(invalid::refusal)?;
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
		Self::node_call_validity(
			"CrucibleNodeBid",
			(bid.job, &bid.provider, action),
			bid.valid_until,
		)
	}

	pub(crate) fn do_node_bid(bid: NodeBidOf<T>) -> DispatchResult {
		ensure!(Self::bid_is_current(&bid), Error::<T>::BidExpired);
		if let NodeBidAction::Place { price } = &bid.action {
			Self::check_within_offer(&bid.provider, bid.job, *price)?;
		}
		match bid.action {
			NodeBidAction::Place { price } => Self::do_place_bid(bid.provider, bid.job, price),
			NodeBidAction::Commit { commitment } =>
				Self::do_commit_bid(bid.provider, bid.job, commitment),
			NodeBidAction::Reveal { price, salt } =>
				Self::do_reveal_bid(bid.provider, bid.job, price, salt),
		}
	}
}
