// The developer's x25519 key for a job's access details, made and kept in this browser
// (localStorage, by public key), and the opening of what the provider's node sealed to it:
// ephemeral key (32) ‖ nonce (12) ‖ AES-256-GCM ciphertext and tag (16), the AES key being
// HKDF-SHA256 (no salt, no info) of the shared secret followed by the ephemeral key — as
// `compute/src/workload/seal.rs` seals. WebCrypto only: nothing leaves the page.
import { u8aToHex, hexToU8a, u8aConcat } from '@polkadot/util';

const PREFIX = 'crucible.access.';
const subtle = () => window.crypto.subtle;

const b64 = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes)));
const unb64 = (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));

/** A new key pair; its private half is saved here. Returns the public key, 0x-hex. */
export async function newAccessKey() {
  const pair = await subtle().generateKey({ name: 'X25519' }, true, ['deriveBits']);
  const publicKey = u8aToHex(new Uint8Array(await subtle().exportKey('raw', pair.publicKey)));
  const pkcs8 = await subtle().exportKey('pkcs8', pair.privateKey);
  window.localStorage.setItem(PREFIX + publicKey, b64(pkcs8));
  return publicKey;
}

export const hasAccessKey = (publicKey) => window.localStorage.getItem(PREFIX + String(publicKey)) !== null;

/** Opens `sealed` (bytes) with the saved private key of `publicKey`; the UTF-8 text. */
export async function openSealed(publicKey, sealed) {
  const saved = window.localStorage.getItem(PREFIX + String(publicKey));
  if (!saved) throw new Error('this browser does not hold the key the job was posted with');
  const bytes = typeof sealed === 'string' ? hexToU8a(sealed) : sealed;
  if (bytes.length < 32 + 12 + 16) throw new Error('sealed details too short');
  const eph = bytes.subarray(0, 32);
  const nonce = bytes.subarray(32, 44);
  const body = bytes.subarray(44);
  const priv = await subtle().importKey('pkcs8', unb64(saved), { name: 'X25519' }, false, ['deriveBits']);
  const ephKey = await subtle().importKey('raw', eph, { name: 'X25519' }, false, []);
  const shared = new Uint8Array(await subtle().deriveBits({ name: 'X25519', public: ephKey }, priv, 256));
  const ikm = await subtle().importKey('raw', u8aConcat(shared, eph), 'HKDF', false, ['deriveBits']);
  const raw = await subtle().deriveBits({ name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(), info: new Uint8Array() }, ikm, 256);
  const key = await subtle().importKey('raw', raw, { name: 'AES-GCM' }, false, ['decrypt']);
  const plain = await subtle().decrypt({ name: 'AES-GCM', iv: nonce }, key, body);
  return new TextDecoder().decode(plain);
}

/** The access details' lines as `{ logs, ports: [[port, address]], token, secretsTo }`. */
export function parseAccess(text) {
  const out = { logs: null, ports: [], token: null, secretsTo: null, text };
  for (const line of text.split('\n')) {
    let m = line.match(/^logs: (\S+)$/);
    if (m) out.logs = m[1];
    m = line.match(/^port (\d+): (\S+)$/);
    if (m) out.ports.push([Number(m[1]), m[2]]);
    m = line.match(/^token: (\S+)$/);
    if (m) out.token = m[1];
    m = line.match(/^secrets to: (\S+)$/);
    if (m) out.secretsTo = m[1];
  }
  return out;
}
