//! Identities: accounts and, inside each, users, groups, roles, managed
//! policies and access keys, stored in the `iam` column family.
//!
//! Guarantees: names are unique per account without regard to case; every
//! change is one synced batch, made under one lock, so concurrent IAM calls
//! never lose each other's changes; secret keys are stored only sealed under
//! the master key (no master key, no access keys but the configured root's).

pub(crate) mod access_keys;
mod policies;
mod principals;
mod sessions;
mod table;

pub(super) use access_keys::reseal_all as reseal_secrets;
pub use policies::{Holder, parse_policy_arn};
pub use sessions::{Session, SessionIdentity};

use std::time::SystemTime;

use rand::Rng;

use super::{Engine, Inner};
use crate::meta::records::{decode, encode};
use crate::meta::{Cf, MetaDb};
use crate::types::{Account, Policies};
use crate::{Error, Result};

/// The `meta` row naming the first account.
const DEFAULT_ACCOUNT: &[u8] = b"iam.default_account";

fn account_key(id: &str) -> Vec<u8> {
    format!("A/{id}").into_bytes()
}

fn account_name_key(name: &str) -> Vec<u8> {
    format!("a/{}", name.to_lowercase()).into_bytes()
}

/// An id in AWS's style: `prefix` then `len` characters of A-Z and 2-7.
fn new_id(prefix: &str, len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut rng = rand::rng();
    let mut id = prefix.to_owned();
    id.extend((0..len).map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())])));
    id
}

fn read_account(db: &MetaDb, id: &str) -> Result<Option<Account>> {
    db.get(Cf::Iam, &account_key(id))?
        .map(|raw| decode(&raw))
        .transpose()
}

/// The default account, if it was created.
fn stored_default_account(db: &MetaDb) -> Result<Option<Account>> {
    db.get(Cf::Meta, DEFAULT_ACCOUNT)?
        .map(|id| default_account_by_id(db, &id))
        .transpose()
}

fn default_account_by_id(db: &MetaDb, id: &[u8]) -> Result<Account> {
    let id = String::from_utf8_lossy(id);
    read_account(db, &id)?
        .ok_or_else(|| Error::Corrupt(format!("the default account {id} is missing")))
}

fn check_account_name(name: &str) -> Result<()> {
    principals::check_name("Account", name, 64)
}

impl Engine {
    /// The first account, created on first use: it owns every bucket created
    /// before accounts existed, and its root is the configured key pair.
    pub fn default_account(&self) -> Result<Account> {
        let db = &self.inner.shared.db;
        if let Some(account) = stored_default_account(db)? {
            return Ok(account);
        }
        let _lock = self.inner.iam_lock.lock();
        if let Some(account) = stored_default_account(db)? {
            return Ok(account);
        }
        let account = new_account(&self.inner, "default")?;
        let mut batch = db.batch();
        // Gateways opening a new shared store at once each get here: the first
        // to claim the name wins and the others adopt its account. The name
        // row and the account row share the IAM rows' RADOS object, so the
        // winner's account is readable as soon as its name is.
        let name = account_name_key(&account.name);
        batch.expect(Cf::Iam, &name, None)?;
        put_account(&mut batch, &account)?;
        batch.put(Cf::Meta, DEFAULT_ACCOUNT, account.id.as_bytes())?;
        match batch.commit() {
            Err(Error::Conflict) => {
                default_account_by_id(db, &db.get(Cf::Iam, &name)?.unwrap_or_default())
            }
            committed => committed.map(|()| account),
        }
    }

    /// Creates an account named `name` (`EntityAlreadyExists` if one is) with
    /// root credentials: returns the account, its root key id and secret.
    pub fn create_account(&self, name: &str) -> Result<(Account, String, String)> {
        check_account_name(name)?;
        self.default_account()?;
        let db = &self.inner.shared.db;
        let _lock = self.inner.iam_lock.lock();
        if db.get(Cf::Iam, &account_name_key(name))?.is_some() {
            return Err(Error::EntityAlreadyExists(format!(
                "An account named {name} already exists."
            )));
        }
        let mut account = new_account(&self.inner, name)?;
        let mut batch = db.batch();
        let (key, secret) = access_keys::add(&self.inner, &mut batch, &account.id, None)?;
        account.access_keys.push(key.id.clone());
        put_account(&mut batch, &account)?;
        batch.commit()?;
        Ok((account, key.id, secret))
    }

    /// The account with id `id` (`NoSuchEntity` if none).
    pub fn account(&self, id: &str) -> Result<Account> {
        read_account(&self.inner.shared.db, id)?
            .ok_or_else(|| Error::NoSuchEntity(format!("The account {id} cannot be found.")))
    }

    /// The account named `name` (without regard to case).
    pub fn account_by_name(&self, name: &str) -> Result<Account> {
        let db = &self.inner.shared.db;
        match db.get(Cf::Iam, &account_name_key(name))? {
            Some(id) => self.account(&String::from_utf8_lossy(&id)),
            None => Err(Error::NoSuchEntity(format!(
                "The account {name} cannot be found."
            ))),
        }
    }

    /// Every account, by id.
    pub fn accounts(&self) -> Result<Vec<Account>> {
        self.default_account()?;
        let db = &self.inner.shared.db;
        let lower = b"A/".to_vec();
        let mut it = db.iter(Cf::Iam, Some(lower.clone()), Some(b"A0".to_vec()))?;
        it.seek(&lower);
        let mut out = Vec::new();
        while let Some(raw) = it.value() {
            out.push(decode(raw)?);
            it.next();
        }
        it.status()?;
        Ok(out)
    }
}

fn new_account(inner: &Inner, name: &str) -> Result<Account> {
    let db = &inner.shared.db;
    let mut rng = rand::rng();
    let id = loop {
        let id = format!("{:012}", rng.random_range(0..1_000_000_000_000u64));
        if read_account(db, &id)?.is_none() {
            break id;
        }
    };
    let canonical: [u8; 32] = rng.random();
    Ok(Account {
        id,
        name: name.to_owned(),
        canonical_id: hex::encode(canonical),
        created: SystemTime::now(),
        access_keys: Vec::new(),
    })
}

fn put_account(batch: &mut crate::meta::Batch<'_>, account: &Account) -> Result<()> {
    batch.put(Cf::Iam, &account_key(&account.id), &encode(account)?)?;
    batch.put(
        Cf::Iam,
        &account_name_key(&account.name),
        account.id.as_bytes(),
    )
}

/// The policies of an entity that can hold them.
trait HasPolicies: table::Entity {
    fn policies(&self) -> &Policies;
    fn policies_mut(&mut self) -> &mut Policies;
}

macro_rules! has_policies {
    ($($type:ty),*) => {$(
        impl HasPolicies for $type {
            fn policies(&self) -> &Policies {
                &self.policies
            }
            fn policies_mut(&mut self) -> &mut Policies {
                &mut self.policies
            }
        }
    )*};
}

has_policies!(crate::types::User, crate::types::Group, crate::types::Role);
