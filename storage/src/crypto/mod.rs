//! Encryption at rest: keys, key sealing and chunk sealing.
//!
//! - Every blob (an object's content, or one multipart part) has its own random
//!   256-bit data key and a random 128-bit content id. Its chunks are sealed with
//!   AES-256-GCM under the data key ([`chunk::ChunkCipher`]); the content id, the
//!   chunk index and whether the chunk is the last one are bound into every seal.
//! - The data key is stored only sealed ([`SealedKey`], AES-256-GCM) under a
//!   key-encryption key: the master key (SSE-S3), a KMS key (SSE-KMS, whose own
//!   material is sealed under the master key), or the customer's key (SSE-C,
//!   never stored: only a salted HMAC that recognises it).
//! - Re-sealing data keys under a new master key never touches blob files.

pub mod chunk;
pub mod kms;
pub mod master;

use aes_gcm::aead::AeadInOut;
use aes_gcm::{Aes256Gcm, KeyInit};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::Zeroize;

use crate::{Error, Result};

/// Bytes of every key horreo uses.
pub const KEY_LEN: usize = 32;
/// Bytes of an AES-GCM nonce.
pub const NONCE_LEN: usize = 12;
/// Bytes of an AES-GCM tag.
pub const TAG_LEN: usize = 16;

/// A 256-bit secret, wiped from memory when dropped.
#[derive(Clone, PartialEq, Eq)]
pub struct Key256(pub(crate) [u8; KEY_LEN]);

impl Key256 {
    /// A fresh key from the operating system's generator.
    pub fn random() -> Self {
        Self(rand::random())
    }

    pub fn from_bytes(raw: [u8; KEY_LEN]) -> Self {
        Self(raw)
    }

    /// Parses 64 hex digits (surrounding whitespace ignored).
    pub fn from_hex(text: &str) -> Option<Self> {
        let mut raw = [0u8; KEY_LEN];
        hex::decode_to_slice(text.trim(), &mut raw).ok()?;
        Some(Self(raw))
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    pub(crate) fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new(&self.0.into())
    }
}

impl Drop for Key256 {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl std::fmt::Debug for Key256 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Key256(..)")
    }
}

/// The server's master key: seals SSE-S3 data keys and the built-in KMS keys.
pub type MasterKey = Key256;

/// A data key sealed with AES-256-GCM: random nonce, then ciphertext and tag.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SealedKey(pub [u8; NONCE_LEN + KEY_LEN + TAG_LEN]);

impl std::fmt::Debug for SealedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SealedKey(..)")
    }
}

/// Seals `key` under `kek`, binding `aad`: opening needs the same `aad`.
pub(crate) fn seal_key(kek: &Key256, key: &Key256, aad: &[u8]) -> Result<SealedKey> {
    let nonce: [u8; NONCE_LEN] = rand::random();
    let mut body = key.0;
    let tag = kek
        .cipher()
        .encrypt_inout_detached(&nonce.into(), aad, (&mut body[..]).into())
        .map_err(|_| Error::Meta("cannot seal a data key".into()))?;
    let mut out = [0u8; NONCE_LEN + KEY_LEN + TAG_LEN];
    out[..NONCE_LEN].copy_from_slice(&nonce);
    out[NONCE_LEN..NONCE_LEN + KEY_LEN].copy_from_slice(&body);
    out[NONCE_LEN + KEY_LEN..].copy_from_slice(&tag);
    body.zeroize();
    Ok(SealedKey(out))
}

/// Opens a key sealed by [`seal_key`]; `None` if `kek` or `aad` is not the one
/// it was sealed with, or the sealed bytes were altered.
pub(crate) fn open_key(kek: &Key256, sealed: &SealedKey, aad: &[u8]) -> Option<Key256> {
    let raw = &sealed.0;
    let nonce: [u8; NONCE_LEN] = raw[..NONCE_LEN].try_into().ok()?;
    let tag: [u8; TAG_LEN] = raw[NONCE_LEN + KEY_LEN..].try_into().ok()?;
    let mut body: [u8; KEY_LEN] = raw[NONCE_LEN..NONCE_LEN + KEY_LEN].try_into().ok()?;
    kek.cipher()
        .decrypt_inout_detached(&nonce.into(), aad, (&mut body[..]).into(), &tag.into())
        .ok()?;
    let key = Key256(body);
    body.zeroize();
    Some(key)
}

/// A key for one purpose, derived from `key` (HMAC-SHA256 over `label`): what
/// it seals cannot be opened with `key` itself or for another purpose.
pub(crate) fn derive_key(key: &Key256, label: &[u8]) -> Result<Key256> {
    let mut mac = <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(&key.0)
        .map_err(|_| Error::Meta("HMAC refused a 256-bit key".into()))?;
    mac.update(label);
    Ok(Key256(mac.finalize().into_bytes().into()))
}

/// Seals `plain` under `key` (AES-256-GCM, random nonce), binding `aad`:
/// nonce, ciphertext and tag in one buffer.
pub(crate) fn seal_bytes(key: &Key256, plain: &[u8], aad: &[u8]) -> Result<Vec<u8>> {
    let nonce: [u8; NONCE_LEN] = rand::random();
    let mut body = plain.to_vec();
    let tag = key
        .cipher()
        .encrypt_inout_detached(&nonce.into(), aad, (&mut body[..]).into())
        .map_err(|_| Error::Meta("cannot seal".into()))?;
    let mut out = Vec::with_capacity(NONCE_LEN + body.len() + TAG_LEN);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&body);
    out.extend_from_slice(&tag);
    body.zeroize();
    Ok(out)
}

/// Opens what [`seal_bytes`] sealed; `None` if the key or `aad` differ or a
/// byte was changed.
pub(crate) fn open_bytes(key: &Key256, sealed: &[u8], aad: &[u8]) -> Option<Vec<u8>> {
    let (nonce, rest) = sealed.split_first_chunk::<NONCE_LEN>()?;
    let (body, tag) = rest.split_last_chunk::<TAG_LEN>()?;
    let mut body = body.to_vec();
    key.cipher()
        .decrypt_inout_detached(
            &(*nonce).into(),
            aad,
            (&mut body[..]).into(),
            &(*tag).into(),
        )
        .ok()?;
    Some(body)
}

/// The key material of one encrypted blob (or inline content): its content id
/// and its data key, sealed under the key-encryption key of its mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlobKey {
    pub content_id: [u8; 16],
    pub sealed: SealedKey,
}

impl BlobKey {
    /// A new data key and content id, the key sealed under `kek` with `context`
    /// (the mode's associated data) bound. Returns the plain data key too.
    pub(crate) fn generate(kek: &Key256, context: &[u8]) -> Result<(Self, Key256)> {
        let content_id: [u8; 16] = rand::random();
        let data_key = Key256::random();
        let sealed = seal_key(kek, &data_key, &key_aad(&content_id, context))?;
        Ok((Self { content_id, sealed }, data_key))
    }

    /// The data key, or `None` if `kek`/`context` are not those it was sealed with.
    pub(crate) fn open(&self, kek: &Key256, context: &[u8]) -> Option<Key256> {
        open_key(kek, &self.sealed, &key_aad(&self.content_id, context))
    }

    /// The same data key sealed under another key-encryption key.
    pub(crate) fn reseal(&self, old: &Key256, new: &Key256, context: &[u8]) -> Result<Self> {
        let key = self.open(old, context).ok_or_else(|| {
            Error::Corrupt("a data key does not open with the current master key".into())
        })?;
        Ok(Self {
            content_id: self.content_id,
            sealed: seal_key(new, &key, &key_aad(&self.content_id, context))?,
        })
    }
}

fn key_aad(content_id: &[u8; 16], context: &[u8]) -> Vec<u8> {
    let mut aad = Vec::with_capacity(32 + context.len());
    aad.extend_from_slice(b"horreo/data-key/v1\0");
    aad.extend_from_slice(content_id);
    aad.extend_from_slice(context);
    aad
}

/// A salted HMAC-SHA256 of a customer key: recognises the key, reveals nothing.
pub(crate) fn customer_key_digest(key: &Key256, salt: &[u8; 16]) -> Result<[u8; 32]> {
    let mut mac = <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(&key.0)
        .map_err(|_| Error::Meta("HMAC refused a 256-bit key".into()))?;
    mac.update(b"horreo/sse-c/v1\0");
    mac.update(salt);
    Ok(mac.finalize().into_bytes().into())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn sealed_key_opens_only_with_its_kek_and_context() {
        let kek = Key256::random();
        let (bk, key) = BlobKey::generate(&kek, b"ctx").unwrap();
        assert_eq!(bk.open(&kek, b"ctx").unwrap(), key);
        assert!(bk.open(&Key256::random(), b"ctx").is_none());
        assert!(bk.open(&kek, b"other").is_none());
        let mut flipped = bk;
        flipped.sealed.0[20] ^= 1;
        assert!(flipped.open(&kek, b"ctx").is_none());
        let mut other_id = bk;
        other_id.content_id[0] ^= 1;
        assert!(other_id.open(&kek, b"ctx").is_none());
        let new = Key256::random();
        let resealed = bk.reseal(&kek, &new, b"ctx").unwrap();
        assert_eq!(resealed.open(&new, b"ctx").unwrap(), key);
        assert!(resealed.open(&kek, b"ctx").is_none());
    }

    #[test]
    fn blob_key_round_trips_through_a_record() {
        let (bk, _) = BlobKey::generate(&Key256::random(), b"").unwrap();
        let raw = crate::meta::records::encode(&bk).unwrap();
        let back: BlobKey = crate::meta::records::decode(&raw).unwrap();
        assert_eq!(back, bk);
    }

    #[test]
    fn customer_digest_depends_on_key_and_salt() {
        let k = Key256::random();
        let salt = [7u8; 16];
        let d = |k: &Key256, s: &[u8; 16]| customer_key_digest(k, s).unwrap();
        assert_eq!(d(&k, &salt), d(&k, &salt));
        assert_ne!(d(&k, &salt), d(&k, &[8; 16]));
        assert_ne!(d(&k, &salt), d(&Key256::random(), &salt));
    }

    #[test]
    fn hex_keys() {
        let k = Key256::random();
        assert_eq!(Key256::from_hex(&k.to_hex()).unwrap(), k);
        assert!(Key256::from_hex("abc").is_none());
        assert!(Key256::from_hex(&"zz".repeat(32)).is_none());
    }
}
