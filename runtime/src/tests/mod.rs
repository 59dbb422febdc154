// Tests may panic: that is how they fail.
#![allow(clippy::arithmetic_side_effects)]

//! Runtime-level tests: genesis presets build, the pallets' integrity checks hold, fees are
//! split and priced as configured, the storage migrations run; and (`random_calls`) the
//! seeded property test of random calls across every pallet.

mod random_calls;

use crate::{
	configs::{DealWithFees, ValidatorPotAccount, WeightToFee},
	genesis_config_presets, AllPalletsWithSystem, Balances, Runtime, RuntimeGenesisConfig, System,
	CENTS, EXISTENTIAL_DEPOSIT,
};
use polkadot_sdk::{
	frame_support::{
		genesis_builder_helper::build_state,
		traits::{
			fungible::{Balanced, Inspect},
			IntegrityTest, OnUnbalanced,
		},
		weights::{constants::ExtrinsicBaseWeight, WeightToFee as _},
	},
	sp_genesis_builder::{self, PresetId},
	sp_io::TestExternalities,
	sp_keyring::Sr25519Keyring,
	*,
};
use serde_json::Value;

/// Merges a JSON patch into a base value, object keys recursively, as chain specs apply presets.
fn merge(base: &mut Value, patch: Value) {
	match (base, patch) {
		(Value::Object(base), Value::Object(patch)) =>
			for (key, value) in patch {
				merge(base.entry(key).or_insert(Value::Null), value);
			},
		(base, patch) => *base = patch,
	}
}

/// Builds the genesis state of a preset the way the node does from a chain spec: the preset's
/// patch over the default config, then `build_state`.
pub(crate) fn ext_from_preset(id: &str) -> TestExternalities {
	let patch = genesis_config_presets::get_preset(&PresetId::from(id))
		.unwrap_or_else(|| panic!("preset {id} exists"));
	let mut config = serde_json::to_value(RuntimeGenesisConfig::default()).unwrap();
	merge(&mut config, serde_json::from_slice(&patch).unwrap());
	let mut ext = TestExternalities::default();
	ext.execute_with(|| {
		build_state::<RuntimeGenesisConfig>(serde_json::to_vec(&config).unwrap())
			.unwrap_or_else(|e| panic!("{id}: {e}"));
	});
	ext
}

#[test]
fn every_preset_builds_a_consistent_genesis() {
	let names = genesis_config_presets::preset_names();
	assert_eq!(names.len(), 2);
	for (id, validators) in [
		(sp_genesis_builder::DEV_RUNTIME_PRESET, 1usize),
		(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET, 4),
	] {
		assert!(names.contains(&PresetId::from(id)), "{id} is listed");
		ext_from_preset(id).execute_with(|| {
			let session_validators = pallet_session::Validators::<Runtime>::get();
			assert_eq!(session_validators.len(), validators, "{id}: session validators");
			assert_eq!(pallet_babe::Authorities::<Runtime>::get().len(), validators, "{id}: BABE");
			assert_eq!(
				pallet_grandpa::Authorities::<Runtime>::get().len(),
				validators,
				"{id}: GRANDPA"
			);
			assert_eq!(
				pallet_collator_selection::Invulnerables::<Runtime>::get().into_inner(),
				session_validators,
				"{id}: the genesis validators are the invulnerables"
			);
			// Sudo exists only on the development network; elsewhere Root is a referendum.
			let dev = id == sp_genesis_builder::DEV_RUNTIME_PRESET;
			let expected_sudo = dev.then(|| Sr25519Keyring::Alice.to_account_id());
			assert_eq!(pallet_sudo::Key::<Runtime>::get(), expected_sudo, "{id}: sudo key");
			assert_eq!(crate::governance::dev_timings(), dev, "{id}: governance timings");
			// The treasury and the rewards pot exist; the issuance equation starts here.
			assert!(
				Balances::balance(&crate::governance::TreasuryAccount::get()) >=
					EXISTENTIAL_DEPOSIT
			);
			assert!(
				Balances::balance(&pallet_emissions::Pallet::<Runtime>::pot()) >=
					EXISTENTIAL_DEPOSIT
			);
			pallet_emissions::Pallet::<Runtime>::do_try_state()
				.expect("emissions invariants at genesis");
			let alice = Sr25519Keyring::Alice.to_account_id();
			assert_eq!(Balances::balance(&alice), genesis_config_presets::ENDOWMENT);
			assert_eq!(Balances::balance(&ValidatorPotAccount::get()), EXISTENTIAL_DEPOSIT);
			let dev = id == sp_genesis_builder::DEV_RUNTIME_PRESET;
			assert_eq!(
				pallet_providers::UnbondingPeriod::<Runtime>::get(),
				if dev {
					crate::configs::DEV_UNBONDING_PERIOD
				} else {
					crate::configs::ProviderUnbondingPeriod::get()
				},
				"{id}: only --dev unbonds fast"
			);
			let expected = if dev {
				crucible_primitives::proof_of_compute::ChallengeParams::development()
			} else {
				crucible_primitives::proof_of_compute::ChallengeParams::mainnet()
			};
			assert_eq!(pallet_proof_of_compute::Params::<Runtime>::get(), expected, "{id}");
		});
	}
	assert!(genesis_config_presets::get_preset(&PresetId::from("no-such-preset")).is_none());
}

#[test]
fn pallet_integrity_tests_hold() {
	ext_from_preset(sp_genesis_builder::DEV_RUNTIME_PRESET)
		.execute_with(AllPalletsWithSystem::integrity_test);
}

#[test]
fn half_of_each_fee_is_burned_and_half_pays_block_authors() {
	ext_from_preset(sp_genesis_builder::DEV_RUNTIME_PRESET).execute_with(|| {
		System::set_block_number(1);
		let pot = ValidatorPotAccount::get();
		let pot_before = Balances::balance(&pot);
		let issuance_before = Balances::total_issuance();

		// A fee of 1000 CENTS and a tip of 11 CENTS, as transaction-payment hands them over.
		let fee = Balances::issue(1000 * CENTS);
		let tip = Balances::issue(11 * CENTS);
		DealWithFees::on_unbalanceds([fee, tip].into_iter());

		let to_pot = Balances::balance(&pot) - pot_before;
		let burned = issuance_before + 1011 * CENTS - Balances::total_issuance();
		assert_eq!(to_pot + burned, 1011 * CENTS, "nothing is lost or created");
		assert_eq!(burned, 1011 * CENTS / 2, "half (rounded down) is burned");
	});
}

#[test]
fn the_base_weight_of_an_extrinsic_costs_one_cent() {
	let fee = WeightToFee::weight_to_fee(&ExtrinsicBaseWeight::get());
	// Perbill rounding of the fractional coefficient may cost a few planck.
	assert!(fee.abs_diff(CENTS) <= CENTS / 1_000_000, "fee {fee} vs {CENTS}");
}

#[test]
fn the_minimum_provider_bond_pays_for_the_largest_record_and_its_indexes() {
	use codec::MaxEncodedLen;
	use crucible_primitives::{currency::deposit, providers::MAX_GPUS};
	// The record, one key-index entry and one GPU-index entry per GPU, each with its key.
	let record = pallet_providers::ProviderRecord::<Runtime>::max_encoded_len() + 32 + 16;
	let key_entry = 32 + 16 + 32 + 16;
	let gpu_entry = 16 + 16 + 32 + 16;
	let bytes = record + key_entry + gpu_entry * MAX_GPUS as usize;
	let items = 2 + MAX_GPUS;
	let needed = deposit(items, bytes as u32);
	let min_bond = crate::configs::ProviderMinBond::get();
	assert!(min_bond >= needed, "MinBond {min_bond} < storage deposit {needed}");
}

#[test]
fn a_workers_heartbeat_is_free_uses_no_nonce_and_goes_before_ordinary_transactions() {
	use crate::{Runtime, RuntimeCall, UncheckedExtrinsic};
	use codec::Encode;
	use pallet_proof_of_compute::{signing_payload, HeartbeatPayload, NodeReport, Phase};
	use polkadot_sdk::{
		frame_support::{dispatch::GetDispatchInfo, traits::OnFinalize},
		frame_system::offchain::CreateAuthorizedTransaction,
		sp_core::Pair,
		sp_runtime::{
			traits::{Applyable, Checkable},
			transaction_validity::TransactionSource,
		},
	};
	ext_from_preset(sp_genesis_builder::DEV_RUNTIME_PRESET).execute_with(|| {
		System::set_block_number(1);
		let eve = Sr25519Keyring::Eve.to_account_id();
		let key = pallet_providers::testing::key_pair(42);
		pallet_providers::testing::register_with_seed::<Runtime>(
			&eve,
			42,
			pallet_providers::testing::h100_profile(42, 1),
			crate::Providers::min_bond(&pallet_providers::testing::h100_profile(42, 1)),
		)
		.unwrap();
		// Period 0 starts at the end of block 1.
		<crate::ProofOfCompute as OnFinalize<_>>::on_finalize(1);
		System::set_block_number(2);

		let heartbeat = HeartbeatPayload {
			provider: eve.clone(),
			period: 0,
			report: NodeReport { backend: pallet_proof_of_compute::Backend::Cpu, spec_version: 1 },
		};
		let genesis = System::block_hash(0);
		let signature = key.sign(&signing_payload(genesis.as_ref(), Phase::Heartbeat, &heartbeat));
		let call = RuntimeCall::ProofOfCompute(pallet_proof_of_compute::Call::heartbeat {
			heartbeat,
			signature: signature.into(),
		});
		let info = call.get_dispatch_info();
		let xt =
			<Runtime as CreateAuthorizedTransaction<RuntimeCall>>::create_authorized_transaction(
				call,
			);
		let len = xt.encoded_size();
		assert!(matches!(xt.preamble, polkadot_sdk::sp_runtime::generic::Preamble::General(..)));
		let free = Balances::balance(&eve);
		let nonce = System::account_nonce(&eve);

		let checked = <UncheckedExtrinsic as Checkable<_>>::check(
			xt,
			&polkadot_sdk::frame_system::ChainContext::<Runtime>::default(),
		)
		.expect("a general transaction checks without a signer");
		let validity = checked
			.validate::<Runtime>(TransactionSource::External, &info, len)
			.expect("authorized");
		assert!(validity.priority >= crate::configs::ProofPriority::get());
		assert!(!validity.provides.is_empty(), "tagged, so the pool keeps one");
		checked.apply::<Runtime>(&info, len).expect("applies").expect("dispatches");

		assert_eq!(pallet_proof_of_compute::Heartbeats::<Runtime>::get(&eve).unwrap().period, 0);
		assert_eq!(Balances::balance(&eve), free, "no fee");
		assert_eq!(System::account_nonce(&eve), nonce, "no nonce used");
	});
}

/// The scale budget (the proof-of-compute README): proving 50,000 hosts an hour takes at most 25%
/// of the normal block weight. One host's hour is what the runtime charges for its commitment, its
/// opening at the mainnet parameters (for an 8-GPU host: the longest path a typical host has) and
/// its heartbeat, each with its `authorize`, the base weight of an extrinsic and the transaction
/// extensions a general transaction is charged for (the nonce and the fee are refunded).
#[test]
fn proving_fifty_thousand_hosts_an_hour_fits_a_quarter_of_the_blocks() {
	use crucible_primitives::{challenge::Shape, proof_of_compute::ChallengeParams};
	use frame_support::{dispatch::DispatchClass, weights::Weight};
	use frame_system::ExtensionsWeightInfo as _;
	use pallet_proof_of_compute::WeightInfo as _;
	type W = <Runtime as pallet_proof_of_compute::Config>::WeightInfo;
	type E = <Runtime as frame_system::Config>::ExtensionsWeightInfo;

	let extensions = [
		E::check_non_zero_sender(),
		E::check_spec_version(),
		E::check_tx_version(),
		E::check_genesis(),
		E::check_mortality_immortal_transaction(),
		E::check_weight(),
		E::weight_reclaim(),
	]
	.into_iter()
	.fold(Weight::zero(), Weight::saturating_add);
	let per_extrinsic = ExtrinsicBaseWeight::get().saturating_add(extensions);

	let p = ChallengeParams::mainnet();
	let host = Shape { batch: 8 * p.batches.h100, rows: p.rows, inner: p.inner, cols: p.cols };
	let path = host.depth(p.leaf_size);
	let commitment = W::submit_commitment().saturating_add(W::authorize_submit_commitment());
	let opening =
		pallet_proof_of_compute::Pallet::<Runtime>::opening_weight(p.samples, p.inner, path)
			.saturating_add(W::authorize_submit_opening(p.samples));
	let heartbeat = W::heartbeat().saturating_add(W::authorize_heartbeat());
	let host_hour = commitment
		.saturating_add(opening)
		.saturating_add(heartbeat)
		.saturating_add(per_extrinsic.saturating_mul(3));

	let blocks_per_hour = 3_600_000 / crate::SLOT_DURATION;
	let normal = crate::configs::RuntimeBlockWeights::get()
		.get(DispatchClass::Normal)
		.max_total
		.unwrap_or(crate::MAXIMUM_BLOCK_WEIGHT);
	let budget: Weight = (normal / 4).saturating_mul(blocks_per_hour) / 50_000;
	eprintln!(
		"per host-hour: commitment {} µs, opening {} µs (s = {}, path {path}), heartbeat {} µs, \
		 3 × base and extensions {} µs: {} µs of a {} µs budget",
		commitment.ref_time() / 1_000_000,
		opening.ref_time() / 1_000_000,
		p.samples,
		heartbeat.ref_time() / 1_000_000,
		per_extrinsic.ref_time() * 3 / 1_000_000,
		host_hour.ref_time() / 1_000_000,
		budget.ref_time() / 1_000_000,
	);
	assert!(host_hour.all_lte(budget), "{host_hour:?} > {budget:?}");
}

/// The chain's first storage migration, as a runtime upgrade runs it: on a state with providers
/// stored as the registry's version 0 had them (a hand-kept `ProviderCount`, no map counter),
/// the runtime's `Migrations` move the count into the counted map's counter, with its pre- and
/// post-upgrade checks; run again, they do nothing.
#[test]
fn the_runtime_upgrade_migrates_the_provider_count() {
	use pallet_providers::{
		migrations::v1::{CounterForProviders, ProviderCount, UncheckedMigrateToCountedProviders},
		testing,
	};
	use polkadot_sdk::frame_support::traits::{
		GetStorageVersion, OnRuntimeUpgrade, StorageVersion,
	};
	ext_from_preset(sp_genesis_builder::DEV_RUNTIME_PRESET).execute_with(|| {
		System::set_block_number(1);
		assert_eq!(crate::Providers::on_chain_storage_version(), StorageVersion::new(1));
		for (seed, who) in [Sr25519Keyring::Eve, Sr25519Keyring::Ferdie, Sr25519Keyring::Dave]
			.into_iter()
			.enumerate()
		{
			let seed = seed as u8 + 1;
			testing::register_with_seed::<Runtime>(
				&who.to_account_id(),
				seed,
				testing::h100_profile(seed.into(), 2),
				crate::Providers::min_bond(&testing::h100_profile(seed.into(), 2)),
			)
			.unwrap();
		}
		// The state of a chain that ran spec 102.
		CounterForProviders::<Runtime>::kill();
		ProviderCount::<Runtime>::put(3);
		StorageVersion::new(0).put::<crate::Providers>();

		let state = UncheckedMigrateToCountedProviders::<Runtime>::pre_check().unwrap();
		<crate::Migrations as OnRuntimeUpgrade>::on_runtime_upgrade();
		UncheckedMigrateToCountedProviders::<Runtime>::post_check(state).unwrap();
		assert_eq!(pallet_providers::Providers::<Runtime>::count(), 3);
		assert_eq!(crate::Providers::on_chain_storage_version(), StorageVersion::new(1));
		pallet_providers::Pallet::<Runtime>::do_try_state().unwrap();
		// Once is enough: a second upgrade leaves the counter alone.
		ProviderCount::<Runtime>::put(7);
		<crate::Migrations as OnRuntimeUpgrade>::on_runtime_upgrade();
		assert_eq!(pallet_providers::Providers::<Runtime>::count(), 3);
	});
}

/// Each governed parameter answers only to the origins the README's table gives it: the
/// bounded `emissions_admin` track moves emissions (one bounded step per era) and decides
/// disputes, the `disputes` track decides disputes only, and the challenge parameters and the
/// minimum lease price are for the root track.
#[test]
fn governed_parameters_answer_only_to_their_origins() {
	use crate::{governance::pallet_custom_origins::Origin as Track, RuntimeOrigin};
	use polkadot_sdk::sp_runtime::{DispatchError, Permill};
	let mut ext = ext_from_preset(sp_genesis_builder::DEV_RUNTIME_PRESET);
	ext.execute_with(|| {
		System::set_block_number(1);
		let admin = || RuntimeOrigin::from(Track::EmissionsAdmin);
		let disputes = || RuntimeOrigin::from(Track::DisputeResolver);
		let root = RuntimeOrigin::root;
		let params = pallet_proof_of_compute::Params::<Runtime>::get();
		// Proof of compute's parameters: root only, and a slash share above 20% for no one.
		assert_eq!(
			crate::ProofOfCompute::set_params(admin(), params.clone()),
			Err(DispatchError::BadOrigin)
		);
		let mut harsh = params.clone();
		harsh.failed_slash = Permill::from_percent(100);
		assert_eq!(
			crate::ProofOfCompute::set_params(root(), harsh),
			Err(pallet_proof_of_compute::Error::<Runtime>::SlashTooLarge.into())
		);
		assert!(crate::ProofOfCompute::set_params(root(), params).is_ok());
		// The minimum lease price: root only.
		for origin in [admin(), disputes()] {
			assert_eq!(crate::Marketplace::set_min_price(origin, 0), Err(DispatchError::BadOrigin));
		}
		assert!(crate::Marketplace::set_min_price(root(), 2).is_ok());
		// Emissions: the bounded track is bounded, the disputes track has no say.
		let mut emissions = pallet_emissions::Params::<Runtime>::get();
		emissions.initial = emissions.initial.saturating_mul(2);
		assert_eq!(
			crate::Emissions::set_params(admin(), emissions.clone()),
			Err(pallet_emissions::Error::<Runtime>::InitialChangeTooLarge.into())
		);
		assert_eq!(
			crate::Emissions::set_params(disputes(), emissions),
			Err(DispatchError::BadOrigin)
		);
		// Disputes: both the bounded and the disputes track may decide one (none is open).
		for origin in [admin(), disputes()] {
			assert_eq!(
				crate::Marketplace::resolve_dispute(
					origin,
					0,
					pallet_marketplace::Verdict::Provider
				),
				Err(pallet_marketplace::Error::<Runtime>::UnknownJob.into())
			);
		}
		// The registry's forced actions: not for the disputes track.
		assert_eq!(
			crate::Providers::set_unbonding_period(disputes(), 10),
			Err(DispatchError::BadOrigin)
		);
	});
}
