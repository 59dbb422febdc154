//! Leased workloads: the [`Runner`] trait the compute service asks (start, report, finish a
//! lease's workload; a job's logs and outputs), the `exec` runner of operator-mapped commands,
//! the [`container`] runner of developers' OCI images, access details [`seal`]ed to the
//! developer's key, and the [`signed`] requests developers read logs and outputs with.

pub mod container;
pub mod exec;
pub mod runner;
pub mod seal;
pub mod signed;
#[cfg(test)]
mod tests;

pub use container::{ContainerRunner, WorkloadPolicy};
pub use exec::{ExecRunner, WorkloadEntry, WorkloadMap};
pub use runner::{NoRunner, Runner};

/// `N` bytes from their hex digits (a `0x` prefix allowed).
pub(crate) fn unhex<const N: usize>(text: &str) -> Option<[u8; N]> {
	let text = text.strip_prefix("0x").unwrap_or(text);
	if text.len() != N.checked_mul(2)? {
		return None;
	}
	let mut out = [0u8; N];
	for (i, byte) in out.iter_mut().enumerate() {
		*byte = u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok()?;
	}
	Some(out)
}

/// The log target of the runners.
const LOG_TARGET: &str = "runner";
