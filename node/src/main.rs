//! `crucible-node`: the Crucible chain's node. Validators, GPU providers and RPC servers run it.

#![warn(missing_docs)]
// `sc_cli::Error` and `sc_service::Error` are the framework's error types, returned by every
// subcommand: their size is not ours to change.
#![allow(clippy::result_large_err)]

mod chain_spec;
mod cli;
mod command;
mod provider;
mod rpc;
mod service;

fn main() -> polkadot_sdk::sc_cli::Result<()> {
	command::run()
}
