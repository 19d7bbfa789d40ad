//! The seam between the engine and whatever keeps its metadata rows.
//!
//! The engine needs little of a metadata store: point reads, ordered scans of
//! one column family within bounds, and batches of puts, deletes and merges
//! that commit atomically across column families. [`MetaStore`] is exactly
//! that. RocksDB is the embedded default (`rocks.rs`); [`super::MemoryStore`]
//! keeps rows in memory for tests and tools; [`super::FaultyStore`] wraps any
//! of them to inject the failures a disk produces.
//!
//! # Contract every implementation keeps
//! - A batch commits all of its changes or none, and a reader never sees part
//!   of one.
//! - A batch's preconditions ([`Change::Expect`]) are checked atomically with
//!   its commit against every other writer of the store: RocksDB and memory
//!   within their one process, RADOS across every gateway on the pool (where
//!   a batch's preconditions must all fall in one omap object).
//! - A durable commit ([`Durability::Sync`]) survives a crash once `write`
//!   returns `Ok`, and so does every commit that returned before it. A lazy
//!   commit ([`Durability::Lazy`]) may be lost in a crash, but only together
//!   with every lazy commit after it (the log is a prefix).
//! - A failed durable commit poisons the store: its state is then unknown, so
//!   every later write fails with the same error until it is reopened (fjall's
//!   rule; RocksDB does the same after a failed WAL sync).
//! - Scans see rows in bytewise key order; a cursor is a consistent view of the
//!   rows as of some moment at or after its creation.
//!
//! # On a distributed engine (Ceph RADOS)
//! How each operation maps, for the gateway that runs on RADOS next:
//! - a column family is a set of RADOS objects whose omap holds its rows, each
//!   object covering one key range (one object per bucket index shard, as RGW
//!   keeps its bucket index); `get` is an omap get-by-key, a cursor pages with
//!   omap get-vals (start-after, max-return), which lists in key order;
//! - a batch whose rows fall in one object is one compound write operation
//!   (omap set and remove together), atomic by RADOS's per-object guarantee;
//!   a batch spanning objects is written as an intent row first and applied
//!   after, so a crash between is rolled forward at open (RGW's "pending"
//!   index entries); every RADOS write is durable on ack, so `Lazy` = `Sync`;
//! - merges (summed counters) become an object class call or a guarded
//!   read-modify-write with an omap compare;
//! - the engine's read-modify-writes carry their reads as preconditions
//!   ([`Change::Expect`]), omap value compares there that fail the whole
//!   operation with `-ECANCELED` when another gateway got in first.

use std::time::Duration;

use crate::Result;

use super::Cf;

/// How a commit reaches the disk before [`MetaStore::write`] returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// On stable storage: survives a power cut. Concurrent commits may share
    /// one sync (group commit).
    Sync,
    /// In the log but perhaps not yet synced: for changes that are safe to
    /// lose in a crash (e.g. dropping gc rows whose files are already gone).
    Lazy,
}

/// One change of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Put {
        cf: Cf,
        key: Vec<u8>,
        value: Vec<u8>,
    },
    /// Combines `operand` with the row through the column family's merge
    /// operator (see [`Cf::merge_operator`]).
    Merge {
        cf: Cf,
        key: Vec<u8>,
        operand: Vec<u8>,
    },
    Delete {
        cf: Cf,
        key: Vec<u8>,
    },
    /// A precondition, not a change: the batch commits only if the row holds
    /// `value` as the batch commits (`None`: the row is absent or empty, as
    /// RADOS compares a missing omap key with the empty value); otherwise
    /// [`MetaStore::write`] fails with [`crate::Error::Conflict`] and writes
    /// nothing. Preconditions see the rows as they were before the batch,
    /// whatever order its changes come in.
    Expect {
        cf: Cf,
        key: Vec<u8>,
        value: Option<Vec<u8>>,
    },
}

impl Change {
    pub fn cf(&self) -> Cf {
        match self {
            Change::Put { cf, .. }
            | Change::Merge { cf, .. }
            | Change::Delete { cf, .. }
            | Change::Expect { cf, .. } => *cf,
        }
    }

    pub fn key(&self) -> &[u8] {
        match self {
            Change::Put { key, .. }
            | Change::Merge { key, .. }
            | Change::Delete { key, .. }
            | Change::Expect { key, .. } => key,
        }
    }

    /// Whether `stored` (the row's value, if any) meets this change when it
    /// is a precondition; true for every other change.
    pub fn holds(&self, stored: Option<&[u8]>) -> bool {
        match self {
            Change::Expect { value, .. } => {
                stored.filter(|v| !v.is_empty()) == value.as_deref().filter(|v| !v.is_empty())
            }
            _ => true,
        }
    }
}

/// Combines a row's value (if any) with merge operands, oldest first; `None`
/// when the stored bytes cannot be combined (the store keeps the old value).
pub type MergeFn =
    fn(existing: Option<&[u8]>, operands: &mut dyn Iterator<Item = &[u8]>) -> Option<Vec<u8>>;

/// The metadata store: shared by all engine threads, every method thread-safe.
pub trait MetaStore: Send + Sync {
    /// Reads one row.
    fn get(&self, cf: Cf, key: &[u8]) -> Result<Option<Vec<u8>>>;

    /// Reads several rows of one column family, in the order given.
    fn multi_get(&self, cf: Cf, keys: &[Vec<u8>]) -> Result<Vec<Option<Vec<u8>>>> {
        keys.iter().map(|k| self.get(cf, k)).collect()
    }

    /// A cursor over the rows of `cf` in `[lower, upper)`; not yet positioned.
    fn cursor(
        &self,
        cf: Cf,
        lower: Option<Vec<u8>>,
        upper: Option<Vec<u8>>,
    ) -> Result<Box<dyn Cursor + '_>>;

    /// Commits `changes` atomically, as `durability` says, if every
    /// [`Change::Expect`] among them holds; [`crate::Error::Conflict`] (and
    /// nothing written) if one does not.
    fn write(&self, changes: Vec<Change>, durability: Durability) -> Result<()>;

    /// Makes every commit durable and leaves nothing to replay at the next open.
    fn flush(&self) -> Result<()>;

    /// An estimate of the rows in `cf`: for progress displays.
    fn estimate_rows(&self, cf: Cf) -> u64;

    /// What the store reports of its own state (the metrics export it).
    fn health(&self) -> MetaHealth {
        MetaHealth::default()
    }

    /// Gives back memory that only speeds up work to come (a write buffer
    /// holding committed rows, cached blocks), after a busy period: nothing
    /// committed is lost, later reads may be slower at first.
    fn release_memory(&self) -> Result<()> {
        Ok(())
    }

    /// Takes, or renews, the lease `name` for `holder` for `duration`;
    /// returns whether `holder` holds it now. Work that must run on one
    /// gateway at a time (the background workers) runs while its gateway
    /// holds the lease, renewing it well within `duration`; when the holder
    /// stops renewing (it died), another takes the lease once it expires. A
    /// store that one process opens at a time (RocksDB, memory) has no one
    /// to share with: every lease is held.
    fn hold_lease(&self, _name: &str, _holder: &str, _duration: Duration) -> Result<bool> {
        Ok(true)
    }

    /// Gives up the lease `name` if `holder` holds it, so that another
    /// holder may take it at once instead of when it expires (a clean
    /// shutdown).
    fn release_lease(&self, _name: &str, _holder: &str) -> Result<()> {
        Ok(())
    }

    /// Takes the exclusive lock `name` held by `holder` for at most
    /// `duration` on the rows near `key` in `cf` (its shard); returns whether
    /// `holder` got it (`false`: another holder has it now). Serialises a
    /// read-modify-write whose guard cannot sit in the batch that commits
    /// it. A store one process opens at a time always grants it.
    fn try_lock_rows(
        &self,
        _cf: Cf,
        _key: &[u8],
        _name: &str,
        _holder: &str,
        _duration: Duration,
    ) -> Result<bool> {
        Ok(true)
    }

    /// Releases a lock taken by [`MetaStore::try_lock_rows`].
    fn unlock_rows(&self, _cf: Cf, _key: &[u8], _name: &str, _holder: &str) -> Result<()> {
        Ok(())
    }

    /// Whether other processes (gateways) write the same rows: then nothing
    /// read may be cached beyond one request.
    fn shared_by_gateways(&self) -> bool {
        false
    }

    /// Housekeeping after many deletes, so scans stop stepping over them (an
    /// LSM tree's tombstones); a no-op where deletes leave nothing behind.
    fn flush_tombstones(&self, _threshold: u64) -> Result<()> {
        Ok(())
    }
}

/// An ordered cursor over one column family within the bounds it was made
/// with. Positioning never fails: an error ends the rows and is reported by
/// [`Cursor::status`], which callers check once the rows end.
pub trait Cursor {
    /// Positions at the first row at or after `key`.
    fn seek(&mut self, key: &[u8]);
    fn seek_to_first(&mut self);
    fn seek_to_last(&mut self);
    fn next(&mut self);
    fn prev(&mut self);
    /// The row under the cursor, if it is on one.
    fn item(&self) -> Option<(&[u8], &[u8])>;
    /// The error that ended the rows early, if any.
    fn status(&self) -> Result<()>;

    fn valid(&self) -> bool {
        self.item().is_some()
    }
    fn key(&self) -> Option<&[u8]> {
        self.item().map(|(k, _)| k)
    }
    fn value(&self) -> Option<&[u8]> {
        self.item().map(|(_, v)| v)
    }
}

/// A store's own state, as the metrics report it (all zero where a store has
/// no such thing).
#[derive(Debug, Clone, Copy, Default)]
pub struct MetaHealth {
    /// Writes are stopped until compaction catches up.
    pub write_stopped: bool,
    /// The rate writes are slowed to, bytes per second; 0 when not slowed.
    pub delayed_write_rate: u64,
    /// Bytes compaction must rewrite to bring every level within its target.
    pub pending_compaction_bytes: u64,
    pub running_compactions: u64,
    /// Bytes of all table files.
    pub live_data_bytes: u64,
    pub memtable_bytes: u64,
    pub block_cache_bytes: u64,
    /// Block cache lookups that hit and missed since the store opened.
    pub block_cache_hits: u64,
    pub block_cache_misses: u64,
    /// Microseconds writes were stalled since the store opened.
    pub stall_micros: u64,
}
