//! The host's GPUs and which lease holds each: a lease gets the count it leased, never a GPU
//! another live lease holds. The allocation is written on each container (its
//! `crucible.gpus` label), so a restarted node rebuilds it from the containers it re-adopts.

use crucible_primitives::marketplace::JobId;
use std::collections::BTreeMap;

/// The GPUs of the host (by UUID, `GPU-…`) and their holders.
#[derive(Debug, Default)]
pub struct GpuPool {
	all: Vec<String>,
	held: BTreeMap<String, JobId>,
}

impl GpuPool {
	/// A pool of the GPUs `uuids` (in NVML's order), none held.
	pub fn new(uuids: Vec<String>) -> Self {
		Self { all: uuids, held: BTreeMap::new() }
	}

	/// The host's GPUs.
	pub fn len(&self) -> usize {
		self.all.len()
	}

	/// Whether the host has none.
	pub fn is_empty(&self) -> bool {
		self.all.is_empty()
	}

	/// GPUs no lease holds.
	pub fn free(&self) -> usize {
		self.all.iter().filter(|g| !self.held.contains_key(*g)).count()
	}

	/// `count` free GPUs for `job` (the ones it holds already if it holds any), or why not.
	pub fn take(&mut self, job: JobId, count: u32) -> Result<Vec<String>, String> {
		let mine = self.of(job);
		if !mine.is_empty() {
			return Ok(mine);
		}
		if count == 0 {
			return Ok(Vec::new());
		}
		if self.all.is_empty() {
			return Err(format!(
				"the lease asks for {count} GPU(s) and this host has no NVIDIA GPU (NVML found none)"
			));
		}
		let free: Vec<String> =
			self.all.iter().filter(|g| !self.held.contains_key(*g)).cloned().collect();
		if (free.len() as u64) < u64::from(count) {
			return Err(format!(
				"the lease asks for {count} GPU(s); {} of the host's {} are free",
				free.len(),
				self.all.len()
			));
		}
		let taken: Vec<String> = free.into_iter().take(count as usize).collect();
		for gpu in &taken {
			self.held.insert(gpu.clone(), job);
		}
		Ok(taken)
	}

	/// Records that `job` holds `gpus` (a re-adopted container's label); `Err` if one is held
	/// by another job or is not this host's.
	pub fn adopt(&mut self, job: JobId, gpus: &[String]) -> Result<(), String> {
		for gpu in gpus {
			if !self.all.contains(gpu) {
				return Err(format!("{gpu} is not a GPU of this host"));
			}
			if let Some(other) = self.held.get(gpu).filter(|o| **o != job) {
				return Err(format!("{gpu} is held by job {other}"));
			}
		}
		for gpu in gpus {
			self.held.insert(gpu.clone(), job);
		}
		Ok(())
	}

	/// The GPUs `job` holds.
	pub fn of(&self, job: JobId) -> Vec<String> {
		self.held.iter().filter(|(_, j)| **j == job).map(|(g, _)| g.clone()).collect()
	}

	/// Frees what `job` holds.
	pub fn release(&mut self, job: JobId) {
		self.held.retain(|_, j| *j != job);
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	fn pool(n: usize) -> GpuPool {
		GpuPool::new((0..n).map(|i| format!("GPU-{i}")).collect())
	}

	#[test]
	fn no_two_leases_share_a_gpu() {
		let mut p = pool(4);
		let a = p.take(1, 2).unwrap();
		let b = p.take(2, 2).unwrap();
		assert_eq!(a.len(), 2);
		assert_eq!(b.len(), 2);
		assert!(a.iter().all(|g| !b.contains(g)), "{a:?} and {b:?} overlap");
		assert_eq!(p.free(), 0);
		// A third lease finds none free; asking again for a job that holds some returns them.
		assert!(p.take(3, 1).unwrap_err().contains("0 of the host's 4 are free"));
		assert_eq!(p.take(1, 2).unwrap(), a);
		p.release(1);
		assert_eq!(p.free(), 2);
		assert_eq!(p.take(3, 1).unwrap().len(), 1);
	}

	#[test]
	fn a_host_without_gpus_runs_cpu_jobs_and_refuses_gpu_jobs_with_the_reason() {
		let mut p = pool(0);
		assert_eq!(p.take(1, 0).unwrap(), Vec::<String>::new());
		assert!(p.take(2, 1).unwrap_err().contains("no NVIDIA GPU"));
	}

	#[test]
	fn a_restart_rebuilds_the_allocation_from_the_containers_labels() {
		let mut before = pool(3);
		let a = before.take(7, 2).unwrap();
		// A restarted node: a new pool, the running container's label adopted.
		let mut after = pool(3);
		after.adopt(7, &a).unwrap();
		assert_eq!(after.of(7), a);
		assert_eq!(after.free(), 1);
		// A second container claiming one of those GPUs is refused, as is a foreign GPU.
		assert!(after.adopt(8, &a[..1]).unwrap_err().contains("held by job 7"));
		assert!(after.adopt(8, &["GPU-x".to_string()]).is_err());
		// New leases get only the free GPU.
		assert!(after.take(9, 2).is_err());
		assert_eq!(after.take(9, 1).unwrap().len(), 1);
	}
}
