// Checking a storage value against a block's state root from a storage proof
// (`state_getReadProof`), without trusting the RPC node that served either: the proof's nodes
// are hashed (blake2-256) and walked from the root along the key, as Substrate's trie (sp-trie,
// state version 1) lays them out. A value changed anywhere breaks a hash on the way.
//
// Trust the state root only from a header you verified (a finalized block from your own node or
// a light client); then `readProven` is the value, or `null` if the proof shows it absent.
import { blake2AsU8a } from '@polkadot/util-crypto';
import { hexToU8a, u8aToHex } from '@polkadot/util';

/** A SCALE compact integer at `at`: [value, bytes read]. */
function compact(bytes, at) {
  const b = bytes[at];
  switch (b & 3) {
    case 0: return [b >> 2, 1];
    case 1: return [(b | (bytes[at + 1] << 8)) >> 2, 2];
    case 2: return [((b | (bytes[at + 1] << 8) | (bytes[at + 2] << 16)) >>> 0) + bytes[at + 3] * 2 ** 24 >>> 2, 4];
    default: throw new Error('compact integer too large for a proof node');
  }
}

/** A node header's nibble count, prefix of `maskBits` bits: [count, bytes read]. */
function size(bytes, maskBits) {
  const max = 255 >> maskBits;
  let n = bytes[0] & max;
  if (n < max) return [n, 1];
  n -= 1;
  for (let i = 1; ; i++) {
    if (bytes[i] === undefined) throw new Error('truncated node header');
    if (bytes[i] < 255) return [n + bytes[i] + 1, i + 1];
    n += 255;
  }
}

/** Decodes one trie node: { partial: nibbles, value: {inline} | {hash} | null, children }. */
export function decodeNode(bytes) {
  const first = bytes[0];
  if (first === 0) return { partial: [], value: null, children: null };
  let kind;
  let maskBits;
  switch (first & 0xc0) {
    case 0x40: kind = 'leaf'; maskBits = 2; break;
    case 0x80: kind = 'branch'; maskBits = 2; break;
    case 0xc0: kind = 'branchValue'; maskBits = 2; break;
    default:
      if ((first & 0xe0) === 0x20) { kind = 'hashedLeaf'; maskBits = 3; } else if ((first & 0xf0) === 0x10) {
        kind = 'hashedBranch'; maskBits = 4;
      } else throw new Error(`unknown node header 0x${first.toString(16)}`);
  }
  const [nibbles, headerLength] = size(bytes, maskBits);
  let at = headerLength;
  const partialBytes = bytes.subarray(at, at + Math.ceil(nibbles / 2));
  at += partialBytes.length;
  const partial = [];
  for (let i = nibbles % 2; i < partialBytes.length * 2; i++) {
    const byte = partialBytes[i >> 1];
    partial.push(i % 2 === 0 ? byte >> 4 : byte & 0x0f);
  }
  const readValue = (hashed) => {
    if (hashed) {
      const hash = bytes.subarray(at, at + 32);
      at += 32;
      return { hash };
    }
    const [length, read] = compact(bytes, at);
    at += read;
    const inline = bytes.subarray(at, at + length);
    at += length;
    return { inline };
  };
  if (kind === 'leaf' || kind === 'hashedLeaf') {
    return { partial, value: readValue(kind === 'hashedLeaf'), children: null };
  }
  const bitmap = bytes[at] | (bytes[at + 1] << 8);
  at += 2;
  const value = kind === 'branch' ? null : readValue(kind === 'hashedBranch');
  const children = new Array(16).fill(null);
  for (let i = 0; i < 16; i++) {
    if (!(bitmap & (1 << i))) continue;
    const [length, read] = compact(bytes, at);
    at += read;
    const child = bytes.subarray(at, at + length);
    at += length;
    children[i] = length === 32 ? { hash: child } : { inline: child };
  }
  return { partial, value, children };
}

/**
 * The value of `key` under `stateRoot` as `proof` (the `proof` of `state_getReadProof`: the
 * encoded nodes) proves it: its bytes, or `null` if the proof shows no value there. Throws if
 * the proof does not reach the key (a node missing, or one that does not hash to its parent's
 * reference).
 */
export function readProven(stateRoot, proof, key) {
  const nodes = new Map();
  for (const item of proof) {
    const bytes = typeof item === 'string' ? hexToU8a(item) : item.toU8a ? item.toU8a(true) : item;
    nodes.set(u8aToHex(blake2AsU8a(bytes, 256)), bytes);
  }
  const lookup = (hash) => {
    const node = nodes.get(u8aToHex(hash));
    if (!node) throw new Error(`the proof lacks node ${u8aToHex(hash)}`);
    return node;
  };
  const keyBytes = typeof key === 'string' ? hexToU8a(key) : key;
  const path = [];
  for (const b of keyBytes) path.push(b >> 4, b & 0x0f);
  let node = decodeNode(lookup(typeof stateRoot === 'string' ? hexToU8a(stateRoot) : stateRoot));
  let at = 0;
  for (;;) {
    for (const nibble of node.partial) {
      if (path[at] !== nibble) return null;
      at += 1;
    }
    if (node.children === null || at === path.length) {
      if (at !== path.length || !node.value) return null;
      return node.value.inline ?? lookup(node.value.hash);
    }
    const child = node.children[path[at]];
    if (!child) return null;
    at += 1;
    node = decodeNode(child.inline ?? lookup(child.hash));
  }
}
