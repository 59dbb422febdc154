//! Access details sealed to a developer's x25519 key: the ECIES of Substrate's statement store
//! (an ephemeral x25519 key, HKDF-SHA256 of the shared secret and the ephemeral key, AES-256-GCM),
//! laid out `ephemeral public key (32) ‖ nonce (12) ‖ ciphertext and tag`. Only the holder of
//! the job's `access_key` secret opens it; the chain stores the bytes.

use aes_gcm::{aead::Aead, Aes256Gcm, KeyInit};
use rand::RngCore;

/// Bytes added to the plaintext (ephemeral key, nonce, tag): the one constant the chain's
/// `MAX_ACCESS_PLAINTEXT` is computed from.
pub use crucible_primitives::marketplace::service::SEAL_OVERHEAD;

fn key(shared: &[u8; 32], ephemeral: &[u8; 32]) -> Result<[u8; 32], String> {
	let mut ikm = shared.to_vec();
	ikm.extend_from_slice(ephemeral);
	let mut key = [0u8; 32];
	hkdf::Hkdf::<sha2::Sha256>::new(None, &ikm)
		.expand(b"", &mut key)
		.map_err(|e| format!("hkdf: {e}"))?;
	Ok(key)
}

/// Seals `plaintext` to the x25519 public key `to`.
pub fn seal(to: &[u8; 32], plaintext: &[u8]) -> Result<Vec<u8>, String> {
	let mut rng = rand::rngs::OsRng;
	let secret = x25519_dalek::EphemeralSecret::random_from_rng(rng);
	let ephemeral = x25519_dalek::PublicKey::from(&secret);
	let shared = secret.diffie_hellman(&x25519_dalek::PublicKey::from(*to));
	if !shared.was_contributory() {
		return Err("the access key is not a usable x25519 public key".into());
	}
	let key = key(shared.as_bytes(), ephemeral.as_bytes())?;
	let mut nonce = [0u8; 12];
	rng.fill_bytes(&mut nonce);
	let sealed = Aes256Gcm::new((&key).into())
		.encrypt((&nonce).into(), plaintext)
		.map_err(|_| "aes-gcm failed".to_string())?;
	let mut out = Vec::with_capacity(SEAL_OVERHEAD.saturating_add(plaintext.len()));
	out.extend_from_slice(ephemeral.as_bytes());
	out.extend_from_slice(&nonce);
	out.extend_from_slice(&sealed);
	Ok(out)
}

/// Opens what [`seal`] sealed to the public key of `secret` (what a developer's tool does).
pub fn open(secret: &[u8; 32], sealed: &[u8]) -> Result<Vec<u8>, String> {
	if sealed.len() < SEAL_OVERHEAD {
		return Err("too short".into());
	}
	let (ephemeral, rest) = sealed.split_at(32);
	let (nonce, ciphertext) = rest.split_at(12);
	let mut eph = [0u8; 32];
	eph.copy_from_slice(ephemeral);
	let shared = x25519_dalek::StaticSecret::from(*secret)
		.diffie_hellman(&x25519_dalek::PublicKey::from(eph));
	let key = key(shared.as_bytes(), &eph)?;
	Aes256Gcm::new((&key).into())
		.decrypt(nonce.into(), ciphertext)
		.map_err(|_| "not sealed to this key, or altered".into())
}
