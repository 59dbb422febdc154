// A job's outputs as the container runner streams them, and their result root (primitives'
// `result_root`): what the e2e files check downloads and receipts against.
import { compactAddLength, u8aConcat, u8aToHex } from '@polkadot/util';
import { blake2AsU8a } from '@polkadot/util-crypto';

/** The result root of bytes: a Merkle tree over 64 KiB chunks (leaf H(0 ‖ chunk), node H(1 ‖ l ‖ r)). */
export function resultRoot(data) {
  const CHUNK = 64 * 1024;
  let level = [];
  if (data.length === 0) level.push(blake2AsU8a(new Uint8Array([0]), 256));
  for (let i = 0; i < data.length; i += CHUNK) {
    level.push(blake2AsU8a(u8aConcat(new Uint8Array([0]), data.subarray(i, i + CHUNK)), 256));
  }
  while (level.length > 1) {
    const next = [];
    for (let i = 0; i < level.length; i += 2) {
      next.push(i + 1 < level.length
        ? blake2AsU8a(u8aConcat(new Uint8Array([1]), level[i], level[i + 1]), 256) : level[i]);
    }
    level = next;
  }
  return u8aToHex(level[0]);
}

/** The outputs stream of files `[[path, text], …]` in path order: SCALE(path) ‖ SCALE(u64 length) ‖ bytes. */
export function outputsStream(files) {
  const parts = [];
  for (const [path, text] of [...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const body = new TextEncoder().encode(text);
    const length = new Uint8Array(8);
    new DataView(length.buffer).setBigUint64(0, BigInt(body.length), true);
    parts.push(compactAddLength(new TextEncoder().encode(path)), length, body);
  }
  return u8aConcat(...parts);
}
