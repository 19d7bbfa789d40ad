//! Metadata in RocksDB: row key encodings, value records and the store itself.

pub mod db;
pub mod keys;
pub mod records;
pub mod wal;

pub use db::{Batch, Cf, MetaDb, MetaHealth};
