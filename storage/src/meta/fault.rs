//! A metadata store that fails as disks fail, for the engine's fault tests.
//!
//! [`FaultyStore`] wraps any store and consults a shared [`MetaFaults`] plan on
//! each write and read: the nth write can fail cleanly, find the disk full,
//! fail its sync (which poisons the store, as a failed sync must), or be
//! acknowledged and silently dropped; the nth read can report damage. Over a
//! [`MemoryStore`] it also keeps the image a power cut would leave: every
//! durable commit, plus the lazy commits before the last durable one.

use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;

use super::store::{Change, Cursor, Durability, MetaHealth, MetaStore};
use super::{Cf, MemoryStore};
use crate::power::FaultPlan;
use crate::{Error, Result};

/// What the nth write or read does instead of succeeding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetaFault {
    /// The write fails and changes nothing (an I/O error before the log).
    FailWrite,
    /// The write fails with ENOSPC and changes nothing.
    NoSpace,
    /// The write reaches the log but its sync fails: the caller gets an
    /// error, the store is poisoned, and whether the write survives a power
    /// cut is unknown (here: it does not).
    SyncFails,
    /// The write is acknowledged but never stored (a lying disk).
    DropWrite,
    /// The power fails just before the write: it and every later one fail
    /// (of this store and of every other store on the same [`Power`]), and
    /// [`FaultyStore::power_cut`] gives what the disk then holds.
    PowerCut,
    /// The read reports damaged data.
    ReadDamaged,
}

/// The faults to inject, shared between a test and the store it wraps.
pub type MetaFaults = FaultPlan<MetaFault>;

/// The power-cut image of a store in memory: what a crash right now leaves.
struct Image {
    durable: MemoryStore,
    /// Lazy commits since the last durable one, in order.
    lazy: Vec<Vec<Change>>,
}

/// Wraps a store, injecting the faults its [`MetaFaults`] plan names.
pub struct FaultyStore {
    inner: Box<dyn MetaStore>,
    faults: Arc<MetaFaults>,
    /// Why writes are refused, once a sync failed.
    poisoned: Mutex<Option<String>>,
    /// Kept for stores in memory: what a power cut leaves.
    image: Option<Mutex<Image>>,
}

impl FaultyStore {
    /// Wraps `inner` (no power-cut image: a store on disk has its own).
    pub fn new(inner: impl MetaStore + 'static, faults: Arc<MetaFaults>) -> Self {
        Self {
            inner: Box::new(inner),
            faults,
            poisoned: Mutex::new(None),
            image: None,
        }
    }

    /// An empty store in memory that can be power-cut ([`Self::power_cut`]).
    pub fn in_memory(faults: Arc<MetaFaults>) -> Self {
        Self::from_image(MemoryStore::new(), faults)
    }

    /// A store in memory starting from `rows` (e.g. an earlier power cut's).
    pub fn from_image(rows: MemoryStore, faults: Arc<MetaFaults>) -> Self {
        let image = Image {
            durable: rows.snapshot(),
            lazy: Vec::new(),
        };
        Self {
            image: Some(Mutex::new(image)),
            ..Self::new(rows, faults)
        }
    }

    /// The rows a power cut right now leaves: every durable commit, then the
    /// first `keep_lazy` of the lazy commits that followed the last durable one
    /// (a log survives as a prefix).
    pub fn power_cut(&self, keep_lazy: usize) -> Result<MemoryStore> {
        let image = self
            .image
            .as_ref()
            .ok_or_else(|| Error::Meta("no power-cut image is kept".into()))?
            .lock();
        let rows = image.durable.snapshot();
        for changes in image.lazy.iter().take(keep_lazy) {
            rows.apply(changes)?;
        }
        Ok(rows)
    }

    /// Lazy commits a power cut right now could lose.
    pub fn lazy_commits(&self) -> usize {
        self.image.as_ref().map_or(0, |i| i.lock().lazy.len())
    }

    /// Records a stored commit in the power-cut image.
    fn remember(&self, changes: &[Change], durability: Durability) -> Result<()> {
        let Some(image) = &self.image else {
            return Ok(());
        };
        let mut image = image.lock();
        match durability {
            Durability::Lazy => image.lazy.push(changes.to_vec()),
            Durability::Sync => {
                // A sync makes the log durable up to and including this commit.
                for earlier in std::mem::take(&mut image.lazy) {
                    image.durable.apply(&earlier)?;
                }
                image.durable.apply(changes)?;
            }
        }
        Ok(())
    }

    fn read_fault(&self) -> Result<()> {
        match self.faults.next_read() {
            Some(MetaFault::ReadDamaged) => Err(injected_damage()),
            _ => Ok(()),
        }
    }

    fn check_poison(&self) -> Result<()> {
        if self.faults.power().is_cut() {
            return Err(injected("the power is cut"));
        }
        match &*self.poisoned.lock() {
            Some(why) => Err(Error::Meta(format!(
                "the metadata store refuses writes ({why}); restart to recover"
            ))),
            None => Ok(()),
        }
    }
}

fn injected(what: &str) -> Error {
    Error::Meta(format!("injected fault: {what}"))
}

fn injected_damage() -> Error {
    Error::Corrupt("injected fault: damaged block".into())
}

impl MetaStore for FaultyStore {
    fn get(&self, cf: Cf, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.read_fault()?;
        self.inner.get(cf, key)
    }

    fn cursor(
        &self,
        cf: Cf,
        lower: Option<Vec<u8>>,
        upper: Option<Vec<u8>>,
    ) -> Result<Box<dyn Cursor + '_>> {
        self.read_fault()?;
        self.inner.cursor(cf, lower, upper)
    }

    fn write(&self, changes: Vec<Change>, durability: Durability) -> Result<()> {
        self.check_poison()?;
        match self.faults.next_write() {
            Some(MetaFault::FailWrite) => Err(injected("write failed")),
            Some(MetaFault::NoSpace) => Err(Error::InsufficientStorage(
                "injected fault: no space left on device".into(),
            )),
            Some(MetaFault::DropWrite) => Ok(()),
            Some(MetaFault::PowerCut) => {
                self.faults.power().cut();
                Err(injected("power cut"))
            }
            Some(MetaFault::SyncFails) => {
                // In the log (readers see it) but not durable; nothing more is
                // accepted: the state on disk is unknown.
                self.inner.write(changes, Durability::Lazy)?;
                *self.poisoned.lock() = Some("injected fault: fsync failed".into());
                Err(injected("fsync failed"))
            }
            Some(MetaFault::ReadDamaged) | None => {
                self.inner.write(changes.clone(), durability)?;
                self.remember(&changes, durability)
            }
        }
    }

    fn flush(&self) -> Result<()> {
        self.check_poison()?;
        self.inner.flush()?;
        // Everything in the log is now durable.
        if let Some(image) = &self.image {
            let mut image = image.lock();
            for earlier in std::mem::take(&mut image.lazy) {
                image.durable.apply(&earlier)?;
            }
        }
        Ok(())
    }

    fn estimate_rows(&self, cf: Cf) -> u64 {
        self.inner.estimate_rows(cf)
    }

    fn health(&self) -> MetaHealth {
        self.inner.health()
    }

    fn flush_tombstones(&self, threshold: u64) -> Result<()> {
        self.inner.flush_tombstones(threshold)
    }

    fn hold_lease(&self, name: &str, holder: &str, duration: Duration) -> Result<bool> {
        self.inner.hold_lease(name, holder, duration)
    }

    fn release_lease(&self, name: &str, holder: &str) -> Result<()> {
        self.inner.release_lease(name, holder)
    }

    fn try_lock_rows(
        &self,
        cf: Cf,
        key: &[u8],
        name: &str,
        holder: &str,
        duration: Duration,
    ) -> Result<bool> {
        self.inner.try_lock_rows(cf, key, name, holder, duration)
    }

    fn unlock_rows(&self, cf: Cf, key: &[u8], name: &str, holder: &str) -> Result<()> {
        self.inner.unlock_rows(cf, key, name, holder)
    }

    fn shared_by_gateways(&self) -> bool {
        self.inner.shared_by_gateways()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::meta::MetaDb;

    fn put(db: &MetaDb, key: &[u8], durability: Durability) -> Result<()> {
        let mut batch = db.batch();
        batch.put(Cf::Current, key, b"v")?;
        match durability {
            Durability::Sync => batch.commit(),
            Durability::Lazy => batch.commit_unsynced(),
        }
    }

    #[test]
    fn a_failed_or_full_write_changes_nothing() {
        let faults = MetaFaults::new();
        let db = MetaDb::new(FaultyStore::in_memory(Arc::clone(&faults)));
        faults.on_write(1, MetaFault::FailWrite);
        faults.on_write(2, MetaFault::NoSpace);
        assert!(matches!(
            put(&db, b"a", Durability::Sync),
            Err(Error::Meta(_))
        ));
        assert!(matches!(
            put(&db, b"a", Durability::Sync),
            Err(Error::InsufficientStorage(_))
        ));
        assert_eq!(db.get(Cf::Current, b"a").unwrap(), None);
        put(&db, b"a", Durability::Sync).unwrap();
        assert!(db.get(Cf::Current, b"a").unwrap().is_some());
    }

    #[test]
    fn a_failed_sync_poisons_the_store() {
        let faults = MetaFaults::new();
        let db = MetaDb::new(FaultyStore::in_memory(Arc::clone(&faults)));
        faults.on_write(1, MetaFault::SyncFails);
        assert!(put(&db, b"a", Durability::Sync).is_err());
        let err = put(&db, b"b", Durability::Lazy).unwrap_err();
        assert!(err.to_string().contains("refuses writes"), "{err}");
        assert!(db.flush_all().is_err());
        // Not durable: a power cut loses it.
        assert_eq!(
            db.store()
                .power_cut(usize::MAX)
                .unwrap()
                .get(Cf::Current, b"a")
                .unwrap(),
            None
        );
    }

    #[test]
    fn a_power_cut_keeps_durable_commits_and_a_prefix_of_the_rest() {
        let db = MetaDb::new(FaultyStore::in_memory(MetaFaults::new()));
        put(&db, b"1", Durability::Lazy).unwrap();
        put(&db, b"2", Durability::Sync).unwrap();
        put(&db, b"3", Durability::Lazy).unwrap();
        put(&db, b"4", Durability::Lazy).unwrap();
        assert_eq!(db.store().lazy_commits(), 2);
        let keys = |keep| {
            let rows = MetaDb::new(db.store().power_cut(keep).unwrap());
            let rows: &MetaDb = &rows;
            (1..=4u8)
                .filter(|k| rows.get(Cf::Current, &[b'0' + k]).unwrap().is_some())
                .collect::<Vec<_>>()
        };
        assert_eq!(keys(0), [1, 2]);
        assert_eq!(keys(1), [1, 2, 3]);
        assert_eq!(keys(2), [1, 2, 3, 4]);
        db.flush_all().unwrap();
        assert_eq!(keys(0), [1, 2, 3, 4]);
    }

    #[test]
    fn dropped_writes_and_damaged_reads() {
        let faults = MetaFaults::new();
        let db = MetaDb::new(FaultyStore::in_memory(Arc::clone(&faults)));
        faults.on_write(1, MetaFault::DropWrite);
        put(&db, b"a", Durability::Sync).unwrap();
        faults.on_read(1, MetaFault::ReadDamaged);
        assert!(matches!(db.get(Cf::Current, b"a"), Err(Error::Corrupt(_))));
        assert_eq!(db.get(Cf::Current, b"a").unwrap(), None);
        assert_eq!(faults.writes(), 1);
    }
}
