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
	let service = Arc::new(Service { engine, runner, token, served: AtomicU64::new(0) });
	accept(listener, move |request| {
		let service = service.clone();
		async move { service.handle(request).await }
	})
}

/// Serves `listener` with `handler`, each connection on its own task.
fn accept<H, F, B>(
	listener: TcpListener,
	handler: H,
) -> std::io::Result<(SocketAddr, impl std::future::Future<Output = ()> + Send + 'static)>
where
	H: Fn(Request<Incoming>) -> F + Clone + Send + Sync + 'static,
	F: std::future::Future<Output = Response<B>> + Send + 'static,
	B: hyper::body::Body + Send + 'static,
	B::Data: Send,
	B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
	let local = listener.local_addr()?;
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
			let handler = handler.clone();
			tokio::spawn(async move {
				let handler = service_fn(move |request| {
					let response = handler(request);
					async move { Ok::<_, std::convert::Infallible>(response.await) }
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

/// A streamed or whole answer of the workload endpoint.
type Streamed = http_body_util::combinators::BoxBody<Bytes, std::convert::Infallible>;

fn whole(response: Response<Full<Bytes>>) -> Response<Streamed> {
	response.map(|body| body.boxed())
}

/// Binds the workload endpoint at `addr`: what developers reach (from anywhere the operator
/// lets them; it serves nothing but this) to read their jobs' logs and outputs:
///
/// - `GET /v1/jobs/<id>/logs` (`?follow=1`: streamed until the workload stops);
/// - `GET /v1/jobs/<id>/outputs`: the outputs stream, once the lease ended (`409` before).
///
/// Each request is signed by the job's owner ([`crate::workload::signed`]): `401` without a
/// valid signature, `403` for anyone else's, `404` for a job this node does not run. Browsers
/// may call it from any page (CORS: any origin, the signature headers; no cookies, nothing
/// ambient to abuse — a request is worth only its signature), so a web console reads the logs.
pub fn bind_workloads(
	runner: Arc<dyn Runner>,
	addr: SocketAddr,
) -> std::io::Result<(SocketAddr, impl std::future::Future<Output = ()> + Send + 'static)> {
	let listener = std::net::TcpListener::bind(addr)?;
	listener.set_nonblocking(true)?;
	let listener = TcpListener::from_std(listener)?;
	accept(listener, move |request| {
		let runner = runner.clone();
		async move { workloads(runner, request).await }
	})
}

/// CORS for every answer of the workload endpoint: any origin may read it, with the signature
/// headers (checked as for any caller).
fn cors(mut response: Response<Streamed>) -> Response<Streamed> {
	use crate::workload::signed::{HEADER_ACCOUNT, HEADER_SIGNATURE, HEADER_TIME};
	use hyper::header::{self, HeaderValue};
	let headers = response.headers_mut();
	headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
	headers.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("GET"));
	if let Ok(allowed) =
		HeaderValue::from_str(&format!("{HEADER_ACCOUNT}, {HEADER_TIME}, {HEADER_SIGNATURE}"))
	{
		headers.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, allowed);
	}
	headers.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("600"));
	response
}

async fn workloads(runner: Arc<dyn Runner>, request: Request<Incoming>) -> Response<Streamed> {
	if request.method() == Method::OPTIONS {
		// A browser's preflight: what it may send (the answer carries nothing else).
		return cors(whole(reply(204, Vec::new(), "text/plain; charset=utf-8")));
	}
	cors(workload(runner, request).await)
}

async fn workload(runner: Arc<dyn Runner>, request: Request<Incoming>) -> Response<Streamed> {
	use crate::workload::signed;
	use crucible_primitives::marketplace::service::JOBS_PATH;
	let path = request.uri().path().to_string();
	let path_and_query = request
		.uri()
		.path_and_query()
		.map(|p| p.as_str().to_string())
		.unwrap_or_default();
	let Some((job, what)) = path
		.strip_prefix(JOBS_PATH)
		.and_then(|rest| rest.split_once('/'))
		.and_then(|(job, what)| Some((job.parse::<u64>().ok()?, what.to_string())))
	else {
		return whole(text(404, "no such path"));
	};
	if request.method() != Method::GET {
		return whole(text(405, "method not allowed"));
	}
	if what != "logs" && what != "outputs" {
		return whole(text(404, "no such path"));
	}
	let Some(owner) = runner.owner(job) else {
		return whole(text(404, format!("job {job} does not run here")));
	};
	let now = std::time::SystemTime::now()
		.duration_since(std::time::UNIX_EPOCH)
		.map(|d| d.as_millis() as u64)
		.unwrap_or(0);
	let headers = request.headers();
	let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(String::from);
	match signed::check(header, "GET", &path_and_query, now, &owner) {
		Ok(()) => {},
		Err(signed::Refused::Unauthenticated(why)) => return whole(text(401, why)),
		Err(signed::Refused::Forbidden) =>
			return whole(text(403, "signed by someone who is not the job's owner")),
	}
	if what == "outputs" {
		return whole(match tokio::task::spawn_blocking(move || runner.outputs(job)).await {
			Ok(Some(Ok(bytes))) => reply(200, bytes, "application/octet-stream"),
			Ok(Some(Err(why))) => text(409, why),
			_ => text(404, format!("job {job} has no outputs here")),
		});
	}
	let follow = request.uri().query().is_some_and(|q| q.split('&').any(|kv| kv == "follow=1"));
	let Some(receiver) = runner.logs(job, follow) else {
		return whole(text(404, format!("job {job} has no logs here")));
	};
	let stream = futures::stream::unfold(receiver, |mut receiver| async move {
		receiver
			.recv()
			.await
			.map(|chunk| (Ok(hyper::body::Frame::data(Bytes::from(chunk))), receiver))
	});
	let mut response = Response::new(http_body_util::StreamBody::new(stream).boxed());
	response.headers_mut().insert(
		hyper::header::CONTENT_TYPE,
		hyper::header::HeaderValue::from_static("text/plain; charset=utf-8"),
	);
	response
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

	/// A runner that knows one job (12, owned by the seed-1 key) with a log line.
	struct OneJob;

	impl Runner for OneJob {
		fn name(&self) -> &'static str {
			"one-job"
		}
		fn workload(
			&self,
			_: &crucible_primitives::marketplace::service::WorkloadRequest,
		) -> crucible_primitives::marketplace::service::WorkloadReply {
			unreachable!()
		}
		fn owner(&self, job: u64) -> Option<[u8; 32]> {
			use polkadot_sdk::sp_core::Pair;
			(job == 12)
				.then(|| polkadot_sdk::sp_core::sr25519::Pair::from_seed(&[1; 32]).public().0)
		}
		fn logs(&self, _: u64, _: bool) -> Option<tokio::sync::mpsc::Receiver<Vec<u8>>> {
			let (send, receive) = tokio::sync::mpsc::channel(2);
			send.try_send(b"line one\n".to_vec()).unwrap();
			Some(receive)
		}
		fn outputs(&self, _: u64) -> Option<Result<Vec<u8>, String>> {
			Some(Err("still running".into()))
		}
	}

	async fn get(
		addr: SocketAddr,
		path: &str,
		headers: &[(&'static str, String)],
	) -> (u16, String) {
		request(addr, "GET", path, headers).await
	}

	async fn request(
		addr: SocketAddr,
		method: &str,
		path: &str,
		headers: &[(&'static str, String)],
	) -> (u16, String) {
		use tokio::io::{AsyncReadExt, AsyncWriteExt};
		let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
		let extra: String = headers.iter().map(|(h, v)| format!("{h}: {v}\r\n")).collect();
		let head = format!(
			"{method} {path} HTTP/1.1\r\nHost: localhost\r\n{extra}Connection: close\r\n\r\n"
		);
		stream.write_all(head.as_bytes()).await.unwrap();
		let mut response = Vec::new();
		stream.read_to_end(&mut response).await.unwrap();
		let text = String::from_utf8_lossy(&response).to_string();
		let code = text.split_whitespace().nth(1).unwrap().parse().unwrap();
		(code, text)
	}

	#[test]
	fn the_workload_endpoint_serves_only_the_jobs_owner() {
		use crate::workload::signed::sign;
		use polkadot_sdk::sp_core::{sr25519, Pair};
		let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
		runtime.block_on(async {
			let runner: Arc<dyn Runner> = Arc::new(OneJob);
			let (addr, serve) = bind_workloads(runner, "127.0.0.1:0".parse().unwrap()).unwrap();
			tokio::spawn(serve);
			let now = std::time::SystemTime::now()
				.duration_since(std::time::UNIX_EPOCH)
				.unwrap()
				.as_millis() as u64;
			let owner = sr25519::Pair::from_seed(&[1; 32]);
			let stranger = sr25519::Pair::from_seed(&[2; 32]);
			let path = "/v1/jobs/12/logs";
			let (code, body) = get(addr, path, &sign(&owner, "GET", path, now)).await;
			assert_eq!(code, 200, "{body}");
			assert!(body.contains("line one"), "{body}");
			assert_eq!(get(addr, path, &sign(&stranger, "GET", path, now)).await.0, 403);
			assert_eq!(get(addr, path, &[]).await.0, 401);
			// Signed for another path: refused.
			let other = sign(&owner, "GET", "/v1/jobs/12/outputs", now);
			assert_eq!(get(addr, path, &other).await.0, 401);
			let outputs = "/v1/jobs/12/outputs";
			assert_eq!(get(addr, outputs, &sign(&owner, "GET", outputs, now)).await.0, 409);
			let unknown = "/v1/jobs/13/logs";
			assert_eq!(get(addr, unknown, &sign(&owner, "GET", unknown, now)).await.0, 404);
			// Nothing of the compute service is served here.
			assert_eq!(get(addr, STATUS_PATH, &[]).await.0, 404);
			// A browser page may ask (CORS), and still only the owner's signature reads.
			let (code, head) = request(addr, "OPTIONS", path, &[]).await;
			assert_eq!(code, 204);
			let head = head.to_ascii_lowercase();
			assert!(head.contains("access-control-allow-origin: *"), "{head}");
			assert!(head.contains("x-crucible-signature"), "{head}");
			let (_, body) = get(addr, path, &sign(&owner, "GET", path, now)).await;
			assert!(body.to_ascii_lowercase().contains("access-control-allow-origin: *"), "{body}");
			assert_eq!(request(addr, "POST", path, &[]).await.0, 405);
		});
	}
}
