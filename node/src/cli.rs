//! Command-line interface.

use polkadot_sdk::{frame_benchmarking_cli::BenchmarkCmd, sc_cli};

/// The `crucible-node` command line.
#[derive(Debug, clap::Parser)]
pub struct Cli {
	/// A subcommand; without one the node runs.
	#[command(subcommand)]
	pub subcommand: Option<Subcommand>,

	/// The node's options (`crucible-node --help`).
	#[clap(flatten)]
	pub run: sc_cli::RunCmd,

	/// A GPU provider's compute options.
	#[clap(flatten)]
	pub compute: crate::provider::ComputeParams,
}

/// `crucible-node` subcommands.
#[derive(Debug, clap::Subcommand)]
#[allow(clippy::large_enum_variant)]
pub enum Subcommand {
	/// Key management: generate, inspect, and `insert` keys into the node's keystore.
	#[command(subcommand)]
	Key(sc_cli::KeySubcommand),

	/// GPU providers' tools: the `attestation-key` for `providers.register`, `detect` the GPUs,
	/// `bench` a challenge, `serve` the compute service alone.
	#[command(subcommand)]
	Provider(crate::provider::ProviderCmd),

	/// Deprecated spelling of `provider attestation-key`, kept for operators' scripts.
	#[command(hide = true)]
	AttestationKey(crate::provider::attestation_key::AttestationKeyCmd),

	/// Build a chain specification (deprecated in favour of `export-chain-spec`, kept for
	/// operators' scripts).
	BuildSpec(sc_cli::BuildSpecCmd),

	/// Export the chain specification.
	ExportChainSpec(sc_cli::ExportChainSpecCmd),

	/// Validate blocks.
	CheckBlock(sc_cli::CheckBlockCmd),

	/// Export blocks.
	ExportBlocks(sc_cli::ExportBlocksCmd),

	/// Export the state of a given block into a chain spec.
	ExportState(sc_cli::ExportStateCmd),

	/// Import blocks.
	ImportBlocks(sc_cli::ImportBlocksCmd),

	/// Remove the whole chain.
	PurgeChain(sc_cli::PurgeChainCmd),

	/// Revert the chain to a previous state.
	Revert(sc_cli::RevertCmd),

	/// Runtime benchmarks (`benchmark pallet` needs a node built with
	/// `--features runtime-benchmarks`).
	#[command(subcommand)]
	Benchmark(BenchmarkCmd),

	/// Database meta columns information.
	ChainInfo(sc_cli::ChainInfoCmd),
}
