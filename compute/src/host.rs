//! `crucible-node provider detect`: the host's GPUs through NVML (loaded at run time), turned
//! into the hardware profile `providers.register` takes, as polkadot.js JSON.

use nvml_wrapper::Nvml;
use serde_json::{json, Value};

/// One GPU as NVML reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gpu {
	/// The model name, as the driver reports it.
	pub model: String,
	/// Total memory, MiB.
	pub vram_mib: u32,
	/// The 16 bytes of `GPU-xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`.
	pub uuid: [u8; 16],
	/// Compute capability.
	pub compute_capability: (u8, u8),
	/// `"Sxm"`, `"NvLink"` or PCIe with its generation.
	pub interconnect: Value,
}

/// Parses NVIDIA's `GPU-xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` into its 16 bytes.
pub fn parse_uuid(text: &str) -> Result<[u8; 16], String> {
	let hex: String =
		text.trim().trim_start_matches("GPU-").chars().filter(|c| *c != '-').collect();
	if hex.len() != 32 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
		return Err(format!("not a GPU UUID: {text}"));
	}
	let mut out = [0u8; 16];
	for (i, byte) in out.iter_mut().enumerate() {
		*byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).map_err(|e| e.to_string())?;
	}
	Ok(out)
}

/// A GPU's 16 bytes as NVIDIA writes them, `GPU-xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` (what
/// CDI device names and Docker's device requests take).
pub fn format_uuid(uuid: &[u8; 16]) -> String {
	let h: String = uuid.iter().map(|b| format!("{b:02x}")).collect();
	format!("GPU-{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..])
}

/// Every GPU of the host, or why NVML could not be used.
pub fn gpus() -> Result<Vec<Gpu>, String> {
	let nvml = Nvml::init().map_err(|e| {
		format!(
			"no NVIDIA driver found (NVML, libnvidia-ml.so, could not be loaded: {e}). \
			 `provider detect` needs the NVIDIA driver; on a host without one, write the profile \
			 by hand (see the README)"
		)
	})?;
	let count = nvml.device_count().map_err(|e| format!("NVML: {e}"))?;
	let mut gpus = Vec::new();
	for index in 0..count {
		let device = nvml.device_by_index(index).map_err(|e| format!("GPU {index}: {e}"))?;
		let model = device.name().map_err(|e| format!("GPU {index}: name: {e}"))?;
		let memory = device.memory_info().map_err(|e| format!("GPU {index}: memory: {e}"))?;
		let uuid = parse_uuid(&device.uuid().map_err(|e| format!("GPU {index}: uuid: {e}"))?)?;
		let cc = device
			.cuda_compute_capability()
			.map_err(|e| format!("GPU {index}: compute capability: {e}"))?;
		let nvlink = (0..18).any(|link| device.link_wrapper_for(link).is_active().unwrap_or(false));
		let interconnect = if model.contains("SXM") || (nvlink && model.contains("HBM")) {
			json!("Sxm")
		} else if nvlink {
			json!("NvLink")
		} else {
			json!({ "Pcie": device.max_pcie_link_gen().unwrap_or(4) })
		};
		gpus.push(Gpu {
			model,
			vram_mib: u32::try_from(memory.total / (1024 * 1024)).unwrap_or(u32::MAX),
			uuid,
			compute_capability: (
				u8::try_from(cc.major).unwrap_or(0),
				u8::try_from(cc.minor).unwrap_or(0),
			),
			interconnect,
		});
	}
	if gpus.is_empty() {
		return Err("the NVIDIA driver sees no GPU".into());
	}
	Ok(gpus)
}

/// The host's memory in MiB (`/proc/meminfo`), if known.
fn ram_mib() -> u64 {
	std::fs::read_to_string("/proc/meminfo")
		.ok()
		.and_then(|s| {
			s.lines()
				.find(|l| l.starts_with("MemTotal:"))
				.and_then(|l| l.split_whitespace().nth(1).and_then(|kb| kb.parse::<u64>().ok()))
		})
		.map(|kb| kb / 1024)
		.unwrap_or(0)
}

/// The hardware profile of `gpus`, grouped by model, as `providers.register` takes it from
/// polkadot.js. Storage and bandwidth are the operator's to state (given here as flags).
pub fn profile(gpus: &[Gpu], storage_gib: u64, bandwidth_mbps: u32) -> Value {
	let mut kinds: Vec<(&Gpu, u32)> = Vec::new();
	for gpu in gpus {
		match kinds.iter_mut().find(|(g, _)| {
			g.model == gpu.model &&
				g.vram_mib == gpu.vram_mib &&
				g.compute_capability == gpu.compute_capability &&
				g.interconnect == gpu.interconnect
		}) {
			Some((_, n)) => *n += 1,
			None => kinds.push((gpu, 1)),
		}
	}
	let specs: Vec<Value> = kinds
		.iter()
		.map(|(g, count)| {
			json!({
				"vendor": "Nvidia",
				"model": g.model,
				"vramMib": g.vram_mib,
				"count": count,
				"computeCapability": { "major": g.compute_capability.0, "minor": g.compute_capability.1 },
				"interconnect": g.interconnect,
			})
		})
		.collect();
	// The UUIDs in the order of the kinds, as the registry counts them.
	let uuids: Vec<String> = kinds
		.iter()
		.flat_map(|(kind, _)| {
			gpus.iter()
				.filter(|g| {
					g.model == kind.model &&
						g.vram_mib == kind.vram_mib &&
						g.compute_capability == kind.compute_capability &&
						g.interconnect == kind.interconnect
				})
				.map(|g| {
					format!("0x{}", g.uuid.iter().map(|b| format!("{b:02x}")).collect::<String>())
				})
		})
		.collect();
	json!({
		"gpus": specs,
		"gpuUuids": uuids,
		"cpuCores": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
		"ramMib": ram_mib(),
		"storageGib": storage_gib,
		"bandwidthMbps": bandwidth_mbps,
	})
}

#[cfg(test)]
mod tests {
	#[test]
	fn uuids_read_back_as_nvidia_writes_them() {
		let text = "GPU-8f2b1c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d";
		assert_eq!(super::format_uuid(&super::parse_uuid(text).unwrap()), text);
	}
}
