//! The backends against the reference implementation, the engine's openings against the
//! chain's verification, the lying mode, the HTTP service (including hostile requests), the CUDA
//! kernels' arithmetic (compiled as C), and the CUDA backend failing cleanly without a driver.

use super::*;
use crate::{cpu::CpuBackend, cuda, service};
use codec::{Decode, Encode};
use crucible_primitives::{
	challenge::{
		known_answer, prover, sample_positions, verify_opening, Keys, OpeningError, Shape,
	},
	proof_of_compute::service::{
		CommitResponse, ComputeRequest, OpenRequest, OpenResponse, COMMIT_PATH, OPEN_PATH,
	},
};

fn hex(bytes: &[u8]) -> String {
	bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn cpu_engine(lie: Option<Lie>) -> Engine {
	Engine::new(Arc::new(CpuBackend::new(2).expect("thread pool")), lie)
}

fn known_request() -> ComputeRequest {
	ComputeRequest {
		seed: known_answer::SEED,
		shape: known_answer::SHAPE,
		leaf_size: known_answer::LEAF_SIZE,
	}
}

/// The reference root: every tile recomputed entry by entry.
fn reference_root(request: &ComputeRequest) -> Hash {
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

#[test]
fn the_cpu_backend_reproduces_the_known_answer() {
	let engine = cpu_engine(None);
	let committed = engine.commit(&known_request()).unwrap();
	assert_eq!(hex(&committed.root), known_answer::ROOT);
}

#[test]
fn the_cpu_backend_matches_the_reference_across_tiles_and_inner_blocks() {
	// 512 x 512 outputs: four tiles per product; inner 4160 spans two K blocks.
	for request in [
		ComputeRequest {
			seed: [3u8; 32],
			shape: Shape { batch: 1, rows: 512, inner: 64, cols: 512 },
			leaf_size: 32,
		},
		ComputeRequest {
			seed: [4u8; 32],
			shape: Shape { batch: 3, rows: 2, inner: 4160, cols: 16 },
			leaf_size: 8,
		},
	] {
		let engine = cpu_engine(None);
		assert_eq!(engine.commit(&request).unwrap().root, reference_root(&request), "{request:?}");
	}
}

#[test]
fn openings_from_the_engine_verify_as_the_chain_checks_them() {
	let engine = cpu_engine(None);
	let request = ComputeRequest {
		seed: [5u8; 32],
		shape: Shape { batch: 2, rows: 512, inner: 128, cols: 256 },
		leaf_size: 16,
	};
	let root = engine.commit(&request).unwrap().root;
	let positions = sample_positions(&[9u8; 32], &42u64, 7, &request.shape, 16);
	let opened = engine
		.open(&OpenRequest {
			challenge: request.clone(),
			positions: positions.clone().try_into().unwrap(),
		})
		.unwrap();
	let keys = Keys::from_seed(&request.seed);
	for (pos, opening) in positions.iter().zip(opened.openings.iter()) {
		assert_eq!(verify_opening(&keys, &request.shape, 16, &root, pos, opening), Ok(()));
	}
}

#[test]
fn an_engine_restarted_between_commit_and_open_recomputes_and_still_opens() {
	let request = known_request();
	let root = cpu_engine(None).commit(&request).unwrap().root;
	// Another engine (a restarted node) never saw the commitment.
	let fresh = cpu_engine(None);
	let positions = sample_positions(&[1u8; 32], &1u64, 1, &request.shape, 4);
	let opened = fresh
		.open(&OpenRequest {
			challenge: request.clone(),
			positions: positions.clone().try_into().unwrap(),
		})
		.unwrap();
	let keys = Keys::from_seed(&request.seed);
	for (pos, opening) in positions.iter().zip(opened.openings.iter()) {
		assert_eq!(
			verify_opening(&keys, &request.shape, request.leaf_size, &root, pos, opening),
			Ok(())
		);
	}
}

#[test]
fn a_lying_engine_commits_consistently_and_is_caught_on_the_corrupted_entries() {
	let request = ComputeRequest {
		seed: [6u8; 32],
		shape: Shape { batch: 2, rows: 64, inner: 64, cols: 64 },
		leaf_size: 16,
	};
	let lie = Lie { fraction: 0.5 };
	let engine = cpu_engine(Some(lie));
	let root = engine.commit(&request).unwrap().root;
	assert_ne!(root, reference_root(&request));
	let positions = sample_positions(&[2u8; 32], &9u64, 3, &request.shape, 64);
	let opened = engine
		.open(&OpenRequest {
			challenge: request.clone(),
			positions: positions.clone().try_into().unwrap(),
		})
		.unwrap();
	let keys = Keys::from_seed(&request.seed);
	let mut caught = 0;
	for (pos, opening) in positions.iter().zip(opened.openings.iter()) {
		let result = verify_opening(&keys, &request.shape, 16, &root, pos, opening);
		// The paths always check (the tree is built over the lies); exactly the corrupted
		// entries fail.
		if lie.corrupts(&keys, &request.shape, pos) {
			assert_eq!(result, Err(OpeningError::WrongEntry));
			caught += 1;
		} else {
			assert_eq!(result, Ok(()));
		}
	}
	assert!((16..=48).contains(&caught), "about half of 64 samples: {caught}");
}

#[test]
fn requests_outside_the_bounds_are_refused_by_name() {
	let engine = cpu_engine(None);
	let bad_shape = ComputeRequest {
		shape: Shape { batch: 1, rows: 3, inner: 64, cols: 16 },
		..known_request()
	};
	assert!(
		matches!(engine.commit(&bad_shape), Err(Error::BadRequest(e)) if e.contains("invalid shape"))
	);
	let too_big = ComputeRequest {
		shape: Shape { batch: 1 << 20, rows: 1024, inner: 64, cols: 1024 },
		..known_request()
	};
	assert!(
		matches!(engine.commit(&too_big), Err(Error::BadRequest(e)) if e.contains("more than"))
	);
	let outside = OpenRequest {
		challenge: known_request(),
		positions: vec![crucible_primitives::challenge::Position { batch: 2, row: 0, col: 0 }]
			.try_into()
			.unwrap(),
	};
	assert!(matches!(engine.open(&outside), Err(Error::BadRequest(e)) if e.contains("outside")));
}

// ---- the HTTP service ----

async fn post(addr: std::net::SocketAddr, path: &str, body: Vec<u8>) -> (u16, Vec<u8>) {
	use tokio::io::{AsyncReadExt, AsyncWriteExt};
	let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
	let head = format!(
		"POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
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

#[test]
fn the_service_commits_opens_and_refuses_hostile_requests() {
	let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
	runtime.block_on(async {
		let engine = Arc::new(cpu_engine(None));
		let runner: Arc<dyn runner::Runner> = Arc::new(runner::NoRunner);
		let (addr, serve) =
			service::bind(engine, runner, "127.0.0.1:0".parse().unwrap()).await.unwrap();
		tokio::spawn(serve);

		let (code, body) = post(addr, COMMIT_PATH, known_request().encode()).await;
		assert_eq!(code, 200);
		let committed = CommitResponse::decode(&mut &body[..]).unwrap();
		assert_eq!(hex(&committed.root), known_answer::ROOT);

		let positions = sample_positions(&[1u8; 32], &1u64, 1, &known_answer::SHAPE, 3);
		let open =
			OpenRequest { challenge: known_request(), positions: positions.try_into().unwrap() };
		let (code, body) = post(addr, OPEN_PATH, open.encode()).await;
		assert_eq!(code, 200);
		assert_eq!(OpenResponse::decode(&mut &body[..]).unwrap().openings.len(), 3);

		// Garbage, an invalid shape, an unknown path, a body over the limit.
		assert_eq!(post(addr, COMMIT_PATH, b"garbage".to_vec()).await.0, 400);
		let bad =
			ComputeRequest { shape: Shape { batch: 0, ..known_answer::SHAPE }, ..known_request() };
		let (code, body) = post(addr, COMMIT_PATH, bad.encode()).await;
		assert_eq!(code, 400, "{}", String::from_utf8_lossy(&body));
		assert_eq!(post(addr, "/v1/nothing", vec![]).await.0, 404);
		assert_eq!(post(addr, COMMIT_PATH, vec![0u8; service::MAX_BODY + 1]).await.0, 413);
		// Still serving after all that.
		assert_eq!(post(addr, COMMIT_PATH, known_request().encode()).await.0, 200);
	});
}

// ---- CUDA ----

#[test]
fn the_cuda_backend_fails_cleanly_without_a_driver_and_matches_the_cpu_with_one() {
	match cuda::unavailable() {
		Some(why) => {
			// No driver here: a clear reason, and no panic.
			assert!(
				why.contains("NVIDIA") || why.contains("cuBLAS") || why.contains("NVRTC"),
				"{why}"
			);
			match cuda::CudaBackend::new() {
				Err(Error::Backend(e)) => assert_eq!(e, why),
				Err(other) => panic!("unexpected error {other:?}"),
				Ok(_) => panic!("a CUDA backend without CUDA"),
			}
		},
		None => {
			// A GPU host: the CUDA backend's root is the CPU backend's, bit for bit.
			let gpu = Engine::new(Arc::new(cuda::CudaBackend::new().expect("CUDA backend")), None);
			assert_eq!(hex(&gpu.commit(&known_request()).unwrap().root), known_answer::ROOT);
			let request = ComputeRequest {
				seed: [8u8; 32],
				shape: Shape { batch: 3, rows: 512, inner: 1024, cols: 512 },
				leaf_size: 32,
			};
			assert_eq!(
				gpu.commit(&request).unwrap().root,
				cpu_engine(None).commit(&request).unwrap().root
			);
		},
	}
}

/// The CUDA kernels' device functions compiled as C with the host compiler, run over the known
/// challenge: generator words, every leaf hash and every tile root must be the Rust
/// reference's. (The kernels' launch geometry and cuBLAS run only on a GPU host.)
#[test]
fn the_cuda_kernels_arithmetic_matches_the_reference() {
	kernel_harness(known_answer::SEED, known_answer::SHAPE, known_answer::LEAF_SIZE);
	// Two tiles across, two rows each: the tile-major leaf numbering.
	kernel_harness([11u8; 32], Shape { batch: 1, rows: 2, inner: 64, cols: 512 }, 16);
}

fn kernel_harness(seed: Hash, shape: Shape, leaf: u32) {
	let keys = Keys::from_seed(&seed);
	// Product 0's output, row-major, as cuBLAS would leave it.
	let product: Vec<i32> = (0..shape.rows)
		.flat_map(|r| {
			(0..shape.cols).map(move |c| {
				crucible_primitives::challenge::entry(
					&keys,
					&shape,
					&crucible_primitives::challenge::Position { batch: 0, row: r, col: c },
				)
			})
		})
		.collect();
	let values: Vec<String> = product.iter().map(|v| format!("{v}")).collect();
	let (_, across) = shape.tile_grid();
	let leaves = shape.leaves_per_tile(leaf) * u64::from(across);
	let harness = format!(
		r#"{kernels}
#include <stdio.h>
static const i32 C[] = {{ {values} }};
int main(void) {{
	u64 key = {key}ULL;
	printf("a %016llx\n", (unsigned long long)cru_a_word(key, {rows}, {words}, 1, 2, 3));
	printf("b %016llx\n", (unsigned long long)cru_b_word(key, {cols}, {words}, 1, 5, 7));
	u8 hashes[{leaves}][32];
	for (u64 j = 0; j < {leaves}; j++) cru_leaf(C, {cols}, {tr}, {tc}, {across}, {leaf}, j, hashes[j]);
	u64 n = {leaves};
	for (u32 level = 0; level < {depth}; level++) {{
		for (u64 i = 0; i < n / 2; i++) cru_node(hashes[2 * i], hashes[2 * i + 1], hashes[i]);
		n /= 2;
	}}
	for (u64 t = 0; t < n; t++) {{
		printf("root ");
		for (int i = 0; i < 32; i++) printf("%02x", hashes[t][i]);
		printf("\n");
	}}
	return 0;
}}
"#,
		kernels = cuda::KERNELS,
		values = values.join(", "),
		key = keys.key,
		rows = shape.rows,
		cols = shape.cols,
		words = shape.inner / 8,
		leaves = leaves,
		tr = shape.tile_rows(),
		tc = shape.tile_cols(),
		across = across,
		leaf = leaf,
		depth = shape.tile_depth(leaf),
	);
	let dir = std::env::temp_dir().join(format!("crucible-kernel-test-{}", std::process::id()));
	std::fs::create_dir_all(&dir).unwrap();
	let source = dir.join("harness.c");
	let binary = dir.join("harness");
	std::fs::write(&source, harness).unwrap();
	let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
	let built =
		std::process::Command::new(&cc)
			.args(["-std=c99", "-O1", "-Wall", "-Werror", "-o"])
			.arg(&binary)
			.arg(&source)
			.output()
			.unwrap_or_else(|e| {
				panic!("a C compiler ({cc}) is needed for this test (scripts/setup.sh installs one): {e}")
			});
	assert!(built.status.success(), "{}", String::from_utf8_lossy(&built.stderr));
	let run = std::process::Command::new(&binary).output().unwrap();
	assert!(run.status.success());
	let out = String::from_utf8(run.stdout).unwrap();
	let _ = std::fs::remove_dir_all(&dir);

	let mut lines = out.lines();
	let a = crucible_primitives::challenge::a_word(&keys, &shape, 1, 2, 3);
	let b = crucible_primitives::challenge::b_word(&keys, &shape, 1, 5, 7);
	assert_eq!(lines.next(), Some(format!("a {a:016x}").as_str()));
	assert_eq!(lines.next(), Some(format!("b {b:016x}").as_str()));
	let expected: Vec<String> = (0..u64::from(across))
		.map(|t| {
			let tile = prover::reference_tile(&keys, &shape, t);
			format!("root {}", hex(&prover::tile_root(&shape, leaf, &tile)))
		})
		.collect();
	let got: Vec<String> = lines.map(String::from).collect();
	assert_eq!(got, expected);
}

// ---- leased workloads: the exec runner, sealed access details, the service's workload path ----

mod workloads {
	use super::*;
	use crate::runner::{ExecRunner, Runner, WorkloadEntry, WorkloadMap};
	use crucible_primitives::marketplace::{
		service::{WorkloadReply, WorkloadRequest, WORKLOAD_PATH},
		Refusal, Workload,
	};
	use polkadot_sdk::sp_core::H256;

	const SECRET: [u8; 32] = [0x42; 32];

	fn public() -> [u8; 32] {
		*x25519_dalek::PublicKey::from(&x25519_dalek::StaticSecret::from(SECRET)).as_bytes()
	}

	fn image(byte: u8) -> H256 {
		H256::repeat_byte(byte)
	}

	fn map() -> WorkloadMap {
		WorkloadMap {
			workloads: vec![
				WorkloadEntry {
					image: format!("{:?}", image(0xaa)),
					command: vec![
						"sh".into(),
						"-c".into(),
						"echo job $CRUCIBLE_JOB; sleep 30".into(),
					],
					access: Some("ssh://gpu.example.net:2222".into()),
				},
				WorkloadEntry {
					image: format!("{:?}", image(0xbb)),
					command: vec!["/nonexistent/program".into()],
					access: None,
				},
			],
		}
	}

	fn request(job: u64, img: H256, finish: bool) -> WorkloadRequest {
		WorkloadRequest {
			job,
			workload: Workload { image: img, manifest: H256::zero(), access_key: public() },
			finish,
		}
	}

	#[test]
	fn access_details_open_only_with_the_developers_key() {
		let sealed = seal::seal(&public(), b"ssh://host:22").unwrap();
		assert_eq!(sealed.len(), seal::OVERHEAD + 13);
		assert_eq!(seal::open(&SECRET, &sealed).unwrap(), b"ssh://host:22");
		assert!(seal::open(&[0x43; 32], &sealed).is_err());
		let mut altered = sealed.clone();
		*altered.last_mut().unwrap() ^= 1;
		assert!(seal::open(&SECRET, &altered).is_err());
		// The all-zero key is not a usable x25519 public key.
		assert!(seal::seal(&[0u8; 32], b"x").is_err());
	}

	#[test]
	fn the_exec_runner_runs_only_mapped_images_and_finishes_with_a_result() {
		let runner = ExecRunner::new(map()).unwrap();
		// Unmapped: refused, nothing started.
		assert_eq!(
			runner.workload(&request(1, image(0xcc), false)),
			WorkloadReply::Refused { reason: Refusal::UnknownWorkload }
		);
		// Mapped to a program that cannot start.
		assert_eq!(
			runner.workload(&request(2, image(0xbb), false)),
			WorkloadReply::Refused { reason: Refusal::RunnerFailed }
		);
		// Mapped: runs, reports, publishes sealed access details.
		let WorkloadReply::Running { access: Some(access), .. } =
			runner.workload(&request(3, image(0xaa), false))
		else {
			panic!("expected a running workload with access details")
		};
		assert_eq!(seal::open(&SECRET, &access).unwrap(), b"ssh://gpu.example.net:2222");
		std::thread::sleep(std::time::Duration::from_millis(300));
		let finished = runner.workload(&request(3, image(0xaa), true));
		let WorkloadReply::Finished { result, .. } = finished.clone() else {
			panic!("expected a finished workload, got {finished:?}")
		};
		// The result is the digest of (exit status, output): killed, it printed its job.
		let output = b"job 3\n".to_vec();
		let killed: Option<i32> = Some(-1);
		assert_eq!(result, H256(crucible_primitives::challenge::hash(&(killed, output).encode())));
		// Asked again (a resend), the same answer.
		assert_eq!(runner.workload(&request(3, image(0xaa), true)), finished);
		// A lease never started here cannot be finished.
		assert_eq!(
			runner.workload(&request(4, image(0xaa), true)),
			WorkloadReply::Refused { reason: Refusal::RunnerFailed }
		);
	}

	#[test]
	fn workload_maps_are_checked_when_read() {
		let bad = |entry: WorkloadEntry| ExecRunner::new(WorkloadMap { workloads: vec![entry] });
		let entry = |image: &str, command: Vec<String>, access: Option<String>| WorkloadEntry {
			image: image.into(),
			command,
			access,
		};
		assert!(bad(entry("0x12", vec!["true".into()], None)).is_err());
		assert!(bad(entry(&"zz".repeat(32), vec!["true".into()], None)).is_err());
		assert!(bad(entry(&format!("{:?}", image(1)), vec![], None)).is_err());
		assert!(bad(entry(&format!("{:?}", image(1)), vec!["true".into()], Some("x".repeat(500))))
			.is_err());
		assert!(serde_json::from_str::<WorkloadMap>(r#"{"workloads": [], "extra": 1}"#).is_err());
	}

	#[test]
	fn the_service_answers_workload_requests() {
		let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
		runtime.block_on(async {
			let engine = Arc::new(cpu_engine(None));
			let runner: Arc<dyn Runner> = Arc::new(ExecRunner::new(map()).unwrap());
			let (addr, serve) =
				service::bind(engine, runner, "127.0.0.1:0".parse().unwrap()).await.unwrap();
			tokio::spawn(serve);
			let (code, body) =
				post(addr, WORKLOAD_PATH, request(7, image(0xcc), false).encode()).await;
			assert_eq!(code, 200);
			assert_eq!(
				WorkloadReply::decode(&mut &body[..]).unwrap(),
				WorkloadReply::Refused { reason: Refusal::UnknownWorkload }
			);
			let (code, _) = post(addr, WORKLOAD_PATH, vec![1, 2, 3]).await;
			assert_eq!(code, 400);
		});
	}
}
