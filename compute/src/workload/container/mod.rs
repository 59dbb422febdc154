//! The `container` runner: a lease's workload is the developer's own OCI image, pulled by the
//! digest the job names and run as its manifest says, through the Docker-compatible API of
//! Docker Engine or Podman (`podman system service`) on a Unix socket.
//!
//! The client is [bollard] (0.21): the maintained async Rust client of that API, typed from
//! Docker's own OpenAPI description and tested against Podman as well as Docker; with only
//! its Unix-socket transport enabled it adds no TLS stack, and its requests are the same ones
//! `docker`/`podman` send, so any engine that speaks the API works.
//!
//! What the runner guarantees, lease by lease:
//! - **Pinned images.** It pulls `repository@sha256:<the job's image>` and nothing else, and
//!   refuses (`DigestMismatch`) unless the engine reports that digest for what it pulled. The
//!   operator's [`WorkloadPolicy`] decides which registries (or images) may run, and bounds memory,
//!   disk and ports; anything past it is `PolicyDenied` before a byte is pulled.
//! - **One container per lease, never two.** Each is named `crucible-<runner>-job-<id>` and
//!   labelled with its runner (8 hex digits of the hash of the node's state directory: nodes
//!   sharing an engine, such as a job's provider and its auditor on one test machine, keep apart),
//!   job, owner and GPUs; a restarted node lists its runner's containers and re-adopts them (the
//!   running ones keep running, their GPUs stay theirs), and the engine refuses a second container
//!   of the same name.
//! - **Own GPUs.** A lease gets the count it leased from the [`GpuPool`], as CDI devices
//!   (`nvidia.com/gpu=<uuid>`) or Docker device requests; a host without NVIDIA GPUs runs CPU-only
//!   jobs and refuses GPU jobs (`OutOfResources`, with the reason in the log).
//! - **Reachable, per-job credentials.** Declared ports are published on the host (ports the engine
//!   picks); the access details sealed to the developer name them, the workload endpoint for logs
//!   and outputs, and a credential drawn for this job alone (also in the container's
//!   `CRUCIBLE_ACCESS_TOKEN`).
//! - **Results.** At the lease's end the container is stopped, its logs kept, and the files it
//!   wrote under `/out` (its own host directory) become the [`outputs`] stream whose Merkle root
//!   the worker attests; the developer downloads both with signed requests.
//! - **Failures are named.** Engine down (`EngineUnavailable`), no such image (`ImageNotFound`), a
//!   denied pull (`PullDenied`), no room (`OutOfResources`), a non-zero exit (`Exited`), the memory
//!   limit (`OomKilled`): each a refusal the worker attests (the lease ends, what was attested is
//!   paid, the rest refunded) and a log line.

pub mod gpus;
pub mod outputs;
pub mod policy;

use super::{seal, Runner, LOG_TARGET};
use bollard::{
	models::{
		ContainerCreateBody, DeviceMapping, DeviceRequest, HostConfig, NetworkCreateRequest,
		PortBinding,
	},
	query_parameters::{
		CreateContainerOptions, CreateImageOptions, ListContainersOptions, LogsOptions,
		RemoveContainerOptions, StatsOptions, StopContainerOptions,
	},
	ClientVersion, Docker,
};
use codec::Encode;
use crucible_primitives::{
	audit::ResultOpening,
	challenge::hash,
	marketplace::{
		service::{WorkloadReply, WorkloadRequest, JOBS_PATH, MAX_ACCESS_PLAINTEXT},
		JobId, Manifest, Refusal, Usage,
	},
};
use futures::StreamExt;
use polkadot_sdk::sp_core::H256;
use std::{
	collections::HashMap,
	path::{Path, PathBuf},
	sync::Mutex,
	time::Instant,
};

pub use gpus::GpuPool;
pub use policy::{GpuDevices, WorkloadPolicy};

/// The labels of a lease's container.
const LABEL_JOB: &str = "crucible.job";
const LABEL_OWNER: &str = "crucible.owner";
const LABEL_GPUS: &str = "crucible.gpus";
const LABEL_RUNNER: &str = "crucible.runner";

/// Ended leases whose logs and outputs the runner keeps for their developers (the oldest
/// beyond it are forgotten and their directories removed).
pub const MAX_ENDED: usize = 256;

/// The most bytes of a finished container's logs kept for its developer.
pub const MAX_LOGS: usize = 4 << 20;

/// The networks containers join: with egress (to public addresses only), and isolated (no
/// connection out at all). Both answer on published ports; neither reaches the host.
const NETWORK_EGRESS: &str = "crucible-egress";
const NETWORK_ISOLATED: &str = "crucible-isolated";

/// Private, link-local (cloud metadata: 169.254.169.254) and shared address ranges a
/// container with egress still may not open connections to.
const PRIVATE_RANGES: &str = "10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,169.254.0.0/16,100.64.0.0/10";

/// The firewall rules of a network of `subnet` (`iptables` arguments after the chain): no
/// new connection from a container to the host (its loopback-bound services, the node's RPC,
/// the compute service, anything listening on the bridge), and, per network, none out
/// (isolated) or none to private and metadata addresses (egress). Replies to connections made
/// to published ports are not new, so those still answer.
pub fn firewall_rules(subnet: &str, egress: bool) -> Vec<(&'static str, Vec<String>)> {
	let new = ["-m", "conntrack", "--ctstate", "NEW", "-j", "DROP"];
	let rule = |head: &[&str]| -> Vec<String> {
		head.iter().chain(new.iter()).map(|s| s.to_string()).collect()
	};
	let mut rules = vec![("INPUT", rule(&["-s", subnet]))];
	if egress {
		rules.push(("FORWARD", rule(&["-s", subnet, "-d", PRIVATE_RANGES])));
	} else {
		rules.push(("FORWARD", rule(&["-s", subnet])));
	}
	rules
}

/// Installs `rules` with `iptables` (each checked first: idempotent).
fn install_firewall(rules: &[(&'static str, Vec<String>)]) -> Result<(), String> {
	for (chain, rule) in rules {
		let present = std::process::Command::new("iptables")
			.arg("-C")
			.arg(chain)
			.args(rule)
			.output()
			.map_err(|e| format!("iptables: {e} (install it, or set \"firewall\": false and isolate the networks yourself)"))?;
		if present.status.success() {
			continue;
		}
		let out = std::process::Command::new("iptables")
			.arg("-I")
			.arg(chain)
			.args(rule)
			.output()
			.map_err(|e| format!("iptables: {e}"))?;
		if !out.status.success() {
			return Err(format!(
				"iptables -I {chain} {}: {}",
				rule.join(" "),
				String::from_utf8_lossy(&out.stderr).trim()
			));
		}
	}
	Ok(())
}

/// The API version asked of the engine: Docker Engine 20.10's, which Podman 4 serves too.
const API: ClientVersion = ClientVersion { major_version: 1, minor_version: 41 };

/// The default engine socket: Docker's, else rootful Podman's.
pub fn default_socket() -> Option<String> {
	["/var/run/docker.sock", "/run/podman/podman.sock"]
		.iter()
		.find(|p| Path::new(p).exists())
		.map(|p| format!("unix://{p}"))
}

/// One lease's container.
struct Tracked {
	/// The engine's id of the container; `None` until it starts (waiting for secrets).
	container: Option<String>,
	/// What the lease was given before its container (ports, credential, sealing key).
	lease: Option<Prepared>,
	owner: [u8; 32],
	disk_mib: u32,
	started: Instant,
	access: Option<Vec<u8>>,
	peak_mib: u32,
	cpu_seconds: u64,
	/// GPU busy time counted so far (milliseconds, summed over the lease's GPUs) and when its
	/// GPUs were last sampled.
	gpu_millis: u64,
	sampled: Instant,
	/// How it ended: finished (usage, status, the result's opening: its root and frontier) or
	/// refused.
	ended: Option<Result<(Usage, H256, ResultOpening), Refusal>>,
}

impl Tracked {
	fn usage(&self) -> Usage {
		Usage {
			gpu_seconds: self.gpu_millis / 1_000,
			cpu_seconds: self.cpu_seconds,
			peak_memory_mib: self.peak_mib,
		}
	}
}

/// A lease's host ports, credential, sealing key and sealed access details, kept in its
/// directory.
#[derive(Clone)]
struct Prepared {
	/// (container port, host port).
	ports: Vec<(u16, u16)>,
	token: String,
	/// The x25519 secret the developer seals the job's secrets to (its public half is in the
	/// access details).
	key: [u8; 32],
	access: Option<Vec<u8>>,
}

impl Prepared {
	fn save(&self, dir: &Path) -> std::io::Result<()> {
		let ports: Vec<String> = self.ports.iter().map(|(p, h)| format!("{p}:{h}")).collect();
		std::fs::write(dir.join("ports"), ports.join(","))?;
		let mut options = std::fs::OpenOptions::new();
		std::os::unix::fs::OpenOptionsExt::mode(
			options.write(true).create(true).truncate(true),
			0o600,
		);
		std::io::Write::write_all(
			&mut options.open(dir.join("secret"))?,
			format!("{}\n{}", self.token, hex(&self.key)).as_bytes(),
		)?;
		if let Some(access) = &self.access {
			std::fs::write(dir.join("access"), access)?;
		}
		Ok(())
	}

	fn load(dir: &Path) -> Option<Self> {
		let secret = std::fs::read_to_string(dir.join("secret")).ok()?;
		let (token, key) = secret.split_once('\n')?;
		let ports = std::fs::read_to_string(dir.join("ports"))
			.ok()?
			.split(',')
			.filter(|p| !p.is_empty())
			.map(|p| {
				let (c, h) = p.split_once(':')?;
				Some((c.parse().ok()?, h.parse().ok()?))
			})
			.collect::<Option<Vec<_>>>()?;
		Some(Self {
			ports,
			token: token.to_string(),
			key: unhex32(key.trim())?,
			access: std::fs::read(dir.join("access")).ok(),
		})
	}
}

/// A job's secrets, opened.
struct Secrets {
	env: Vec<(String, String)>,
	registry: Option<bollard::auth::DockerCredentials>,
}

impl Secrets {
	/// Opens what the developer sealed to `key` and checks it against the manifest: exactly
	/// the secret variables it declares, and registry credentials if it needs them.
	fn open(key: &[u8; 32], sealed: &[u8], manifest: &Manifest) -> Result<Self, String> {
		let plain = seal::open(key, sealed).map_err(|e| format!("the secrets do not open: {e}"))?;
		let json: serde_json::Value =
			serde_json::from_slice(&plain).map_err(|e| format!("the secrets are not JSON: {e}"))?;
		let declared: Vec<String> = manifest
			.secrets
			.iter()
			.map(|n| String::from_utf8_lossy(n).into_owned())
			.collect();
		let mut env = Vec::new();
		if let Some(given) = json.get("env").and_then(|e| e.as_object()) {
			for (name, value) in given {
				if !declared.contains(name) {
					return Err(format!("secret {name} is not one the manifest declares"));
				}
				env.push((
					name.clone(),
					value.as_str().ok_or(format!("secret {name}: not a string"))?.to_string(),
				));
			}
		}
		if let Some(missing) = declared.iter().find(|d| !env.iter().any(|(n, _)| n == *d)) {
			return Err(format!("secret {missing} is missing"));
		}
		let registry = match json.get("registry") {
			Some(r) => Some(bollard::auth::DockerCredentials {
				username: r.get("username").and_then(|u| u.as_str()).map(String::from),
				password: r.get("password").and_then(|u| u.as_str()).map(String::from),
				..Default::default()
			}),
			None if manifest.private_registry =>
				return Err("registry credentials are missing".into()),
			None => None,
		};
		Ok(Self { env, registry })
	}
}

/// The container runner.
pub struct ContainerRunner {
	docker: Docker,
	/// The engine's socket path (for the raw inspect, below).
	socket: PathBuf,
	runtime: Option<tokio::runtime::Runtime>,
	policy: WorkloadPolicy,
	state: PathBuf,
	endpoint: Option<String>,
	gpus: Mutex<GpuPool>,
	jobs: Mutex<HashMap<JobId, Tracked>>,
	/// NVML, on a host with NVIDIA GPUs: each report samples the lease's GPUs' utilization.
	nvml: Mutex<Option<nvml_wrapper::Nvml>>,
	/// TEST ONLY (`--workload-lie`): every result is computed over corrupted outputs, so that
	/// an audit catches this node.
	lie: bool,
	/// This runner's id among the nodes sharing the engine (its containers' label and name).
	runner_id: String,
}

/// GPU busy time over `elapsed_ms` of GPUs whose utilizations (percent of the sample period
/// with a kernel running, NVML's) are `percents`: milliseconds, summed over the GPUs.
pub fn gpu_busy_millis(percents: &[u32], elapsed_ms: u64) -> u64 {
	percents
		.iter()
		.map(|p| u64::from((*p).min(100)).saturating_mul(elapsed_ms) / 100)
		.fold(0u64, u64::saturating_add)
}

impl Drop for ContainerRunner {
	fn drop(&mut self) {
		if let Some(runtime) = self.runtime.take() {
			runtime.shutdown_background();
		}
	}
}

use crucible_primitives::offchain::hex;

/// The 32 bytes of 64 hex digits (a `0x` prefix allowed).
fn unhex32(text: &str) -> Option<[u8; 32]> {
	super::unhex::<32>(text)
}

/// A repository and its tag, if it is written with one (`registry:5000/app:v1`).
pub fn split_tag(repository: &str) -> (&str, Option<&str>) {
	let slash = repository.rfind('/').map_or(0, |i| i + 1);
	match repository[slash..].rfind(':') {
		Some(colon) => (&repository[..slash + colon], Some(&repository[slash + colon + 1..])),
		None => (repository, None),
	}
}

/// What an engine's error says, as a refusal.
fn classify(error: &str) -> Refusal {
	let e = error.to_ascii_lowercase();
	if e.contains("manifest unknown") ||
		e.contains("not found") ||
		e.contains("name unknown") ||
		e.contains("no such image")
	{
		Refusal::ImageNotFound
	} else if e.contains("unauthorized") || e.contains("denied") || e.contains("authentication") {
		Refusal::PullDenied
	} else if e.contains("digest") {
		Refusal::DigestMismatch
	} else if e.contains("connect") || e.contains("socket") || e.contains("broken pipe") {
		Refusal::EngineUnavailable
	} else {
		Refusal::RunnerFailed
	}
}

fn refuse(job: JobId, reason: Refusal, why: impl std::fmt::Display) -> Refusal {
	log::warn!(target: LOG_TARGET, "job {job}: REFUSED ({reason:?}): {why}");
	#[cfg(test)]
	eprintln!("job {job}: REFUSED ({reason:?}): {why}");
	reason
}

/// The container's create body for `manifest` (pure: tested without an engine). Each
/// argument is one part of the body, hence their number.
#[allow(clippy::too_many_arguments)]
pub fn container_body(
	job: JobId,
	image: &str,
	manifest: &Manifest,
	owner: &[u8; 32],
	gpus: &[String],
	devices: GpuDevices,
	network: &str,
	out_dir: &Path,
	token: &str,
	host_ports: &[(u16, u16)],
) -> ContainerCreateBody {
	const MIB: i64 = 1 << 20;
	let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
	let mut env: Vec<String> = manifest
		.env
		.iter()
		.map(|v| format!("{}={}", text(&v.name), text(&v.value)))
		.collect();
	env.push(format!("CRUCIBLE_JOB={job}"));
	env.push(format!("CRUCIBLE_ACCESS_TOKEN={token}"));
	let ports: Vec<String> = manifest.ports.iter().map(|p| format!("{p}/tcp")).collect();
	// Each declared port on the host port the runner picked for it.
	let bindings = host_ports
		.iter()
		.map(|(port, host_port)| {
			let binding = PortBinding { host_ip: None, host_port: Some(host_port.to_string()) };
			(format!("{port}/tcp"), Some(vec![binding]))
		})
		.collect();
	let labels = HashMap::from([
		(LABEL_JOB.to_string(), job.to_string()),
		(LABEL_OWNER.to_string(), hex(owner)),
		(LABEL_GPUS.to_string(), gpus.join(",")),
	]);
	let (device_mappings, device_requests) = match devices {
		_ if gpus.is_empty() => (None, None),
		GpuDevices::Cdi => (
			Some(
				gpus.iter()
					.map(|g| DeviceMapping {
						path_on_host: Some(format!("nvidia.com/gpu={g}")),
						path_in_container: Some(String::new()),
						cgroup_permissions: Some("rwm".into()),
					})
					.collect(),
			),
			None,
		),
		GpuDevices::Nvidia => (
			None,
			Some(vec![DeviceRequest {
				driver: Some("nvidia".into()),
				device_ids: Some(gpus.to_vec()),
				capabilities: Some(vec![vec!["gpu".into()]]),
				..Default::default()
			}]),
		),
	};
	let memory = i64::from(manifest.memory_mib).saturating_mul(MIB);
	ContainerCreateBody {
		image: Some(image.to_string()),
		cmd: (!manifest.command.is_empty())
			.then(|| manifest.command.iter().map(|w| text(w)).collect()),
		env: Some(env),
		labels: Some(labels),
		exposed_ports: Some(ports),
		host_config: Some(HostConfig {
			memory: Some(memory),
			// No swap beyond the limit: past it the kernel kills (OomKilled).
			memory_swap: Some(memory),
			shm_size: (manifest.shm_mib > 0)
				.then(|| i64::from(manifest.shm_mib).saturating_mul(MIB)),
			pids_limit: Some(4096),
			port_bindings: Some(bindings),
			binds: Some(vec![format!("{}:/out:rw", out_dir.display())]),
			network_mode: Some(network.to_string()),
			security_opt: Some(vec!["no-new-privileges".into()]),
			devices: device_mappings,
			device_requests,
			..Default::default()
		}),
		..Default::default()
	}
}

impl ContainerRunner {
	/// Connects to the engine at `socket` (`unix:///…`), keeps job state under `state`,
	/// names `endpoint` (the public URL of the node's workload endpoint, if it serves one) in
	/// access details, and re-adopts the containers of earlier runs.
	pub fn new(
		socket: &str,
		policy: WorkloadPolicy,
		state: PathBuf,
		endpoint: Option<String>,
		host_gpus: Vec<String>,
	) -> Result<Self, String> {
		let runtime = tokio::runtime::Builder::new_multi_thread()
			.worker_threads(1)
			.thread_name("container-runner")
			.enable_all()
			.build()
			.map_err(|e| format!("runner runtime: {e}"))?;
		let path = socket.strip_prefix("unix://").ok_or_else(|| {
			format!("--container-engine {socket}: expected unix:///path/to/engine.sock")
		})?;
		let docker = {
			let _guard = runtime.enter();
			Docker::connect_with_unix(path, 120, &API)
				.map_err(|e| format!("container engine at {socket}: {e}"))?
		};
		std::fs::create_dir_all(state.join("jobs"))
			.map_err(|e| format!("{}: {e}", state.display()))?;
		let runner_id = hex(&hash(state.as_os_str().as_encoded_bytes())[..4]);
		let runner = Self {
			docker,
			socket: PathBuf::from(path),
			runtime: Some(runtime),
			policy,
			state,
			endpoint,
			nvml: Mutex::new(if host_gpus.is_empty() {
				None
			} else {
				nvml_wrapper::Nvml::init().ok()
			}),
			gpus: Mutex::new(GpuPool::new(host_gpus)),
			jobs: Mutex::new(HashMap::new()),
			lie: false,
			runner_id,
		};
		let version = runner
			.call(runner.docker.version())
			.map_err(|e| format!("container engine at {socket} does not answer: {e}"))?;
		log::info!(
			target: LOG_TARGET,
			"container engine at {socket}: {} {} (API {})",
			version.platform.map(|p| p.name).unwrap_or_default(),
			version.version.unwrap_or_default(),
			version.api_version.unwrap_or_default(),
		);
		runner.ensure_networks()?;
		runner.adopt()?;
		Ok(runner)
	}

	/// TEST ONLY: computes every result over corrupted outputs (`--workload-lie`), so that the
	/// e2e suite's lying provider is caught by its audit.
	pub fn lying(mut self, lie: bool) -> Self {
		self.lie = lie;
		self
	}

	/// Runs `future` on the runner's own runtime from any thread (a blocking thread of the
	/// service, or the node's builder inside its async context).
	fn call<F: std::future::Future + Send>(&self, future: F) -> F::Output
	where
		F::Output: Send,
	{
		let handle = self.runtime.as_ref().map(|r| r.handle().clone());
		std::thread::scope(|scope| {
			scope
				.spawn(move || match handle {
					Some(handle) => handle.block_on(future),
					None => futures::executor::block_on(future),
				})
				.join()
		})
		.unwrap_or_else(|_| panic!("the container runner's call panicked"))
	}

	/// Creates the two networks if they are missing and, unless the policy leaves the
	/// firewall to the operator, installs their rules.
	fn ensure_networks(&self) -> Result<(), String> {
		use bollard::query_parameters::InspectNetworkOptions;
		for (name, egress) in [(NETWORK_EGRESS, true), (NETWORK_ISOLATED, false)] {
			let inspect =
				|| self.call(self.docker.inspect_network(name, None::<InspectNetworkOptions>));
			let network = match inspect() {
				Ok(network) => network,
				Err(_) => {
					let created = self.call(self.docker.create_network(NetworkCreateRequest {
						name: name.into(),
						driver: Some("bridge".into()),
						..Default::default()
					}));
					// Another node on this engine may have created it meanwhile.
					inspect().map_err(|e| {
						format!(
							"cannot create the network {name}: {}",
							created.err().map(|c| c.to_string()).unwrap_or_else(|| e.to_string())
						)
					})?
				},
			};
			let subnets: Vec<String> = network
				.ipam
				.and_then(|i| i.config)
				.unwrap_or_default()
				.into_iter()
				.filter_map(|c| c.subnet)
				.collect();
			if self.policy.firewall {
				if subnets.is_empty() {
					return Err(format!("the network {name} has no subnet to firewall"));
				}
				for subnet in &subnets {
					install_firewall(&firewall_rules(subnet, egress))?;
				}
			}
			log::info!(
				target: LOG_TARGET,
				"network {name} ({}): {}",
				subnets.join(","),
				if egress { "egress to public addresses" } else { "no egress" }
			);
		}
		Ok(())
	}

	fn job_dir(&self, job: JobId) -> PathBuf {
		self.state.join("jobs").join(job.to_string())
	}

	/// Re-adopts the labelled containers of an earlier run of the node.
	fn adopt(&self) -> Result<(), String> {
		let filters = HashMap::from([(
			"label".to_string(),
			vec![LABEL_JOB.to_string(), format!("{LABEL_RUNNER}={}", self.runner_id)],
		)]);
		let containers = self
			.call(self.docker.list_containers(Some(ListContainersOptions {
				all: true,
				filters: Some(filters),
				..Default::default()
			})))
			.map_err(|e| format!("cannot list containers: {e}"))?;
		let mut jobs = self.jobs.lock().map_err(|_| "poisoned")?;
		let mut pool = self.gpus.lock().map_err(|_| "poisoned")?;
		for c in containers {
			let labels = c.labels.unwrap_or_default();
			let Some(job) = labels.get(LABEL_JOB).and_then(|j| j.parse::<JobId>().ok()) else {
				continue;
			};
			let Some(id) = c.id else { continue };
			let owner = labels.get(LABEL_OWNER).and_then(|o| unhex32(o)).unwrap_or_default();
			let gpus: Vec<String> = labels
				.get(LABEL_GPUS)
				.map(|g| g.split(',').filter(|s| !s.is_empty()).map(String::from).collect())
				.unwrap_or_default();
			if let Err(e) = pool.adopt(job, &gpus) {
				log::error!(target: LOG_TARGET, "job {job}: container {id} not re-adopted: {e}");
				continue;
			}
			let lease = Prepared::load(&self.job_dir(job));
			let access = lease.as_ref().and_then(|l| l.access.clone());
			let disk_mib = std::fs::read_to_string(self.job_dir(job).join("disk_mib"))
				.ok()
				.and_then(|d| d.trim().parse().ok())
				.unwrap_or(self.policy.max_disk_mib);
			log::info!(
				target: LOG_TARGET,
				"job {job}: re-adopted container {} ({}), GPUs [{}]",
				&id[..id.len().min(12)],
				c.state.map(|s| format!("{s:?}")).unwrap_or_default(),
				gpus.join(","),
			);
			jobs.insert(
				job,
				Tracked {
					container: Some(id),
					lease,
					owner,
					disk_mib,
					started: Instant::now(),
					access,
					peak_mib: 0,
					cpu_seconds: 0,
					gpu_millis: 0,
					sampled: Instant::now(),
					ended: None,
				},
			);
		}
		Ok(())
	}

	/// Pulls `reference` (streaming the engine's progress); the engine's error if it fails.
	fn pull_reference(
		&self,
		reference: &str,
		credentials: Option<bollard::auth::DockerCredentials>,
	) -> Result<(), String> {
		self.call(async {
			let mut stream = self.docker.create_image(
				Some(CreateImageOptions {
					from_image: Some(reference.to_string()),
					..Default::default()
				}),
				None,
				credentials,
			);
			while let Some(item) = stream.next().await {
				match item {
					Ok(info) =>
						if let Some(e) = info.error_detail.and_then(|d| d.message) {
							return Err(e);
						},
					Err(e) => return Err(e.to_string()),
				}
			}
			Ok(())
		})
	}

	/// Whether the engine's copy of `reference` has the digest `digest`.
	fn has_digest(&self, reference: &str, digest: &str) -> Result<bool, String> {
		let image = self.call(self.docker.inspect_image(reference)).map_err(|e| e.to_string())?;
		let suffix = format!("@sha256:{digest}");
		Ok(image.repo_digests.unwrap_or_default().iter().any(|d| d.ends_with(&suffix)))
	}

	/// Pulls the job's image, `repository@sha256:digest`, and checks that the engine has that
	/// digest for it. A repository written with a tag (`registry/app:v1`) is resolved first:
	/// refused (`DigestMismatch`) unless the tag names the job's digest.
	fn pull(
		&self,
		job: JobId,
		repository: &str,
		digest: &str,
		credentials: Option<bollard::auth::DockerCredentials>,
	) -> Result<String, Refusal> {
		let (name, tag) = split_tag(repository);
		let pinned = format!("{name}@sha256:{digest}");
		let started = Instant::now();
		let fetch = |reference: &str, mismatch: &str| -> Result<(), Refusal> {
			self.pull_reference(reference, credentials.clone())
				.map_err(|e| refuse(job, classify(&e), format!("pulling {reference}: {e}")))?;
			match self.has_digest(reference, digest) {
				Ok(true) => Ok(()),
				Ok(false) =>
					Err(refuse(job, Refusal::DigestMismatch, format!("{reference} {mismatch}"))),
				Err(e) => Err(refuse(job, classify(&e), format!("{reference}: {e}"))),
			}
		};
		if let Some(tag) = tag {
			let mismatch = format!("resolves to another digest than the job's sha256:{digest}");
			fetch(&format!("{name}:{tag}"), &mismatch)?;
		}
		fetch(&pinned, "resolved to another digest")?;
		log::info!(target: LOG_TARGET, "job {job}: pulled {pinned} in {:?}", started.elapsed());
		Ok(pinned)
	}

	fn start(&self, request: &WorkloadRequest) -> Result<WorkloadReply, Refusal> {
		let job = request.job;
		let Some(manifest) = &request.manifest else {
			return Err(refuse(
				job,
				Refusal::BadManifest,
				"the job has no manifest (a container runner runs only jobs posted with one)",
			));
		};
		if !manifest.is_well_formed() {
			return Err(refuse(job, Refusal::BadManifest, "malformed manifest"));
		}
		let digest = hex(request.workload.image.as_bytes());
		self.policy
			.admits(manifest, &digest)
			.map_err(|why| refuse(job, Refusal::PolicyDenied, why))?;
		if manifest.egress && !self.policy.egress {
			return Err(refuse(
				job,
				Refusal::PolicyDenied,
				"the manifest asks for egress; this host allows none",
			));
		}
		self.gpus
			.lock()
			.map_err(|_| Refusal::RunnerFailed)?
			.take(job, request.gpus)
			.map_err(|why| refuse(job, Refusal::OutOfResources, why))?;
		let prepared = self.prepare(request, manifest);
		let outcome = prepared.and_then(|lease| {
			let access = lease.access.clone();
			let tracked = Tracked {
				container: None,
				owner: request.owner,
				disk_mib: manifest.disk_mib,
				started: Instant::now(),
				access: access.clone(),
				peak_mib: 0,
				cpu_seconds: 0,
				gpu_millis: 0,
				sampled: Instant::now(),
				ended: None,
				lease: Some(lease),
			};
			self.jobs.lock().map_err(|_| Refusal::RunnerFailed)?.insert(job, tracked);
			if manifest.needs_secrets() && request.secrets.is_none() {
				log::info!(target: LOG_TARGET, "job {job}: waiting for the developer's sealed secrets");
				let usage = Usage::default();
				return Ok(WorkloadReply::Running {
					usage,
					status: self.status_digest(job, false, None, &usage),
					access,
				});
			}
			self.launch(request)
		});
		if let Err(reason) = outcome {
			if let Ok(mut pool) = self.gpus.lock() {
				pool.release(job);
			}
			if let Ok(mut jobs) = self.jobs.lock() {
				jobs.remove(&job);
			}
			return Err(reason);
		}
		outcome
	}

	/// What a lease needs before its container: its directory, host ports, credential, sealing
	/// key and sealed access details, kept in the job's directory (a node restarted before the
	/// container started reuses them: the developer already holds them).
	fn prepare(&self, request: &WorkloadRequest, manifest: &Manifest) -> Result<Prepared, Refusal> {
		let job = request.job;
		let dir = self.job_dir(job);
		let io = |e: std::io::Error| {
			refuse(job, Refusal::RunnerFailed, format!("{}: {e}", dir.display()))
		};
		if let Some(kept) = Prepared::load(&dir) {
			return Ok(kept);
		}
		let _ = std::fs::remove_dir_all(&dir);
		std::fs::create_dir_all(dir.join("out")).map_err(io)?;
		let mut ports = Vec::new();
		for port in &manifest.ports {
			let free = std::net::TcpListener::bind(("0.0.0.0", 0))
				.and_then(|l| l.local_addr())
				.map_err(|e| refuse(job, Refusal::OutOfResources, format!("no free port: {e}")))?;
			ports.push((*port, free.port()));
		}
		let token = super::exec::job_credential();
		let mut key = [0u8; 32];
		rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut key);
		let public = x25519_dalek::PublicKey::from(&x25519_dalek::StaticSecret::from(key));
		let mut text = String::new();
		for (port, host_port) in &ports {
			text.push_str(&format!("port {port}: {}:{host_port}\n", self.policy.public_host));
		}
		if let Some(endpoint) = &self.endpoint {
			text.push_str(&format!("logs: {endpoint}{JOBS_PATH}{job}/logs\n"));
		}
		if manifest.needs_secrets() {
			text.push_str(&format!("secrets to: 0x{}\n", hex(public.as_bytes())));
		}
		text.push_str(&format!("token: {token}"));
		let access = if text.len() <= MAX_ACCESS_PLAINTEXT {
			seal::seal(&request.workload.access_key, text.as_bytes())
				.map_err(|e| log::warn!(target: LOG_TARGET, "job {job}: no access details: {e}"))
				.ok()
		} else {
			log::warn!(target: LOG_TARGET, "job {job}: access details too long to publish");
			None
		};
		let prepared = Prepared { ports, token, key, access };
		prepared.save(&dir).map_err(io)?;
		let _ = std::fs::write(dir.join("disk_mib"), manifest.disk_mib.to_string());
		Ok(prepared)
	}

	/// Pulls, creates and starts the lease's container (its secrets opened, if it has any).
	fn launch(&self, request: &WorkloadRequest) -> Result<WorkloadReply, Refusal> {
		let job = request.job;
		let Some(manifest) = &request.manifest else { return Err(Refusal::BadManifest) };
		let (lease, gpus) = {
			let jobs = self.jobs.lock().map_err(|_| Refusal::RunnerFailed)?;
			let lease =
				jobs.get(&job).and_then(|t| t.lease.clone()).ok_or(Refusal::RunnerFailed)?;
			(lease, self.gpus.lock().map_err(|_| Refusal::RunnerFailed)?.of(job))
		};
		let secrets = match (&request.secrets, manifest.needs_secrets()) {
			(Some(sealed), true) => Some(
				Secrets::open(&lease.key, sealed, manifest)
					.map_err(|why| refuse(job, Refusal::BadManifest, why))?,
			),
			_ => None,
		};
		let started = Instant::now();
		let repository = String::from_utf8_lossy(&manifest.repository).into_owned();
		let digest = hex(request.workload.image.as_bytes());
		let credentials = secrets.as_ref().and_then(|s| s.registry.clone());
		let image = self.pull(job, &repository, &digest, credentials)?;
		let out = self.job_dir(job).join("out");
		let network = if manifest.egress { NETWORK_EGRESS } else { NETWORK_ISOLATED };
		let mut body = container_body(
			job,
			&image,
			manifest,
			&request.owner,
			&gpus,
			self.policy.gpu_devices,
			network,
			&out,
			&lease.token,
			&lease.ports,
		);
		if let (Some(env), Some(secrets)) = (body.env.as_mut(), &secrets) {
			env.extend(secrets.env.iter().map(|(name, value)| format!("{name}={value}")));
		}
		if let Some(labels) = body.labels.as_mut() {
			labels.insert(LABEL_RUNNER.to_string(), self.runner_id.clone());
		}
		let name = format!("crucible-{}-job-{job}", self.runner_id);
		let created = self
			.call(self.docker.create_container(
				Some(CreateContainerOptions { name: Some(name.clone()), ..Default::default() }),
				body,
			))
			.map_err(|e| refuse(job, classify(&e.to_string()), format!("creating {name}: {e}")))?;
		let id = created.id;
		if let Err(e) = self.call(self.docker.start_container(&id, None)) {
			let _ = self.call(self.docker.remove_container(
				&id,
				Some(RemoveContainerOptions { force: true, ..Default::default() }),
			));
			let text = e.to_string();
			let reason = if text.contains("memory") ||
				text.contains("device") ||
				text.contains("resource") ||
				text.contains("address already in use")
			{
				Refusal::OutOfResources
			} else {
				classify(&text)
			};
			return Err(refuse(job, reason, format!("starting {name}: {e}")));
		}
		log::info!(
			target: LOG_TARGET,
			"job {job}: container running ({} GPU(s)), {:?} from the request",
			gpus.len(),
			started.elapsed()
		);
		let mut jobs = self.jobs.lock().map_err(|_| Refusal::RunnerFailed)?;
		let t = jobs.get_mut(&job).ok_or(Refusal::RunnerFailed)?;
		t.container = Some(id);
		t.started = Instant::now();
		let usage = t.usage();
		Ok(WorkloadReply::Running {
			usage,
			status: self.status_digest(job, true, None, &usage),
			access: t.access.clone(),
		})
	}

	/// `GET /containers/<id>/json` as JSON. Podman's compatible API reports states Docker's
	/// description has no name for (`stopped`), which a typed client refuses to read; what
	/// the runner needs of an inspect (state, exit code, OOM kill, published ports) is read
	/// from the plain JSON instead.
	fn inspect(&self, container: &str) -> Result<serde_json::Value, String> {
		use http_body_util::{BodyExt, Empty};
		let socket = self.socket.clone();
		let path = format!("/v1.41/containers/{container}/json");
		self.call(async move {
			let stream = tokio::net::UnixStream::connect(&socket)
				.await
				.map_err(|e| format!("connect {}: {e}", socket.display()))?;
			let (mut sender, connection) =
				hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
					.await
					.map_err(|e| format!("connect: {e}"))?;
			tokio::spawn(connection);
			let request = hyper::Request::get(path)
				.header(hyper::header::HOST, "engine")
				.body(Empty::<bytes::Bytes>::new())
				.map_err(|e| e.to_string())?;
			let response =
				sender.send_request(request).await.map_err(|e| format!("connect: {e}"))?;
			let status = response.status();
			let body = response.into_body().collect().await.map_err(|e| e.to_string())?.to_bytes();
			if !status.is_success() {
				return Err(format!("{status}: {}", String::from_utf8_lossy(&body)));
			}
			serde_json::from_slice(&body).map_err(|e| format!("not JSON: {e}"))
		})
	}

	fn status_digest(&self, job: JobId, running: bool, exit: Option<i64>, usage: &Usage) -> H256 {
		H256(hash(&(b"crucible:container:status", job, running, exit, usage).encode()))
	}

	/// The container's state and usage now: (running, exit code, OOM-killed).
	fn observe(&self, job: JobId) -> Result<(bool, Option<i64>, bool), Refusal> {
		let container = {
			let jobs = self.jobs.lock().map_err(|_| Refusal::RunnerFailed)?;
			jobs.get(&job).and_then(|t| t.container.clone()).ok_or(Refusal::RunnerFailed)?
		};
		let inspect = self
			.inspect(&container)
			.map_err(|e| refuse(job, Refusal::EngineUnavailable, e))?;
		let state = &inspect["State"];
		let running = state["Running"].as_bool().unwrap_or(false);
		let stats = if running {
			self.call(async {
				self.docker
					.stats(&container, Some(StatsOptions { stream: false, one_shot: true }))
					.next()
					.await
			})
		} else {
			None
		};
		// The lease's GPUs' utilization since the last report (NVML), as busy time.
		let held = self.gpus.lock().map(|p| p.of(job)).unwrap_or_default();
		let percents: Vec<u32> = match self.nvml.lock().as_deref() {
			Ok(Some(nvml)) if running => held
				.iter()
				.filter_map(|uuid| {
					nvml.device_by_uuid(uuid.as_str()).ok()?.utilization_rates().ok()
				})
				.map(|u| u.gpu)
				.collect(),
			_ => Vec::new(),
		};
		if let Ok(mut jobs) = self.jobs.lock() {
			if let Some(t) = jobs.get_mut(&job) {
				let elapsed = u64::try_from(t.sampled.elapsed().as_millis()).unwrap_or(u64::MAX);
				t.sampled = Instant::now();
				t.gpu_millis = t.gpu_millis.saturating_add(gpu_busy_millis(&percents, elapsed));
				if let Some(Ok(s)) = stats {
					let cpu_ns = s
						.cpu_stats
						.and_then(|c| c.cpu_usage)
						.and_then(|u| u.total_usage)
						.unwrap_or(0);
					t.cpu_seconds = t.cpu_seconds.max(cpu_ns / 1_000_000_000);
					let memory = s.memory_stats.map(|m| m.max_usage.or(m.usage).unwrap_or(0));
					let mib = u32::try_from(memory.unwrap_or(0) >> 20).unwrap_or(u32::MAX);
					t.peak_mib = t.peak_mib.max(mib);
				}
			}
		}
		let exit = state["ExitCode"].as_i64();
		// The container's first process, killed by SIGKILL (137): nothing inside its PID
		// namespace can send that to it, and the runner did not, so the kernel did at the
		// memory limit. (Docker says `OOMKilled`; Podman 4 on cgroup v1 does not.)
		let oom = state["OOMKilled"].as_bool().unwrap_or(false) || (!running && exit == Some(137));
		Ok((running, exit, oom))
	}

	/// Saves the logs of `container` (at most `MAX_LOGS`) under the job's directory.
	fn save_logs(&self, job: JobId, container: &str) {
		let logs: Vec<u8> = self.call(async {
			let mut out = Vec::new();
			let mut stream = self.docker.logs(
				container,
				Some(LogsOptions { stdout: true, stderr: true, ..Default::default() }),
			);
			while let Some(Ok(chunk)) = stream.next().await {
				out.extend_from_slice(&chunk.into_bytes());
				if out.len() > MAX_LOGS {
					out.truncate(MAX_LOGS);
					break;
				}
			}
			out
		});
		let _ = std::fs::write(self.job_dir(job).join("logs"), logs);
	}

	/// Ends a container: its logs saved, it removed, its GPUs freed.
	fn end(&self, job: JobId, container: &str) {
		let _ = self.call(
			self.docker
				.stop_container(container, Some(StopContainerOptions { t: Some(3), signal: None })),
		);
		self.save_logs(job, container);
		// The lease's sealing key and credential are of no more use.
		let _ = std::fs::remove_file(self.job_dir(job).join("secret"));
		let _ = self.call(self.docker.remove_container(
			container,
			Some(RemoveContainerOptions { force: true, ..Default::default() }),
		));
		if let Ok(mut pool) = self.gpus.lock() {
			pool.release(job);
		}
		self.prune_images();
	}

	/// Keeps the images pulled for leases within the policy's cache: past `imageCacheMib`,
	/// the oldest pulled images (by digest) no container uses are removed. The engine refuses
	/// to remove one in use, which keeps running leases' images whatever this counts.
	fn prune_images(&self) {
		use bollard::query_parameters::{ListImagesOptions, RemoveImageOptions};
		let Ok(mut images) = self.call(self.docker.list_images(None::<ListImagesOptions>)) else {
			return;
		};
		images.retain(|i| !i.repo_digests.is_empty());
		let limit =
			i64::try_from(self.policy.image_cache_mib.saturating_mul(1 << 20)).unwrap_or(i64::MAX);
		let mut total: i64 = images.iter().map(|i| i.size.max(0)).sum();
		images.sort_by_key(|i| i.created);
		for image in images {
			if total <= limit {
				break;
			}
			let removed = self.call(self.docker.remove_image(
				&image.id,
				Some(RemoveImageOptions { force: false, ..Default::default() }),
				None,
			));
			if removed.is_ok() {
				total = total.saturating_sub(image.size.max(0));
				log::info!(target: LOG_TARGET, "image cache: removed {} ({} MiB)", image.id, image.size >> 20);
			}
		}
	}

	/// Forgets the oldest ended leases beyond `MAX_ENDED`, with their directories.
	fn forget_ended(&self) {
		let Ok(mut jobs) = self.jobs.lock() else { return };
		let mut ended: Vec<JobId> =
			jobs.iter().filter(|(_, t)| t.ended.is_some()).map(|(id, _)| *id).collect();
		if ended.len() <= MAX_ENDED {
			return;
		}
		ended.sort_unstable();
		let excess = ended.len().saturating_sub(MAX_ENDED);
		for id in ended.into_iter().take(excess) {
			jobs.remove(&id);
			let _ = std::fs::remove_dir_all(self.job_dir(id));
		}
	}

	fn fail(&self, job: JobId, reason: Refusal) -> WorkloadReply {
		let container = self
			.jobs
			.lock()
			.ok()
			.and_then(|j| j.get(&job).and_then(|t| t.container.clone()));
		if let Some(container) = container {
			self.end(job, &container);
		}
		if let Ok(mut jobs) = self.jobs.lock() {
			if let Some(t) = jobs.get_mut(&job) {
				t.ended = Some(Err(reason));
			}
		}
		self.forget_ended();
		WorkloadReply::Refused { reason }
	}

	fn report(&self, request: &WorkloadRequest) -> WorkloadReply {
		let job = request.job;
		let waiting =
			self.jobs.lock().ok().and_then(|j| j.get(&job).map(|t| t.container.is_none()));
		if waiting == Some(true) {
			if request.secrets.is_some() {
				return self.launch(request).unwrap_or_else(|reason| self.fail(job, reason));
			}
			let access =
				self.jobs.lock().ok().and_then(|j| j.get(&job).and_then(|t| t.access.clone()));
			let usage = Usage::default();
			return WorkloadReply::Running {
				usage,
				status: self.status_digest(job, false, None, &usage),
				access,
			};
		}
		let (running, exit, oom) = match self.observe(job) {
			Ok(seen) => seen,
			// The engine's API does not answer (restarting, say); the container runs on under
			// its monitor. Not a reason to end the lease: the last usage is reported, and the
			// lease ends only if the node stops attesting for the grace period.
			Err(reason) => {
				log::warn!(target: LOG_TARGET, "job {job}: the engine does not answer ({reason:?}); reporting the last usage");
				let Some((usage, access)) = self
					.jobs
					.lock()
					.ok()
					.and_then(|j| j.get(&job).map(|t| (t.usage(), t.access.clone())))
				else {
					return WorkloadReply::Refused { reason: Refusal::RunnerFailed };
				};
				return WorkloadReply::Running {
					usage,
					status: self.status_digest(job, true, None, &usage),
					access,
				};
			},
		};
		if oom {
			log::warn!(target: LOG_TARGET, "job {job}: FAILED: killed at its memory limit");
			return self.fail(job, Refusal::OomKilled);
		}
		if let Some(code) = exit.filter(|c| !running && *c != 0) {
			log::warn!(target: LOG_TARGET, "job {job}: FAILED: exited with status {code}");
			let code = i32::try_from(code).unwrap_or(i32::MIN);
			return self.fail(job, Refusal::Exited { code });
		}
		if request.audit && !running && exit == Some(0) {
			// An audit's re-run is done when its container is: its result is the answer.
			return self.finish(job);
		}
		let disk = self.jobs.lock().ok().and_then(|j| j.get(&job).map(|t| t.disk_mib));
		let used = outputs::size(&self.job_dir(job).join("out"));
		if let Some(limit) = disk.filter(|d| used > u64::from(*d) << 20) {
			log::warn!(target: LOG_TARGET, "job {job}: FAILED: {used} bytes under /out, {limit} MiB allowed");
			return self.fail(job, Refusal::OutOfResources);
		}
		let jobs = match self.jobs.lock() {
			Ok(jobs) => jobs,
			Err(_) => return WorkloadReply::Refused { reason: Refusal::RunnerFailed },
		};
		let Some(t) = jobs.get(&job) else {
			return WorkloadReply::Refused { reason: Refusal::RunnerFailed };
		};
		let usage = t.usage();
		WorkloadReply::Running {
			usage,
			status: self.status_digest(job, running, exit, &usage),
			access: t.access.clone(),
		}
	}

	fn finish(&self, job: JobId) -> WorkloadReply {
		let _ = self.observe(job);
		let Some((container, disk_mib)) = self
			.jobs
			.lock()
			.ok()
			.and_then(|j| j.get(&job).map(|t| (t.container.clone(), t.disk_mib)))
		else {
			return WorkloadReply::Refused { reason: Refusal::RunnerFailed };
		};
		match container {
			Some(container) => self.end(job, &container),
			// It never started (no secrets came): nothing ran, the outputs are empty.
			None =>
				if let Ok(mut pool) = self.gpus.lock() {
					pool.release(job);
				},
		}
		let dir = self.job_dir(job);
		let stream = match outputs::archive(&dir.join("out"), u64::from(disk_mib) << 20) {
			Ok(stream) => stream,
			Err(e) => {
				log::warn!(target: LOG_TARGET, "job {job}: outputs unreadable: {e}");
				return self.fail(job, Refusal::OutOfResources);
			},
		};
		let mut stream = stream;
		if self.lie {
			// TEST ONLY: the outputs this node serves and attests are not what the job wrote.
			match stream.first_mut() {
				Some(byte) => *byte ^= 0xff,
				None => stream.push(0xff),
			}
			log::warn!(target: LOG_TARGET, "job {job}: TEST MODE: the outputs are corrupted");
		}
		let opening = outputs::opening(&stream);
		let root = opening.root;
		let _ = std::fs::write(dir.join("outputs"), &stream);
		let ended = self.jobs.lock().ok().and_then(|mut jobs| {
			let t = jobs.get_mut(&job)?;
			let usage = t.usage();
			let status = self.status_digest(job, false, None, &usage);
			t.ended = Some(Ok((usage, status, opening.clone())));
			Some((usage, status, t.started.elapsed()))
		});
		let Some((usage, status, elapsed)) = ended else {
			return WorkloadReply::Refused { reason: Refusal::RunnerFailed };
		};
		self.forget_ended();
		log::info!(
			target: LOG_TARGET,
			"job {job}: finished after {elapsed:?}; {} bytes of outputs, result root {root:?}",
			stream.len()
		);
		WorkloadReply::Finished { usage, status, result: root, opening: Some(opening) }
	}
}

impl Runner for ContainerRunner {
	fn name(&self) -> &'static str {
		"container"
	}

	fn workload(&self, request: &WorkloadRequest) -> WorkloadReply {
		let job = request.job;
		let ended = self.jobs.lock().ok().and_then(|j| j.get(&job).map(|t| t.ended.clone()));
		match ended {
			Some(Some(Ok((usage, status, opening)))) =>
				if request.finish || request.audit {
					WorkloadReply::Finished {
						usage,
						status,
						result: opening.root,
						opening: Some(opening),
					}
				} else {
					WorkloadReply::Running { usage, status, access: None }
				},
			Some(Some(Err(reason))) => WorkloadReply::Refused { reason },
			Some(None) if request.finish => self.finish(job),
			Some(None) => self.report(request),
			None if request.finish => {
				log::warn!(target: LOG_TARGET, "job {job}: asked to finish a lease never started here");
				WorkloadReply::Refused { reason: Refusal::RunnerFailed }
			},
			None => self.start(request).unwrap_or_else(|reason| WorkloadReply::Refused { reason }),
		}
	}

	fn owner(&self, job: JobId) -> Option<[u8; 32]> {
		self.jobs.lock().ok()?.get(&job).map(|t| t.owner)
	}

	fn logs(&self, job: JobId, follow: bool) -> Option<tokio::sync::mpsc::Receiver<Vec<u8>>> {
		let (container, ended) = {
			let jobs = self.jobs.lock().ok()?;
			let t = jobs.get(&job)?;
			(t.container.clone(), t.ended.is_some())
		};
		let (send, receive) = tokio::sync::mpsc::channel(64);
		let Some(container) = container.filter(|_| !ended) else {
			let saved = std::fs::read(self.job_dir(job).join("logs")).unwrap_or_default();
			let _ = send.try_send(saved);
			return Some(receive);
		};
		let docker = self.docker.clone();
		self.runtime.as_ref()?.spawn(async move {
			let mut stream = docker.logs(
				&container,
				Some(LogsOptions { stdout: true, stderr: true, follow, ..Default::default() }),
			);
			while let Some(Ok(chunk)) = stream.next().await {
				if send.send(chunk.into_bytes().to_vec()).await.is_err() {
					break;
				}
			}
		});
		Some(receive)
	}

	fn outputs(&self, job: JobId) -> Option<Result<Vec<u8>, String>> {
		let jobs = self.jobs.lock().ok()?;
		let t = jobs.get(&job)?;
		Some(match &t.ended {
			Some(Ok(_)) =>
				std::fs::read(self.job_dir(job).join("outputs")).map_err(|e| e.to_string()),
			Some(Err(reason)) => Err(format!("the workload failed ({reason:?}): no outputs")),
			None => Err("the workload still runs: outputs come at the lease's end".into()),
		})
	}
}

#[cfg(test)]
mod tests;
