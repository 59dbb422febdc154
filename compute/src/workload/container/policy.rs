//! The operator's workload policy (`--workload-policy FILE`): what the container runner may
//! run on this host. Read once at the node's start; a bad file stops the node with the reason.
//!
//! ```json
//! {
//!   "registries": ["ghcr.io", "127.0.0.1:5000"],
//!   "images": [],
//!   "maxMemoryMib": 16384,
//!   "maxDiskMib": 10240,
//!   "maxPorts": 4,
//!   "egress": true,
//!   "firewall": true,
//!   "publicHost": "gpu1.example.net",
//!   "gpuDevices": "cdi",
//!   "imageCacheMib": 51200
//! }
//! ```

use crucible_primitives::marketplace::{Manifest, MAX_PORTS};

/// How leased GPUs are handed to a container.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum GpuDevices {
	/// CDI device names, `nvidia.com/gpu=<uuid>` (Podman, or Docker with CDI enabled; the
	/// NVIDIA Container Toolkit generates the spec: `nvidia-ctk cdi generate`).
	Cdi,
	/// Docker's device requests (driver `nvidia`, the GPUs' UUIDs), through the NVIDIA
	/// Container Toolkit's runtime hook.
	Nvidia,
}

/// The policy file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct WorkloadPolicy {
	/// Registries images may come from (the part of a repository before its first `/`:
	/// `ghcr.io`, `127.0.0.1:5000`). Empty: only `images`.
	#[serde(default)]
	pub registries: Vec<String>,
	/// Images allowed whatever their registry: `repository@sha256:<64 hex digits>`.
	#[serde(default)]
	pub images: Vec<String>,
	/// The most memory one lease may ask for, MiB.
	pub max_memory_mib: u32,
	/// The most scratch and output space one lease may ask for, MiB.
	pub max_disk_mib: u32,
	/// The most ports one lease may publish.
	#[serde(default = "default_ports")]
	pub max_ports: u32,
	/// Whether containers may reach the internet at all (a manifest's `egress` asks for it
	/// too). Without it every container sits on the isolated network: its published ports
	/// answer, it opens no connection out.
	#[serde(default)]
	pub egress: bool,
	/// Whether the runner installs the networks' firewall rules itself (`iptables`: no
	/// connection from a container to the host, to private or cloud-metadata addresses, or
	/// out at all without egress). `false` only for an operator who enforces that otherwise.
	#[serde(default = "default_firewall")]
	pub firewall: bool,
	/// The host name or address developers reach published ports and the workload endpoint
	/// at (what the sealed access details say).
	pub public_host: String,
	/// How GPUs are passed to containers.
	#[serde(default = "default_devices")]
	pub gpu_devices: GpuDevices,
	/// Space the images of finished leases may keep, MiB: past it the oldest unused ones are
	/// removed.
	#[serde(default = "default_cache")]
	pub image_cache_mib: u64,
}

fn default_ports() -> u32 {
	MAX_PORTS
}

fn default_firewall() -> bool {
	true
}

fn default_devices() -> GpuDevices {
	GpuDevices::Cdi
}

fn default_cache() -> u64 {
	50 * 1024
}

/// The registry part of a repository: what comes before its first `/` if that looks like a
/// host (has a `.` or `:`, or is `localhost`), else Docker Hub's `docker.io`.
pub fn registry_of(repository: &str) -> &str {
	match repository.split_once('/') {
		Some((first, _)) if first.contains('.') || first.contains(':') || first == "localhost" =>
			first,
		_ => "docker.io",
	}
}

impl WorkloadPolicy {
	/// Reads and checks a policy file.
	pub fn read(path: &std::path::Path) -> Result<Self, String> {
		let text = std::fs::read_to_string(path)
			.map_err(|e| format!("cannot read {}: {e}", path.display()))?;
		Self::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
	}

	/// Parses and checks a policy.
	pub fn parse(text: &str) -> Result<Self, String> {
		let policy: Self = serde_json::from_str(text).map_err(|e| e.to_string())?;
		if policy.registries.is_empty() && policy.images.is_empty() {
			return Err("neither registries nor images: this policy allows nothing".into());
		}
		for image in &policy.images {
			let Some((repo, digest)) = image.split_once("@sha256:") else {
				return Err(format!("images: {image} is not repository@sha256:<digest>"));
			};
			if repo.is_empty() ||
				digest.len() != 64 ||
				!digest.chars().all(|c| c.is_ascii_hexdigit())
			{
				return Err(format!("images: {image} is not repository@sha256:<64 hex digits>"));
			}
		}
		if policy.registries.iter().any(|r| r.is_empty() || r.contains('/')) {
			return Err("registries: a registry is a host[:port], without a path".into());
		}
		if policy.max_memory_mib < 4 {
			return Err("maxMemoryMib: at least 4".into());
		}
		if policy.max_disk_mib == 0 {
			return Err("maxDiskMib: at least 1".into());
		}
		if policy.max_ports > MAX_PORTS {
			return Err(format!("maxPorts: at most {MAX_PORTS} (what a manifest can declare)"));
		}
		if policy.public_host.trim().is_empty() || policy.public_host.contains('/') {
			return Err("publicHost: a host name or address".into());
		}
		Ok(policy)
	}

	/// Whether the manifest may run here as the image `digest` (64 hex digits); `Err` says
	/// which rule refuses it.
	pub fn admits(&self, manifest: &Manifest, digest: &str) -> Result<(), String> {
		let written = String::from_utf8_lossy(&manifest.repository);
		let repository = super::split_tag(&written).0;
		let pinned = format!("{repository}@sha256:{digest}");
		let registry = registry_of(repository);
		if !self.images.iter().any(|i| i.eq_ignore_ascii_case(&pinned)) &&
			!self.registries.iter().any(|r| r == registry)
		{
			return Err(format!("registry {registry} (of {repository}) is not allowed here"));
		}
		if manifest.memory_mib > self.max_memory_mib {
			return Err(format!(
				"{} MiB of memory asked, at most {} here",
				manifest.memory_mib, self.max_memory_mib
			));
		}
		if manifest.shm_mib > manifest.memory_mib {
			return Err("shared memory above the memory limit".into());
		}
		if manifest.disk_mib > self.max_disk_mib {
			return Err(format!(
				"{} MiB of disk asked, at most {} here",
				manifest.disk_mib, self.max_disk_mib
			));
		}
		if manifest.ports.len() as u32 > self.max_ports {
			return Err(format!(
				"{} ports asked, at most {} here",
				manifest.ports.len(),
				self.max_ports
			));
		}
		Ok(())
	}
}
