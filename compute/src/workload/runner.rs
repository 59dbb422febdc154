//! The runner trait the compute service asks about leased workloads, and the runner of a node
//! that runs none.

use super::LOG_TARGET;
use crucible_primitives::marketplace::{
	service::{WorkloadReply, WorkloadRequest},
	Refusal,
};

/// Runs leased workloads for the compute service.
pub trait Runner: Send + Sync {
	/// The runner's name, for logs.
	fn name(&self) -> &'static str;
	/// Starts the request's workload if it does not run yet, reports its status, or stops it
	/// and reports its result when the request says the lease ended.
	fn workload(&self, request: &WorkloadRequest) -> WorkloadReply;
}

/// A runner that runs nothing: every workload is refused (a node without `--workloads`).
pub struct NoRunner;

impl Runner for NoRunner {
	fn name(&self) -> &'static str {
		"none"
	}

	fn workload(&self, request: &WorkloadRequest) -> WorkloadReply {
		log::warn!(
			target: LOG_TARGET,
			"job {}: REFUSED: this node runs no workloads (start it with --workloads FILE)",
			request.job,
		);
		WorkloadReply::Refused { reason: Refusal::UnknownWorkload }
	}
}
