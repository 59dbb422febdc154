//! What the crate's tests share: a cpu engine, the known-answer challenge and its reference
//! root, and a raw HTTP client for the service.

use crate::{prover::cpu::CpuBackend, Engine, Lie};
use crucible_primitives::{
	challenge::{known_answer, prover, Hash, Keys},
	proof_of_compute::service::ComputeRequest,
};
use std::sync::Arc;

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
	bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// An engine over a two-thread cpu backend.
pub fn cpu_engine(lie: Option<Lie>) -> Engine {
	Engine::new(Arc::new(CpuBackend::new(2).expect("thread pool")), lie)
}

/// The challenge of `known_answer`.
pub fn known_request() -> ComputeRequest {
	ComputeRequest {
		seed: known_answer::SEED,
		shape: known_answer::SHAPE,
		leaf_size: known_answer::LEAF_SIZE,
	}
}

/// The reference root: every tile recomputed entry by entry.
pub fn reference_root(request: &ComputeRequest) -> Hash {
	let keys = Keys::from_seed(&request.seed);
	let roots: Vec<Hash> = (0..request.shape.tiles())
		.map(|t| {
			prover::tile_root(
				&request.shape,
				request.leaf_size,
				&prover::reference_tile(&keys, &request.shape, t),
			)
		})
		.collect();
	prover::root(&prover::top_levels(&roots))
}

/// POSTs `body` to `path` of the service at `addr` over a raw TCP connection; the status code and
/// the body.
pub async fn post(addr: std::net::SocketAddr, path: &str, body: Vec<u8>) -> (u16, Vec<u8>) {
	post_as(addr, path, body, Some(&TEST_TOKEN)).await
}

/// The token the tests' services take.
pub static TEST_TOKEN: std::sync::LazyLock<crate::service::Token> =
	std::sync::LazyLock::new(crate::service::Token::random);

/// POSTs with `token` (or no `Authorization` header).
pub async fn post_as(
	addr: std::net::SocketAddr,
	path: &str,
	body: Vec<u8>,
	token: Option<&crate::service::Token>,
) -> (u16, Vec<u8>) {
	use tokio::io::{AsyncReadExt, AsyncWriteExt};
	let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
	let auth = token
		.map(|t| format!("Authorization: Bearer {}\r\n", t.to_hex()))
		.unwrap_or_default();
	let head = format!(
		"POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Length: {}\r\n{auth}Connection: close\r\n\r\n",
		body.len()
	);
	stream.write_all(head.as_bytes()).await.unwrap();
	stream.write_all(&body).await.unwrap();
	let mut response = Vec::new();
	stream.read_to_end(&mut response).await.unwrap();
	let split = response.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
	let head = String::from_utf8_lossy(&response[..split]).to_string();
	let code: u16 = head.split_whitespace().nth(1).unwrap().parse().unwrap();
	(code, response[split + 4..].to_vec())
}
