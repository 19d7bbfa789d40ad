//! The engine's side of encryption at rest: which key-encryption key a mode
//! uses, data keys for new blobs, ciphers for reads, and master-key rotation.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use parking_lot::Mutex;
use subtle::ConstantTimeEq;

use super::Inner;
use crate::crypto::chunk::ChunkCipher;
use crate::crypto::kms::{BuiltinKms, KeyProvider};
use crate::crypto::{BlobKey, Key256, MasterKey, customer_key_digest, master};
use crate::meta::records::{ObjectData, PartRecord, VersionRecord, decode, encode};
use crate::meta::{Batch, Cf, MetaDb};
use crate::types::{CustomerKey, EncryptionRecord, SseMode, SseRequest};
use crate::{Error, Result};

/// The master key and the KMS keys sealed under it.
pub(super) struct Keys {
    pub master: MasterKey,
    pub kms: BuiltinKms,
    db: Arc<MetaDb>,
    /// The store holds the check of `master` (it has sealed something with it).
    checked: AtomicBool,
    first_use: Mutex<()>,
}

impl Keys {
    /// Checks `master` against the store: `WrongMasterKey` if the store has
    /// sealed keys under another one.
    pub fn open(db: &Arc<MetaDb>, master: MasterKey) -> Result<Self> {
        let checked = master::verify(db, &master)?;
        Ok(Self {
            kms: BuiltinKms::new(Arc::clone(db), master.clone()),
            master,
            db: Arc::clone(db),
            checked: AtomicBool::new(checked),
            first_use: Mutex::new(()),
        })
    }

    /// Records the master key's check before its first use to seal anything, so
    /// that from then on the store opens only with this key.
    pub fn before_sealing(&self) -> Result<()> {
        if self.checked.load(Ordering::Acquire) {
            return Ok(());
        }
        let _first = self.first_use.lock();
        if !master::verify(&self.db, &self.master)? {
            let mut batch = self.db.batch();
            master::put_check(&mut batch, &self.master)?;
            batch.commit()?;
        }
        self.checked.store(true, Ordering::Release);
        Ok(())
    }
}

pub(super) fn keys(inner: &Inner) -> Result<&Keys> {
    inner.crypto.as_deref().ok_or(Error::NoMasterKey)
}

/// The keys, with the master key's check recorded: for anything that seals.
pub(super) fn sealing_keys(inner: &Inner) -> Result<&Keys> {
    let keys = keys(inner)?;
    keys.before_sealing()?;
    Ok(keys)
}

/// A mode resolved for writing: what to store, and the key that seals data keys.
pub(super) struct Sealing {
    pub mode: SseMode,
    kek: Key256,
}

impl Sealing {
    pub fn resolve(inner: &Inner, request: &SseRequest) -> Result<Self> {
        Ok(match request {
            SseRequest::S3 => Self {
                mode: SseMode::S3,
                kek: sealing_keys(inner)?.master.clone(),
            },
            SseRequest::Kms {
                key_id,
                context,
                bucket_key,
            } => {
                let key = sealing_keys(inner)?.kms.resolve(key_id.as_deref())?;
                Self {
                    mode: SseMode::Kms {
                        key_id: key.id,
                        context: context.clone(),
                        bucket_key: *bucket_key,
                    },
                    kek: key.material,
                }
            }
            SseRequest::Customer(customer) => {
                let salt: [u8; 16] = rand::random();
                Self {
                    mode: SseMode::Customer {
                        salt,
                        digest: customer_key_digest(&customer.key, &salt)?,
                        key_md5: customer.key_md5.clone(),
                    },
                    kek: customer.key.clone(),
                }
            }
        })
    }

    /// A fresh data key for one blob: its stored form and its cipher.
    pub fn new_blob(&self) -> Result<(EncryptionRecord, ChunkCipher)> {
        let (key, data_key) = BlobKey::generate(&self.kek, &self.mode.key_context())?;
        Ok((
            EncryptionRecord {
                mode: self.mode.clone(),
                key: Some(key),
            },
            ChunkCipher::new(&data_key, key.content_id)?,
        ))
    }
}

/// Whether `customer` may read data stored in `mode`.
pub(crate) fn check_customer_key(
    mode: Option<&SseMode>,
    customer: Option<&CustomerKey>,
) -> Result<()> {
    match (mode, customer) {
        (Some(SseMode::Customer { salt, digest, .. }), Some(key)) => {
            let given = customer_key_digest(&key.key, salt)?;
            if bool::from(given.ct_eq(digest)) {
                Ok(())
            } else {
                Err(Error::SseCustomerKeyMismatch)
            }
        }
        (Some(SseMode::Customer { .. }), None) => Err(Error::SseCustomerKeyRequired),
        (_, Some(_)) => Err(Error::SseNotApplicable),
        (_, None) => Ok(()),
    }
}

/// Opens data keys of one stored object for reading.
pub(super) struct Unsealing {
    mode: SseMode,
    kek: Key256,
}

impl Unsealing {
    /// The key-encryption key of `mode`; checks the customer key of SSE-C.
    pub fn resolve(inner: &Inner, mode: &SseMode, customer: Option<&CustomerKey>) -> Result<Self> {
        Self::resolve_with(inner.crypto.as_deref(), mode, customer)
    }

    /// Like [`Unsealing::resolve`], with the engine's keys given (`None`: no
    /// master key, `NoMasterKey`).
    pub fn resolve_with(
        keys: Option<&Keys>,
        mode: &SseMode,
        customer: Option<&CustomerKey>,
    ) -> Result<Self> {
        check_customer_key(Some(mode), customer)?;
        let keys = || keys.ok_or(Error::NoMasterKey);
        let kek = match (mode, customer) {
            (SseMode::S3, _) => keys()?.master.clone(),
            (SseMode::Kms { key_id, .. }, _) => keys()?.kms.resolve(Some(key_id))?.material,
            (SseMode::Customer { .. }, Some(c)) => c.key.clone(),
            (SseMode::Customer { .. }, None) => return Err(Error::SseCustomerKeyRequired),
        };
        Ok(Self {
            mode: mode.clone(),
            kek,
        })
    }

    /// The cipher of one blob (or inline content).
    pub fn cipher(&self, key: Option<&BlobKey>) -> Result<ChunkCipher> {
        let key = key.ok_or_else(|| Error::Corrupt("encrypted data without its key".into()))?;
        let data_key = key
            .open(&self.kek, &self.mode.key_context())
            .ok_or_else(|| Error::Corrupt("a data key failed authentication".into()))?;
        ChunkCipher::new(&data_key, key.content_id)
    }
}

/// Seals small content as one message (chunk 0, final): ciphertext then tag.
pub(super) fn seal_inline(cipher: &ChunkCipher, mut content: Vec<u8>) -> Vec<u8> {
    let tag = cipher.seal(0, true, &mut content);
    content.extend_from_slice(&tag);
    content
}

/// Opens what [`seal_inline`] made of `size` bytes.
pub(super) fn open_inline(cipher: &ChunkCipher, sealed: &[u8], size: u64) -> Result<Vec<u8>> {
    let corrupt = || Error::Corrupt("inline content failed authentication".into());
    let len = usize::try_from(size).map_err(|_| corrupt())?;
    if sealed.len() != len + crate::crypto::TAG_LEN {
        return Err(corrupt());
    }
    let (body, tag) = sealed.split_at(len);
    let mut plain = body.to_vec();
    if !cipher.open(0, true, &mut plain, tag) {
        return Err(corrupt());
    }
    Ok(plain)
}

pub(super) fn rotate_master(inner: &Inner, new: &MasterKey) -> Result<usize> {
    let keys = keys(inner)?;
    let old = &keys.master;
    let db = &inner.shared.db;
    let mut batch = db.batch();
    let mut count = keys.kms.reseal_all(&mut batch, new)?;
    count += super::iam::reseal_secrets(db, &mut batch, old, new)?;
    for cf in [Cf::Versions, Cf::Current] {
        count += reseal_rows(db, &mut batch, cf, |raw| {
            let mut rec: VersionRecord = decode(raw)?;
            let Some(enc) = &mut rec.encryption else {
                return Ok(None);
            };
            if enc.mode != SseMode::S3 {
                return Ok(None);
            }
            let context = enc.mode.key_context();
            let mut n = 0;
            if let Some(key) = &mut enc.key {
                *key = key.reseal(old, new, &context)?;
                n += 1;
            }
            if let ObjectData::Parts(parts) = &mut rec.data {
                for part in parts.iter_mut() {
                    if let Some(key) = &mut part.key {
                        *key = key.reseal(old, new, &context)?;
                        n += 1;
                    }
                }
            }
            Ok(Some((encode(&rec)?, n)))
        })?;
    }
    count += reseal_rows(db, &mut batch, Cf::Parts, |raw| {
        let mut rec: PartRecord = decode(raw)?;
        match &mut rec.encryption {
            Some(EncryptionRecord {
                mode: SseMode::S3,
                key: Some(key),
            }) => {
                *key = key.reseal(old, new, &SseMode::S3.key_context())?;
                Ok(Some((encode(&rec)?, 1)))
            }
            _ => Ok(None),
        }
    })?;
    master::put_check(&mut batch, new)?;
    batch.commit()?;
    Ok(count)
}

/// Adds to `batch` the rows of `cf` that `reseal` rewrites; sums its counts.
fn reseal_rows(
    db: &MetaDb,
    batch: &mut Batch<'_>,
    cf: Cf,
    mut reseal: impl FnMut(&[u8]) -> Result<Option<(Vec<u8>, usize)>>,
) -> Result<usize> {
    let mut it = db.iter(cf, None, None)?;
    it.seek_to_first();
    let mut count = 0;
    while let Some((key, value)) = it.item() {
        if let Some((row, n)) = reseal(value)? {
            batch.put(cf, key, &row)?;
            count += n;
        }
        it.next();
    }
    it.status()?;
    Ok(count)
}
