//! What the off-chain workers of proof of compute and of the marketplace share: where the
//! node's compute service listens, and how they ask it (HTTP POST, SCALE bodies, deadlines).

use crate::proof_of_compute::service::{ENDPOINT_KEY, MAX_ENDPOINT_LEN};
use alloc::{string::String, vec::Vec};
use polkadot_sdk::{
	sp_io::offchain,
	sp_runtime::offchain::{http, StorageKind, Timestamp},
};

/// The compute service's base URL (written by the node at startup), if the node has one.
pub fn endpoint() -> Option<String> {
	let raw = offchain::local_storage_get(StorageKind::PERSISTENT, ENDPOINT_KEY)?;
	if raw.is_empty() || raw.len() > MAX_ENDPOINT_LEN {
		return None;
	}
	String::from_utf8(raw).ok()
}

/// POSTs `body` to `base ++ path` and returns the answer's body, all by `deadline`; anything
/// but a `200` is an error with the start of the service's message.
pub fn post(base: &str, path: &str, body: Vec<u8>, deadline: Timestamp) -> Result<Vec<u8>, String> {
	let url = alloc::format!("{base}{path}");
	let length = alloc::format!("{}", body.len());
	let pending = http::Request::post(&url, alloc::vec![body])
		.add_header("Content-Type", "application/octet-stream")
		.add_header("Content-Length", &length)
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
