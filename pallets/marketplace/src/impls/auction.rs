//! Posting, bidding (open and sealed), closing and cancelling.
//!
//! Bids are a bounded vector kept in order (lowest price, higher reputation, earlier): an
//! insertion is one read and one write of the vector and a binary search, whatever the number
//! of bids, and the winner is the first eligible bid at the close.

use super::*;
use core::cmp::Reverse;
use crucible_primitives::{
	marketplace::{
		bid_commitment, manifest_hash, AuctionKind, Bid, JobPhase, Lease, Manifest, RECENT_PRICES,
	},
	proof_of_compute::GpuClass,
	providers::MAX_GPUS,
};
use pallet_providers::{ProviderInspect, ProviderStatus};
use polkadot_sdk::{
	frame_support::{
		ensure,
		traits::{fungible::hold::Inspect as _, Get},
	},
	frame_system::{self, pallet_prelude::BlockNumberFor},
	sp_core::H256,
	sp_runtime::{
		traits::{CheckedDiv, CheckedMul, SaturatedConversion},
		DispatchError, Permill,
	},
};

/// The order of bids: lowest price, then higher reputation, then the earlier bid.
fn rank<A, B: Ord + Copy, N: Ord + Copy>(bid: &Bid<A, B, N>) -> (B, Reverse<Permill>, N) {
	(bid.price, Reverse(bid.reputation), bid.placed_at)
}

impl<T: Config> Pallet<T> {
	pub(crate) fn now() -> BlockNumberFor<T> {
		frame_system::Pallet::<T>::block_number()
	}

	fn validate_spec(spec: &JobSpecOf<T>) -> Result<BalanceOf<T>, DispatchError> {
		ensure!(
			!spec.duration.is_zero() && spec.duration <= T::MaxDuration::get(),
			Error::<T>::InvalidDuration
		);
		let window_ok =
			|w: BlockNumberFor<T>| w >= T::MinBidWindow::get() && w <= T::MaxBidWindow::get();
		ensure!(window_ok(spec.bid_window), Error::<T>::InvalidBidWindow);
		if let AuctionKind::Sealed { reveal_window } = spec.auction {
			ensure!(window_ok(reveal_window), Error::<T>::InvalidBidWindow);
		}
		ensure!(!spec.max_price_per_block.is_zero(), Error::<T>::ZeroPrice);
		ensure!(spec.requirement.min_gpu_count <= MAX_GPUS, Error::<T>::InvalidRequirement);
		ensure!(
			spec.max_price_per_block >= Self::min_price_for(spec),
			Error::<T>::PriceBelowMinimum
		);
		let duration: BalanceOf<T> = spec.duration.saturated_into::<u32>().into();
		let price = spec
			.max_price_per_block
			.checked_mul(&duration)
			.ok_or(DispatchError::from(Error::<T>::CostOverflow))?;
		price
			.checked_mul(&Self::escrow_copies(spec))
			.ok_or(Error::<T>::CostOverflow.into())
	}

	pub(crate) fn do_post_job(
		who: T::AccountId,
		spec: JobSpecOf<T>,
		manifest: Option<Manifest>,
	) -> DispatchResult {
		let escrow = Self::validate_spec(&spec)?;
		let mut deposit = T::JobDeposit::get();
		if let Some(manifest) = &manifest {
			ensure!(manifest.is_well_formed(), Error::<T>::BadManifest);
			ensure!(
				manifest_hash(manifest) == spec.workload.manifest,
				Error::<T>::ManifestMismatch
			);
			deposit = deposit.saturating_add(T::ManifestDeposit::get());
		}
		Self::check_audited_spec(&spec, manifest.as_ref())?;
		Self::hold(HoldReason::JobEscrow, &who, escrow.saturating_add(deposit))?;
		let id = NextJobId::<T>::get();
		NextJobId::<T>::put(id.saturating_add(1));
		Self::prune_receipt(id);
		let closes_at = Self::now().saturating_add(spec.bid_window);
		let timer = Self::schedule(id, closes_at)?;
		Jobs::<T>::insert(
			id,
			Job {
				owner: who.clone(),
				spec,
				phase: JobPhase::Bidding { closes_at },
				timer: Some(timer),
				escrow,
				deposit,
				sealed: 0,
			},
		);
		if let Some(manifest) = manifest {
			Manifests::<T>::insert(id, manifest);
		}
		Self::deposit_event(Event::JobPosted { job: id, owner: who, escrow, deposit, closes_at });
		Ok(())
	}

	/// The lowest price per block a job of `spec` may offer or be bid: `MinPrice` × its GPUs
	/// (a CPU-only job counts as one: it still holds a proven host).
	fn min_price_for(spec: &JobSpecOf<T>) -> BalanceOf<T> {
		MinPrice::<T>::get().saturating_mul(spec.requirement.min_gpu_count.max(1).into())
	}

	/// The job, if it takes bids now; with its kind checked.
	fn biddable(id: JobId, sealed: bool) -> Result<JobOf<T>, Error<T>> {
		let job = Jobs::<T>::get(id).ok_or(Error::<T>::UnknownJob)?;
		let JobPhase::Bidding { closes_at } = job.phase else {
			return Err(Error::<T>::JobNotOpen);
		};
		ensure!(Self::now() < closes_at, Error::<T>::AuctionClosed);
		ensure!(
			matches!(job.spec.auction, AuctionKind::Sealed { .. }) == sealed,
			Error::<T>::WrongAuctionKind
		);
		Ok(job)
	}

	/// The bidder's reputation, if it may bid on `job`.
	fn eligible(who: &T::AccountId, job: &JobOf<T>) -> Result<Permill, Error<T>> {
		// One read of the provider's record: status, hardware and reputation.
		let reputation =
			T::Providers::eligibility(who, &job.spec.requirement).ok_or(Error::<T>::NotEligible)?;
		ensure!(reputation >= job.spec.min_reputation, Error::<T>::ReputationTooLow);
		Ok(reputation)
	}

	/// Whether `who`'s free balance can take a bid deposit's hold.
	fn can_hold_deposit(who: &T::AccountId) -> Result<BalanceOf<T>, Error<T>> {
		let deposit = T::BidDeposit::get();
		ensure!(
			deposit.is_zero() ||
				T::Currency::can_hold(&HoldReason::BidDeposit.into(), who, deposit),
			Error::<T>::InsufficientFunds
		);
		Ok(deposit)
	}

	/// Whether `bid` would find a place in `bids` (a full list takes only a bid that beats its
	/// worst one).
	fn competitive(bids: &BidsOf<T>, bid: &BidOf<T>) -> Result<(), Error<T>> {
		if bids.is_full() {
			let key = rank(bid);
			ensure!(
				bids.partition_point(|b| rank(b) <= key) < bids.len(),
				Error::<T>::BidNotCompetitive
			);
		}
		Ok(())
	}

	/// Puts `bid` in its place in `bids`; in a full list, evicts the worst bid (returning its
	/// deposit) if `bid` beats it, and refuses `bid` otherwise.
	fn insert_bid(id: JobId, bids: &mut BidsOf<T>, bid: BidOf<T>) -> DispatchResult {
		let key = rank(&bid);
		let at = bids.partition_point(|b| rank(b) <= key);
		if bids.is_full() {
			ensure!(at < bids.len(), Error::<T>::BidNotCompetitive);
			if let Some(worst) = bids.pop() {
				Self::release(HoldReason::BidDeposit, &worst.provider, worst.deposit);
				Self::deposit_event(Event::BidEvicted { job: id, provider: worst.provider });
			}
		}
		bids.try_insert(at, bid).map_err(|_| Error::<T>::BidNotCompetitive)?;
		Ok(())
	}

	/// Every check of `place_bid`, writing nothing: the job's bids and the new bid, which
	/// `do_place_bid` cannot fail to place. Node bids are authorized by it.
	pub(crate) fn check_place_bid(
		who: &T::AccountId,
		id: JobId,
		price: BalanceOf<T>,
	) -> Result<(BidsOf<T>, BidOf<T>), Error<T>> {
		let job = Self::biddable(id, false)?;
		ensure!(price <= job.spec.max_price_per_block, Error::<T>::BidAboveMaxPrice);
		ensure!(price >= Self::min_price_for(&job.spec), Error::<T>::BidBelowMinimum);
		let reputation = Self::eligible(who, &job)?;
		let bids = Bids::<T>::get(id);
		ensure!(!bids.iter().any(|b| b.provider == *who), Error::<T>::AlreadyBid);
		let deposit = Self::can_hold_deposit(who)?;
		Self::check_collateral(who, &job, Self::collateral_basis(&job, price))?;
		let bid = Bid { provider: who.clone(), price, reputation, placed_at: Self::now(), deposit };
		Self::competitive(&bids, &bid)?;
		Ok((bids, bid))
	}

	pub(crate) fn do_place_bid(
		who: T::AccountId,
		id: JobId,
		price: BalanceOf<T>,
	) -> DispatchResult {
		let (mut bids, bid) = Self::check_place_bid(&who, id, price)?;
		let deposit = bid.deposit;
		Self::insert_bid(id, &mut bids, bid)?;
		Self::hold(HoldReason::BidDeposit, &who, deposit)?;
		Bids::<T>::insert(id, bids);
		Self::deposit_event(Event::BidPlaced { job: id, provider: who, price });
		Ok(())
	}

	pub(crate) fn do_lower_bid(
		who: T::AccountId,
		id: JobId,
		price: BalanceOf<T>,
	) -> DispatchResult {
		Self::biddable(id, false)?;
		let mut bids = Bids::<T>::get(id);
		let at = bids.iter().position(|b| b.provider == who).ok_or(Error::<T>::NoBid)?;
		let mut bid = bids.remove(at);
		ensure!(price < bid.price, Error::<T>::BidNotLower);
		bid.price = price;
		bid.placed_at = Self::now();
		// There is room: the bid was just taken out.
		Self::insert_bid(id, &mut bids, bid)?;
		Bids::<T>::insert(id, bids);
		Self::deposit_event(Event::BidPlaced { job: id, provider: who, price });
		Ok(())
	}

	pub(crate) fn do_withdraw_bid(who: T::AccountId, id: JobId) -> DispatchResult {
		let mut job = Jobs::<T>::get(id).ok_or(Error::<T>::UnknownJob)?;
		let JobPhase::Bidding { closes_at } = job.phase else {
			return Err(Error::<T>::JobNotOpen.into());
		};
		ensure!(Self::now() < closes_at, Error::<T>::AuctionClosed);
		let deposit = if let Some(sealed) = SealedBids::<T>::take(id, &who) {
			job.sealed = job.sealed.saturating_sub(1);
			Jobs::<T>::insert(id, job);
			sealed.deposit
		} else {
			let mut bids = Bids::<T>::get(id);
			let at = bids.iter().position(|b| b.provider == who).ok_or(Error::<T>::NoBid)?;
			let bid = bids.remove(at);
			Bids::<T>::insert(id, bids);
			bid.deposit
		};
		let forfeited = Self::forfeit(HoldReason::BidDeposit, &who, deposit);
		// Voids the node bids the provider's key signed before (they sign this count).
		BidWithdrawals::<T>::mutate(&who, |n| *n = n.saturating_add(1));
		Self::deposit_event(Event::BidWithdrawn { job: id, provider: who, forfeited });
		Ok(())
	}

	/// Every check of `commit_bid`, writing nothing: the job and the deposit.
	pub(crate) fn check_commit_bid(
		who: &T::AccountId,
		id: JobId,
	) -> Result<(JobOf<T>, BalanceOf<T>), Error<T>> {
		let job = Self::biddable(id, true)?;
		Self::eligible(who, &job)?;
		ensure!(!SealedBids::<T>::contains_key(id, who), Error::<T>::AlreadyBid);
		ensure!(job.sealed < T::MaxBidsPerJob::get(), Error::<T>::TooManyBids);
		let deposit = Self::can_hold_deposit(who)?;
		Self::check_collateral(who, &job, job.spec.max_price_per_block)?;
		Ok((job, deposit))
	}

	pub(crate) fn do_commit_bid(who: T::AccountId, id: JobId, commitment: H256) -> DispatchResult {
		let (mut job, deposit) = Self::check_commit_bid(&who, id)?;
		Self::hold(HoldReason::BidDeposit, &who, deposit)?;
		SealedBids::<T>::insert(id, &who, SealedBid { commitment, deposit });
		job.sealed = job.sealed.saturating_add(1);
		Jobs::<T>::insert(id, job);
		Self::deposit_event(Event::BidCommitted { job: id, provider: who });
		Ok(())
	}

	/// Every check of `reveal_bid`, writing nothing: the job, its bids and the revealed bid.
	pub(crate) fn check_reveal_bid(
		who: &T::AccountId,
		id: JobId,
		price: BalanceOf<T>,
		salt: &[u8; 32],
	) -> Result<Reveal<T>, Error<T>> {
		let job = Jobs::<T>::get(id).ok_or(Error::<T>::UnknownJob)?;
		let JobPhase::Revealing { closes_at } = job.phase else {
			return Err(Error::<T>::WrongPhase);
		};
		ensure!(Self::now() < closes_at, Error::<T>::AuctionClosed);
		let sealed = SealedBids::<T>::get(id, who).ok_or(Error::<T>::NoBid)?;
		ensure!(
			bid_commitment(id, who, &price, salt) == sealed.commitment,
			Error::<T>::RevealMismatch
		);
		ensure!(price <= job.spec.max_price_per_block, Error::<T>::BidAboveMaxPrice);
		ensure!(price >= Self::min_price_for(&job.spec), Error::<T>::BidBelowMinimum);
		let reputation = Self::eligible(who, &job)?;
		Self::check_collateral(who, &job, Self::collateral_basis(&job, price))?;
		let bids = Bids::<T>::get(id);
		let bid = Bid {
			provider: who.clone(),
			price,
			reputation,
			placed_at: Self::now(),
			deposit: sealed.deposit,
		};
		// Commitments are at most `MaxBidsPerJob`: every reveal has room.
		Self::competitive(&bids, &bid)?;
		Ok((job, bids, bid))
	}

	pub(crate) fn do_reveal_bid(
		who: T::AccountId,
		id: JobId,
		price: BalanceOf<T>,
		salt: [u8; 32],
	) -> DispatchResult {
		let (mut job, mut bids, bid) = Self::check_reveal_bid(&who, id, price, &salt)?;
		Self::insert_bid(id, &mut bids, bid)?;
		Bids::<T>::insert(id, bids);
		SealedBids::<T>::remove(id, &who);
		job.sealed = job.sealed.saturating_sub(1);
		Jobs::<T>::insert(id, job);
		Self::deposit_event(Event::BidRevealed { job: id, provider: who, price });
		Ok(())
	}

	pub(crate) fn do_close_auction(id: JobId) -> DispatchResult {
		let job = Jobs::<T>::get(id).ok_or(Error::<T>::UnknownJob)?;
		let closes_at = match job.phase {
			JobPhase::Bidding { closes_at } | JobPhase::Revealing { closes_at } => closes_at,
			// A job whose timer was dropped: its due check, as the queue would have run it (an
			// audit's draw is put off instead: its caller must not pick the draw's block).
			_ if job.timer.is_none() => {
				if !Self::defer_draw(id) {
					Self::fire(id, Self::now());
				}
				return Ok(());
			},
			_ => return Err(Error::<T>::JobNotOpen.into()),
		};
		ensure!(Self::now() >= closes_at, Error::<T>::AuctionNotDue);
		if let Some(at) = job.timer {
			Self::unschedule(id, at);
		}
		Self::close(id, Job { timer: None, ..job });
		Ok(())
	}

	/// Closes a job's bid window (a sealed one moves to its reveal window) or reveal window:
	/// unrevealed commitments are forfeited, the best eligible bid wins, every other deposit
	/// returns. The job is no longer in any timer queue when this is called.
	pub(crate) fn close(id: JobId, mut job: JobOf<T>) {
		let now = Self::now();
		if let (JobPhase::Bidding { .. }, AuctionKind::Sealed { reveal_window }) =
			(job.phase, job.spec.auction)
		{
			if job.sealed > 0 {
				let closes_at = now.saturating_add(reveal_window);
				match Self::schedule(id, closes_at) {
					Ok(at) => {
						job.phase = JobPhase::Revealing { closes_at };
						job.timer = Some(at);
						Jobs::<T>::insert(id, job);
						Self::deposit_event(Event::RevealStarted { job: id, closes_at });
						return;
					},
					// No room for the reveal window's end (every queue ahead is full): the
					// auction fails, and the committers — who could not reveal — get their
					// deposits back; nothing is forfeited for the chain's own congestion.
					Err(_) => {
						Self::refund_bids(id, &mut job);
						Self::end_job(id, job, JobEnd::Expired);
						return;
					},
				}
			}
		}
		Self::forfeit_unrevealed(id, &mut job);
		let bids = Bids::<T>::take(id);
		let mut winner: Option<&BidOf<T>> = None;
		let mut second: Option<BalanceOf<T>> = None;
		// Bids that would have won but whose providers stepped out themselves (paused, left,
		// changed the hardware or region the job asked for): their deposits are forfeited, so
		// that nobody bids to hold a place and walks away for free.
		let mut walked_away = alloc::vec::Vec::new();
		for (at, bid) in bids.iter().enumerate() {
			let fits = Self::has_room(&bid.provider, &job) &&
				!ProviderLeases::<T>::get(&bid.provider).is_full() &&
				Self::check_collateral(
					&bid.provider,
					&job,
					Self::collateral_basis(&job, bid.price),
				)
				.is_ok();
			if !fits {
				if winner.is_none() && Self::stepped_out(&bid.provider, &job) {
					walked_away.push(at);
				}
				continue;
			}
			if winner.is_none() {
				winner = Some(bid);
			} else {
				second = Some(bid.price);
				break;
			}
		}
		for (at, bid) in bids.iter().enumerate() {
			if walked_away.contains(&at) {
				let forfeited = Self::forfeit(HoldReason::BidDeposit, &bid.provider, bid.deposit);
				Self::deposit_event(Event::BidForfeited {
					job: id,
					provider: bid.provider.clone(),
					forfeited,
				});
			} else {
				Self::release(HoldReason::BidDeposit, &bid.provider, bid.deposit);
			}
		}
		let Some(winner) = winner else {
			Self::end_job(id, job, JobEnd::Expired);
			return;
		};
		let price = match job.spec.auction {
			AuctionKind::Open => winner.price,
			AuctionKind::Sealed { .. } => second.unwrap_or(job.spec.max_price_per_block),
		};
		Self::award(id, job, winner.provider.clone(), price);
	}

	/// Whether `who` may win `job` now: `Active`, meeting the requirement and the minimum
	/// reputation, and with the job's GPUs free beside its other leases' (one read of the
	/// record, one of its leased GPUs).
	fn has_room(who: &T::AccountId, job: &JobOf<T>) -> bool {
		let Some((reputation, declared)) = T::Providers::capacity(who, &job.spec.requirement)
		else {
			return false;
		};
		reputation >= job.spec.min_reputation &&
			LeasedGpus::<T>::get(who).saturating_add(job.spec.requirement.min_gpu_count) <=
				declared
	}

	/// Whether a bidder that cannot win made itself ineligible: it paused, deregistered (or is
	/// gone), or changed its hardware or region away from the job's requirement. A provider
	/// demoted, suspended or slashed by a judge, below the minimum reputation, or busy with
	/// other leases did not choose it.
	fn stepped_out(who: &T::AccountId, job: &JobOf<T>) -> bool {
		match T::Providers::status(who) {
			None | Some(ProviderStatus::Paused) | Some(ProviderStatus::Leaving) => true,
			Some(ProviderStatus::Active) =>
				T::Providers::capacity(who, &job.spec.requirement).is_none(),
			Some(_) => false,
		}
	}

	fn forfeit_unrevealed(id: JobId, job: &mut JobOf<T>) {
		if job.sealed == 0 {
			return;
		}
		for (provider, sealed) in
			SealedBids::<T>::drain_prefix(id).take(T::MaxBidsPerJob::get() as usize)
		{
			let forfeited = Self::forfeit(HoldReason::BidDeposit, &provider, sealed.deposit);
			Self::deposit_event(Event::CommitmentForfeited { job: id, provider, forfeited });
		}
		job.sealed = 0;
	}

	/// Starts the lease: the escrow shrinks to `price × duration`.
	fn award(id: JobId, mut job: JobOf<T>, provider: T::AccountId, price: BalanceOf<T>) {
		let now = Self::now();
		let duration: BalanceOf<T> = job.spec.duration.saturated_into::<u32>().into();
		let escrow = price
			.saturating_mul(duration)
			.saturating_mul(Self::escrow_copies(&job.spec))
			.min(job.escrow);
		let released =
			Self::release(HoldReason::JobEscrow, &job.owner, job.escrow.saturating_sub(escrow));
		job.escrow = job.escrow.saturating_sub(released);
		// The lease's grace check, else an earlier one (it only moves on); with every queue
		// ahead full the lease still starts — the winner is not robbed by congestion — with
		// its timer dropped, re-armed by its first attestation.
		Self::move_timer(id, &mut job, now.saturating_add(T::GraceBlocks::get()));
		let end = now.saturating_add(job.spec.duration);
		// An audited lease: the collateral is held (checked at the close), one audit fee
		// stays in escrow.
		let mut collateral = Self::collateral_for(&job.spec, price);
		if !collateral.is_zero() {
			if Self::hold(HoldReason::AuditCollateral, &provider, collateral).is_err() {
				defensive!("the winner cannot hold the collateral it was checked for");
				collateral = Zero::zero();
			} else {
				Self::deposit_event(Event::CollateralHeld {
					job: id,
					provider: provider.clone(),
					collateral,
				});
			}
		}
		let audit_fee = if Self::audit_rate(&job.spec).is_some() {
			Self::lease_price(&job.spec, price)
		} else {
			Zero::zero()
		};
		let gpus = job.spec.requirement.min_gpu_count;
		if gpus > 0 {
			LeasedGpus::<T>::mutate(&provider, |n| *n = n.saturating_add(gpus));
		}
		let pushed = ProviderLeases::<T>::try_mutate(&provider, |l| l.try_push(id));
		if pushed.is_err() {
			defensive!("the winner's lease list is full though it was checked");
		}
		Leases::<T>::insert(
			id,
			Lease {
				provider: provider.clone(),
				price_per_block: price,
				start: now,
				end,
				attested_through: now,
				last_seen: now,
				paid_blocks: Zero::zero(),
				unpaid_blocks: Zero::zero(),
				accrued: Zero::zero(),
				claimed: Zero::zero(),
				gpu_seconds: 0,
				status: H256::zero(),
				warned: false,
				collateral,
				audit_fee,
			},
		);
		Self::note_price(&provider, &job, price);
		job.phase = JobPhase::Running;
		let escrow = job.escrow;
		Jobs::<T>::insert(id, job);
		Self::deposit_event(Event::LeaseStarted {
			job: id,
			provider,
			price_per_block: price,
			start: now,
			end,
			escrow,
		});
	}

	/// Remembers the price per GPU of a new lease under the class of the winner's first GPU.
	fn note_price(provider: &T::AccountId, job: &JobOf<T>, price: BalanceOf<T>) {
		let Some((profile, _)) = T::Providers::profile(provider) else { return };
		let Some(gpu) = profile.gpus.first() else { return };
		let class = GpuClass::of(gpu.vendor, &gpu.model);
		let gpus: BalanceOf<T> = job.spec.requirement.min_gpu_count.max(1).into();
		let per_gpu = price.checked_div(&gpus).unwrap_or(price);
		RecentPrices::<T>::mutate(class, |prices| {
			if prices.len() >= RECENT_PRICES as usize {
				prices.remove(0);
			}
			let _ = prices.try_push(per_gpu);
		});
	}

	/// Returns every bid's and commitment's deposit of a job that ends before its auction.
	fn refund_bids(id: JobId, job: &mut JobOf<T>) {
		for (provider, sealed) in
			SealedBids::<T>::drain_prefix(id).take(T::MaxBidsPerJob::get() as usize)
		{
			Self::release(HoldReason::BidDeposit, &provider, sealed.deposit);
		}
		job.sealed = 0;
		for bid in Bids::<T>::take(id) {
			Self::release(HoldReason::BidDeposit, &bid.provider, bid.deposit);
		}
	}

	pub(crate) fn do_cancel_job(who: T::AccountId, id: JobId) -> DispatchResult {
		let mut job = Jobs::<T>::get(id).ok_or(Error::<T>::UnknownJob)?;
		ensure!(job.owner == who, Error::<T>::NotOwner);
		match job.phase {
			JobPhase::Bidding { .. } | JobPhase::Revealing { .. } => {
				Self::refund_bids(id, &mut job);
				Self::end_job(id, job, JobEnd::Cancelled);
			},
			JobPhase::Running => {
				let lease = Leases::<T>::get(id).ok_or(Error::<T>::WrongPhase)?;
				let blocks: BalanceOf<T> =
					T::CancellationBlocks::get().saturated_into::<u32>().into();
				let fee = lease.price_per_block.saturating_mul(blocks);
				Self::pay(id, &mut job, &lease, lease.accrued.saturating_add(fee));
				Self::end_job(id, job, JobEnd::Cancelled);
			},
			JobPhase::Completed { .. } | JobPhase::Disputed { .. } | JobPhase::Verifying { .. } =>
				return Err(Error::<T>::WrongPhase.into()),
		}
		Ok(())
	}
}

/// A checked reveal: the job, its bids, and the revealed bid.
pub(crate) type Reveal<T> = (JobOf<T>, BidsOf<T>, BidOf<T>);

/// A job's bid list.
pub(crate) type BidsOf<T> =
	polkadot_sdk::frame_support::BoundedVec<BidOf<T>, <T as Config>::MaxBidsPerJob>;
