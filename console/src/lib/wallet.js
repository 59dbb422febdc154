// Accounts: the browser wallets (polkadot.js extension, Talisman, SubWallet — anything
// `@polkadot/extension-dapp` finds) and, on a development or local chain only, the well-known dev
// accounts. Transactions and signed requests go through whichever holds the key.
import { web3Accounts, web3Enable, web3FromSource } from '@polkadot/extension-dapp';
import { Keyring } from '@polkadot/keyring';
import { stringToU8a, u8aToHex } from '@polkadot/util';
import { cryptoWaitReady, decodeAddress } from '@polkadot/util-crypto';
import { explain } from './chain.js';

const DEV = ['Alice', 'Bob', 'Charlie', 'Dave', 'Eve', 'Ferdie'];

export async function loadAccounts(api) {
  const accounts = [];
  const chainType = await api.rpc.system.chainType();
  if (chainType.isDevelopment || chainType.isLocal) {
    await cryptoWaitReady();
    const keyring = new Keyring({ type: 'sr25519', ss58Format: api.registry.chainSS58 ?? 42 });
    for (const name of DEV) {
      const pair = keyring.addFromUri(`//${name}`);
      accounts.push({ address: pair.address, name: `${name} (dev)`, pair });
    }
  }
  try {
    const extensions = await web3Enable('Crucible console');
    if (extensions.length > 0) {
      for (const a of await web3Accounts()) {
        accounts.push({ address: a.address, name: `${a.meta.name ?? 'account'} (${a.meta.source})`, source: a.meta.source });
      }
    }
  } catch {
    // No wallet in this browser: the dev accounts (if any) are all there is.
  }
  return accounts;
}

async function signerOf(account) {
  if (account.pair) return { signer: account.pair, options: {} };
  const injector = await web3FromSource(account.source);
  return { signer: account.address, options: { signer: injector.signer } };
}

/**
 * Signs and sends `tx` from `account`; resolves when it is in a block with its events and, if
 * it failed, the pallet's error name and documentation. Rejects if the pool refuses it.
 */
export async function send(api, tx, account) {
  const { signer, options } = await signerOf(account);
  return new Promise((resolve, reject) => {
    let unsub = null;
    tx.signAndSend(signer, options, ({ status, events, dispatchError }) => {
      if (status.isInBlock) {
        if (unsub) unsub();
        resolve({ blockHash: status.asInBlock, events, error: dispatchError ? explain(api, dispatchError) : null });
      } else if (status.isInvalid || status.isDropped || status.isUsurped) {
        if (unsub) unsub();
        reject(new Error(`the transaction was ${status.type.toLowerCase()}`));
      }
    }).then((u) => { unsub = u; }, reject);
  });
}

/**
 * The headers of a request to a provider's workload endpoint signed by `account`
 * (`crucible:workload:v1 <method> <path> <time>`; a wallet's signRaw wraps it in <Bytes>, which
 * the node accepts too).
 */
export async function signedHeaders(account, method, path) {
  const time = Date.now();
  const message = `crucible:workload:v1 ${method} ${path} ${time}`;
  let signature;
  if (account.pair) {
    signature = u8aToHex(account.pair.sign(stringToU8a(message)));
  } else {
    const injector = await web3FromSource(account.source);
    const signed = await injector.signer.signRaw({ address: account.address, data: u8aToHex(stringToU8a(message)), type: 'bytes' });
    signature = signed.signature;
  }
  return {
    'x-crucible-account': u8aToHex(decodeAddress(account.address)),
    'x-crucible-time': String(time),
    'x-crucible-signature': signature,
  };
}
