// What a provider's attestation key signs to prove it belongs to the provider's account, as the
// runtime checks it (crucible_primitives::providers::ownership_payload): the context tag followed
// by the SCALE-encoded account (for 32-byte accounts, the raw public key).
import { decodeAddress } from '@polkadot/util-crypto';
import { stringToU8a, u8aConcat } from '@polkadot/util';

export const OWNERSHIP_PROOF_CONTEXT = 'crucible:attestation-key-owner:';

/** The bytes an attestation key signs for the account at `address`. */
export function ownershipPayload(address) {
  return u8aConcat(stringToU8a(OWNERSHIP_PROOF_CONTEXT), decodeAddress(address));
}
