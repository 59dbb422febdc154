//! The compute service: HTTP/1.1 on loopback, SCALE bodies.
//!
//! - `POST /v1/commit` — body `ComputeRequest`, answer `CommitResponse`;
//! - `POST /v1/open` — body `OpenRequest`, answer `OpenResponse`;
//! - `POST /v1/workload` — body `WorkloadRequest`, answer `WorkloadReply`: a leased workload,
//!   started (only if the operator's workload map names its image), reported, finished;
//! - `GET /v1/status` — JSON: backend, runner, whether it lies (test mode), requests served.
//!
//! Every request but the status carries `Authorization: Bearer <token>`, the service's secret
//! ([`Token`]): the node draws a new one at every start and gives it to its off-chain worker
//! through the offchain database, so no other local process (a tenant's workload, another user,
//! a browser's cross-origin POST) can start or stop workloads or hold the engine. A missing or
//! wrong token is answered `401` before the body is read.
//!
//! Bad input is answered `400` with a reason, a failing backend `500`; work runs on a blocking
//! thread and a panic in it becomes a `500`, never the node's end. Bodies are bounded.

use crate::{workload::Runner, Engine, Error};
use bytes::Bytes;
use codec::{Decode, Encode};
use crucible_primitives::{
	marketplace::service::{WorkloadRequest, WORKLOAD_PATH},
	proof_of_compute::service::{ComputeRequest, OpenRequest, COMMIT_PATH, OPEN_PATH},
};
use http_body_util::{BodyExt, Full, Limited};
use hyper::{body::Incoming, server::conn::http1, service::service_fn, Method, Request, Response};
use hyper_util::rt::TokioIo;
use std::{
	net::SocketAddr,
	sync::{
		atomic::{AtomicU64, Ordering},
		Arc,
	},
};
use tokio::net::TcpListener;

/// The largest request body accepted (an open request is a few kilobytes).
pub const MAX_BODY: usize = 64 * 1024;

/// The status path.
pub const STATUS_PATH: &str = "/v1/status";

/// The log target.
const LOG_TARGET: &str = "compute-service";

/// The service's secret: 32 random bytes, sent as `Authorization: Bearer <64 hex digits>`.
#[derive(Clone, PartialEq, Eq)]
pub struct Token([u8; 32]);

impl Token {
	/// A fresh token from the operating system's randomness.
	pub fn random() -> Self {
		let mut bytes = [0u8; 32];
		rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut bytes);
		Self(bytes)
	}

	/// A token from its 64 hex digits (surrounding whitespace ignored).
	pub fn from_hex(text: &str) -> Result<Self, String> {
		let text = text.trim();
		if text.len() != 64 || !text.is_ascii() {
			return Err("a compute service token is 64 hex digits".into());
		}
		let mut bytes = [0u8; 32];
		for (i, byte) in bytes.iter_mut().enumerate() {
			*byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16)
				.map_err(|_| "a compute service token is 64 hex digits".to_string())?;
		}
		Ok(Self(bytes))
	}

	/// The 64 hex digits.
	pub fn to_hex(&self) -> String {
		self.0.iter().map(|b| format!("{b:02x}")).collect()
	}

	/// Whether an `Authorization` header value is `Bearer <this token>`, compared in constant
	/// time.
	fn admits(&self, header: Option<&hyper::header::HeaderValue>) -> bool {
		let expected = format!("Bearer {}", self.to_hex());
		let Some(given) = header.map(|h| h.as_bytes()) else { return false };
		given.len() == expected.len() &&
			given.iter().zip(expected.as_bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
	}
}

impl std::fmt::Debug for Token {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		f.write_str("Token(…)")
	}
}

/// A running service's shared state.
pub struct Service {
	engine: Arc<Engine>,
	runner: Arc<dyn Runner>,
	token: Token,
	served: AtomicU64,
}

/// Binds `addr` (a loopback address; port 0 picks a free one) and returns the bound address
/// and the future that serves until dropped; requests must carry `token`.
pub async fn bind(
	engine: Arc<Engine>,
	runner: Arc<dyn Runner>,
	token: Token,
	addr: SocketAddr,
) -> std::io::Result<(SocketAddr, impl std::future::Future<Output = ()> + Send + 'static)> {
	serve(engine, runner, token, TcpListener::bind(addr).await?)
}

/// Like [`bind`], from synchronous code inside a tokio runtime (the node's service builder).
pub fn bind_now(
	engine: Arc<Engine>,
	runner: Arc<dyn Runner>,
	token: Token,
	addr: SocketAddr,
) -> std::io::Result<(SocketAddr, impl std::future::Future<Output = ()> + Send + 'static)> {
	let listener = std::net::TcpListener::bind(addr)?;
	listener.set_nonblocking(true)?;
	serve(engine, runner, token, TcpListener::from_std(listener)?)
}

fn serve(
	engine: Arc<Engine>,
	runner: Arc<dyn Runner>,
	token: Token,
	listener: TcpListener,
) -> std::io::Result<(SocketAddr, impl std::future::Future<Output = ()> + Send + 'static)> {
	let local = listener.local_addr()?;
	let service = Arc::new(Service { engine, runner, token, served: AtomicU64::new(0) });
	let serve = async move {
		loop {
			let (stream, peer) = match listener.accept().await {
				Ok(accepted) => accepted,
				Err(e) => {
					log::warn!(target: LOG_TARGET, "accept failed: {e}");
					tokio::time::sleep(std::time::Duration::from_millis(100)).await;
					continue;
				},
			};
			let service = service.clone();
			tokio::spawn(async move {
				let handler = service_fn(move |request| {
					let service = service.clone();
					async move { Ok::<_, std::convert::Infallible>(service.handle(request).await) }
				});
				if let Err(e) =
					http1::Builder::new().serve_connection(TokioIo::new(stream), handler).await
				{
					log::debug!(target: LOG_TARGET, "connection from {peer} ended: {e}");
				}
			});
		}
	};
	Ok((local, serve))
}

fn reply(code: u16, body: Vec<u8>, content_type: &'static str) -> Response<Full<Bytes>> {
	let mut response = Response::new(Full::new(Bytes::from(body)));
	*response.status_mut() =
		hyper::StatusCode::from_u16(code).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
	response
		.headers_mut()
		.insert(hyper::header::CONTENT_TYPE, hyper::header::HeaderValue::from_static(content_type));
	response
}

fn text(code: u16, message: impl Into<String>) -> Response<Full<Bytes>> {
	reply(code, message.into().into_bytes(), "text/plain; charset=utf-8")
}

impl Service {
	async fn handle(self: Arc<Self>, request: Request<Incoming>) -> Response<Full<Bytes>> {
		let path = request.uri().path().to_string();
		if path != STATUS_PATH &&
			!self.token.admits(request.headers().get(hyper::header::AUTHORIZATION))
		{
			return text(401, "missing or wrong compute service token");
		}
		match (request.method().clone(), path.as_str()) {
			(Method::GET, STATUS_PATH) => {
				let status = serde_json::json!({
					"backend": self.engine.backend_name(),
					"runner": self.runner.name(),
					"lies": self.engine.lies(),
					"served": self.served.load(Ordering::Relaxed),
				});
				reply(200, status.to_string().into_bytes(), "application/json")
			},
			(Method::POST, COMMIT_PATH) => match self.body(request).await {
				Ok(body) => match ComputeRequest::decode(&mut &body[..]) {
					Ok(req) =>
						self.run(move |engine| engine.commit(&req).map(|r| r.encode())).await,
					Err(e) => text(400, format!("not a SCALE ComputeRequest: {e}")),
				},
				Err(response) => response,
			},
			(Method::POST, OPEN_PATH) => match self.body(request).await {
				Ok(body) => match OpenRequest::decode(&mut &body[..]) {
					Ok(req) => self.run(move |engine| engine.open(&req).map(|r| r.encode())).await,
					Err(e) => text(400, format!("not a SCALE OpenRequest: {e}")),
				},
				Err(response) => response,
			},
			(Method::POST, WORKLOAD_PATH) => match self.body(request).await {
				Ok(body) => match WorkloadRequest::decode(&mut &body[..]) {
					Ok(req) => {
						let runner = self.runner.clone();
						match tokio::task::spawn_blocking(move || {
							std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
								runner.workload(&req).encode()
							}))
						})
						.await
						{
							Ok(Ok(body)) => reply(200, body, "application/octet-stream"),
							_ => {
								log::error!(target: LOG_TARGET, "the {} runner panicked", self.runner.name());
								text(500, "the runner panicked")
							},
						}
					},
					Err(e) => text(400, format!("not a SCALE WorkloadRequest: {e}")),
				},
				Err(response) => response,
			},
			(_, COMMIT_PATH | OPEN_PATH | STATUS_PATH | WORKLOAD_PATH) =>
				text(405, "method not allowed"),
			_ => text(404, format!("no such path: {path}")),
		}
	}

	/// The request's body, at most `MAX_BODY` bytes.
	async fn body(&self, request: Request<Incoming>) -> Result<Bytes, Response<Full<Bytes>>> {
		match Limited::new(request.into_body(), MAX_BODY).collect().await {
			Ok(collected) => Ok(collected.to_bytes()),
			Err(e) =>
				Err(text(413, format!("body too large or broken (at most {MAX_BODY} bytes): {e}"))),
		}
	}

	/// Runs `work` on a blocking thread; maps its errors and panics to HTTP answers.
	async fn run(
		self: &Arc<Self>,
		work: impl FnOnce(&Engine) -> Result<Vec<u8>, Error> + Send + 'static,
	) -> Response<Full<Bytes>> {
		let engine = self.engine.clone();
		let outcome = tokio::task::spawn_blocking(move || {
			std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(&engine)))
		})
		.await;
		self.served.fetch_add(1, Ordering::Relaxed);
		match outcome {
			Ok(Ok(Ok(body))) => reply(200, body, "application/octet-stream"),
			Ok(Ok(Err(Error::BadRequest(e)))) => text(400, e),
			Ok(Ok(Err(Error::Backend(e)))) => {
				log::error!(target: LOG_TARGET, "the {} backend failed: {e}", self.engine.backend_name());
				text(500, e)
			},
			Ok(Err(_)) | Err(_) => {
				log::error!(target: LOG_TARGET, "the {} backend panicked", self.engine.backend_name());
				text(500, "the backend panicked")
			},
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::{
		test_support::{cpu_engine, hex, known_request, post, post_as, TEST_TOKEN},
		workload::{NoRunner, Runner},
	};
	use crucible_primitives::{
		challenge::{known_answer, sample_positions, Shape},
		proof_of_compute::service::{CommitResponse, ComputeRequest, OpenRequest, OpenResponse},
	};

	#[test]
	fn the_service_commits_opens_and_refuses_hostile_requests() {
		let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
		runtime.block_on(async {
			let engine = Arc::new(cpu_engine(None));
			let runner: Arc<dyn Runner> = Arc::new(NoRunner);
			let (addr, serve) =
				bind(engine, runner, TEST_TOKEN.clone(), "127.0.0.1:0".parse().unwrap())
					.await
					.unwrap();
			tokio::spawn(serve);

			// Without the token, or with another, nothing is served (the status aside).
			assert_eq!(post_as(addr, COMMIT_PATH, known_request().encode(), None).await.0, 401);
			let other = Token::random();
			assert_ne!(other, *TEST_TOKEN);
			let (code, _) =
				post_as(addr, COMMIT_PATH, known_request().encode(), Some(&other)).await;
			assert_eq!(code, 401);
			let (code, _) = post_as(addr, WORKLOAD_PATH, vec![], None).await;
			assert_eq!(code, 401);
			let (code, _) = post_as(addr, "/v1/nothing", vec![], None).await;
			assert_eq!(code, 401, "no path is revealed without the token");

			let (code, body) = post(addr, COMMIT_PATH, known_request().encode()).await;
			assert_eq!(code, 200);
			let committed = CommitResponse::decode(&mut &body[..]).unwrap();
			assert_eq!(hex(&committed.root), known_answer::ROOT);

			let positions = sample_positions(&[1u8; 32], &1u64, 1, &known_answer::SHAPE, 3);
			let open = OpenRequest {
				challenge: known_request(),
				positions: positions.try_into().unwrap(),
			};
			let (code, body) = post(addr, OPEN_PATH, open.encode()).await;
			assert_eq!(code, 200);
			assert_eq!(OpenResponse::decode(&mut &body[..]).unwrap().openings.len(), 3);

			// Garbage, an invalid shape, an unknown path, a body over the limit.
			assert_eq!(post(addr, COMMIT_PATH, b"garbage".to_vec()).await.0, 400);
			let bad = ComputeRequest {
				shape: Shape { batch: 0, ..known_answer::SHAPE },
				..known_request()
			};
			let (code, body) = post(addr, COMMIT_PATH, bad.encode()).await;
			assert_eq!(code, 400, "{}", String::from_utf8_lossy(&body));
			assert_eq!(post(addr, "/v1/nothing", vec![]).await.0, 404);
			assert_eq!(post(addr, COMMIT_PATH, vec![0u8; MAX_BODY + 1]).await.0, 413);
			// Still serving after all that.
			assert_eq!(post(addr, COMMIT_PATH, known_request().encode()).await.0, 200);
		});
	}
}
