//! The metadata store as the engine sees it: column families, batches, and
//! the scans built on a [`MetaStore`]'s cursor.

use std::time::Duration;

use super::store::{Change, Cursor, Durability, MergeFn, MetaHealth, MetaStore};
use crate::{Error, Result};

/// What the engine holds: a metadata store behind the one trait (`S` is
/// `dyn MetaStore` once built), with the scans and batches made of it.
pub struct MetaDb<S: ?Sized = dyn MetaStore> {
    store: S,
}

impl<S: MetaStore> MetaDb<S> {
    pub fn new(store: S) -> Self {
        Self { store }
    }
}

/// The column families of the metadata store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Cf {
    /// bucket name -> `Bucket`
    Buckets,
    /// bucket id ++ key -> the live `VersionRecord` a plain GET sees
    Current,
    /// bucket id ++ escaped key ++ terminator ++ !seq -> every `VersionRecord`
    Versions,
    /// blob id -> `BlobRef`: the blob is referenced by a committed version
    Blobs,
    /// blob id -> `GcRecord`: the blob is garbage, its file is to be deleted
    Gc,
    /// counter name -> u64 BE
    Meta,
    /// bucket id ++ escaped key ++ terminator ++ seq -> `UploadRecord` (in progress)
    Uploads,
    /// upload seq ++ part number -> `PartRecord`
    Parts,
    /// accounts, users, groups, roles, managed policies and access keys
    /// (see `engine::iam`)
    Iam,
    /// due time (ms) ++ bucket id ++ kind ++ subject -> `LifecycleDue`: when the
    /// lifecycle worker is to look at a key, an upload or a bucket to re-index
    /// (see `engine::lifecycle::index`)
    Lifecycle,
    /// destination ARN ++ `00` ++ sequence (8) -> `ObjectEvent` waiting for
    /// delivery (see `engine::events`)
    Events,
    /// `q`|`f` ++ destination ARN ++ `00` ++ sequence (8) -> `ReplicationTask`
    /// queued or given up on (see `engine::replication`)
    Replication,
}

impl Cf {
    pub const ALL: [Cf; 12] = [
        Cf::Buckets,
        Cf::Current,
        Cf::Versions,
        Cf::Blobs,
        Cf::Gc,
        Cf::Meta,
        Cf::Uploads,
        Cf::Parts,
        Cf::Iam,
        Cf::Lifecycle,
        Cf::Events,
        Cf::Replication,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Cf::Buckets => "buckets",
            Cf::Current => "current",
            Cf::Versions => "versions",
            Cf::Blobs => "blobs",
            Cf::Gc => "gc",
            Cf::Uploads => "uploads",
            Cf::Parts => "parts",
            Cf::Meta => "meta",
            Cf::Iam => "iam",
            Cf::Lifecycle => "lifecycle",
            Cf::Events => "events",
            Cf::Replication => "replication",
        }
    }

    /// How merge operands combine in this column family, if it takes any:
    /// `meta` holds the per-bucket usage rows, summed deltas (`engine::usage`).
    pub fn merge_operator(self) -> Option<MergeFn> {
        (self == Cf::Meta).then_some(crate::engine::usage::merge as MergeFn)
    }
}

impl<S: MetaStore + ?Sized> MetaDb<S> {
    /// The store itself, for what only it offers (fsck's repairs, power cuts).
    pub fn store(&self) -> &S {
        &self.store
    }

    pub fn store_mut(&mut self) -> &mut S {
        &mut self.store
    }

    /// Reads one row.
    pub fn get(&self, cf: Cf, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.store.get(cf, key)
    }

    /// Reads several rows of one column family, in the order given.
    pub fn multi_get(&self, cf: Cf, keys: &[Vec<u8>]) -> Result<Vec<Option<Vec<u8>>>> {
        self.store.multi_get(cf, keys)
    }

    /// A cursor over `cf` restricted to `[lower, upper)`; not yet positioned.
    pub fn iter(
        &self,
        cf: Cf,
        lower: Option<Vec<u8>>,
        upper: Option<Vec<u8>>,
    ) -> Result<Box<dyn Cursor + '_>> {
        self.store.cursor(cf, lower, upper)
    }

    /// An estimate of the rows in `cf`: for progress displays.
    pub fn estimate_rows(&self, cf: Cf) -> u64 {
        self.store.estimate_rows(cf)
    }

    pub fn health(&self) -> MetaHealth {
        self.store.health()
    }

    /// See [`MetaStore::flush_tombstones`].
    pub fn flush_tombstones(&self, threshold: u64) -> Result<()> {
        self.store.flush_tombstones(threshold)
    }

    /// Makes every commit durable, leaving nothing to replay at the next open.
    pub fn flush_all(&self) -> Result<()> {
        self.store.flush()
    }

    /// See [`MetaStore::hold_lease`].
    pub fn hold_lease(&self, name: &str, holder: &str, duration: Duration) -> Result<bool> {
        self.store.hold_lease(name, holder, duration)
    }

    /// See [`MetaStore::release_lease`].
    pub fn release_lease(&self, name: &str, holder: &str) -> Result<()> {
        self.store.release_lease(name, holder)
    }

    /// See [`MetaStore::try_lock_rows`].
    pub fn try_lock_rows(
        &self,
        cf: Cf,
        key: &[u8],
        name: &str,
        holder: &str,
        duration: Duration,
    ) -> Result<bool> {
        self.store.try_lock_rows(cf, key, name, holder, duration)
    }

    /// See [`MetaStore::unlock_rows`].
    pub fn unlock_rows(&self, cf: Cf, key: &[u8], name: &str, holder: &str) -> Result<()> {
        self.store.unlock_rows(cf, key, name, holder)
    }

    /// See [`MetaStore::shared_by_gateways`].
    pub fn shared_by_gateways(&self) -> bool {
        self.store.shared_by_gateways()
    }

    /// See [`MetaStore::release_memory`].
    pub fn release_memory(&self) -> Result<()> {
        self.store.release_memory()
    }

    /// Whether any row of `cf` lies in `[lower, upper)`: one bounded seek.
    pub fn any_in_range(&self, cf: Cf, lower: Vec<u8>, upper: Option<Vec<u8>>) -> Result<bool> {
        let mut it = self.iter(cf, Some(lower.clone()), upper)?;
        it.seek(&lower);
        let found = it.valid();
        it.status()?;
        Ok(found)
    }

    /// The number of rows in `cf`, counting at most `cap`: an exact count for
    /// a small column family such as `gc`.
    pub fn count_rows(&self, cf: Cf, cap: u64) -> Result<u64> {
        let mut it = self.iter(cf, None, None)?;
        it.seek_to_first();
        let mut n = 0;
        while it.valid() && n < cap {
            n += 1;
            it.next();
        }
        it.status()?;
        Ok(n)
    }

    /// Starts a batch of changes that commit together or not at all.
    pub fn batch(&self) -> Batch<'_, S> {
        Batch {
            db: self,
            changes: Vec::new(),
        }
    }
}

/// A set of row changes committed atomically by [`Batch::commit`]. Adding a
/// change never fails today; the `Result` leaves room for a store that bounds
/// its batches.
pub struct Batch<'a, S: ?Sized = dyn MetaStore> {
    db: &'a MetaDb<S>,
    changes: Vec<Change>,
}

impl<S: MetaStore + ?Sized> Batch<'_, S> {
    pub fn put(&mut self, cf: Cf, key: &[u8], value: &[u8]) -> Result<()> {
        self.changes.push(Change::Put {
            cf,
            key: key.to_vec(),
            value: value.to_vec(),
        });
        Ok(())
    }

    /// Adds `operand` to the row through the column family's merge operator.
    pub fn merge(&mut self, cf: Cf, key: &[u8], operand: &[u8]) -> Result<()> {
        self.changes.push(Change::Merge {
            cf,
            key: key.to_vec(),
            operand: operand.to_vec(),
        });
        Ok(())
    }

    pub fn delete(&mut self, cf: Cf, key: &[u8]) -> Result<()> {
        self.changes.push(Change::Delete {
            cf,
            key: key.to_vec(),
        });
        Ok(())
    }

    /// Makes the batch commit only if row `key` of `cf` holds `value` then
    /// (`None`: is absent): [`Error::Conflict`] and nothing written if not.
    /// Checked against the rows as they were before the batch.
    pub fn expect(&mut self, cf: Cf, key: &[u8], value: Option<&[u8]>) -> Result<()> {
        self.changes.push(Change::Expect {
            cf,
            key: key.to_vec(),
            value: value.map(<[u8]>::to_vec),
        });
        Ok(())
    }

    /// Whether no change was added.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// Commits durably ([`Durability::Sync`]). Concurrent commits share one
    /// sync where the store groups them, so callers must not serialise them.
    pub fn commit(self) -> Result<()> {
        self.db.store.write(self.changes, Durability::Sync)
    }

    /// Commits without waiting for the sync ([`Durability::Lazy`]): for changes
    /// that are safe to lose in a crash.
    pub fn commit_unsynced(self) -> Result<()> {
        self.db.store.write(self.changes, Durability::Lazy)
    }
}

/// Reads a big-endian u64 counter value.
pub fn decode_u64(raw: &[u8]) -> Result<u64> {
    let bytes: [u8; 8] = raw
        .try_into()
        .map_err(|_| Error::Corrupt(format!("counter has {} bytes, expected 8", raw.len())))?;
    Ok(u64::from_be_bytes(bytes))
}
