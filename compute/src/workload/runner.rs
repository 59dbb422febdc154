//! The runner trait the compute service asks about leased workloads, and the runner of a node
//! that runs none.

use super::LOG_TARGET;
use crucible_primitives::marketplace::{
	service::{WorkloadReply, WorkloadRequest},
	JobId, Refusal,
};

/// Runs leased workloads for the compute service.
pub trait Runner: Send + Sync {
	/// The runner's name, for logs.
	fn name(&self) -> &'static str;
	/// Starts the request's workload if it does not run yet, reports its status, or stops it
	/// and reports its result when the request says the lease ended.
	fn workload(&self, request: &WorkloadRequest) -> WorkloadReply;

	/// The account (its 32 bytes) that may read `job`'s logs and outputs, if this runner runs
	/// or ran it.
	fn owner(&self, _job: JobId) -> Option<[u8; 32]> {
		None
	}

	/// `job`'s logs: what there is so far, and with `follow` what comes until the workload
	/// stops (the channel closes then).
	fn logs(&self, _job: JobId, _follow: bool) -> Option<tokio::sync::mpsc::Receiver<Vec<u8>>> {
		None
	}

	/// `job`'s outputs stream once its lease ended (`Err`: why there is none yet).
	fn outputs(&self, _job: JobId) -> Option<Result<Vec<u8>, String>> {
		None
	}
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
