//! The container runner against a real engine: Podman's Docker-compatible API and a registry
//! on loopback, started by `scripts/container-engine.sh` in a temporary directory (skipped,
//! saying so, where podman or the registry is not installed).

use super::*;
use crate::workload::{seal, signed};
use crucible_primitives::marketplace::{
	manifest_hash, EnvVar, Manifest, Refusal, Workload, MAX_PORTS,
};
use std::process::Command;

const SECRET: [u8; 32] = [0x42; 32];

fn public() -> [u8; 32] {
	*x25519_dalek::PublicKey::from(&x25519_dalek::StaticSecret::from(SECRET)).as_bytes()
}

/// An engine and a registry in a directory of their own, stopped on drop.
struct Engine {
	dir: PathBuf,
	socket: String,
	registry: String,
}

fn script() -> PathBuf {
	Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/container-engine.sh")
}

impl Engine {
	fn start(name: &str) -> Option<Engine> {
		let dir =
			std::env::temp_dir().join(format!("crucible-engine-{name}-{}", std::process::id()));
		let out = Command::new("bash").arg(script()).arg("start").arg(&dir).output().ok()?;
		if !out.status.success() {
			eprintln!(
				"SKIPPED: no container engine here ({}); scripts/setup.sh installs podman and docker-registry",
				String::from_utf8_lossy(&out.stderr).trim()
			);
			return None;
		}
		let line = String::from_utf8_lossy(&out.stdout).to_string();
		let field =
			|key: &str| line.split_whitespace().find_map(|f| f.strip_prefix(key)).map(String::from);
		Some(Engine { socket: field("socket=")?, registry: field("registry=")?, dir })
	}

	/// Pushes the busybox test image as `name`; its digest (64 hex digits).
	fn image(&self, name: &str) -> String {
		let out = Command::new("bash")
			.arg(script())
			.arg("image")
			.arg(&self.dir)
			.arg(name)
			.output()
			.unwrap();
		assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
		let text = String::from_utf8_lossy(&out.stdout);
		text.trim().strip_prefix("sha256:").unwrap().to_string()
	}

	fn policy(&self) -> WorkloadPolicy {
		WorkloadPolicy::parse(&format!(
			r#"{{"registries": ["{}"], "maxMemoryMib": 256, "maxDiskMib": 1, "egress": false,
			"publicHost": "127.0.0.1"}}"#,
			self.registry
		))
		.unwrap()
	}

	fn runner(&self, gpus: Vec<String>) -> ContainerRunner {
		ContainerRunner::new(
			&self.socket,
			self.policy(),
			self.dir.join("state"),
			Some("http://127.0.0.1:9".into()),
			gpus,
		)
		.unwrap()
	}
}

impl Drop for Engine {
	fn drop(&mut self) {
		let _ = Command::new("bash").arg(script()).arg("stop").arg(&self.dir).status();
	}
}

fn words(ws: &[&str]) -> Vec<crucible_primitives::marketplace::Word> {
	ws.iter().map(|w| w.as_bytes().to_vec().try_into().unwrap()).collect()
}

fn manifest(repository: &str, command: &[&str], ports: Vec<u16>) -> Manifest {
	Manifest {
		repository: repository.as_bytes().to_vec().try_into().unwrap(),
		command: words(command).try_into().unwrap(),
		env: vec![EnvVar {
			name: b"GREETING".to_vec().try_into().unwrap(),
			value: b"hello tenant".to_vec().try_into().unwrap(),
		}]
		.try_into()
		.unwrap(),
		ports: ports.try_into().unwrap(),
		memory_mib: 64,
		shm_mib: 0,
		disk_mib: 1,
		egress: false,
		secrets: Default::default(),
		private_registry: false,
		deterministic: false,
	}
}

fn request(
	job: u64,
	digest: &str,
	manifest: Option<Manifest>,
	gpus: u32,
	finish: bool,
) -> WorkloadRequest {
	let mut image = [0u8; 32];
	for (i, byte) in image.iter_mut().enumerate() {
		*byte = u8::from_str_radix(&digest[2 * i..2 * i + 2], 16).unwrap();
	}
	WorkloadRequest {
		job,
		workload: Workload {
			image: H256(image),
			manifest: manifest.as_ref().map(manifest_hash).unwrap_or_default(),
			access_key: public(),
		},
		manifest,
		secrets: None,
		owner: [7; 32],
		gpus,
		finish,
		audit: false,
	}
}

fn get(url: &str) -> Option<String> {
	let out = Command::new("curl").args(["-sf", "--max-time", "3", url]).output().ok()?;
	out.status.success().then(|| String::from_utf8_lossy(&out.stdout).to_string())
}

#[test]
fn a_pinned_image_runs_its_manifest_is_reachable_and_its_outputs_are_attested() {
	let Some(engine) = Engine::start("run") else { return };
	let digest = engine.image("app");
	let repo = format!("{}/app", engine.registry);
	let script =
		"echo $GREETING > /out/greeting; echo started $CRUCIBLE_JOB; httpd -f -p 8080 -h /www";
	let m = manifest(&repo, &["sh", "-c", script], vec![8080]);
	let runner = engine.runner(vec![]);
	let started = Instant::now();
	let WorkloadReply::Running { access: Some(access), .. } =
		runner.workload(&request(1, &digest, Some(m.clone()), 0, false))
	else {
		panic!("expected the container to run")
	};
	let order_to_running = started.elapsed();
	// The sealed access details: the published port, the logs endpoint, a credential.
	let text = String::from_utf8(seal::open(&SECRET, &access).unwrap()).unwrap();
	let host_port = text
		.lines()
		.find_map(|l| l.strip_prefix("port 8080: 127.0.0.1:"))
		.expect("the port's address")
		.to_string();
	assert!(text.contains("logs: http://127.0.0.1:9/v1/jobs/1/logs"), "{text}");
	assert!(text.lines().any(|l| l.strip_prefix("token: ").is_some_and(|t| t.len() == 32)));
	let mut page = None;
	for _ in 0..50 {
		page = get(&format!("http://127.0.0.1:{host_port}/"));
		if page.is_some() {
			break;
		}
		std::thread::sleep(std::time::Duration::from_millis(100));
	}
	assert_eq!(page.as_deref(), Some("hello from app\n"), "the published port answers");
	// Reported running, with the engine's usage; one container, labelled with its job.
	assert!(matches!(
		runner.workload(&request(1, &digest, Some(m.clone()), 0, false)),
		WorkloadReply::Running { .. }
	));
	// A restarted node re-adopts it: no second container, the same owner and access.
	let again = engine.runner(vec![]);
	assert_eq!(again.owner(1), Some([7; 32]));
	let WorkloadReply::Running { access: Some(same), .. } =
		again.workload(&request(1, &digest, Some(m.clone()), 0, false))
	else {
		panic!("the re-adopted container still runs")
	};
	assert_eq!(same, access);
	drop(runner);
	// Logs so far.
	let mut logs = again.logs(1, false).unwrap();
	let mut text = Vec::new();
	while let Some(chunk) = logs.blocking_recv() {
		text.extend(chunk);
	}
	assert!(
		String::from_utf8_lossy(&text).contains("started 1"),
		"{}",
		String::from_utf8_lossy(&text)
	);
	assert!(again.outputs(1).unwrap().is_err(), "no outputs before the end");
	// The lease ends: the outputs' root is attested, and the download hashes to it.
	let WorkloadReply::Finished { result, .. } =
		again.workload(&request(1, &digest, Some(m.clone()), 0, true))
	else {
		panic!("expected the finished workload")
	};
	let stream = again.outputs(1).unwrap().unwrap();
	assert_eq!(outputs::root(&stream), result);
	let mut expected = Vec::new();
	b"greeting".to_vec().encode_to(&mut expected);
	13u64.encode_to(&mut expected);
	expected.extend_from_slice(b"hello tenant\n");
	assert_eq!(stream, expected);
	// Asked again, the same answer; the port no longer answers.
	assert!(matches!(
		again.workload(&request(1, &digest, Some(m), 0, true)),
		WorkloadReply::Finished { result: r, .. } if r == result
	));
	assert!(get(&format!("http://127.0.0.1:{host_port}/")).is_none());
	eprintln!("order to running (pull, create, start, inspect): {order_to_running:?}");
}

#[test]
fn a_container_with_secrets_starts_once_the_developer_sealed_them_to_its_node() {
	let Some(engine) = Engine::start("secrets") else { return };
	let digest = engine.image("app");
	let repo = format!("{}/app", engine.registry);
	let m = Manifest {
		secrets: vec![b"API_TOKEN".to_vec().try_into().unwrap()].try_into().unwrap(),
		..manifest(&repo, &["sh", "-c", "echo token=$API_TOKEN; sleep 30"], vec![])
	};
	let runner = engine.runner(vec![]);
	// No secrets yet: the access details name the node's key; nothing runs.
	let WorkloadReply::Running { access: Some(access), .. } =
		runner.workload(&request(1, &digest, Some(m.clone()), 0, false))
	else {
		panic!("expected a lease waiting for its secrets")
	};
	let text = String::from_utf8(seal::open(&SECRET, &access).unwrap()).unwrap();
	let key_hex = text
		.lines()
		.find_map(|l| l.strip_prefix("secrets to: 0x"))
		.expect("the key")
		.to_string();
	let mut key = [0u8; 32];
	for (i, b) in key.iter_mut().enumerate() {
		*b = u8::from_str_radix(&key_hex[2 * i..2 * i + 2], 16).unwrap();
	}
	assert!(runner.jobs.lock().unwrap()[&1].container.is_none(), "nothing runs without them");
	// Secrets the manifest does not declare, or none of those it does: refused.
	let bad = seal::seal(&key, br#"{"env": {"OTHER": "x"}}"#).unwrap();
	let other = request(2, &digest, Some(m.clone()), 0, false);
	assert!(matches!(runner.workload(&other), WorkloadReply::Running { .. }));
	let with_bad = WorkloadRequest { secrets: Some(bad), ..other };
	let theirs_key = runner.jobs.lock().unwrap()[&2].lease.clone().unwrap().key;
	assert_ne!(theirs_key, key, "a key per lease");
	assert_eq!(runner.workload(&with_bad), WorkloadReply::Refused { reason: Refusal::BadManifest });
	// Sealed to the node's key: the container starts with the secret in its environment.
	let sealed = seal::seal(&key, br#"{"env": {"API_TOKEN": "s3cr3t"}}"#).unwrap();
	let with = WorkloadRequest { secrets: Some(sealed), ..request(1, &digest, Some(m), 0, false) };
	assert!(matches!(runner.workload(&with), WorkloadReply::Running { .. }));
	assert!(runner.jobs.lock().unwrap()[&1].container.is_some());
	std::thread::sleep(std::time::Duration::from_millis(500));
	let mut logs = runner.logs(1, false).unwrap();
	let mut text = Vec::new();
	while let Some(chunk) = logs.blocking_recv() {
		text.extend(chunk);
	}
	assert!(String::from_utf8_lossy(&text).contains("token=s3cr3t"));
}

#[test]
fn an_audit_rerun_finishes_when_its_container_exits_and_a_lying_runner_is_told_apart() {
	let Some(engine) = Engine::start("audit") else { return };
	let digest = engine.image("app");
	let repo = format!("{}/app", engine.registry);
	let m = Manifest {
		deterministic: true,
		..manifest(&repo, &["sh", "-c", "echo 42 > /out/answer"], vec![])
	};
	// Two runners on one engine (a provider's and an auditor's node): apart by their state.
	let honest = engine.runner(vec![]);
	let liar = ContainerRunner::new(
		&engine.socket,
		engine.policy(),
		engine.dir.join("liar"),
		None,
		vec![],
	)
	.unwrap()
	.lying(true);
	let audit =
		|job| WorkloadRequest { audit: true, ..request(job, &digest, Some(m.clone()), 0, false) };
	let finished = |runner: &ContainerRunner, job| {
		for _ in 0..120 {
			if let WorkloadReply::Finished { result, opening, .. } = runner.workload(&audit(job)) {
				return (result, opening.expect("a container's opening"));
			}
			std::thread::sleep(std::time::Duration::from_millis(250));
		}
		panic!("the audit re-run never finished")
	};
	let (root, opening) = finished(&honest, 5);
	assert_eq!(opening.root, root);
	assert!(opening.is_consistent());
	let mut expected = Vec::new();
	b"answer".to_vec().encode_to(&mut expected);
	3u64.encode_to(&mut expected);
	expected.extend_from_slice(b"42\n");
	assert_eq!(root, outputs::root(&expected), "the true outputs' root");
	// The same job id on the lying runner: its own container, another root, the chunk named.
	let (lie, lie_opening) = finished(&liar, 5);
	assert_ne!(lie, root);
	assert_eq!(
		crucible_primitives::audit::differing_chunks(&opening, &lie_opening),
		Some((1, vec![0]))
	);
	// Asked again, the same answer.
	assert!(
		matches!(honest.workload(&audit(5)), WorkloadReply::Finished { result, .. } if result == root)
	);
}

#[test]
fn every_failure_is_a_named_refusal() {
	let Some(engine) = Engine::start("refusals") else { return };
	let digest = engine.image("app");
	let other = engine.image("other");
	let repo = format!("{}/app", engine.registry);
	let runner = engine.runner(vec![]);
	let refused = |req: WorkloadRequest| match runner.workload(&req) {
		WorkloadReply::Refused { reason } => reason,
		other => panic!("job {}: expected a refusal, got {other:?}", req.job),
	};
	let sleep = &["sleep", "30"][..];
	// No manifest; a registry outside the policy; more memory or ports than allowed; egress.
	assert_eq!(refused(request(1, &digest, None, 0, false)), Refusal::BadManifest);
	let foreign = manifest("docker.io/library/busybox", sleep, vec![]);
	assert_eq!(refused(request(2, &digest, Some(foreign), 0, false)), Refusal::PolicyDenied);
	let big = Manifest { memory_mib: 1024, ..manifest(&repo, sleep, vec![]) };
	assert_eq!(refused(request(3, &digest, Some(big), 0, false)), Refusal::PolicyDenied);
	let open = Manifest { egress: true, ..manifest(&repo, sleep, vec![]) };
	assert_eq!(refused(request(4, &digest, Some(open), 0, false)), Refusal::PolicyDenied);
	// An image that does not exist; a digest the repository does not have; a tag that
	// resolves to another digest.
	let missing = manifest(&format!("{}/nothing", engine.registry), sleep, vec![]);
	assert_eq!(refused(request(5, &digest, Some(missing), 0, false)), Refusal::ImageNotFound);
	let wrong = manifest(&repo, sleep, vec![]);
	assert_eq!(refused(request(6, &other, Some(wrong), 0, false)), Refusal::ImageNotFound);
	let tagged = manifest(&format!("{repo}:latest"), sleep, vec![]);
	assert_eq!(
		refused(request(7, &other, Some(tagged.clone()), 0, false)),
		Refusal::DigestMismatch
	);
	// GPUs on a host without any.
	assert_eq!(
		refused(request(8, &digest, Some(manifest(&repo, sleep, vec![])), 1, false)),
		Refusal::OutOfResources
	);
	// The tag that does name the job's digest runs.
	assert!(matches!(
		runner.workload(&request(9, &digest, Some(tagged), 0, false)),
		WorkloadReply::Running { .. }
	));
	// A non-zero exit, an OOM kill, outputs past the disk limit: failures, once seen.
	let cases: [(u64, &[&str], Refusal); 3] = [
		(10, &["sh", "-c", "exit 3"], Refusal::Exited { code: 3 }),
		(11, &["dd", "if=/dev/zero", "of=/dev/null", "bs=200M", "count=1"], Refusal::OomKilled),
		(
			12,
			&["sh", "-c", "dd if=/dev/zero of=/out/big bs=1M count=3; sleep 30"],
			Refusal::OutOfResources,
		),
	];
	for (job, command, _) in &cases {
		let m = Manifest { shm_mib: 64, ..manifest(&repo, command, vec![]) };
		let reply = runner.workload(&request(*job, &digest, Some(m), 0, false));
		assert!(matches!(reply, WorkloadReply::Running { .. }), "job {job}: {reply:?}");
	}
	std::thread::sleep(std::time::Duration::from_secs(3));
	for (job, command, reason) in cases {
		let m = Manifest { shm_mib: 64, ..manifest(&repo, command, vec![]) };
		assert_eq!(refused(request(job, &digest, Some(m.clone()), 0, false)), reason, "job {job}");
		// Said again the same way; the developer still reads the logs.
		assert_eq!(refused(request(job, &digest, Some(m), 0, false)), reason);
		assert!(runner.logs(job, false).is_some());
	}
	// A lease never started here cannot be finished.
	assert_eq!(refused(request(13, &digest, None, 0, true)), Refusal::RunnerFailed);
	// The engine's API goes away: a running lease is still reported running (its container
	// runs on under its monitor), a new one is refused as the engine being unavailable.
	let pid: i32 = std::fs::read_to_string(engine.dir.join("podman.pid"))
		.unwrap()
		.trim()
		.parse()
		.unwrap();
	let _ = Command::new("kill").arg(pid.to_string()).status();
	std::thread::sleep(std::time::Duration::from_millis(500));
	assert!(matches!(
		runner.workload(&request(
			9,
			&digest,
			Some(manifest(&format!("{repo}:latest"), sleep, vec![])),
			0,
			false
		)),
		WorkloadReply::Running { .. }
	));
	assert_eq!(
		refused(request(14, &digest, Some(manifest(&repo, sleep, vec![])), 0, false)),
		Refusal::EngineUnavailable
	);
}

#[test]
fn an_engine_that_is_not_there_stops_the_node_with_the_reason() {
	let err = ContainerRunner::new(
		"unix:///nonexistent/engine.sock",
		WorkloadPolicy::parse(
			r#"{"registries": ["x.io"], "maxMemoryMib": 64, "maxDiskMib": 1, "publicHost": "h"}"#,
		)
		.unwrap(),
		std::env::temp_dir().join("crucible-no-engine"),
		None,
		vec![],
	)
	.err()
	.expect("refused");
	assert!(err.contains("/nonexistent/engine.sock"), "{err}");
	assert!(ContainerRunner::new(
		"tcp://1.2.3.4:2375",
		WorkloadPolicy::parse(
			r#"{"registries": ["x.io"], "maxMemoryMib": 64, "maxDiskMib": 1, "publicHost": "h"}"#
		)
		.unwrap(),
		std::env::temp_dir(),
		None,
		vec![]
	)
	.is_err());
}

#[test]
fn gpus_go_to_the_container_as_cdi_devices_or_device_requests() {
	let m = manifest("127.0.0.1:5000/app", &["true"], vec![8080, 9090]);
	let gpus = vec!["GPU-a".to_string(), "GPU-b".to_string()];
	let out = Path::new("/state/jobs/3/out");
	let body = container_body(
		3,
		"img",
		&m,
		&[1; 32],
		&gpus,
		GpuDevices::Cdi,
		"net",
		out,
		"tok",
		&[(8080, 40001), (9090, 40002)],
	);
	let host = body.host_config.clone().unwrap();
	let devices: Vec<String> =
		host.devices.unwrap().into_iter().map(|d| d.path_on_host.unwrap()).collect();
	assert_eq!(devices, vec!["nvidia.com/gpu=GPU-a", "nvidia.com/gpu=GPU-b"]);
	assert!(host.device_requests.is_none());
	assert_eq!(host.memory, Some(64 << 20));
	assert_eq!(host.memory_swap, Some(64 << 20), "no swap past the limit");
	assert_eq!(host.binds.unwrap(), vec!["/state/jobs/3/out:/out:rw"]);
	assert_eq!(body.exposed_ports.unwrap(), vec!["8080/tcp", "9090/tcp"]);
	let bound = host.port_bindings.unwrap();
	assert_eq!(bound["9090/tcp"].as_ref().unwrap()[0].host_port.as_deref(), Some("40002"));
	let labels = body.labels.unwrap();
	assert_eq!(labels[LABEL_JOB], "3");
	assert_eq!(labels[LABEL_GPUS], "GPU-a,GPU-b");
	let env = body.env.unwrap();
	assert!(env.contains(&"GREETING=hello tenant".to_string()));
	assert!(env.contains(&"CRUCIBLE_ACCESS_TOKEN=tok".to_string()));
	let docker =
		container_body(3, "img", &m, &[1; 32], &gpus, GpuDevices::Nvidia, "net", out, "tok", &[]);
	let requests = docker.host_config.unwrap().device_requests.unwrap();
	assert_eq!(requests[0].device_ids.as_deref(), Some(&gpus[..]));
	assert_eq!(requests[0].driver.as_deref(), Some("nvidia"));
	// A CPU-only lease gets no device at all.
	let cpu = container_body(3, "img", &m, &[1; 32], &[], GpuDevices::Cdi, "net", out, "tok", &[]);
	assert!(cpu.host_config.unwrap().devices.is_none());
	assert_eq!(MAX_PORTS, 4);
}

#[test]
fn the_firewall_keeps_containers_off_the_host_and_private_addresses() {
	let isolated = firewall_rules("10.89.2.0/24", false);
	let egress = firewall_rules("10.89.1.0/24", true);
	let joined = |rules: &[(&str, Vec<String>)]| {
		rules.iter().map(|(c, r)| format!("{c} {}", r.join(" "))).collect::<Vec<_>>()
	};
	assert_eq!(
		joined(&isolated),
		vec![
			"INPUT -s 10.89.2.0/24 -m conntrack --ctstate NEW -j DROP",
			"FORWARD -s 10.89.2.0/24 -m conntrack --ctstate NEW -j DROP",
		]
	);
	assert_eq!(joined(&egress)[0], "INPUT -s 10.89.1.0/24 -m conntrack --ctstate NEW -j DROP");
	assert!(
		joined(&egress)[1].contains("-d 10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,169.254.0.0/16")
	);
}

#[test]
fn gpu_seconds_are_busy_time_per_leased_gpu_not_wall_clock() {
	// Two GPUs over 10 s: one busy all the time, one a quarter of it: 12.5 GPU-seconds.
	assert_eq!(gpu_busy_millis(&[100, 25], 10_000), 12_500);
	// Idle GPUs, or none: nothing, however long the lease.
	assert_eq!(gpu_busy_millis(&[0, 0], 3_600_000), 0);
	assert_eq!(gpu_busy_millis(&[], 3_600_000), 0);
	// A reading above 100% is taken as 100%.
	assert_eq!(gpu_busy_millis(&[250], 1_000), 1_000);
}

#[test]
fn policies_are_checked_when_read() {
	let ok = r#"{"registries": ["ghcr.io"], "maxMemoryMib": 64, "maxDiskMib": 1, "publicHost": "gpu1.example.net"}"#;
	let policy = WorkloadPolicy::parse(ok).unwrap();
	assert_eq!(policy.gpu_devices, GpuDevices::Cdi);
	assert!(!policy.egress, "egress is off unless the operator turns it on");
	for (bad, why) in [
		(r#"{"maxMemoryMib": 64, "maxDiskMib": 1, "publicHost": "h"}"#, "allows nothing"),
		(
			r#"{"registries": ["ghcr.io/x"], "maxMemoryMib": 64, "maxDiskMib": 1, "publicHost": "h"}"#,
			"without a path",
		),
		(
			r#"{"images": ["app:latest"], "maxMemoryMib": 64, "maxDiskMib": 1, "publicHost": "h"}"#,
			"repository@sha256",
		),
		(
			r#"{"registries": ["a.io"], "maxMemoryMib": 1, "maxDiskMib": 1, "publicHost": "h"}"#,
			"maxMemoryMib",
		),
		(
			r#"{"registries": ["a.io"], "maxMemoryMib": 64, "maxDiskMib": 1, "maxPorts": 9, "publicHost": "h"}"#,
			"maxPorts",
		),
		(
			r#"{"registries": ["a.io"], "maxMemoryMib": 64, "maxDiskMib": 1, "publicHost": ""}"#,
			"publicHost",
		),
		(
			r#"{"registries": ["a.io"], "maxMemoryMib": 64, "maxDiskMib": 1, "publicHost": "h", "extra": 1}"#,
			"unknown field",
		),
		(
			r#"{"registries": ["a.io"], "maxMemoryMib": 64, "maxDiskMib": 1, "publicHost": "h", "gpuDevices": "amd"}"#,
			"unknown variant",
		),
	] {
		let err = WorkloadPolicy::parse(bad).unwrap_err();
		assert!(err.contains(why), "{bad}: {err}");
	}
	// An allow-listed image from any registry; registries by host; Docker Hub by default.
	let listed = format!(
		r#"{{"images": ["quay.io/a/b@sha256:{}"], "maxMemoryMib": 64, "maxDiskMib": 1, "publicHost": "h"}}"#,
		"ab".repeat(32)
	);
	let listed = WorkloadPolicy::parse(&listed).unwrap();
	let m = manifest("quay.io/a/b", &[], vec![]);
	assert!(listed.admits(&m, &"ab".repeat(32)).is_ok());
	assert!(listed.admits(&m, &"cd".repeat(32)).is_err());
	assert!(policy
		.admits(&manifest("ghcr.io/acme/x:v1", &[], vec![]), &"ab".repeat(32))
		.is_ok());
	assert!(policy.admits(&manifest("busybox", &[], vec![]), &"ab".repeat(32)).is_err());
	assert_eq!(policy::registry_of("busybox"), "docker.io");
	assert_eq!(policy::registry_of("127.0.0.1:5000/app"), "127.0.0.1:5000");
	assert_eq!(split_tag("127.0.0.1:5000/app:v1"), ("127.0.0.1:5000/app", Some("v1")));
	assert_eq!(split_tag("127.0.0.1:5000/app"), ("127.0.0.1:5000/app", None));
	let _ = signed::HEADER_ACCOUNT;
}
