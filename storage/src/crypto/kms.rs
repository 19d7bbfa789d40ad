//! Key providers for SSE-KMS, and the built-in one.
//!
//! The built-in provider keeps named 256-bit keys in the metadata store, each
//! sealed under the master key: a copied data directory reveals none of them.

use std::sync::Arc;
use std::time::SystemTime;

use parking_lot::Mutex;

use super::{Key256, SealedKey, open_key, seal_key};
use crate::meta::records::{decode, encode};
use crate::meta::{Batch, Cf, MetaDb};
use crate::types::KmsKeyInfo;
use crate::{Error, Result};

/// The name of the key used when a write asks for `aws:kms` without a key id.
pub const DEFAULT_KEY_NAME: &str = "default";

/// A KMS key resolved for use: its id and its material.
pub struct ResolvedKey {
    pub id: String,
    pub material: Key256,
}

/// Holds the KMS keys that seal SSE-KMS data keys.
pub trait KeyProvider: Send + Sync {
    /// The key named by `key_id` (a key id, a name, `alias/NAME`, or an ARN ending
    /// in `key/ID` or `alias/NAME`); `None` is the default key, created on first
    /// use. `KmsKeyNotFound` if there is no such key.
    fn resolve(&self, key_id: Option<&str>) -> Result<ResolvedKey>;
    /// Creates a key; `KmsKeyExists` if the name is taken.
    fn create_key(&self, name: &str) -> Result<KmsKeyInfo>;
    /// Every key, by name.
    fn list_keys(&self) -> Result<Vec<KmsKeyInfo>>;
}

/// The built-in provider: keys in the `meta` column family, sealed under the master key.
pub struct BuiltinKms {
    db: Arc<MetaDb>,
    master: Key256,
    /// Serialises key creation (names are unique).
    create: Mutex<()>,
}

#[derive(Debug, Clone)]
pub(crate) struct KeyRecord {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) created: SystemTime,
    pub(crate) sealed: SealedKey,
}

const ID_PREFIX: &str = "kms/id/";
const NAME_PREFIX: &str = "kms/name/";
const KEY_AAD: &[u8] = b"horreo/kms-key/v1";

fn aad(id: &str) -> Vec<u8> {
    let mut a = KEY_AAD.to_vec();
    a.extend_from_slice(id.as_bytes());
    a
}

impl BuiltinKms {
    pub fn new(db: Arc<MetaDb>, master: Key256) -> Self {
        Self {
            db,
            master,
            create: Mutex::new(()),
        }
    }

    fn by_id(&self, id: &str) -> Result<Option<KeyRecord>> {
        self.db
            .get(Cf::Meta, format!("{ID_PREFIX}{id}").as_bytes())?
            .map(|raw| decode(&raw))
            .transpose()
    }

    fn by_name(&self, name: &str) -> Result<Option<KeyRecord>> {
        match self
            .db
            .get(Cf::Meta, format!("{NAME_PREFIX}{name}").as_bytes())?
        {
            Some(id) => self.by_id(&String::from_utf8_lossy(&id)),
            None => Ok(None),
        }
    }

    fn find(&self, key_id: &str) -> Result<Option<KeyRecord>> {
        let tail = key_id.rsplit_once(":key/").map_or(key_id, |(_, id)| id);
        if let Some(name) = tail
            .rsplit_once(":alias/")
            .map(|(_, n)| n)
            .or_else(|| tail.strip_prefix("alias/"))
        {
            return self.by_name(name);
        }
        match self.by_id(tail)? {
            Some(r) => Ok(Some(r)),
            None => self.by_name(tail),
        }
    }

    fn open(&self, record: KeyRecord) -> Result<ResolvedKey> {
        let material = open_key(&self.master, &record.sealed, &aad(&record.id))
            .ok_or_else(|| Error::Corrupt(format!("KMS key {} does not open", record.id)))?;
        Ok(ResolvedKey {
            id: record.id,
            material,
        })
    }

    fn create_locked(&self, name: &str) -> Result<KeyRecord> {
        if name.is_empty() || name.len() > 256 || name.contains('/') || name.contains(':') {
            return Err(Error::KmsInvalidKeyName(name.to_owned()));
        }
        if self.by_name(name)?.is_some() {
            return Err(Error::KmsKeyExists(name.to_owned()));
        }
        let id = uuid_like();
        let record = KeyRecord {
            sealed: seal_key(&self.master, &Key256::random(), &aad(&id))?,
            id,
            name: name.to_owned(),
            created: SystemTime::now(),
        };
        let mut batch = self.db.batch();
        batch.put(
            Cf::Meta,
            format!("{ID_PREFIX}{}", record.id).as_bytes(),
            &encode(&record)?,
        )?;
        batch.put(
            Cf::Meta,
            format!("{NAME_PREFIX}{name}").as_bytes(),
            record.id.as_bytes(),
        )?;
        batch.commit()?;
        Ok(record)
    }

    /// Adds to `batch` every key re-sealed from the current master key to `new`.
    pub(crate) fn reseal_all(&self, batch: &mut Batch<'_>, new: &Key256) -> Result<usize> {
        let mut count = 0;
        for record in self.records()? {
            let material = self.open(record_clone(&record))?.material;
            let resealed = KeyRecord {
                sealed: seal_key(new, &material, &aad(&record.id))?,
                ..record
            };
            batch.put(
                Cf::Meta,
                format!("{ID_PREFIX}{}", resealed.id).as_bytes(),
                &encode(&resealed)?,
            )?;
            count += 1;
        }
        Ok(count)
    }

    fn records(&self) -> Result<Vec<KeyRecord>> {
        let lower = ID_PREFIX.as_bytes().to_vec();
        let upper = crate::meta::keys::prefix_successor(ID_PREFIX.as_bytes());
        let mut it = self.db.iter(Cf::Meta, Some(lower.clone()), upper)?;
        it.seek(&lower);
        let mut out = Vec::new();
        while let Some(value) = it.value() {
            out.push(decode::<KeyRecord>(value)?);
            it.next();
        }
        it.status()?;
        Ok(out)
    }
}

fn record_clone(r: &KeyRecord) -> KeyRecord {
    KeyRecord {
        id: r.id.clone(),
        name: r.name.clone(),
        created: r.created,
        sealed: r.sealed,
    }
}

fn info(r: &KeyRecord) -> KmsKeyInfo {
    KmsKeyInfo {
        id: r.id.clone(),
        name: r.name.clone(),
        created: r.created,
    }
}

/// A random id in the 8-4-4-4-12 form of AWS's key ids.
fn uuid_like() -> String {
    let h = hex::encode(rand::random::<[u8; 16]>());
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

impl KeyProvider for BuiltinKms {
    fn resolve(&self, key_id: Option<&str>) -> Result<ResolvedKey> {
        let record = match key_id {
            Some(id) => self
                .find(id)?
                .ok_or_else(|| Error::KmsKeyNotFound(id.to_owned()))?,
            None => match self.by_name(DEFAULT_KEY_NAME)? {
                Some(r) => r,
                None => {
                    let _guard = self.create.lock();
                    match self.by_name(DEFAULT_KEY_NAME)? {
                        Some(r) => r,
                        None => self.create_locked(DEFAULT_KEY_NAME)?,
                    }
                }
            },
        };
        self.open(record)
    }

    fn create_key(&self, name: &str) -> Result<KmsKeyInfo> {
        let _guard = self.create.lock();
        self.create_locked(name).map(|r| info(&r))
    }

    fn list_keys(&self) -> Result<Vec<KmsKeyInfo>> {
        let mut keys: Vec<KmsKeyInfo> = self.records()?.iter().map(info).collect();
        keys.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(keys)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn keys_resolve_by_id_name_alias_and_arn() {
        let db: Arc<MetaDb> = Arc::new(MetaDb::new(crate::meta::MemoryStore::new()));
        let kms = BuiltinKms::new(Arc::clone(&db), Key256::random());
        let k = kms.create_key("app").unwrap();
        assert!(matches!(kms.create_key("app"), Err(Error::KmsKeyExists(_))));
        let material = kms.resolve(Some("app")).unwrap().material;
        for form in [
            k.id.clone(),
            "alias/app".into(),
            format!("arn:aws:kms:us-east-1:000000000000:key/{}", k.id),
            "arn:aws:kms:us-east-1:000000000000:alias/app".into(),
        ] {
            let r = kms.resolve(Some(&form)).unwrap();
            assert_eq!((r.id.as_str(), &r.material), (k.id.as_str(), &material));
        }
        assert!(matches!(
            kms.resolve(Some("nope")),
            Err(Error::KmsKeyNotFound(_))
        ));
        let default = kms.resolve(None).unwrap();
        assert_eq!(kms.resolve(None).unwrap().id, default.id);
        let names: Vec<_> = kms
            .list_keys()
            .unwrap()
            .into_iter()
            .map(|k| k.name)
            .collect();
        assert_eq!(names, vec!["app", "default"]);
    }
}
