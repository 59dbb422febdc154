//! `crucible-node attestation-key`: puts a GPU provider's attestation key into the node's
//! keystore and prints what `providers.register` needs: the public key and its ownership proof.

use crucible_primitives::providers::{ownership_payload, ATTESTATION_KEY_TYPE};
use polkadot_sdk::{
	sc_cli::{self, KeystoreParams, SharedParams, SubstrateCli},
	sc_keystore::LocalKeystore,
	sc_service::config::{BasePath, KeystoreConfig},
	sp_core::{
		bytes::to_hex,
		crypto::{AccountId32, Ss58Codec},
		sr25519, Pair,
	},
	sp_keystore::Keystore,
};

/// Put the provider's attestation key (key type `crat`) into this node's keystore and print the
/// public key and the proof that binds it to the provider's account, as JSON, for
/// `providers.register` (or `providers.rotateAttestationKey`).
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
		let proof = keystore
			.sr25519_sign(ATTESTATION_KEY_TYPE, &public, &ownership_payload(&account))
			.map_err(|_| sc_cli::Error::KeystoreOperation)?
			.ok_or(sc_cli::Error::KeystoreOperation)?;

		let out = serde_json::json!({
			"account": account.to_ss58check(),
			"attestationKey": to_hex(public.as_ref(), false),
			"keyProof": to_hex(proof.as_ref(), false),
			"keystore": path.display().to_string(),
		});
		println!("{}", serde_json::to_string_pretty(&out).map_err(|e| e.to_string())?);
		Ok(())
	}
}
