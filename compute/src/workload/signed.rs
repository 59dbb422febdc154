//! Requests signed by a job's owner: how a developer reads its container's logs and downloads
//! its outputs from the provider's node, with no password and nothing shared in advance. The
//! owner's account key (sr25519, what polkadot.js holds) signs
//! [`request_message`](crucible_primitives::marketplace::service::request_message); the
//! node checks the signature, the time (within `REQUEST_SKEW_MS` of its clock) and that the
//! signer is the job's owner.

use crucible_primitives::marketplace::service::{request_message, REQUEST_SKEW_MS};
use polkadot_sdk::sp_core::{sr25519, Pair as _};

/// The request headers.
pub const HEADER_ACCOUNT: &str = "x-crucible-account";
/// The signing time, unix milliseconds.
pub const HEADER_TIME: &str = "x-crucible-time";
/// The sr25519 signature, 0x and 64 bytes in hex.
pub const HEADER_SIGNATURE: &str = "x-crucible-signature";

/// Why a signed request is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
	/// No valid signature (401).
	Unauthenticated(&'static str),
	/// A valid signature of someone who is not the job's owner (403).
	Forbidden,
}

/// Checks a request's headers (`header(name)` gives one) for `method` and `path_and_query` at
/// `now_ms` against the job's `owner`.
pub fn check(
	header: impl Fn(&str) -> Option<String>,
	method: &str,
	path_and_query: &str,
	now_ms: u64,
	owner: &[u8; 32],
) -> Result<(), Refused> {
	let account = header(HEADER_ACCOUNT)
		.and_then(|a| super::unhex::<32>(a.trim().strip_prefix("0x")?))
		.ok_or(Refused::Unauthenticated("missing or malformed x-crucible-account"))?;
	let time: u64 = header(HEADER_TIME)
		.and_then(|t| t.trim().parse().ok())
		.ok_or(Refused::Unauthenticated("missing or malformed x-crucible-time"))?;
	if time.abs_diff(now_ms) > REQUEST_SKEW_MS {
		return Err(Refused::Unauthenticated("x-crucible-time too far from the node's clock"));
	}
	let signature = header(HEADER_SIGNATURE)
		.and_then(|s| super::unhex::<64>(s.trim().strip_prefix("0x")?))
		.ok_or(Refused::Unauthenticated("missing or malformed x-crucible-signature"))?;
	let message = request_message(method, path_and_query, time);
	let mut wrapped = b"<Bytes>".to_vec();
	wrapped.extend_from_slice(&message);
	wrapped.extend_from_slice(b"</Bytes>");
	let public = sr25519::Public::from_raw(account);
	let signature = sr25519::Signature::from_raw(signature);
	if !sr25519::Pair::verify(&signature, &message, &public) &&
		!sr25519::Pair::verify(&signature, &wrapped, &public)
	{
		return Err(Refused::Unauthenticated("the signature does not verify"));
	}
	if account != *owner {
		return Err(Refused::Forbidden);
	}
	Ok(())
}

/// The headers of a request signed by `pair` (what a developer's tool sends; the tests').
pub fn sign(
	pair: &sr25519::Pair,
	method: &str,
	path_and_query: &str,
	now_ms: u64,
) -> Vec<(&'static str, String)> {
	let hex = |b: &[u8]| format!("0x{}", crucible_primitives::offchain::hex(b));
	let signature = pair.sign(&request_message(method, path_and_query, now_ms));
	vec![
		(HEADER_ACCOUNT, hex(&pair.public().0)),
		(HEADER_TIME, now_ms.to_string()),
		(HEADER_SIGNATURE, hex(&signature.0)),
	]
}

#[cfg(test)]
mod tests {
	use super::*;

	fn lookup<'a>(headers: &'a [(&'static str, String)]) -> impl Fn(&str) -> Option<String> + 'a {
		move |name| headers.iter().find(|(h, _)| *h == name).map(|(_, v)| v.clone())
	}

	#[test]
	fn only_the_owners_fresh_signature_of_this_request_is_accepted() {
		let owner = sr25519::Pair::from_seed(&[1; 32]);
		let stranger = sr25519::Pair::from_seed(&[2; 32]);
		let me = owner.public().0;
		let now = 1_800_000_000_000;
		let path = "/v1/jobs/3/logs";
		let good = sign(&owner, "GET", path, now);
		assert_eq!(check(lookup(&good), "GET", path, now + 1_000, &me), Ok(()));
		// A stranger's valid signature: forbidden.
		let theirs = sign(&stranger, "GET", path, now);
		assert_eq!(check(lookup(&theirs), "GET", path, now, &me), Err(Refused::Forbidden));
		// Another path, another method, a stale time, nothing: unauthenticated.
		for (method, p, at) in [
			("GET", "/v1/jobs/4/logs", now),
			("POST", path, now),
			("GET", path, now + REQUEST_SKEW_MS + 1),
		] {
			assert!(matches!(
				check(lookup(&good), method, p, at, &me),
				Err(Refused::Unauthenticated(_))
			));
		}
		assert!(matches!(check(|_| None, "GET", path, now, &me), Err(Refused::Unauthenticated(_))));
		// A claimed owner account with someone else's signature.
		let mut forged = theirs.clone();
		forged[0].1 = good[0].1.clone();
		assert!(matches!(
			check(lookup(&forged), "GET", path, now, &me),
			Err(Refused::Unauthenticated(_))
		));
		// A wallet's signRaw: the message wrapped in <Bytes>.
		let mut wrapped = b"<Bytes>".to_vec();
		wrapped.extend_from_slice(&request_message("GET", path, now));
		wrapped.extend_from_slice(b"</Bytes>");
		let mut by_wallet = good.clone();
		by_wallet[2].1 = format!(
			"0x{}",
			owner.sign(&wrapped).0.iter().map(|x| format!("{x:02x}")).collect::<String>()
		);
		assert_eq!(check(lookup(&by_wallet), "GET", path, now, &me), Ok(()));
	}
}
