//! `crucible-node`: the Crucible chain's node. Validators, GPU providers and RPC servers run it.

#![warn(missing_docs)]

mod chain_spec;
mod cli;
mod command;
mod rpc;
mod service;

fn main() -> polkadot_sdk::sc_cli::Result<()> {
	command::run()
}
