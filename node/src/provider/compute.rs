//! The compute wiring of a provider's node: the compute options (`--compute-backend`,
//! `--workloads`, `--bid-policy`, …), the backend and runner they choose, and the compute
//! service the node starts for its off-chain workers, with what it writes for them in the
//! offchain database (`crucible_primitives::offchain::keys`).

use crucible_compute::{
	prover::{cpu::CpuBackend, cuda::CudaBackend},
	service,
	workload::{container, ContainerRunner, ExecRunner, NoRunner, Runner, WorkloadPolicy},
	Backend, Engine, Lie,
};
use crucible_primitives::{
	marketplace::service::BidPolicy, offchain::keys, proof_of_compute::GpuClass,
};
use polkadot_sdk::sp_core::offchain::OffchainStorage;
use std::{
	net::SocketAddr,
	path::{Path, PathBuf},
	sync::Arc,
};

/// The log target.
pub(super) const LOG_TARGET: &str = "compute";

/// How challenges are computed on this host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BackendKind {
	/// No backend: the node answers no challenge (the default).
	None,
	/// Every CPU core: tests and dev chains.
	Cpu,
	/// The host's NVIDIA GPUs (driver, cuBLAS and NVRTC of CUDA 12 loaded at run time).
	Cuda,
}

/// The compute options of a provider's node.
#[derive(Debug, Clone, clap::Args)]
pub struct ComputeParams {
	/// Answer proof-of-compute challenges with this backend. The node runs the compute service
	/// on loopback for its off-chain worker (use with `--offchain-worker always` on non-validators
	/// and the attestation key in the keystore).
	#[arg(long, value_enum, default_value_t = BackendKind::None)]
	pub compute_backend: BackendKind,

	/// The port of the compute service on 127.0.0.1 (0: any free port).
	#[arg(long, default_value_t = 0)]
	pub compute_port: u16,

	/// Threads of the cpu backend (0: one per core).
	#[arg(long, default_value_t = 0)]
	pub compute_threads: usize,

	/// Use a compute service run elsewhere (`crucible-node provider serve`), e.g.
	/// `http://127.0.0.1:9955`, instead of running one in the node.
	#[arg(long, conflicts_with = "compute_backend")]
	pub compute_service_url: Option<String>,

	/// The token of the compute service at `--compute-service-url`: the file `provider serve
	/// --token-file` wrote (64 hex digits). The node's own service draws a new token at every
	/// start and needs none.
	#[arg(long, value_name = "FILE", requires = "compute_service_url")]
	pub compute_service_token_file: Option<PathBuf>,

	/// TEST ONLY: corrupt this fraction (0..1) of every challenge's output, consistently, so that
	/// the chain catches and slashes this node (the e2e suite's lying provider). cpu backend only.
	#[arg(long, hide = true)]
	pub compute_lie_fraction: Option<f64>,

	/// The operator's workload map (JSON: `{"workloads": [{"image": "0x<sha256>", "command":
	/// ["prog", "arg"], "access": "optional text for the developer"}]}`): the only workloads
	/// this host runs for its leases (`exec` runner). Without it every lease is refused.
	#[arg(long, value_name = "FILE")]
	pub workloads: Option<PathBuf>,

	/// Run developers' containers for the leases won (the `container` runner), as this policy
	/// allows (JSON: allowed registries or images, the most memory, disk and ports per lease,
	/// egress, the host name developers reach, GPU devices; see the README). Checked at start:
	/// a bad file stops the node with the reason.
	#[arg(long, value_name = "FILE", conflicts_with = "workloads")]
	pub workload_policy: Option<PathBuf>,

	/// The container engine's Docker-compatible API (Docker Engine, or Podman's `podman system
	/// service`): `unix:///path/to/engine.sock`. Default: Docker's or rootful Podman's usual
	/// socket, whichever exists. Used with `--workload-policy`.
	#[arg(long, value_name = "URL", requires = "workload_policy")]
	pub container_engine: Option<String>,

	/// TEST ONLY: compute every container result over corrupted outputs, so that the job's
	/// audit catches this node and takes its collateral (the e2e suite's lying provider).
	#[arg(long, hide = true, requires = "workload_policy")]
	pub workload_lie: bool,

	/// Where developers read their containers' logs and download their outputs (requests
	/// signed by the job's owner): the workload endpoint's address. Used with
	/// `--workload-policy`.
	#[arg(long, value_name = "ADDR", default_value = "0.0.0.0:9960")]
	pub workload_listen: SocketAddr,

	/// Publish this host's standing offer and bid automatically on the marketplace's open jobs
	/// it serves (JSON: `{"minPricePerGpu": {"H100": "2000000000"}, "maxLeases": 2,
	/// "maxLeaseBlocks": 14400}`: the price per block per GPU of each class, in plancks — the
	/// host's class's is published and bid —, the most leases held and bid for at once, and
	/// optionally the longest lease bid for).
	#[arg(long, value_name = "FILE")]
	pub bid_policy: Option<PathBuf>,
}

impl ComputeParams {
	/// Whether these options make the node a GPU provider's: it computes challenges (or uses
	/// a compute service), runs workloads or bids. A provider's host runs its tenants'
	/// workloads next to the node, so its RPC serves only safe methods unless the operator
	/// asks for unsafe ones (`--rpc-methods unsafe`): `author_insertKey` or
	/// `offchain_localStorageSet` from a workload on the same host would redirect its proofs or
	/// rewrite its bid policy.
	pub fn is_provider(&self) -> bool {
		self.compute_backend != BackendKind::None ||
			self.compute_service_url.is_some() ||
			self.workloads.is_some() ||
			self.workload_policy.is_some() ||
			self.bid_policy.is_some()
	}
}

/// Reads a bid policy file.
pub fn read_policy(path: &Path) -> Result<BidPolicy, String> {
	let text = std::fs::read_to_string(path)
		.map_err(|e| format!("cannot read {}: {e}", path.display()))?;
	parse_policy(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Parses a bid policy (see `--bid-policy`).
pub fn parse_policy(text: &str) -> Result<BidPolicy, String> {
	let json: serde_json::Value =
		serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
	let object = json.as_object().ok_or("expected an object")?;
	for key in object.keys() {
		if key != "minPricePerGpu" && key != "maxLeases" && key != "maxLeaseBlocks" {
			return Err(format!(
				"unknown field {key} (expected minPricePerGpu, maxLeases, maxLeaseBlocks)"
			));
		}
	}
	let max_leases = object
		.get("maxLeases")
		.and_then(|v| v.as_u64())
		.and_then(|v| u32::try_from(v).ok())
		.filter(|v| *v > 0)
		.ok_or("maxLeases: expected a whole number above 0")?;
	let max_duration = match object.get("maxLeaseBlocks") {
		None | Some(serde_json::Value::Null) => None,
		Some(v) => Some(
			v.as_u64()
				.and_then(|v| u32::try_from(v).ok())
				.filter(|v| *v > 0)
				.ok_or("maxLeaseBlocks: expected a whole number of blocks above 0")?,
		),
	};
	let prices = object
		.get("minPricePerGpu")
		.and_then(|v| v.as_object())
		.ok_or("minPricePerGpu: expected an object of GPU class to price")?;
	let mut min_price_per_gpu = Vec::new();
	for (name, value) in prices {
		let class = match name.to_ascii_lowercase().as_str() {
			"h100" => GpuClass::H100,
			"a100" => GpuClass::A100,
			"rtx4090" => GpuClass::Rtx4090,
			"l4" => GpuClass::L4,
			"other" => GpuClass::Other,
			_ =>
				return Err(format!(
					"minPricePerGpu: unknown GPU class {name} (H100, A100, Rtx4090, L4, Other)"
				)),
		};
		let price = match value {
			serde_json::Value::String(s) => s.parse::<u128>().ok(),
			serde_json::Value::Number(n) => n.as_u64().map(u128::from),
			_ => None,
		}
		.filter(|p| *p > 0)
		.ok_or_else(|| format!("minPricePerGpu.{name}: expected a price in plancks above 0"))?;
		min_price_per_gpu.push((class, price));
	}
	if min_price_per_gpu.is_empty() {
		return Err("minPricePerGpu: no GPU class".into());
	}
	Ok(BidPolicy { min_price_per_gpu, max_leases, max_duration })
}

/// The container runner of `--workload-policy`: the policy checked, the engine reached, the
/// workload endpoint bound at `listen`, the containers of an earlier run re-adopted. Returns the
/// runner and the endpoint's future (to spawn).
pub fn container_runner(
	policy_file: &Path,
	engine: Option<&str>,
	listen: SocketAddr,
	state: PathBuf,
	lie: bool,
) -> Result<(Arc<dyn Runner>, impl std::future::Future<Output = ()> + Send + 'static), String> {
	let policy = WorkloadPolicy::read(policy_file)?;
	let socket = match engine {
		Some(socket) => socket.to_string(),
		None => container::default_socket().ok_or(
			"--workload-policy: no container engine at /var/run/docker.sock or \
			 /run/podman/podman.sock; name one with --container-engine unix:///…",
		)?,
	};
	let listener = std::net::TcpListener::bind(listen)
		.map_err(|e| format!("--workload-listen {listen}: {e}"))?;
	let port = listener.local_addr().map_err(|e| e.to_string())?.port();
	drop(listener);
	let endpoint = format!("http://{}:{port}", policy.public_host);
	let gpus: Vec<String> = crucible_compute::host::gpus()
		.map(|g| g.iter().map(|g| crucible_compute::host::format_uuid(&g.uuid)).collect())
		.unwrap_or_default();
	if gpus.is_empty() {
		log::info!(target: LOG_TARGET, "container runner: no NVIDIA GPU here; only CPU-only jobs run");
	}
	if lie {
		log::warn!(target: LOG_TARGET, "TEST MODE: this node corrupts its workloads' outputs; their audits will catch it");
	}
	let runner: Arc<dyn Runner> = Arc::new(
		ContainerRunner::new(&socket, policy, state, Some(endpoint.clone()), gpus)?.lying(lie),
	);
	let addr = SocketAddr::new(listen.ip(), port);
	let (bound, serve) = service::bind_workloads(runner.clone(), addr)
		.map_err(|e| format!("the workload endpoint cannot listen on {addr}: {e}"))?;
	log::info!(
		target: LOG_TARGET,
		"container runner on {socket}; workload endpoint on http://{bound} (developers reach it as {endpoint})"
	);
	Ok((runner, serve))
}

/// The runner of `--workloads`, or one that refuses everything.
pub fn runner(workloads: Option<&Path>) -> Result<Arc<dyn Runner>, String> {
	match workloads {
		Some(path) => {
			let runner = ExecRunner::from_file(path)?;
			log::info!(
				target: LOG_TARGET,
				"exec runner: {} workload image(s) mapped by {}",
				runner.images(),
				path.display()
			);
			Ok(Arc::new(runner))
		},
		None => Ok(Arc::new(NoRunner)),
	}
}

pub fn lie(fraction: Option<f64>) -> Result<Option<Lie>, String> {
	match fraction {
		None => Ok(None),
		Some(f) if (0.0..=1.0).contains(&f) => Ok(Some(Lie { fraction: f })),
		Some(f) => Err(format!("--compute-lie-fraction {f} is not in 0..1")),
	}
}

/// The backend of `kind`, or why it cannot run here.
pub fn backend(kind: BackendKind, threads: usize) -> Result<Option<Arc<dyn Backend>>, String> {
	match kind {
		BackendKind::None => Ok(None),
		BackendKind::Cpu =>
			Ok(Some(Arc::new(CpuBackend::new(threads).map_err(|e| e.to_string())?))),
		// cudarc panics on some failures: contain them.
		BackendKind::Cuda => match std::panic::catch_unwind(CudaBackend::new) {
			Ok(Ok(cuda)) => {
				log::info!(target: LOG_TARGET, "cuda backend on {}", cuda.device_names().join(", "));
				Ok(Some(Arc::new(cuda)))
			},
			Ok(Err(e)) => Err(format!("the cuda backend is unavailable: {e}")),
			Err(_) => Err("the cuda backend panicked while starting".into()),
		},
	}
}

/// The compute service token in `file` (64 hex digits).
pub fn read_token(file: &Path) -> Result<service::Token, String> {
	let text = std::fs::read_to_string(file)
		.map_err(|e| format!("cannot read the compute service token {}: {e}", file.display()))?;
	service::Token::from_hex(&text).map_err(|e| format!("{}: {e}", file.display()))
}

/// The token in `file`, or a new one written there (readable by its owner only) when the file
/// does not exist.
pub fn read_or_create_token(file: &Path) -> Result<service::Token, String> {
	if file.exists() {
		return read_token(file);
	}
	let token = service::Token::random();
	let mut options = std::fs::OpenOptions::new();
	std::os::unix::fs::OpenOptionsExt::mode(options.write(true).create_new(true), 0o600);
	let mut out = options
		.open(file)
		.map_err(|e| format!("cannot create the token file {}: {e}", file.display()))?;
	std::io::Write::write_all(&mut out, token.to_hex().as_bytes())
		.map_err(|e| format!("cannot write the token file {}: {e}", file.display()))?;
	Ok(token)
}

/// Starts the compute service for the node's off-chain worker (if a backend is configured) and
/// records where it listens in the offchain database, where the worker reads it. Without a
/// usable backend the record is cleared: the worker then logs "no compute backend" once per
/// period and submits nothing. A backend that cannot start never stops the node.
pub fn start_service(
	params: &ComputeParams,
	offchain: Option<impl OffchainStorage>,
	spawn: &polkadot_sdk::sc_service::SpawnTaskHandle,
	state: PathBuf,
) -> Result<(), String> {
	let lie = lie(params.compute_lie_fraction)?;
	let policy = params.bid_policy.as_deref().map(read_policy).transpose()?;
	let runner = match &params.workload_policy {
		Some(file) => {
			let (runner, serve) = container_runner(
				file,
				params.container_engine.as_deref(),
				params.workload_listen,
				state,
				params.workload_lie,
			)?;
			spawn.spawn("workload-endpoint", Some("compute"), serve);
			runner
		},
		None => runner(params.workloads.as_deref())?,
	};
	if policy.is_some() && params.workloads.is_none() && params.workload_policy.is_none() {
		log::warn!(target: LOG_TARGET, "--bid-policy without --workloads or --workload-policy: every lease won will be refused");
	}
	// The local service's token is new at every start: whoever learned an earlier one (from a
	// backup of the offchain database, say) has nothing.
	let mut token = service::Token::random();
	let (endpoint, kind) = if let Some(url) = &params.compute_service_url {
		if !(url.starts_with("http://") || url.starts_with("https://")) ||
			url.len() > keys::MAX_ENDPOINT_LEN
		{
			return Err(format!("--compute-service-url {url}: expected http://host:port"));
		}
		let Some(file) = &params.compute_service_token_file else {
			return Err(format!(
				"--compute-service-url {url} needs --compute-service-token-file (the file \
				 `provider serve --token-file` writes)"
			));
		};
		token = read_token(file)?;
		log::info!(target: LOG_TARGET, "challenges go to the compute service at {url}");
		(url.trim_end_matches('/').to_string(), "remote")
	} else {
		match backend(params.compute_backend, params.compute_threads) {
			Ok(Some(backend)) => {
				let name = backend.name();
				if lie.is_some() {
					log::warn!(target: LOG_TARGET, "TEST MODE: this node lies in its proofs and will be slashed");
				}
				let engine = Arc::new(Engine::new(backend, lie));
				let addr = SocketAddr::from(([127, 0, 0, 1], params.compute_port));
				let (bound, serve) = service::bind_now(engine, runner, token.clone(), addr)
					.map_err(|e| format!("the compute service cannot listen on {addr}: {e}"))?;
				spawn.spawn("compute-service", Some("compute"), serve);
				log::info!(target: LOG_TARGET, "{name} compute service listening on http://{bound}");
				(format!("http://{bound}"), name)
			},
			Ok(None) => (String::new(), "none"),
			Err(why) => {
				log::error!(target: LOG_TARGET, "{why}; this node answers no challenge");
				(String::new(), "none")
			},
		}
	};
	if let Some(mut db) = offchain {
		use polkadot_sdk::sp_core::offchain::STORAGE_PREFIX;
		db.set(STORAGE_PREFIX, keys::COMPUTE_ENDPOINT, endpoint.as_bytes());
		db.set(STORAGE_PREFIX, keys::COMPUTE_BACKEND, kind.as_bytes());
		db.set(STORAGE_PREFIX, keys::COMPUTE_TOKEN, token.to_hex().as_bytes());
		// Without `--bid-policy` an earlier run's policy no longer applies.
		let policy = policy.map(|p| {
			log::info!(
				target: LOG_TARGET,
				"bid policy: at most {} leases, minimum prices per GPU per block {:?}",
				p.max_leases,
				p.min_price_per_gpu
			);
			codec::Encode::encode(&p)
		});
		db.set(STORAGE_PREFIX, keys::BID_POLICY, &policy.unwrap_or_default());
	}
	Ok(())
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn bid_policies_are_read_and_checked() {
		let policy =
			parse_policy(r#"{"minPricePerGpu": {"H100": "2000000000", "l4": 5}, "maxLeases": 2}"#)
				.expect("a good policy");
		assert_eq!(policy.max_leases, 2);
		assert_eq!(policy.price_of(GpuClass::H100), Some(2_000_000_000));
		assert_eq!(policy.price_of(GpuClass::L4), Some(5));
		assert_eq!(policy.price_of(GpuClass::A100), None);
		assert_eq!(policy.max_duration, None);
		let longest =
			parse_policy(r#"{"minPricePerGpu": {"L4": 5}, "maxLeases": 1, "maxLeaseBlocks": 600}"#)
				.expect("a policy with a longest lease");
		assert_eq!(longest.max_duration, Some(600));
		for bad in [
			"[]",
			r#"{"minPricePerGpu": {"H100": 1}}"#,
			r#"{"minPricePerGpu": {"H100": 1}, "maxLeases": 0}"#,
			r#"{"minPricePerGpu": {"B200": 1}, "maxLeases": 1}"#,
			r#"{"minPricePerGpu": {"H100": "-1"}, "maxLeases": 1}"#,
			r#"{"minPricePerGpu": {"H100": 0}, "maxLeases": 1}"#,
			r#"{"minPricePerGpu": {}, "maxLeases": 1}"#,
			r#"{"minPricePerGpu": {"H100": 1}, "maxLeases": 1, "typo": 1}"#,
			r#"{"minPricePerGpu": {"H100": 1}, "maxLeases": 1, "maxLeaseBlocks": 0}"#,
			r#"{"minPricePerGpu": {"H100": 1}, "maxLeases": 1, "maxLeaseBlocks": "long"}"#,
		] {
			assert!(parse_policy(bad).is_err(), "{bad} was accepted");
		}
	}
}
