//! The stored schema: the values of the metadata rows, kept apart from the
//! engine's in-memory records and from the API types of [`crate::types`].
//!
//! A value is one format byte followed by a MessagePack map with named fields
//! (`rmp_serde`'s `to_vec_named`) of a struct of [`v1`], the only format so
//! far. Neither the engine's records nor the API types derive serde: each
//! converts to its stored form ([`Encode`]) and back ([`Decode`]), explicitly,
//! field by field. Renaming or adding a field of an API type cannot change the
//! bytes on disk; a stored value that does not convert (a blob id of the
//! wrong length, ...) is [`Error::Corrupt`], never a panic.
//!
//! Rules for changing a stored format:
//! - A stored struct changes only by adding fields with `#[serde(default)]`:
//!   older rows decode without them, and older readers skip what they do not
//!   know. Never rename or remove a field or an enum variant, never change a
//!   field's type or encoding.
//! - Anything else is a breaking change: it makes `v2` beside `v1`, with its
//!   own format byte and a conversion from every `v1` struct it replaces, so
//!   that rows written before still decode; new rows are written as `v2`.
//! - `storage/tests/fixtures/records/` holds rows as released versions wrote
//!   them. The fixture test decodes each and encodes it again to the same
//!   bytes: a change that breaks either rule fails it.

pub mod v1;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::crypto::BlobKey;
use crate::crypto::kms::KeyRecord;
use crate::engine::iam::Session;
use crate::engine::iam::access_keys::KeyRow;
use crate::engine::lifecycle::index::DueRecord;
use crate::meta::records::{
    BlobRef, DataSummary, GcRecord, PartRecord, UploadRecord, VersionRecord,
};
use crate::types::{
    Account, Bucket, Group, ManagedPolicy, ObjectEvent, ReplicationTask, Role, ScrubStatus, User,
};
use crate::{Error, Result};

/// A value read from a metadata row: decoded as its stored form, then converted.
pub trait Decode: Sized {
    /// The struct serde decodes.
    type Stored: DeserializeOwned;

    /// `Corrupt` if the stored value is not a valid `Self`.
    fn from_stored(stored: Self::Stored) -> Result<Self>;
}

/// A value written to a metadata row, through its stored form.
pub trait Encode: Decode<Stored: Serialize> {
    fn to_stored(&self) -> Self::Stored;
}

/// Encodes `value` in the current format.
pub fn encode<T: Encode>(value: &T) -> Result<Vec<u8>> {
    let mut out = vec![v1::FORMAT];
    rmp_serde::encode::write_named(&mut out, &value.to_stored())
        .map_err(|e| Error::Meta(format!("cannot encode metadata record: {e}")))?;
    Ok(out)
}

/// Decodes a stored value; an unknown format, an undecodable body or a value
/// that does not convert is `Corrupt`.
pub fn decode<T: Decode>(raw: &[u8]) -> Result<T> {
    match raw.split_first() {
        Some((&v1::FORMAT, body)) => {
            let stored = rmp_serde::from_slice(body)
                .map_err(|e| Error::Corrupt(format!("undecodable metadata record: {e}")))?;
            T::from_stored(stored)
        }
        Some((v, _)) => Err(Error::Corrupt(format!(
            "metadata record has unknown format version {v}"
        ))),
        None => Err(Error::Corrupt("empty metadata record".into())),
    }
}

/// Binds each kind of row to its stored struct. `fallible` conversions check
/// the stored value (`TryFrom`); the others cannot fail (`From`).
macro_rules! stored_as {
    (@convert $stored:ident, fallible) => { $stored.try_into() };
    (@convert $stored:ident) => { Ok($stored.into()) };
    ($($memory:ty => $stored:ty $(, $fallible:ident)?;)+) => {$(
        impl Decode for $memory {
            type Stored = $stored;

            fn from_stored(stored: $stored) -> Result<Self> {
                stored_as!(@convert stored $(, $fallible)?)
            }
        }

        impl Encode for $memory {
            fn to_stored(&self) -> $stored {
                self.clone().into()
            }
        }
    )+};
}

stored_as! {
    VersionRecord => v1::Version, fallible;
    UploadRecord => v1::Upload, fallible;
    PartRecord => v1::Part, fallible;
    GcRecord => v1::Gc;
    BlobRef => v1::BlobRef;
    Bucket => v1::Bucket;
    BlobKey => v1::BlobKey, fallible;
    ObjectEvent => v1::ObjectEvent;
    ReplicationTask => v1::ReplicationTask;
    DueRecord => v1::LifecycleDue;
    ScrubStatus => v1::ScrubStatus;
    Account => v1::Account;
    User => v1::User;
    Group => v1::Group;
    Role => v1::Role;
    ManagedPolicy => v1::ManagedPolicy;
    KeyRow => v1::KeyRow, fallible;
    KeyRecord => v1::KmsKey, fallible;
    Session => v1::Session;
}

/// Listings read a version without its inline content or part list.
impl Decode for VersionRecord<DataSummary> {
    type Stored = v1::Version<v1::DataSummary>;

    fn from_stored(stored: Self::Stored) -> Result<Self> {
        stored.try_into()
    }
}

#[cfg(test)]
mod tests;
