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

/// The log target of the runners.
const LOG_TARGET: &str = "runner";
