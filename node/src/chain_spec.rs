//! Chain specifications, built from the runtime's genesis presets.

use crucible_primitives::{SS58_PREFIX, TOKEN_DECIMALS, TOKEN_SYMBOL};
use polkadot_sdk::{sc_service::ChainType, sp_genesis_builder};

/// A chain spec of the Crucible runtime: the presets' JSON patch, or a file's.
pub type ChainSpec = polkadot_sdk::sc_service::GenericChainSpec;

/// What polkadot.js reads to show balances in CRU.
fn properties() -> polkadot_sdk::sc_chain_spec::Properties {
	let mut properties = polkadot_sdk::sc_chain_spec::Properties::new();
	properties.insert("tokenSymbol".into(), TOKEN_SYMBOL.into());
	properties.insert("tokenDecimals".into(), TOKEN_DECIMALS.into());
	properties.insert("ss58Format".into(), SS58_PREFIX.into());
	properties
}

fn wasm_binary() -> Result<&'static [u8], String> {
	crucible_runtime::WASM_BINARY.ok_or_else(|| {
		"The runtime's wasm binary is not available: this node was built with SKIP_WASM_BUILD; \
		 rebuild without it"
			.to_string()
	})
}

/// `--dev`: a single-validator chain (Alice) that produces blocks at once.
pub fn development_chain_spec() -> Result<ChainSpec, String> {
	Ok(ChainSpec::builder(wasm_binary()?, Default::default())
		.with_name("Crucible Development")
		.with_id("crucible_dev")
		.with_chain_type(ChainType::Development)
		.with_genesis_config_preset_name(sp_genesis_builder::DEV_RUNTIME_PRESET)
		.with_properties(properties())
		.build())
}

/// `--chain local`: four validators (Alice, Bob, Charlie, Dave) on a loopback network.
pub fn local_chain_spec() -> Result<ChainSpec, String> {
	Ok(ChainSpec::builder(wasm_binary()?, Default::default())
		.with_name("Crucible Local Testnet")
		.with_id("crucible_local")
		.with_chain_type(ChainType::Local)
		.with_genesis_config_preset_name(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET)
		.with_properties(properties())
		.build())
}
