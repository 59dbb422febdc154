//! The `exec` runner: the node never runs a command taken from the chain. A lease names a
//! workload by its image digest; this runner runs only what its operator's workload map
//! (`--workloads FILE`) maps that digest to, and refuses the rest (the chain then ends the lease
//! and refunds the developer).

use super::{seal, Runner, LOG_TARGET};
use crucible_primitives::{
	challenge::hash,
	marketplace::{
		service::{WorkloadReply, WorkloadRequest, MAX_ACCESS_PLAINTEXT},
		JobId, Refusal, Usage,
	},
};
use polkadot_sdk::sp_core::H256;
use std::{
	collections::HashMap,
	io::Read,
	process::{Child, Command, Stdio},
	sync::{Arc, Mutex},
	time::Instant,
};

/// The most output bytes of a workload kept for its result digest.
pub const MAX_OUTPUT: usize = 1 << 20;

/// Finished workloads remembered (their results answer repeated `finish` requests).
const MAX_FINISHED: usize = 64;

/// What the operator maps one workload digest to.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkloadEntry {
	/// The workload's image digest, `0x` and 64 hex digits.
	pub image: String,
	/// The program and its arguments (no shell unless the operator writes one).
	pub command: Vec<String>,
	/// What the developer needs to reach the workload (an endpoint, a login), sent encrypted
	/// to the job's access key. `{job}` becomes the job's id and `{token}` a credential drawn
	/// for this job alone (appended as `token: …` when the text names none); the process gets
	/// the same credential in `CRUCIBLE_ACCESS_TOKEN`, so that no two tenants of an image share
	/// one.
	#[serde(default)]
	pub access: Option<String>,
}

/// The operator's workload map: the file `--workloads` names.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkloadMap {
	/// The workloads this host runs.
	pub workloads: Vec<WorkloadEntry>,
}

fn parse_digest(text: &str) -> Result<H256, String> {
	let hex = text.strip_prefix("0x").unwrap_or(text);
	if hex.len() != 64 {
		return Err(format!("image {text}: expected 0x and 64 hex digits"));
	}
	let mut out = [0u8; 32];
	for (i, byte) in out.iter_mut().enumerate() {
		*byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16)
			.map_err(|_| format!("image {text}: not hex"))?;
	}
	Ok(H256(out))
}

/// A credential for one job: 128 random bits, hex.
pub(super) fn job_credential() -> String {
	let mut bytes = [0u8; 16];
	rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut bytes);
	bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The operator's access text for `job`: `{job}` and `{token}` filled in, the credential
/// appended when the text does not place it.
pub(crate) fn access_text(template: &str, job: u64, credential: &str) -> String {
	let mut text = template.replace("{job}", &job.to_string());
	if text.contains("{token}") {
		text = text.replace("{token}", credential);
	} else {
		text.push_str("\ntoken: ");
		text.push_str(credential);
	}
	text
}

/// One workload the runner started.
struct Running {
	child: Option<Child>,
	started: Instant,
	output: Arc<Mutex<Vec<u8>>>,
	exit: Option<i32>,
	access: Option<Vec<u8>>,
	finished: Option<(u64, H256, H256)>,
	/// CPU time and peak memory of the process (`/proc`); no GPU time: an operator's command
	/// is not confined to GPUs the runner could attribute.
	usage: Usage,
}

impl Running {
	fn seconds(&self) -> u64 {
		self.started.elapsed().as_secs()
	}

	/// Notes the exit of a process that ended by itself.
	fn poll(&mut self) {
		if let Some(child) = &mut self.child {
			if let Ok(Some(status)) = child.try_wait() {
				self.exit = Some(status.code().unwrap_or(-1));
				self.child = None;
			}
		}
	}

	/// Reads the process's CPU time (its own and its waited-for children's) and peak resident
	/// memory from `/proc`, keeping the highest seen.
	fn measure(&mut self) {
		let Some(pid) = self.child.as_ref().map(|c| c.id()) else { return };
		if let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) {
			// Fields after the command's closing parenthesis: utime is the 14th field of the
			// line, the 12th after it.
			let fields: Vec<&str> = stat
				.rsplit_once(')')
				.map(|(_, r)| r.split_whitespace().collect())
				.unwrap_or_default();
			let ticks: u64 = fields
				.get(11..15)
				.map_or(0, |f| f.iter().filter_map(|v| v.parse::<u64>().ok()).sum());
			self.usage.cpu_seconds = self.usage.cpu_seconds.max(ticks / 100);
		}
		if let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) {
			let kib = status
				.lines()
				.find_map(|l| l.strip_prefix("VmHWM:"))
				.and_then(|v| v.split_whitespace().next())
				.and_then(|v| v.parse::<u64>().ok())
				.unwrap_or(0);
			let mib = u32::try_from(kib / 1024).unwrap_or(u32::MAX);
			self.usage.peak_memory_mib = self.usage.peak_memory_mib.max(mib);
		}
	}

	fn status(&self, job: JobId) -> H256 {
		use codec::Encode;
		H256(hash(&(b"crucible:runner:status", job, self.seconds(), self.exit).encode()))
	}

	/// Stops the process (its whole process group) if it still runs; the result digest is
	/// `blake2_256(SCALE(exit code, output))`.
	fn finish(&mut self, job: JobId) -> (u64, H256, H256) {
		use codec::Encode;
		if let Some(done) = self.finished {
			return done;
		}
		self.poll();
		if let Some(mut child) = self.child.take() {
			kill_group(&child);
			let _ = child.kill();
			self.exit = child.wait().ok().map(|s| s.code().unwrap_or(-1));
		}
		let seconds = self.seconds();
		let status = self.status(job);
		let output = self.output.lock().map(|o| o.clone()).unwrap_or_default();
		let result = H256(hash(&(self.exit, output).encode()));
		let done = (seconds, status, result);
		self.finished = Some(done);
		done
	}
}

/// Kills the process group a workload runs in (a shell's children with it): the child leads
/// its own group (`process_group(0)`), so its pid is the group's id. Never a pid of 0 or 1, which
/// would name the caller's group or every process.
fn kill_group(child: &Child) {
	let Ok(raw) = i32::try_from(child.id()) else { return };
	if raw <= 1 {
		return;
	}
	if let Some(pgid) = rustix::process::Pid::from_raw(raw) {
		let _ = rustix::process::kill_process_group(pgid, rustix::process::Signal::KILL);
	}
}

/// Runs the command the operator mapped a workload's image to, as a child process in its own
/// process group, with `CRUCIBLE_JOB` and `CRUCIBLE_MANIFEST` in its environment. GPU-seconds
/// are the seconds the process held the host (this runner does not meter GPUs).
pub struct ExecRunner {
	commands: HashMap<H256, WorkloadEntry>,
	jobs: Mutex<HashMap<JobId, Running>>,
}

impl ExecRunner {
	/// A runner for `map`; an entry with a malformed digest, no command or an access text
	/// too long to publish is an error.
	pub fn new(map: WorkloadMap) -> Result<Self, String> {
		let mut commands = HashMap::new();
		for entry in map.workloads {
			let digest = parse_digest(&entry.image)?;
			if entry.command.is_empty() {
				return Err(format!("image {}: an empty command", entry.image));
			}
			// The longest it can become: the largest job id and a credential filled in.
			let widest = |a: &String| access_text(a, u64::MAX, &"0".repeat(32)).len();
			if entry.access.as_ref().is_some_and(|a| widest(a) > MAX_ACCESS_PLAINTEXT) {
				return Err(format!(
					"image {}: access is longer than {MAX_ACCESS_PLAINTEXT} bytes once the job's id \
					 and credential are filled in",
					entry.image
				));
			}
			commands.insert(digest, entry);
		}
		Ok(Self { commands, jobs: Mutex::new(HashMap::new()) })
	}

	/// A runner from the JSON file at `path`.
	pub fn from_file(path: &std::path::Path) -> Result<Self, String> {
		let text = std::fs::read_to_string(path)
			.map_err(|e| format!("cannot read {}: {e}", path.display()))?;
		let map: WorkloadMap = serde_json::from_str(&text)
			.map_err(|e| format!("{} is not a workload map: {e}", path.display()))?;
		Self::new(map)
	}

	/// The digests this runner runs.
	pub fn images(&self) -> usize {
		self.commands.len()
	}

	fn start(&self, request: &WorkloadRequest) -> Result<Running, Refusal> {
		let image = request.workload.image;
		let Some(entry) = self.commands.get(&image) else {
			log::warn!(
				target: LOG_TARGET,
				"job {}: REFUSED: workload image {image:?} is not in this operator's workload map (--workloads); \
				 nothing runs and the chain refunds the developer",
				request.job,
			);
			return Err(Refusal::UnknownWorkload);
		};
		let (program, args) = entry.command.split_first().ok_or(Refusal::UnknownWorkload)?;
		let credential = job_credential();
		let mut command = Command::new(program);
		command
			.args(args)
			.env("CRUCIBLE_JOB", request.job.to_string())
			.env("CRUCIBLE_ACCESS_TOKEN", &credential)
			.env("CRUCIBLE_MANIFEST", format!("{:?}", request.workload.manifest))
			.stdin(Stdio::null())
			.stdout(Stdio::piped())
			.stderr(Stdio::null());
		std::os::unix::process::CommandExt::process_group(&mut command, 0);
		let mut child = command.spawn().map_err(|e| {
			log::error!(target: LOG_TARGET, "job {}: {program} failed to start: {e}", request.job);
			Refusal::RunnerFailed
		})?;
		let output = Arc::new(Mutex::new(Vec::new()));
		if let Some(mut stdout) = child.stdout.take() {
			let sink = output.clone();
			std::thread::spawn(move || {
				let mut buf = [0u8; 8192];
				while let Ok(n) = stdout.read(&mut buf) {
					if n == 0 {
						break;
					}
					if let Ok(mut out) = sink.lock() {
						let room = MAX_OUTPUT.saturating_sub(out.len());
						out.extend_from_slice(&buf[..n.min(room)]);
					}
				}
			});
		}
		let access = entry.access.as_ref().and_then(|text| {
			let text = access_text(text, request.job, &credential);
			seal::seal(&request.workload.access_key, text.as_bytes())
				.map_err(
					|e| log::warn!(target: LOG_TARGET, "job {}: access not sealed: {e}", request.job),
				)
				.ok()
		});
		log::info!(
			target: LOG_TARGET,
			"job {}: started {} (pid {}) for workload image {image:?}",
			request.job,
			entry.command.join(" "),
			child.id(),
		);
		Ok(Running {
			child: Some(child),
			started: Instant::now(),
			output,
			exit: None,
			access,
			finished: None,
			usage: Usage::default(),
		})
	}
}

impl Runner for ExecRunner {
	fn name(&self) -> &'static str {
		"exec"
	}

	fn workload(&self, request: &WorkloadRequest) -> WorkloadReply {
		let Ok(mut jobs) = self.jobs.lock() else {
			return WorkloadReply::Refused { reason: Refusal::RunnerFailed };
		};
		let running = match jobs.entry(request.job) {
			std::collections::hash_map::Entry::Occupied(running) => running.into_mut(),
			// Never started here (the node restarted): nothing to report but the refusal.
			std::collections::hash_map::Entry::Vacant(_) if request.finish =>
				return WorkloadReply::Refused { reason: Refusal::RunnerFailed },
			std::collections::hash_map::Entry::Vacant(slot) => match self.start(request) {
				Ok(running) => slot.insert(running),
				Err(reason) => return WorkloadReply::Refused { reason },
			},
		};
		let reply = if request.finish {
			running.measure();
			let (seconds, status, result) = running.finish(request.job);
			log::info!(
				target: LOG_TARGET,
				"job {}: finished after {seconds} s (exit {:?}), result {result:?}",
				request.job,
				running.exit,
			);
			WorkloadReply::Finished { usage: running.usage, status, result, opening: None }
		} else {
			running.poll();
			running.measure();
			WorkloadReply::Running {
				usage: running.usage,
				status: running.status(request.job),
				access: running.access.clone(),
			}
		};
		// Forget the oldest finished workloads beyond the bound.
		let finished = jobs.values().filter(|r| r.finished.is_some()).count();
		if finished > MAX_FINISHED {
			let mut done: Vec<JobId> =
				jobs.iter().filter(|(_, r)| r.finished.is_some()).map(|(id, _)| *id).collect();
			done.sort_unstable();
			for id in done.into_iter().take(finished - MAX_FINISHED) {
				jobs.remove(&id);
			}
		}
		reply
	}
}

impl Drop for ExecRunner {
	fn drop(&mut self) {
		if let Ok(jobs) = self.jobs.get_mut() {
			for (_, running) in jobs.iter_mut() {
				if let Some(child) = &mut running.child {
					kill_group(child);
					let _ = child.kill();
				}
			}
		}
	}
}
