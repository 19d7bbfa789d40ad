//! Access keys: at most two per user (and per account root), each with a
//! secret stored only sealed under the master key.

use std::time::{Duration, SystemTime};

use base64::Engine as _;

use super::{new_id, read_account, table};
use crate::crypto::{BlobKey, Key256};
use crate::engine::encryption::sealing_keys;
use crate::engine::{Engine, Inner, encryption};
use crate::meta::records::{decode, encode};
use crate::meta::{Batch, Cf, MetaDb};
use crate::types::{AccessKey, KeyStatus, MAX_ACCESS_KEYS, User};
use crate::{Error, Result};

/// A stored key: its description and its sealed secret.
#[derive(Debug, Clone)]
pub(crate) struct KeyRow {
    pub(crate) key: AccessKey,
    pub(crate) secret: BlobKey,
}

fn row_key(id: &str) -> Vec<u8> {
    format!("K/{id}").into_bytes()
}

/// What the secret's sealing binds: the key id.
fn context(id: &str) -> Vec<u8> {
    format!("horreo/iam-secret/v1\0{id}").into_bytes()
}

/// A secret as AWS's look: 40 base64 characters (30 random bytes).
fn secret_text(material: &Key256) -> String {
    base64::engine::general_purpose::STANDARD.encode(&material.0[..30])
}

fn read(db: &MetaDb, id: &str) -> Result<Option<KeyRow>> {
    db.get(Cf::Iam, &row_key(id))?
        .map(|raw| decode(&raw))
        .transpose()
}

/// Makes a new key for `user` (or the account's root) in `batch`; the caller
/// records its id on the owner. Returns the key and its secret.
pub(super) fn add(
    inner: &Inner,
    batch: &mut Batch<'_>,
    account: &str,
    user: Option<&str>,
) -> Result<(AccessKey, String)> {
    let keys = sealing_keys(inner)?;
    let id = loop {
        let id = new_id("AKIA", 16);
        if read(&inner.shared.db, &id)?.is_none() {
            break id;
        }
    };
    let (secret, material) = BlobKey::generate(&keys.master, &context(&id))?;
    let key = AccessKey {
        id: id.clone(),
        account: account.to_owned(),
        user: user.map(str::to_owned),
        status: KeyStatus::Active,
        created: SystemTime::now(),
        last_used: None,
    };
    batch.put(
        Cf::Iam,
        &row_key(&id),
        &encode(&KeyRow {
            key: key.clone(),
            secret,
        })?,
    )?;
    Ok((key, secret_text(&material)))
}

/// Records in `batch` that key `id` now belongs to user `user` (a renamed user).
pub(super) fn set_owner(db: &MetaDb, batch: &mut Batch<'_>, id: &str, user: &str) -> Result<()> {
    if let Some(mut row) = read(db, id)? {
        row.key.user = Some(user.to_owned());
        batch.put(Cf::Iam, &row_key(id), &encode(&row)?)?;
    }
    Ok(())
}

/// IAM's message for a key that `user` (or the root) does not have.
fn no_such_key(id: &str) -> Error {
    Error::NoSuchEntity(format!("The Access Key with id {id} cannot be found."))
}

/// How often a key's last use is written down at most.
const LAST_USED_GRANULARITY: Duration = Duration::from_secs(3600);

impl Engine {
    /// A new active access key for `user`, or for the account's root with
    /// `None`; `LimitExceeded` past two. Returns the key and its secret,
    /// which is never shown again.
    pub fn create_access_key(
        &self,
        account: &str,
        user: Option<&str>,
    ) -> Result<(AccessKey, String)> {
        let inner = &self.inner;
        let db = &inner.shared.db;
        let _lock = inner.iam_lock.lock();
        let mut batch = db.batch();
        let created = match user {
            Some(name) => {
                let mut user: User = table::require(db, account, name)?;
                limit(user.access_keys.len())?;
                let (key, secret) = add(inner, &mut batch, account, Some(&user.name))?;
                user.access_keys.push(key.id.clone());
                table::put(&mut batch, account, &user)?;
                (key, secret)
            }
            None => {
                let mut root = self.account(account)?;
                limit(root.access_keys.len())?;
                let (key, secret) = add(inner, &mut batch, account, None)?;
                root.access_keys.push(key.id.clone());
                super::put_account(&mut batch, &root)?;
                (key, secret)
            }
        };
        batch.commit()?;
        Ok(created)
    }

    /// The access keys of `user` (or of the root), oldest first.
    pub fn access_keys(&self, account: &str, user: Option<&str>) -> Result<Vec<AccessKey>> {
        let db = &self.inner.shared.db;
        let ids = match user {
            Some(name) => table::require::<User>(db, account, name)?.access_keys,
            None => self.account(account)?.access_keys,
        };
        let mut keys = Vec::new();
        for id in ids {
            if let Some(row) = read(db, &id)? {
                keys.push(row.key);
            }
        }
        Ok(keys)
    }

    /// Makes a key of `user` (or of the root) active or inactive.
    pub fn update_access_key(
        &self,
        account: &str,
        user: Option<&str>,
        id: &str,
        status: KeyStatus,
    ) -> Result<()> {
        let db = &self.inner.shared.db;
        let _lock = self.inner.iam_lock.lock();
        let mut row = owned_key(db, account, user, id)?;
        row.key.status = status;
        let mut batch = db.batch();
        batch.put(Cf::Iam, &row_key(id), &encode(&row)?)?;
        batch.commit()
    }

    /// Deletes a key of `user` (or of the root).
    pub fn delete_access_key(&self, account: &str, user: Option<&str>, id: &str) -> Result<()> {
        let db = &self.inner.shared.db;
        let _lock = self.inner.iam_lock.lock();
        owned_key(db, account, user, id)?;
        let mut batch = db.batch();
        batch.delete(Cf::Iam, &row_key(id))?;
        match user {
            Some(name) => {
                let mut user: User = table::require(db, account, name)?;
                user.access_keys.retain(|k| k != id);
                table::put(&mut batch, account, &user)?;
            }
            None => {
                let mut root = self.account(account)?;
                root.access_keys.retain(|k| k != id);
                super::put_account(&mut batch, &root)?;
            }
        }
        batch.commit()
    }

    /// The key `id` and its secret, for authenticating a request signed with
    /// it; `None` if no such key is stored (or no master key opens it).
    pub fn resolve_access_key(&self, id: &str) -> Result<Option<(AccessKey, String)>> {
        read(&self.inner.shared.db, id)?
            .map(|row| self.unseal(row))
            .transpose()
    }

    /// Every stored access key with its secret: for authenticating from memory.
    pub fn all_access_keys(&self) -> Result<Vec<(AccessKey, String)>> {
        let db = &self.inner.shared.db;
        let lower = b"K/".to_vec();
        let mut it = db.iter(Cf::Iam, Some(lower.clone()), Some(b"K0".to_vec()))?;
        it.seek(&lower);
        let mut out = Vec::new();
        while let Some(raw) = it.value() {
            out.push(self.unseal(decode(raw)?)?);
            it.next();
        }
        it.status()?;
        Ok(out)
    }

    /// A stored key with its secret opened.
    fn unseal(&self, row: KeyRow) -> Result<(AccessKey, String)> {
        let keys = encryption::keys(&self.inner)?;
        let id = &row.key.id;
        let material = row.secret.open(&keys.master, &context(id)).ok_or_else(|| {
            Error::Corrupt(format!("the secret of access key {id} does not open"))
        })?;
        Ok((row.key, secret_text(&material)))
    }

    /// Records that key `id` signed a request at `when`; written at most once
    /// an hour per key, so the hot path rarely writes.
    pub fn record_key_use(&self, id: &str, when: SystemTime) -> Result<()> {
        let db = &self.inner.shared.db;
        let Some(row) = read(db, id)? else {
            return Ok(());
        };
        let recent = row.key.last_used.is_some_and(|last| {
            when.duration_since(last)
                .is_ok_and(|age| age < LAST_USED_GRANULARITY)
        });
        if recent {
            return Ok(());
        }
        let _lock = self.inner.iam_lock.lock();
        let Some(mut row) = read(db, id)? else {
            return Ok(());
        };
        row.key.last_used = Some(when);
        let mut batch = db.batch();
        batch.put(Cf::Iam, &row_key(id), &encode(&row)?)?;
        batch.commit_unsynced()
    }
}

fn limit(have: usize) -> Result<()> {
    if have >= MAX_ACCESS_KEYS {
        return Err(Error::LimitExceeded(format!(
            "Cannot exceed quota for AccessKeysPerUser: {MAX_ACCESS_KEYS}"
        )));
    }
    Ok(())
}

/// The key `id` if it belongs to `user` (or the root) of `account`.
fn owned_key(db: &MetaDb, account: &str, user: Option<&str>, id: &str) -> Result<KeyRow> {
    let row = read(db, id)?.ok_or_else(|| no_such_key(id))?;
    let owner_matches = row.key.account == account
        && match (user, &row.key.user) {
            (None, None) => true,
            (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
            _ => false,
        };
    if !owner_matches || read_account(db, account)?.is_none() {
        return Err(no_such_key(id));
    }
    Ok(row)
}

/// Re-seals every stored secret under `new` (master key rotation).
pub(crate) fn reseal_all(
    db: &MetaDb,
    batch: &mut Batch<'_>,
    old: &Key256,
    new: &Key256,
) -> Result<usize> {
    let lower = b"K/".to_vec();
    let mut it = db.iter(Cf::Iam, Some(lower.clone()), Some(b"K0".to_vec()))?;
    it.seek(&lower);
    let mut count = 0;
    while let Some((raw_key, raw)) = it.item() {
        let mut row: KeyRow = decode(raw)?;
        row.secret = row.secret.reseal(old, new, &context(&row.key.id))?;
        batch.put(Cf::Iam, raw_key, &encode(&row)?)?;
        count += 1;
        it.next();
    }
    it.status()?;
    Ok(count)
}
