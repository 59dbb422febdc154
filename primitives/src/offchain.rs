//! What the off-chain workers of proof of compute and of the marketplace share: the keys of the
//! offchain database the node writes and they read ([`keys`]), where the node's compute service
//! listens, and how they ask it (HTTP POST, SCALE bodies, deadlines).

use alloc::{string::String, vec::Vec};
use polkadot_sdk::{
	sp_io::offchain,
	sp_runtime::offchain::{http, StorageKind, Timestamp},
};

/// Every key of the offchain database's persistent storage that Crucible uses: what the node
/// writes at startup for its off-chain workers, and the prefixes of the records the workers keep
/// for themselves. One home, so that the writer and the readers cannot drift apart.
pub mod keys {
	/// The compute service's base URL (`http://127.0.0.1:<port>`), written by the node at startup
	/// (`--compute-backend`, `--compute-service-url`); empty when the node has no compute backend.
	pub const COMPUTE_ENDPOINT: &[u8] = b"crucible::compute::endpoint";
	/// The longest URL stored under [`COMPUTE_ENDPOINT`] (a longer one is ignored).
	pub const MAX_ENDPOINT_LEN: usize = 256;
	/// The compute service's token (64 hex digits), written by the node at startup — a new one
	/// at every start — and sent by the workers as `Authorization: Bearer <token>`: only the
	/// node's own workers reach the service. Readable only through the node itself (its unsafe
	/// `offchain_localStorageGet` RPC, which a provider node does not serve).
	pub const COMPUTE_TOKEN: &[u8] = b"crucible::compute::token";
	/// The compute backend the node runs (`cpu`, `cuda`, `remote` or `none`), written with the
	/// endpoint; proof of compute's worker reports it in heartbeats.
	pub const COMPUTE_BACKEND: &[u8] = b"crucible::compute::backend";
	/// The operator's bid policy (SCALE `marketplace::service::BidPolicy`), written by the node at
	/// startup (`--bid-policy`); empty: the node bids on nothing.
	pub const BID_POLICY: &[u8] = b"crucible::market::policy";
	/// The prefix of proof of compute's worker records, one per (provider, period).
	pub const CHALLENGE_RECORD: &[u8] = b"crucible::poc::worker";
	/// The prefix of the marketplace worker's records, one per (provider, job).
	pub const JOB_RECORD: &[u8] = b"crucible::market::job";
	/// Prefix of the marketplace worker's list, per provider, of the jobs it has a live bid or
	/// commitment on (so that it finds them to reveal however many jobs are posted after).
	pub const BIDDING: &[u8] = b"crucible::market::bidding";
	/// Per provider: what the marketplace worker sent of its standing offer.
	pub const OFFER_RECORD: &[u8] = b"crucible::market::offer";
	/// How many local provers the registry's iterator left out last time (it warns once per
	/// change).
	pub const LOCAL_PROVERS_LEFT_OUT: &[u8] = b"crucible::providers::left-out";
}

/// The compute service's base URL (written by the node at startup), if the node has one.
pub fn endpoint() -> Option<String> {
	let raw = offchain::local_storage_get(StorageKind::PERSISTENT, keys::COMPUTE_ENDPOINT)?;
	if raw.is_empty() || raw.len() > keys::MAX_ENDPOINT_LEN {
		return None;
	}
	String::from_utf8(raw).ok()
}

/// POSTs `body` to `base ++ path` with the service's token and returns the answer's body, all by
/// `deadline`; anything but a `200` is an error with the start of the service's message.
pub fn post(base: &str, path: &str, body: Vec<u8>, deadline: Timestamp) -> Result<Vec<u8>, String> {
	let url = alloc::format!("{base}{path}");
	let length = alloc::format!("{}", body.len());
	let token = offchain::local_storage_get(StorageKind::PERSISTENT, keys::COMPUTE_TOKEN)
		.and_then(|t| String::from_utf8(t).ok())
		.filter(|t| !t.is_empty());
	let authorization = token.map(|t| alloc::format!("Bearer {t}"));
	let mut request = http::Request::post(&url, alloc::vec![body])
		.add_header("Content-Type", "application/octet-stream")
		.add_header("Content-Length", &length);
	if let Some(authorization) = &authorization {
		request = request.add_header("Authorization", authorization);
	}
	let pending = request
		.deadline(deadline)
		.send()
		.map_err(|e| alloc::format!("{url} is unreachable ({e:?})"))?;
	let response = pending
		.try_wait(deadline)
		.map_err(|_| alloc::format!("{url} did not answer in time"))?
		.map_err(|e| alloc::format!("{url} failed ({e:?})"))?;
	let code = response.code;
	let body: Vec<u8> = response.body().collect();
	if code != 200 {
		let text =
			String::from_utf8_lossy(body.get(..body.len().min(200)).unwrap_or(&[])).into_owned();
		return Err(alloc::format!("{url} answered {code}: {text}"));
	}
	Ok(body)
}

/// Lower-case hex of `bytes`, for log lines.
pub fn hex(bytes: &[u8]) -> String {
	bytes
		.iter()
		.fold(String::with_capacity(bytes.len().saturating_mul(2)), |mut s, b| {
			use core::fmt::Write;
			let _ = write!(s, "{b:02x}");
			s
		})
}
