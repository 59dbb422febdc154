//! Dev-only test support for Crucible's off-chain workers (proof of compute's and the
//! marketplace's) and their free transactions: a test externality with the offchain extensions,
//! a scripted compute service answering the workers' HTTP requests, the transaction pool they
//! submit to, attestation keys in the node's keystore; the off-chain transaction traits of a
//! mock runtime ([`impl_authorized_transactions!`]) and what the pool and the block builder do
//! with an authorized call ([`authorize`], [`authorize_and_dispatch`]). Used by the pallets'
//! tests; never by the runtime.

// Test support may panic: that is how a test fails.
#![allow(clippy::expect_used)]

use codec::Decode;
use crucible_primitives::{offchain::keys, providers::ATTESTATION_KEY_TYPE};
use polkadot_sdk::{
	frame_support::{
		dispatch::{DispatchResultWithPostInfo, GetDispatchInfo, PostDispatchInfo},
		pallet_prelude::{TransactionSource, Weight},
		traits::Authorize,
	},
	frame_system::RawOrigin,
	sp_core::offchain::{
		testing::{PendingRequest, TestOffchainExt, TestTransactionPoolExt},
		OffchainDbExt, OffchainWorkerExt, StorageKind, TransactionPoolExt,
	},
	sp_io::{self, TestExternalities},
	sp_runtime::{
		traits::Dispatchable,
		transaction_validity::{TransactionValidityError, ValidTransaction},
	},
};
use std::sync::Arc;

/// Where the scripted compute service "listens".
pub const SERVICE_URL: &str = "http://127.0.0.1:9955";

/// The scripted compute service's token, as the node writes it; every request must carry it.
pub const SERVICE_TOKEN: &str = "5e7f0c1d2b3a49586776859493a2b1c0d0e0f1a2b3c4d5e6f708192a3b4c5d6e";

/// The compute service as the worker reaches it: every request it will answer is scripted
/// first, in order; a request that was not, or a scripted one never made, fails the test.
#[derive(Clone)]
pub struct ComputeService(TestOffchainExt);

impl ComputeService {
	/// The next request is a `POST` of `body` to `path`, answered `200` with `response`.
	pub fn expect_post(&self, path: &str, body: Vec<u8>, response: Vec<u8>) {
		self.0 .0.write().expect_request(PendingRequest {
			method: "POST".into(),
			uri: format!("{SERVICE_URL}{path}"),
			headers: vec![
				("Content-Type".into(), "application/octet-stream".into()),
				("Content-Length".into(), body.len().to_string()),
				("Authorization".into(), format!("Bearer {SERVICE_TOKEN}")),
			],
			body,
			response: Some(response),
			sent: true,
			..Default::default()
		});
	}
}

/// The transaction pool the worker submits to.
#[derive(Clone)]
pub struct Pool(Arc<dyn Fn() -> Vec<Vec<u8>> + Send + Sync>);

impl Pool {
	/// Takes every transaction submitted since the last call, decoded as `Xt`.
	pub fn take<Xt: Decode>(&self) -> Vec<Xt> {
		(self.0)()
			.into_iter()
			.map(|tx| Xt::decode(&mut &tx[..]).expect("the pool holds extrinsics"))
			.collect()
	}
}

/// `ext` with the offchain database, the offchain worker's HTTP and a transaction pool; the
/// scripted compute service and the pool to look into.
pub fn worker_ext(mut ext: TestExternalities) -> (TestExternalities, ComputeService, Pool) {
	let (offchain, _) = TestOffchainExt::new();
	let (pool, pool_state) = TestTransactionPoolExt::new();
	ext.register_extension(OffchainDbExt::new(offchain.clone()));
	ext.register_extension(OffchainWorkerExt::new(offchain.clone()));
	ext.register_extension(TransactionPoolExt::new(pool));
	let take = move || std::mem::take(&mut pool_state.write().transactions);
	(ext, ComputeService(offchain), Pool(Arc::new(take)))
}

/// Inside the externality: the node started its compute service (with `backend`), as the node
/// writes it at startup.
pub fn start_compute_service(backend: &[u8]) {
	sp_io::offchain::local_storage_set(
		StorageKind::PERSISTENT,
		keys::COMPUTE_ENDPOINT,
		SERVICE_URL.as_bytes(),
	);
	sp_io::offchain::local_storage_set(StorageKind::PERSISTENT, keys::COMPUTE_BACKEND, backend);
	sp_io::offchain::local_storage_set(
		StorageKind::PERSISTENT,
		keys::COMPUTE_TOKEN,
		SERVICE_TOKEN.as_bytes(),
	);
}

/// Inside the externality: the operator's `--bid-policy`, SCALE-encoded.
pub fn set_bid_policy(policy: &[u8]) {
	sp_io::offchain::local_storage_set(StorageKind::PERSISTENT, keys::BID_POLICY, policy);
}

/// Inside the externality: the attestation key `sr25519::Pair::from_seed([seed; 32])` in the
/// node's keystore (the externality must have a keystore).
pub fn insert_attestation_key(seed: u8) {
	let suri = format!("0x{}", format!("{seed:02x}").repeat(32));
	sp_io::crypto::sr25519_generate(ATTESTATION_KEY_TYPE, Some(suri.into_bytes()));
}

/// `authorize` of `call`, as the transaction pool runs it (the call must have one).
pub fn authorize<Call: Authorize>(
	call: &Call,
) -> Result<(ValidTransaction, Weight), TransactionValidityError> {
	call.authorize(TransactionSource::External)
		.expect("the call has an authorize function")
}

/// What submitting `call` as a free (general) transaction does: `authorize` as the pool and the
/// block builder run it, then dispatch with the authorized origin. `Err` when `authorize`
/// refuses it (the pool would drop it).
pub fn authorize_and_dispatch<Call, AccountId>(
	call: Call,
) -> Result<DispatchResultWithPostInfo, TransactionValidityError>
where
	Call: Authorize + GetDispatchInfo + Dispatchable<PostInfo = PostDispatchInfo>,
	<Call as Dispatchable>::RuntimeOrigin: From<RawOrigin<AccountId>>,
{
	let (_validity, _refund) = authorize(&call)?;
	let _ = call.get_dispatch_info();
	Ok(call.dispatch(RawOrigin::Authorized.into()))
}

#[doc(hidden)]
pub use polkadot_sdk as __sdk;

/// The off-chain transaction traits of a mock runtime whose workers submit free, authorized
/// transactions: `impl_authorized_transactions!(Test, RuntimeCall, Extrinsic, TxExtension)`,
/// where `Extrinsic` is a `TestXt<RuntimeCall, TxExtension>` and `TxExtension` is
/// `frame_system::AuthorizeCall<Test>`.
#[macro_export]
macro_rules! impl_authorized_transactions {
	($runtime:ty, $call:ty, $extrinsic:ty, $extension:ty) => {
		impl<LocalCall> $crate::__sdk::frame_system::offchain::CreateTransactionBase<LocalCall>
			for $runtime
		where
			$call: From<LocalCall>,
		{
			type RuntimeCall = $call;
			type Extrinsic = $extrinsic;
		}

		impl<LocalCall> $crate::__sdk::frame_system::offchain::CreateTransaction<LocalCall>
			for $runtime
		where
			$call: From<LocalCall>,
		{
			type Extension = $extension;
			fn create_transaction(call: $call, extension: $extension) -> $extrinsic {
				<$extrinsic>::new_transaction(call, extension)
			}
		}

		impl<LocalCall>
			$crate::__sdk::frame_system::offchain::CreateAuthorizedTransaction<LocalCall> for $runtime
		where
			$call: From<LocalCall>,
		{
			fn create_extension() -> $extension {
				<$extension>::new()
			}
		}
	};
}
