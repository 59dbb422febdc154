//! `crucible-node provider attestation-key`: puts a GPU provider's attestation key into the
//! node's keystore and prints what `providers.register` needs: the public key and its ownership
//! proof.

use crucible_primitives::{
	providers::{ownership_payload, ATTESTATION_KEY_TYPE},
	Block,
};
use polkadot_sdk::{
	sc_chain_spec::{construct_genesis_block, resolve_state_version_from_wasm, ChainSpec},
	sc_cli::{self, KeystoreParams, SharedParams, SubstrateCli},
	sc_keystore::LocalKeystore,
	sc_service::config::{BasePath, KeystoreConfig},
	sp_core::{
		bytes::{from_hex, to_hex},
		crypto::{AccountId32, Ss58Codec},
		sr25519, Pair, H256,
	},
	sp_keystore::Keystore,
	sp_runtime::traits::{Block as BlockT, Hash as HashT, HashingFor},
};

/// The hash of the chain's genesis block, computed from its chain spec as the node does when it
/// creates its database.
pub fn genesis_hash(chain_spec: &dyn ChainSpec) -> Result<H256, String> {
	let storage = chain_spec.as_storage_builder().build_storage()?;
	let executor =
		polkadot_sdk::sc_executor::WasmExecutor::<crate::service::HostFunctions>::builder().build();
	let state_version =
		resolve_state_version_from_wasm::<_, HashingFor<Block>>(&storage, &executor)
			.map_err(|e| e.to_string())?;
	// The state root as the node's backend computes it: each child trie's root stored in the top
	// trie under its prefixed key, then the top trie's root.
	let mut top: Vec<(Vec<u8>, Vec<u8>)> = storage.top.into_iter().collect();
	for child in storage.children_default.into_values() {
		let data = child.data.into_iter().collect();
		let root = <HashingFor<Block> as HashT>::trie_root(data, state_version);
		top.push((child.child_info.prefixed_storage_key().into_inner(), root.as_ref().to_vec()));
	}
	let root = <HashingFor<Block> as HashT>::trie_root(top, state_version);
	Ok(construct_genesis_block::<Block>(root, state_version).hash())
}

/// Put the provider's attestation key (key type `crat`) into this node's keystore and print the
/// public key and the proof that binds it to the provider's account on this chain, as JSON, for
/// `providers.register` (or `providers.rotateAttestationKey`, with `--nonce` the account's
/// current `providers.keyNonce`).
///
/// With `--suri` that key is inserted. Without it the keystore's existing attestation key is
/// used, or a new one is generated inside the keystore (its secret never leaves the host).
#[derive(Debug, Clone, clap::Parser)]
pub struct AttestationKeyCmd {
	/// The provider's account (SS58) that registers the host: the proof is made for it alone.
	#[arg(long)]
	pub account: String,

	/// The secret URI of the key to insert (mnemonic, hex seed, or a dev URI like `//Alice`).
	#[arg(long)]
	pub suri: Option<String>,

	/// The account's key nonce on chain (`providers.keyNonce(account)`): 0 for a first
	/// registration; it goes up by one with every registration and key rotation.
	#[arg(long, default_value_t = 0)]
	pub nonce: u32,

	/// The chain's genesis hash (0x…), if it should not be computed from `--chain`.
	#[arg(long)]
	pub genesis_hash: Option<String>,

	#[allow(missing_docs)]
	#[clap(flatten)]
	pub shared_params: SharedParams,

	#[allow(missing_docs)]
	#[clap(flatten)]
	pub keystore_params: KeystoreParams,
}

impl AttestationKeyCmd {
	/// Runs the command against the keystore of the chain given by `--chain`/`--dev` under
	/// `--base-path`, as `key insert` does.
	pub fn run<C: SubstrateCli>(&self, cli: &C) -> Result<(), sc_cli::Error> {
		let account = AccountId32::from_ss58check(&self.account)
			.map_err(|e| sc_cli::Error::Input(format!("--account {}: {e:?}", self.account)))?;
		let base_path = self
			.shared_params
			.base_path()?
			.unwrap_or_else(|| BasePath::from_project("", "", &C::executable_name()));
		let chain_id = self.shared_params.chain_id(self.shared_params.is_dev());
		let chain_spec = cli.load_spec(&chain_id)?;
		let config_dir = base_path.config_dir(chain_spec.id());
		let KeystoreConfig::Path { path, password } =
			self.keystore_params.keystore_config(&config_dir)?
		else {
			return Err(sc_cli::Error::Input("only file keystores are supported".into()));
		};
		let keystore = LocalKeystore::open(&path, password)?;

		let public = match &self.suri {
			Some(suri) => {
				let pair = sr25519::Pair::from_string(suri, None)
					.map_err(|e| sc_cli::Error::Input(format!("--suri: {e:?}")))?;
				keystore
					.insert(ATTESTATION_KEY_TYPE, suri, pair.public().as_ref())
					.map_err(|()| sc_cli::Error::KeystoreOperation)?;
				pair.public()
			},
			None => match keystore.sr25519_public_keys(ATTESTATION_KEY_TYPE).first() {
				Some(existing) => *existing,
				None => keystore
					.sr25519_generate_new(ATTESTATION_KEY_TYPE, None)
					.map_err(|_| sc_cli::Error::KeystoreOperation)?,
			},
		};
		let genesis = match &self.genesis_hash {
			Some(hex) => {
				let bytes = from_hex(hex)
					.map_err(|e| sc_cli::Error::Input(format!("--genesis-hash {hex}: {e}")))?;
				if bytes.len() != 32 {
					return Err(sc_cli::Error::Input("--genesis-hash: 32 bytes expected".into()));
				}
				H256::from_slice(&bytes)
			},
			None => genesis_hash(chain_spec.as_ref()).map_err(sc_cli::Error::Input)?,
		};
		let payload = ownership_payload(genesis.as_ref(), &account, self.nonce);
		let proof = keystore
			.sr25519_sign(ATTESTATION_KEY_TYPE, &public, &payload)
			.map_err(|_| sc_cli::Error::KeystoreOperation)?
			.ok_or(sc_cli::Error::KeystoreOperation)?;

		let out = serde_json::json!({
			"account": account.to_ss58check(),
			"attestationKey": to_hex(public.as_ref(), false),
			"keyProof": to_hex(proof.as_ref(), false),
			"genesisHash": to_hex(genesis.as_ref(), false),
			"nonce": self.nonce,
			"keystore": path.display().to_string(),
		});
		println!("{}", serde_json::to_string_pretty(&out).map_err(|e| e.to_string())?);
		Ok(())
	}
}
