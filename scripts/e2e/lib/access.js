// Access details and secrets sealed to an x25519 key, as the provider's node seals them
// (`compute/src/workload/seal.rs`): ephemeral key (32) ‖ nonce (12) ‖ AES-256-GCM ciphertext and
// tag (16), the key HKDF-SHA256 of the shared secret and the ephemeral key.
import {
  createCipheriv, createDecipheriv, createPublicKey, diffieHellman, generateKeyPairSync, hkdfSync, randomBytes,
} from 'node:crypto';

const x25519 = (raw) => createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: Buffer.from(raw).toString('base64url') }, format: 'jwk' });
const keyOf = (shared, ephPublic) =>
  Buffer.from(hkdfSync('sha256', Buffer.concat([shared, ephPublic]), Buffer.alloc(0), Buffer.alloc(0), 32));

/** A developer's x25519 key pair: `publicKey` (32 bytes) is what a job's `accessKey` names. */
export function accessKeyPair() {
  const pair = generateKeyPairSync('x25519');
  return { pair, publicKey: Buffer.from(pair.publicKey.export({ format: 'jwk' }).x, 'base64url') };
}

/** Opens `sealed` with the key pair's private half; the UTF-8 text. */
export function openSealed({ pair }, sealed) {
  const eph = sealed.subarray(0, 32);
  const nonce = sealed.subarray(32, 44);
  const body = sealed.subarray(44, sealed.length - 16);
  const decipher = createDecipheriv('aes-256-gcm', keyOf(diffieHellman({ privateKey: pair.privateKey, publicKey: x25519(eph) }), eph), nonce);
  decipher.setAuthTag(sealed.subarray(sealed.length - 16));
  return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
}

/** Seals `plaintext` to the x25519 public key `to` (32 bytes). */
export function sealTo(to, plaintext) {
  const eph = generateKeyPairSync('x25519');
  const ephPublic = Buffer.from(eph.publicKey.export({ format: 'jwk' }).x, 'base64url');
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keyOf(diffieHellman({ privateKey: eph.privateKey, publicKey: x25519(to) }), ephPublic), nonce);
  const body = Buffer.concat([cipher.update(Buffer.from(plaintext)), cipher.final()]);
  return Buffer.concat([ephPublic, nonce, body, cipher.getAuthTag()]);
}
