//! IAM entities as rows of the `iam` column family, one generic table per kind.
//!
//! Rows are keyed `TAG/account/lower-case name`: names are unique within an
//! account without regard to case (as IAM's are), and listings come out in
//! name order, paged by the last name returned.

use crate::meta::records::{decode, encode};
use crate::meta::{Batch, Cf, MetaDb, keys};
use crate::schema::Encode;
use crate::types::{Group, IamPage, ManagedPolicy, Role, User};
use crate::{Error, Result};

/// A kind of named IAM entity stored per account.
pub(crate) trait Entity: Encode {
    /// Row-key tag of the kind.
    const TAG: &'static str;
    /// The kind as IAM's messages name it.
    const KIND: &'static str;
    fn name(&self) -> &str;
    fn path(&self) -> &str;

    /// IAM's `NoSuchEntity` message.
    fn not_found(name: &str) -> Error {
        Error::NoSuchEntity(format!(
            "The {} with name {name} cannot be found.",
            Self::KIND
        ))
    }

    /// IAM's `EntityAlreadyExists` message.
    fn exists(name: &str) -> Error {
        let kind = Self::KIND;
        let mut capital = kind.chars();
        let kind = capital
            .next()
            .map(|c| c.to_ascii_uppercase().to_string() + capital.as_str())
            .unwrap_or_default();
        Error::EntityAlreadyExists(format!("{kind} with name {name} already exists."))
    }
}

macro_rules! entity {
    ($type:ty, $tag:literal, $kind:literal) => {
        impl Entity for $type {
            const TAG: &'static str = $tag;
            const KIND: &'static str = $kind;
            fn name(&self) -> &str {
                &self.name
            }
            fn path(&self) -> &str {
                &self.path
            }
        }
    };
}

entity!(User, "U", "user");
entity!(Group, "G", "group");
entity!(Role, "R", "role");
entity!(ManagedPolicy, "P", "policy");

fn prefix<E: Entity>(account: &str) -> Vec<u8> {
    format!("{}/{account}/", E::TAG).into_bytes()
}

fn row_key<E: Entity>(account: &str, name: &str) -> Vec<u8> {
    let mut key = prefix::<E>(account);
    key.extend_from_slice(name.to_lowercase().as_bytes());
    key
}

pub(crate) fn get<E: Entity>(db: &MetaDb, account: &str, name: &str) -> Result<Option<E>> {
    db.get(Cf::Iam, &row_key::<E>(account, name))?
        .map(|raw| decode(&raw))
        .transpose()
}

/// The entity, or IAM's `NoSuchEntity`.
pub(crate) fn require<E: Entity>(db: &MetaDb, account: &str, name: &str) -> Result<E> {
    get(db, account, name)?.ok_or_else(|| E::not_found(name))
}

pub(crate) fn put<E: Entity>(batch: &mut Batch<'_>, account: &str, entity: &E) -> Result<()> {
    batch.put(
        Cf::Iam,
        &row_key::<E>(account, entity.name()),
        &encode(entity)?,
    )
}

pub(crate) fn remove<E: Entity>(batch: &mut Batch<'_>, account: &str, name: &str) -> Result<()> {
    batch.delete(Cf::Iam, &row_key::<E>(account, name))
}

/// Up to `max` entities of `account` whose path starts with `path_prefix`, in
/// name order, after the one `marker` names.
pub(crate) fn list<E: Entity>(
    db: &MetaDb,
    account: &str,
    path_prefix: &str,
    marker: Option<&str>,
    max: usize,
) -> Result<IamPage<E>> {
    let max = max.max(1);
    let lower = prefix::<E>(account);
    let upper = keys::prefix_successor(&lower);
    let mut it = db.iter(Cf::Iam, Some(lower.clone()), upper)?;
    match marker {
        Some(marker) => {
            let after = row_key::<E>(account, marker);
            it.seek(&after);
            if it.key() == Some(after.as_slice()) {
                it.next();
            }
        }
        None => it.seek(&lower),
    }
    let mut items = Vec::new();
    while let Some(raw) = it.value() {
        let entity: E = decode(raw)?;
        if entity.path().starts_with(path_prefix) {
            if items.len() == max {
                let last: &E = &items[max - 1];
                return Ok(IamPage {
                    marker: Some(last.name().to_owned()),
                    items,
                });
            }
            items.push(entity);
        }
        it.next();
    }
    it.status()?;
    Ok(IamPage {
        items,
        marker: None,
    })
}

/// Every entity of the kind in `account` (for small scans such as a group's members).
pub(crate) fn all<E: Entity>(db: &MetaDb, account: &str) -> Result<Vec<E>> {
    Ok(list(db, account, "", None, usize::MAX)?.items)
}
