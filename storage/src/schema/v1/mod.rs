//! Format 1: the stored form of every metadata value horreo writes today.
//!
//! Each struct and enum here is exactly what serde encodes: its field and
//! variant names, defaults and encodings are the bytes on disk. They derive
//! serde and nothing else reads them; the engine converts to and from them
//! through the `From`/`TryFrom` impls beside each one.

mod bucket;
mod config;
mod crypto;
mod fields;
mod iam;
mod object;
mod queues;

use bytes::Bytes;

use crate::{Error, Result};

pub use bucket::Bucket;
pub use crypto::{BlobKey, KmsKey};
pub use iam::{Account, Group, KeyRow, ManagedPolicy, Role, Session, User};
#[cfg(test)]
pub use object::ObjectData;
pub use object::{BlobRef, DataSummary, Gc, Part, Upload, Version};
pub use queues::{LifecycleDue, ObjectEvent, ReplicationTask, ScrubStatus};

/// The leading byte of a value in this format.
pub const FORMAT: u8 = 1;

/// Fixed-size binary (ids, salts, sealed keys): stored as MessagePack binary,
/// read back only at exactly `N` bytes.
fn fixed<const N: usize>(raw: &[u8], what: &str) -> Result<[u8; N]> {
    <[u8; N]>::try_from(raw).map_err(|_| {
        Error::Corrupt(format!(
            "stored {what} has {} bytes instead of {N}",
            raw.len()
        ))
    })
}

fn binary(raw: &[u8]) -> Bytes {
    Bytes::copy_from_slice(raw)
}

/// Converts every element (infallibly).
fn all<A, B: From<A>>(items: Vec<A>) -> Vec<B> {
    items.into_iter().map(B::from).collect()
}

/// Converts every element; the first that cannot convert fails the whole.
fn try_all<A, B: TryFrom<A, Error = Error>>(items: Vec<A>) -> Result<Vec<B>> {
    items.into_iter().map(B::try_from).collect()
}

/// A stored enum of unit variants mirroring an in-memory one variant for
/// variant, with conversions both ways. The stored variant names are the
/// format: never rename or remove one.
macro_rules! mirror_enum {
    (
        $(#[$attr:meta])*
        pub enum $stored:ident <=> $memory:path {
            $($(#[$vattr:meta])* $variant:ident),+ $(,)?
        }
    ) => {
        $(#[$attr])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
        // The variants are the in-memory enum's names, which are S3's.
        #[allow(clippy::enum_variant_names)]
        pub enum $stored {
            $($(#[$vattr])* $variant),+
        }

        impl From<$memory> for $stored {
            fn from(value: $memory) -> Self {
                match value {
                    $(<$memory>::$variant => Self::$variant),+
                }
            }
        }

        impl From<$stored> for $memory {
            fn from(value: $stored) -> Self {
                match value {
                    $($stored::$variant => <$memory>::$variant),+
                }
            }
        }
    };
}
use mirror_enum;
