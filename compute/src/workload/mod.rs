//! Leased workloads: the [`Runner`] trait the compute service asks (start, report, finish a
//! lease's workload), the `exec` runner of operator-mapped commands, and access details
//! [`seal`]ed to the developer's key. A container runner (OCI images pulled by digest) goes
//! behind the same trait.

pub mod exec;
pub mod runner;
pub mod seal;
#[cfg(test)]
mod tests;

pub use exec::{ExecRunner, WorkloadEntry, WorkloadMap};
pub use runner::{NoRunner, Runner};

/// The log target of the runners.
const LOG_TARGET: &str = "runner";
