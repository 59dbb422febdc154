//! Genesis presets: `development` (`--dev`: Alice alone validates) and `local_testnet`
//! (`--chain local`: Alice, Bob, Charlie and Dave validate on a loopback network).

use crate::{
	configs::{DEV_UNBONDING_PERIOD, GENESIS_CANDIDACY_BOND},
	AccountId, BalancesConfig, CollatorSelectionConfig, OriginsConfig, ProofOfComputeConfig,
	ProvidersConfig, RuntimeGenesisConfig, SessionConfig, SessionKeys, SudoConfig,
	BABE_GENESIS_EPOCH_CONFIG, EXISTENTIAL_DEPOSIT, UNITS,
};
use alloc::{vec, vec::Vec};
use crucible_primitives::{proof_of_compute::ChallengeParams, Balance};
use polkadot_sdk::{
	frame_support::build_struct_json_patch,
	sp_consensus_babe::AuthorityId as BabeId,
	sp_consensus_grandpa::AuthorityId as GrandpaId,
	sp_genesis_builder::{self, PresetId},
	sp_keyring::{Ed25519Keyring, Sr25519Keyring},
	*,
};
use serde_json::Value;

/// What each pre-funded development account starts with: 1 million CRU.
pub const ENDOWMENT: Balance = 1_000_000 * UNITS;

/// A validator at genesis: its account, and the keys its node signs with.
struct GenesisValidator {
	account: AccountId,
	babe: BabeId,
	grandpa: GrandpaId,
}

impl GenesisValidator {
	fn from_keyring(sr: Sr25519Keyring, ed: Ed25519Keyring) -> Self {
		Self { account: sr.to_account_id(), babe: sr.public().into(), grandpa: ed.public().into() }
	}
}

/// Whether a preset is a development network: a sudo key and short governance periods.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Network {
	/// `--dev`: sudo (the given key) and development timings.
	Development(Sr25519Keyring),
	/// Production-like: no sudo key, production timings (governance is the only root).
	ProductionLike,
}

fn genesis(
	validators: Vec<GenesisValidator>,
	endowed: Vec<AccountId>,
	network: Network,
	challenges: ChallengeParams,
) -> Value {
	let (sudo, dev_timings) = match network {
		Network::Development(key) => (Some(key.to_account_id()), true),
		Network::ProductionLike => (None, false),
	};
	// Only `--dev` unbonds within a minute; a production-like network keeps the runtime's
	// week, so that slashes found after the fact still reach the bond.
	let unbonding_period = dev_timings.then_some(DEV_UNBONDING_PERIOD);
	let pot = crate::configs::ValidatorPotAccount::get();
	let mut balances: Vec<(AccountId, Balance)> =
		endowed.into_iter().map(|a| (a, ENDOWMENT)).collect();
	// The validator pot must exist before fees flow into it.
	balances.push((pot, EXISTENTIAL_DEPOSIT));

	build_struct_json_patch!(RuntimeGenesisConfig {
		balances: BalancesConfig { balances },
		babe: pallet_babe::GenesisConfig { epoch_config: BABE_GENESIS_EPOCH_CONFIG },
		collator_selection: CollatorSelectionConfig {
			invulnerables: validators.iter().map(|v| v.account.clone()).collect::<Vec<_>>(),
			candidacy_bond: GENESIS_CANDIDACY_BOND,
			desired_candidates: 20,
		},
		session: SessionConfig {
			keys: validators
				.into_iter()
				.map(|v| {
					(v.account.clone(), v.account, SessionKeys { babe: v.babe, grandpa: v.grandpa })
				})
				.collect::<Vec<_>>(),
		},
		sudo: SudoConfig { key: sudo },
		origins: OriginsConfig { dev_timings },
		providers: ProvidersConfig { unbonding_period },
		proof_of_compute: ProofOfComputeConfig { params: Some(challenges) },
	})
}

fn well_known_accounts() -> Vec<AccountId> {
	Sr25519Keyring::iter().map(|k| k.to_account_id()).collect()
}

/// `--dev`: Alice is the only validator and the sudo key; governance runs with development
/// timings (a referendum passes in about two minutes, an emission era lasts 20 blocks); the
/// well-known accounts are funded; provider bonds unbond within a minute (only here);
/// proof-of-compute challenges are tiny and come every 10 blocks, so that a CPU node proves itself
/// within a minute.
pub fn development_config_genesis() -> Value {
	genesis(
		vec![GenesisValidator::from_keyring(Sr25519Keyring::Alice, Ed25519Keyring::Alice)],
		well_known_accounts(),
		Network::Development(Sr25519Keyring::Alice),
		ChallengeParams::development(),
	)
}

/// `--chain local`: Alice, Bob, Charlie and Dave validate; proof of compute runs at production
/// sizes (the mainnet parameters: hourly periods, seconds of GPU work per challenge); no sudo
/// key: Root is reached only through a referendum on the `root` track, with production
/// governance timings, and bonds unbond in the runtime's week.
pub fn local_config_genesis() -> Value {
	genesis(
		vec![
			GenesisValidator::from_keyring(Sr25519Keyring::Alice, Ed25519Keyring::Alice),
			GenesisValidator::from_keyring(Sr25519Keyring::Bob, Ed25519Keyring::Bob),
			GenesisValidator::from_keyring(Sr25519Keyring::Charlie, Ed25519Keyring::Charlie),
			GenesisValidator::from_keyring(Sr25519Keyring::Dave, Ed25519Keyring::Dave),
		],
		well_known_accounts(),
		Network::ProductionLike,
		ChallengeParams::mainnet(),
	)
}

/// The genesis patch of a named preset, as JSON bytes.
pub fn get_preset(id: &PresetId) -> Option<Vec<u8>> {
	let patch = match id.as_ref() {
		sp_genesis_builder::DEV_RUNTIME_PRESET => development_config_genesis(),
		sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET => local_config_genesis(),
		_ => return None,
	};
	serde_json::to_string(&patch).ok().map(|s| s.into_bytes())
}

/// The presets this runtime offers.
pub fn preset_names() -> Vec<PresetId> {
	vec![
		PresetId::from(sp_genesis_builder::DEV_RUNTIME_PRESET),
		PresetId::from(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET),
	]
}
