//! The node's RPC methods beyond Substrate's defaults: account nonces and fee queries, which
//! wallets and polkadot.js need.

use std::sync::Arc;

use crucible_primitives::{AccountId, Balance, Block, Nonce};
use jsonrpsee::RpcModule;
use polkadot_sdk::{
	sc_transaction_pool_api::TransactionPool,
	sp_api::ProvideRuntimeApi,
	sp_block_builder::BlockBuilder,
	sp_blockchain::{Error as BlockChainError, HeaderBackend, HeaderMetadata},
	*,
};

/// What the BABE RPC (`babe_epochAuthorship`) needs.
pub struct BabeDeps<SC> {
	/// Talks to the BABE worker of the import queue (epoch data).
	pub worker_handle: sc_consensus_babe::BabeWorkerHandle<Block>,
	/// The node's keystore: which of its keys may author in this epoch.
	pub keystore: sp_keystore::KeystorePtr,
	/// The fork-choice rule.
	pub select_chain: SC,
}

/// What the RPC methods need from the node.
pub struct FullDeps<C, P, SC> {
	/// The client.
	pub client: Arc<C>,
	/// The transaction pool.
	pub pool: Arc<P>,
	/// BABE's RPC dependencies.
	pub babe: BabeDeps<SC>,
}

/// The RPC methods of a full node.
pub fn create_full<C, P, SC>(
	deps: FullDeps<C, P, SC>,
) -> Result<RpcModule<()>, Box<dyn std::error::Error + Send + Sync>>
where
	C: ProvideRuntimeApi<Block>
		+ HeaderBackend<Block>
		+ HeaderMetadata<Block, Error = BlockChainError>
		+ Send
		+ Sync
		+ 'static,
	C::Api: substrate_frame_rpc_system::AccountNonceApi<Block, AccountId, Nonce>,
	C::Api: pallet_transaction_payment_rpc::TransactionPaymentRuntimeApi<Block, Balance>,
	C::Api: BlockBuilder<Block>,
	C::Api: sp_consensus_babe::BabeApi<Block>,
	C: sc_client_api::AuxStore + sp_blockchain::HeaderMetadata<Block, Error = BlockChainError>,
	P: TransactionPool + 'static,
	SC: sp_consensus::SelectChain<Block> + 'static,
{
	use pallet_transaction_payment_rpc::{TransactionPayment, TransactionPaymentApiServer};
	use sc_consensus_babe_rpc::{Babe, BabeApiServer};
	use substrate_frame_rpc_system::{System, SystemApiServer};

	let mut module = RpcModule::new(());
	let FullDeps { client, pool, babe } = deps;

	module.merge(System::new(client.clone(), pool).into_rpc())?;
	module.merge(TransactionPayment::new(client.clone()).into_rpc())?;
	module.merge(
		Babe::new(client, babe.worker_handle, babe.keystore, babe.select_chain).into_rpc(),
	)?;

	Ok(module)
}
