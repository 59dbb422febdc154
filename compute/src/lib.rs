//! The compute side of a Crucible provider's node.
//!
//! The runtime's off-chain worker never computes a challenge: it asks this service, which the
//! node runs on loopback when started with `--compute-backend cpu|cuda` (or as its own process,
//! `crucible-node provider serve`). The service answers two requests (see
//! [`crucible_primitives::proof_of_compute::service`]):
//!
//! - **commit**: compute the challenge (generate `A` and `B`, multiply, hash every leaf, reduce
//!   each tile to its root) and answer the Merkle root. Only the tile roots are kept.
//! - **open**: for each sampled entry, recompute the tile that holds it, rebuild the tile's subtree
//!   and answer the leaf and its path.
//!
//! Generation, hashing and the tree come from [`crucible_primitives::challenge`], the same code
//! the runtime verifies with; backends only multiply (and, on a GPU, generate and hash) faster.

//! Besides challenges, the service runs leased workloads through a runner ([`workload`]) and
//! reports them to the marketplace's worker. The crate's parts:
//!
//! - [`prover`]: the engine and its backends (`cpu`, `cuda`) and the `bench`;
//! - [`workload`]: the runner trait, the `exec` runner, access details sealed to the developer;
//! - [`host`]: what the host has (NVML GPU detection, the profile to register);
//! - [`service`]: the loopback HTTP service over both.

// Compute loops index matrices whose bounds a validated shape guarantees, and do integer
// arithmetic on sizes bounded by it; a panic cannot reach the node (the service catches it).
#![allow(clippy::arithmetic_side_effects, clippy::indexing_slicing)]

pub mod host;
pub mod prover;
pub mod service;
#[cfg(test)]
mod test_support;
pub mod workload;

pub use prover::{Backend, Committed, Engine, Error, Lie, Timings};
