// What a provider's attestation key signs to prove it belongs to the provider's account, as the
// runtime checks it (crucible_primitives::providers::ownership_payload): the context tag, the
// chain's genesis hash, the SCALE-encoded account (for 32-byte accounts, the raw public key) and
// the account's key nonce (`providers.keyNonce`, u32 little-endian).
import assert from 'node:assert/strict';
import { decodeAddress } from '@polkadot/util-crypto';
import { hexToU8a, stringToU8a, u8aConcat, u8aToHex } from '@polkadot/util';
import { runCli } from './node.js';

export const OWNERSHIP_PROOF_CONTEXT = 'crucible:attestation-key-owner:';

/** The bytes an attestation key signs for the account at `address` on the chain `genesisHash`. */
export function ownershipPayload(genesisHash, address, nonce = 0) {
  const n = new Uint8Array(4);
  new DataView(n.buffer).setUint32(0, nonce, true);
  const genesis = typeof genesisHash === 'string' ? hexToU8a(genesisHash) : genesisHash.toU8a();
  return u8aConcat(stringToU8a(OWNERSHIP_PROOF_CONTEXT), genesis, decodeAddress(address), n);
}

/** An attestation key held in JS (`seed`) and its ownership proof for `who`, on `api`'s chain. */
export async function jsAttestationKey(api, keyring, seed, who) {
  const key = keyring.addFromUri(seed);
  const nonce = (await api.query.providers.keyNonce(who.address)).toNumber();
  const proof = key.sign(ownershipPayload(api.genesisHash, who.address, nonce));
  return { pair: key, key: u8aToHex(key.publicKey), proof: u8aToHex(proof) };
}

/**
 * A host of `gpus` H100s as `providers.register` takes it; `uuidOf(i)` names the i-th GPU
 * (unique per host), `spec` overrides the rest.
 */
export function h100Host(uuidOf, gpus, { cpuCores = 32, ramMib = 256 * 1024, storageGib = 2_000 } = {}) {
  return {
    gpus: [{
      vendor: 'Nvidia',
      model: 'NVIDIA H100 80GB HBM3',
      vramMib: 81_559,
      count: gpus,
      computeCapability: { major: 9, minor: 0 },
      interconnect: 'Sxm',
    }],
    gpuUuids: Array.from({ length: gpus }, (_, i) => uuidOf(i)),
    cpuCores,
    ramMib,
    storageGib,
    bandwidthMbps: 10_000,
  };
}

/**
 * What a provider does on its GPU host before its node starts: `crucible-node provider
 * attestation-key` puts a new attestation key into the keystore under `basePath` and prints it
 * with its ownership proof for `address` (at key nonce `nonce`) on `chain`.
 */
export function nodeAttestationKey(basePath, address, { chain = 'dev', nonce = 0 } = {}) {
  const out = runCli(['provider', 'attestation-key', '--chain', chain, '--base-path', basePath,
    '--account', address, '--nonce', String(nonce)]);
  assert.equal(out.status, 0, out.stderr);
  return JSON.parse(out.stdout);
}
