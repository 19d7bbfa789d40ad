//! Metadata: row key encodings, value records, and the stores that keep them
//! behind one trait ([`MetaStore`]): RocksDB on disk, memory, and a wrapper that
//! injects faults.

#[cfg(all(test, feature = "rocksdb"))]
mod conformance;
pub mod db;
pub mod fault;
pub mod keys;
pub mod memory;
#[cfg(feature = "rados")]
pub mod rados;
pub mod records;
#[cfg(feature = "rocksdb")]
pub mod rocks;
#[cfg(feature = "rocksdb")]
mod row_locks;
pub mod store;
#[cfg(feature = "rocksdb")]
pub mod wal;

pub use db::{Batch, Cf, MetaDb};
pub use fault::{FaultyStore, MetaFault, MetaFaults};
pub use memory::MemoryStore;
#[cfg(feature = "rados")]
pub use rados::RadosStore;
#[cfg(feature = "rocksdb")]
pub use rocks::RocksStore;
pub use store::{Change, Cursor, Durability, MetaHealth, MetaStore};
