//! Leased workloads: the exec runner, sealed access details, the service's workload path.

use super::{seal, ExecRunner, Runner, WorkloadEntry, WorkloadMap};
use crate::{
	service,
	test_support::{cpu_engine, post, TEST_TOKEN},
};
use codec::{Decode, Encode};
use crucible_primitives::marketplace::{
	service::{WorkloadReply, WorkloadRequest, WORKLOAD_PATH},
	Refusal, Workload,
};
use polkadot_sdk::sp_core::H256;
use std::sync::Arc;

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
				command: vec!["sh".into(), "-c".into(), "echo job $CRUCIBLE_JOB; sleep 30".into()],
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
		manifest: None,
		secrets: None,
		owner: [0; 32],
		gpus: 1,
		finish,
		audit: false,
	}
}

#[test]
fn access_details_open_only_with_the_developers_key() {
	let sealed = seal::seal(&public(), b"ssh://host:22").unwrap();
	assert_eq!(sealed.len(), seal::SEAL_OVERHEAD + 13);
	assert_eq!(seal::open(&SECRET, &sealed).unwrap(), b"ssh://host:22");
	assert!(seal::open(&[0x43; 32], &sealed).is_err());
	let mut altered = sealed.clone();
	*altered.last_mut().unwrap() ^= 1;
	assert!(seal::open(&SECRET, &altered).is_err());
	// The all-zero key is not a usable x25519 public key.
	assert!(seal::seal(&[0u8; 32], b"x").is_err());
}

#[test]
fn every_tenant_of_an_image_gets_its_own_credential() {
	let runner = ExecRunner::new(WorkloadMap {
		workloads: vec![WorkloadEntry {
			image: format!("{:?}", image(0xdd)),
			command: vec!["sh".into(), "-c".into(), "echo $CRUCIBLE_ACCESS_TOKEN; sleep 30".into()],
			access: Some("ssh://gpu.example.net:2222 user=job{job} password={token}".into()),
		}],
	})
	.unwrap();
	let mut credentials = Vec::new();
	for job in [5, 6] {
		let WorkloadReply::Running { access: Some(access), .. } =
			runner.workload(&request(job, image(0xdd), false))
		else {
			panic!("expected a running workload with access details")
		};
		let opened = String::from_utf8(seal::open(&SECRET, &access).unwrap()).unwrap();
		let prefix = format!("ssh://gpu.example.net:2222 user=job{job} password=");
		let credential = opened.strip_prefix(&prefix).expect("the template filled in").to_string();
		assert_eq!(credential.len(), 32);
		credentials.push(credential);
	}
	assert_ne!(credentials[0], credentials[1], "two tenants, two credentials");
	// Each process was given its own job's credential (and printed it).
	std::thread::sleep(std::time::Duration::from_millis(300));
	for (job, credential) in [5, 6].into_iter().zip(&credentials) {
		let WorkloadReply::Finished { result, .. } =
			runner.workload(&request(job, image(0xdd), true))
		else {
			panic!("expected a finished workload")
		};
		let output = format!("{credential}\n").into_bytes();
		let killed: Option<i32> = Some(-1);
		assert_eq!(result, H256(crucible_primitives::challenge::hash(&(killed, output).encode())));
	}
}

#[test]
fn an_access_text_too_long_once_filled_in_is_refused_at_start() {
	let entry = |access: String| WorkloadMap {
		workloads: vec![WorkloadEntry {
			image: format!("{:?}", image(0xee)),
			command: vec!["true".into()],
			access: Some(access),
		}],
	};
	assert!(ExecRunner::new(entry("x".repeat(100))).is_ok());
	// Short as written, too long once sixteen credentials are filled in.
	let err = ExecRunner::new(entry("{token}".repeat(16))).err().expect("refused");
	assert!(err.contains("once the job's id and credential are filled in"), "{err}");
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
	let opened = String::from_utf8(seal::open(&SECRET, &access).unwrap()).unwrap();
	let credential = opened.strip_prefix("ssh://gpu.example.net:2222\ntoken: ").unwrap();
	assert_eq!(credential.len(), 32, "{opened}");
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
	assert!(
		bad(entry(&format!("{:?}", image(1)), vec!["true".into()], Some("x".repeat(500)))).is_err()
	);
	assert!(serde_json::from_str::<WorkloadMap>(r#"{"workloads": [], "extra": 1}"#).is_err());
}

#[test]
fn the_service_answers_workload_requests() {
	let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
	runtime.block_on(async {
		let engine = Arc::new(cpu_engine(None));
		let runner: Arc<dyn Runner> = Arc::new(ExecRunner::new(map()).unwrap());
		let (addr, serve) =
			service::bind(engine, runner, TEST_TOKEN.clone(), "127.0.0.1:0".parse().unwrap())
				.await
				.unwrap();
		tokio::spawn(serve);
		let (code, body) = post(addr, WORKLOAD_PATH, request(7, image(0xcc), false).encode()).await;
		assert_eq!(code, 200);
		assert_eq!(
			WorkloadReply::decode(&mut &body[..]).unwrap(),
			WorkloadReply::Refused { reason: Refusal::UnknownWorkload }
		);
		let (code, _) = post(addr, WORKLOAD_PATH, vec![1, 2, 3]).await;
		assert_eq!(code, 400);
	});
}
