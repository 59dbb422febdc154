//! `crucible-node provider …`: the tools of GPU providers (`attestation-key`, `detect`, `bench`,
//! `serve`), and (in [`compute`]) what a provider's node adds to the node: the compute service
//! its off-chain workers ask.

pub mod attestation_key;
pub mod compute;

pub use compute::ComputeParams;

use compute::{backend, lie, read_or_create_token, runner, BackendKind};
use crucible_compute::{host, prover::bench, service, Engine};
use crucible_primitives::{
	challenge::Shape,
	proof_of_compute::{service::ComputeRequest, ChallengeParams, GpuClass},
};
use polkadot_sdk::{sc_cli, sc_cli::SubstrateCli};
use std::{net::SocketAddr, path::PathBuf, sync::Arc};

/// `crucible-node provider …`: tools for GPU providers.
#[derive(Debug, clap::Subcommand)]
#[allow(clippy::large_enum_variant)]
pub enum ProviderCmd {
	/// Put the attestation key into this node's keystore and print it with its ownership proof
	/// for `providers.register`.
	AttestationKey(attestation_key::AttestationKeyCmd),
	/// Find this host's NVIDIA GPUs (NVML) and print the hardware profile `providers.register`
	/// takes, as polkadot.js JSON. Fails with a message on a host without an NVIDIA driver.
	Detect {
		/// Local storage to declare, GiB.
		#[arg(long, default_value_t = 1000)]
		storage_gib: u64,
		/// Network bandwidth to declare, Mbit/s.
		#[arg(long, default_value_t = 1000)]
		bandwidth_mbps: u32,
	},
	/// Compute one challenge locally, with progress, open and verify it as the chain does, and
	/// report the speed, the time of each phase and the chain's check against the work.
	Bench(BenchCmd),
	/// Run the compute service alone (for a GPU in another container than the node); point the
	/// node at it with `--compute-service-url`.
	Serve {
		/// The backend.
		#[arg(long, value_enum, default_value_t = BackendKind::Cuda)]
		backend: BackendKind,
		/// The address to listen on (keep it on loopback or a private network).
		#[arg(long, default_value = "127.0.0.1:9955")]
		listen: SocketAddr,
		/// Threads of the cpu backend (0: one per core).
		#[arg(long, default_value_t = 0)]
		threads: usize,
		/// TEST ONLY: see the node's `--compute-lie-fraction`.
		#[arg(long, hide = true)]
		lie_fraction: Option<f64>,
		/// The operator's workload map (see the node's `--workloads`).
		#[arg(long, value_name = "FILE", conflicts_with = "workload_policy")]
		workloads: Option<PathBuf>,
		/// Run developers' containers under this policy (see the node's `--workload-policy`).
		#[arg(long, value_name = "FILE")]
		workload_policy: Option<PathBuf>,
		/// The container engine (see the node's `--container-engine`).
		#[arg(long, value_name = "URL", requires = "workload_policy")]
		container_engine: Option<String>,
		/// The workload endpoint's address (see the node's `--workload-listen`).
		#[arg(long, value_name = "ADDR", default_value = "0.0.0.0:9960")]
		workload_listen: SocketAddr,
		/// Where the container runner keeps each lease's outputs, logs and sealed details.
		#[arg(long, value_name = "DIR", default_value = "crucible-containers")]
		state_dir: PathBuf,
		/// The service's token: read from this file, or drawn and written there (mode 0600)
		/// when it does not exist; give the node the same file with
		/// `--compute-service-token-file`. Requests without it are refused.
		#[arg(long, value_name = "FILE")]
		token_file: PathBuf,
	},
}

/// `provider bench`.
#[derive(Debug, clap::Args)]
pub struct BenchCmd {
	/// The backend.
	#[arg(long, value_enum, default_value_t = BackendKind::Cpu)]
	pub backend: BackendKind,
	/// The challenge, `BATCHxROWSxINNERxCOLS`; without it, the preset's challenge of one GPU of
	/// `--class` (times `--gpus`).
	#[arg(long)]
	pub shape: Option<String>,
	/// The parameters to take the shape, leaves and samples from.
	#[arg(long, value_enum, default_value_t = Preset::Development)]
	pub preset: Preset,
	/// The GPU class (for the preset's batch per GPU).
	#[arg(long, value_enum, default_value_t = Class::H100)]
	pub class: Class,
	/// GPUs of that class.
	#[arg(long, default_value_t = 1)]
	pub gpus: u32,
	/// Entries per leaf (default: the preset's).
	#[arg(long)]
	pub leaf: Option<u32>,
	/// Samples (default: the preset's).
	#[arg(long)]
	pub samples: Option<u32>,
	/// Threads of the cpu backend (0: one per core).
	#[arg(long, default_value_t = 0)]
	pub threads: usize,
	/// Print the report as JSON too.
	#[arg(long)]
	pub json: bool,
}

/// Parameter presets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Preset {
	/// `--dev`'s.
	Development,
	/// The documented mainnet (and local testnet) parameters.
	Mainnet,
}

/// GPU classes, as the chain sizes challenges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Class {
	/// H100, H200, H800, GH200.
	H100,
	/// A100, A800.
	A100,
	/// RTX 4090, L40, L40S.
	Rtx4090,
	/// L4.
	L4,
	/// Anything else.
	Other,
}

impl From<Class> for GpuClass {
	fn from(c: Class) -> Self {
		match c {
			Class::H100 => GpuClass::H100,
			Class::A100 => GpuClass::A100,
			Class::Rtx4090 => GpuClass::Rtx4090,
			Class::L4 => GpuClass::L4,
			Class::Other => GpuClass::Other,
		}
	}
}

impl ProviderCmd {
	/// Runs the tool (`cli`: the node's command line, for the chain and keystore options).
	pub fn run<C: SubstrateCli>(&self, cli: &C) -> sc_cli::Result<()> {
		match self {
			ProviderCmd::AttestationKey(cmd) => cmd.run(cli),
			ProviderCmd::Detect { storage_gib, bandwidth_mbps } => {
				let gpus = host::gpus().map_err(sc_cli::Error::Input)?;
				let profile = host::profile(&gpus, *storage_gib, *bandwidth_mbps);
				println!("{}", serde_json::to_string_pretty(&profile).map_err(|e| e.to_string())?);
				Ok(())
			},
			ProviderCmd::Bench(cmd) => cmd.run(),
			ProviderCmd::Serve {
				backend: kind,
				listen,
				threads,
				lie_fraction,
				workloads,
				workload_policy,
				container_engine,
				workload_listen,
				state_dir,
				token_file,
			} => {
				let token = read_or_create_token(token_file).map_err(sc_cli::Error::Input)?;
				let backend = backend(*kind, *threads)
					.map_err(sc_cli::Error::Input)?
					.ok_or_else(|| sc_cli::Error::Input("--backend none serves nothing".into()))?;
				let engine = Arc::new(Engine::new(
					backend,
					lie(*lie_fraction).map_err(sc_cli::Error::Input)?,
				));
				let runtime = tokio::runtime::Builder::new_multi_thread()
					.enable_all()
					.build()
					.map_err(|e| e.to_string())?;
				runtime.block_on(async move {
					let runner = match workload_policy {
						Some(file) => {
							let (runner, endpoint) = compute::container_runner(
								file,
								container_engine.as_deref(),
								*workload_listen,
								state_dir.clone(),
								false,
							)?;
							tokio::spawn(endpoint);
							runner
						},
						None => runner(workloads.as_deref())?,
					};
					let (bound, serve) = service::bind(engine, runner, token, *listen)
						.await
						.map_err(|e| format!("cannot listen on {listen}: {e}"))?;
					eprintln!("compute service listening on http://{bound} (Ctrl-C stops it)");
					tokio::select! {
						_ = serve => {},
						_ = tokio::signal::ctrl_c() => {},
					}
					Ok::<_, String>(())
				})?;
				Ok(())
			},
		}
	}
}

impl BenchCmd {
	fn run(&self) -> sc_cli::Result<()> {
		let params = match self.preset {
			Preset::Development => ChallengeParams::development(),
			Preset::Mainnet => ChallengeParams::mainnet(),
		};
		let shape = match &self.shape {
			Some(text) => bench::parse_shape(text).map_err(sc_cli::Error::Input)?,
			None => Shape {
				batch: params.batches.of(self.class.into()).saturating_mul(self.gpus.max(1)),
				rows: params.rows,
				inner: params.inner,
				cols: params.cols,
			},
		};
		let backend = backend(self.backend, self.threads)
			.map_err(sc_cli::Error::Input)?
			.ok_or_else(|| sc_cli::Error::Input("--backend none computes nothing".into()))?;
		let engine = Engine::new(backend, None);
		let mut seed = [0u8; 32];
		let nanos = std::time::SystemTime::now()
			.duration_since(std::time::UNIX_EPOCH)
			.map(|d| d.as_nanos())
			.unwrap_or_default();
		for (s, b) in seed.iter_mut().zip(nanos.to_le_bytes().into_iter().cycle()) {
			*s = b;
		}
		let request =
			ComputeRequest { seed, shape, leaf_size: self.leaf.unwrap_or(params.leaf_size) };
		let samples = self.samples.unwrap_or(params.samples);
		let report = bench::run(&engine, request, samples, true)
			.map_err(|e| sc_cli::Error::Input(e.to_string()))?;
		for line in report.lines() {
			println!("{line}");
		}
		if self.json {
			let json = serde_json::json!({
				"backend": report.backend,
				"shape": [shape.batch, shape.rows, shape.inner, shape.cols],
				"leafSize": report.leaf_size,
				"samples": report.samples,
				"ops": report.shape.ops().to_string(),
				"computeMs": report.compute.as_secs_f64() * 1e3,
				"generateMs": report.timings.generate.as_secs_f64() * 1e3,
				"multiplyMs": report.timings.multiply.as_secs_f64() * 1e3,
				"hashMs": report.timings.hash.as_secs_f64() * 1e3,
				"openMs": report.open.as_secs_f64() * 1e3,
				"verifyMs": report.verify.as_secs_f64() * 1e3,
				"opsPerSecond": report.ops_per_second(),
				"overhead": report.overhead(),
				"timeRatio": report.time_ratio(),
				"opsRatio": report.ops_ratio(),
			});
			println!("{json}");
		}
		Ok(())
	}
}
