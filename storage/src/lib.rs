//! horreo's storage engine: buckets, object versions and their data on local disk.
//!
//! The engine is synchronous and blocking (RocksDB, file I/O, fsync): callers in an
//! async runtime run it on a blocking thread pool. It knows nothing of HTTP or XML;
//! it speaks in S3's terms (buckets, keys, versions, storage classes) and returns
//! one error type, [`Error`].
//!
//! Durability: when a mutating call returns `Ok`, its effect survives a crash
//! (blob fsynced and renamed into place, metadata committed with a synced write).
//! A crash at any point leaves the old state or the new one, never a mix.

mod blob;
pub mod clock;
pub mod crypto;
mod engine;
mod error;
#[cfg(test)]
mod format_fixtures;
#[cfg(feature = "rocksdb")]
pub mod fsck;
#[doc(hidden)]
pub mod fuzzing;
mod meta;
pub mod power;
#[cfg(feature = "rados")]
pub mod rados;
mod schema;
pub mod types;

pub use crypto::{Key256, MasterKey};
pub use engine::space::{Reserve, parse_size};
pub use engine::{
    BucketUsage, Engine, EngineConfig, Holder, LifecycleSettings, ObjectReader, Session,
    SessionIdentity, StagedBlob, Stager, parse_policy_arn,
};
pub use error::{Error, Result};
#[cfg(feature = "rados")]
pub use meta::RadosStore;
pub use meta::{
    Cf, Change, Cursor, Durability, FaultyStore, MemoryStore, MetaDb, MetaFault, MetaFaults,
    MetaHealth, MetaStore,
};
pub use types::*;
