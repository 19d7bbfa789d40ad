//! A blob store that fails as disks fail, for the engine's fault tests.
//!
//! [`FaultyBlobs`] wraps any [`BlobStore`] and consults a shared [`BlobFaults`]
//! plan on each write (an append, sync, install, removal, quarantine or
//! restore) and each positioned read. The nth write can fail cleanly, find the
//! disk full, fail its sync (which poisons the store: every later write is
//! refused), be acknowledged and silently dropped, tear (a prefix of it lands,
//! then the power fails) or meet a power cut; the nth read can return a
//! flipped bit. Over memory it also keeps the image a power cut would leave
//! ([`FaultyBlobs::power_cut`]): installed blobs with their synced bytes and a
//! random prefix of the rest, removals possibly undone, staged blobs gone.

use std::collections::BTreeMap;
use std::io;
use std::sync::Arc;

use parking_lot::Mutex;
use rand::{Rng, RngCore};

use super::memory::MemoryBlobs;
use super::store::{BlobRead, BlobStore, StagedWrite};
use crate::meta::records::BlobId;
use crate::power::FaultPlan;

/// What the nth write or read does instead of succeeding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlobFault {
    /// The write fails and changes nothing.
    FailWrite,
    /// The write fails with ENOSPC and changes nothing.
    NoSpace,
    /// The write happens but its sync fails: the caller gets an error, the
    /// store is poisoned, and the write does not survive a power cut.
    SyncFails,
    /// The write is acknowledged but never happens (a lying disk).
    DropWrite,
    /// An append lands only in part, then the power fails (any other write:
    /// as [`BlobFault::PowerCut`]).
    TornWrite,
    /// The power fails just before the write: it and every later write of
    /// every store on the same [`Power`] fail.
    PowerCut,
    /// The read returns its bytes with one bit flipped.
    FlipBit,
}

/// The faults to inject, shared between a test and the store it wraps.
pub type BlobFaults = FaultPlan<BlobFault>;

/// A blob as a power cut would find it: `synced` of its bytes are durable.
#[derive(Clone)]
struct OnDisk {
    bytes: Vec<u8>,
    synced: usize,
}

impl OnDisk {
    /// The synced bytes and a random prefix of the rest.
    fn torn(&self, rng: &mut dyn RngCore) -> Vec<u8> {
        let keep = rng.random_range(self.synced..=self.bytes.len().max(self.synced));
        self.bytes.get(..keep).unwrap_or(&self.bytes).to_vec()
    }
}

/// What the disk holds, for stores in memory.
#[derive(Default)]
struct Image {
    installed: BTreeMap<BlobId, OnDisk>,
    /// Removed blobs: a removal is not synced, so a crash may undo it.
    removed: BTreeMap<BlobId, OnDisk>,
    quarantined: BTreeMap<BlobId, OnDisk>,
}

struct Shared {
    faults: Arc<BlobFaults>,
    /// Why writes are refused, once a sync failed.
    poisoned: Mutex<Option<String>>,
    image: Option<Mutex<Image>>,
}

/// What a write goes on to do after the plan was consulted.
enum Go {
    Normally,
    Drop,
    Tear,
    FailSync,
}

impl Shared {
    /// Consults the plan for the next write: fails it, or says how it goes on.
    fn write(&self) -> io::Result<Go> {
        if self.faults.power().is_cut() {
            return Err(injected("the power is cut"));
        }
        if let Some(why) = &*self.poisoned.lock() {
            return Err(io::Error::other(format!(
                "the blob store refuses writes ({why}); restart to recover"
            )));
        }
        match self.faults.next_write() {
            Some(BlobFault::FailWrite) => Err(injected("write failed")),
            Some(BlobFault::NoSpace) => Err(io::Error::from_raw_os_error(28)),
            Some(BlobFault::PowerCut) => {
                self.faults.power().cut();
                Err(injected("power cut"))
            }
            Some(BlobFault::SyncFails) => Ok(Go::FailSync),
            Some(BlobFault::DropWrite) => Ok(Go::Drop),
            Some(BlobFault::TornWrite) => Ok(Go::Tear),
            Some(BlobFault::FlipBit) | None => Ok(Go::Normally),
        }
    }

    fn poison(&self) -> io::Error {
        *self.poisoned.lock() = Some("injected fault: fsync failed".into());
        injected("fsync failed")
    }

    fn tear(&self) -> io::Error {
        self.faults.power().cut();
        injected("torn write, then a power cut")
    }

    fn image(&self, change: impl FnOnce(&mut Image)) {
        if let Some(image) = &self.image {
            change(&mut image.lock());
        }
    }
}

fn injected(what: &str) -> io::Error {
    io::Error::other(format!("injected fault: {what}"))
}

/// Wraps a blob store, injecting the faults its [`BlobFaults`] plan names.
pub struct FaultyBlobs {
    inner: Box<dyn BlobStore>,
    shared: Arc<Shared>,
}

impl FaultyBlobs {
    /// Wraps `inner` (no power-cut image: a store on disk has its own).
    pub fn new(inner: impl BlobStore + 'static, faults: Arc<BlobFaults>) -> Self {
        Self {
            inner: Box::new(inner),
            shared: Arc::new(Shared {
                faults,
                poisoned: Mutex::new(None),
                image: None,
            }),
        }
    }

    /// A store in memory starting from `blobs` (e.g. an earlier power cut's),
    /// keeping what a power cut leaves ([`Self::power_cut`]).
    pub fn in_memory(blobs: MemoryBlobs, faults: Arc<BlobFaults>) -> Self {
        let (installed, quarantined) = blobs.contents();
        let whole = |m: BTreeMap<BlobId, Vec<u8>>| {
            m.into_iter()
                .map(|(id, bytes)| {
                    let synced = bytes.len();
                    (id, OnDisk { bytes, synced })
                })
                .collect()
        };
        let image = Image {
            installed: whole(installed),
            removed: BTreeMap::new(),
            quarantined: whole(quarantined),
        };
        let mut store = Self::new(blobs, faults);
        if let Some(shared) = Arc::get_mut(&mut store.shared) {
            shared.image = Some(Mutex::new(image));
        }
        store
    }

    /// The blobs a power cut right now leaves: each installed blob with its
    /// synced bytes and a random prefix of the rest, each removal undone at
    /// random, the quarantine as it is; staged blobs are gone.
    pub fn power_cut(&self, rng: &mut dyn RngCore) -> io::Result<MemoryBlobs> {
        let image = self
            .shared
            .image
            .as_ref()
            .ok_or_else(|| io::Error::other("no power-cut image is kept"))?
            .lock();
        let mut installed = BTreeMap::new();
        for (id, d) in &image.installed {
            installed.insert(*id, d.torn(rng));
        }
        for (id, d) in &image.removed {
            if rng.random_bool(0.5) {
                installed.insert(*id, d.torn(rng));
            }
        }
        let quarantined = image
            .quarantined
            .iter()
            .map(|(id, d)| (*id, d.bytes.clone()))
            .collect();
        Ok(MemoryBlobs::with(installed, quarantined))
    }
}

impl BlobStore for FaultyBlobs {
    fn stage(&self) -> io::Result<Box<dyn StagedWrite>> {
        Ok(Box::new(FaultyStaged {
            inner: self.inner.stage()?,
            shared: Arc::clone(&self.shared),
            bytes: Vec::new(),
            synced: 0,
        }))
    }

    fn open(&self, id: BlobId) -> io::Result<Option<Box<dyn BlobRead>>> {
        Ok(self.inner.open(id)?.map(|inner| self.reader(inner)))
    }

    fn remove(&self, id: BlobId) -> io::Result<bool> {
        let go = self.shared.write()?;
        if let Go::Drop = go {
            return Ok(true);
        }
        let removed = self.inner.remove(id)?;
        self.shared.image(|i| {
            if let Some(d) = i.installed.remove(&id) {
                i.removed.insert(id, d);
            }
        });
        match go {
            Go::FailSync | Go::Tear => Err(self.shared.poison()),
            _ => Ok(removed),
        }
    }

    fn list(&self, after: Option<BlobId>, limit: usize) -> io::Result<Vec<BlobId>> {
        self.inner.list(after, limit)
    }

    fn quarantine(&self, id: BlobId) -> io::Result<bool> {
        match self.shared.write()? {
            Go::Drop => Ok(true),
            Go::FailSync | Go::Tear => {
                self.inner.quarantine(id)?;
                Err(self.shared.poison())
            }
            Go::Normally => {
                let moved = self.inner.quarantine(id)?;
                self.shared.image(|i| {
                    if let Some(d) = i.installed.remove(&id) {
                        i.quarantined.insert(id, d);
                    }
                });
                Ok(moved)
            }
        }
    }

    fn restore(&self, id: BlobId) -> io::Result<bool> {
        match self.shared.write()? {
            Go::Drop => Ok(true),
            Go::FailSync | Go::Tear => {
                self.inner.restore(id)?;
                Err(self.shared.poison())
            }
            Go::Normally => {
                let moved = self.inner.restore(id)?;
                self.shared.image(|i| {
                    if let Some(d) = i.quarantined.remove(&id) {
                        i.installed.insert(id, d);
                    }
                });
                Ok(moved)
            }
        }
    }

    fn quarantined(&self) -> io::Result<Vec<BlobId>> {
        self.inner.quarantined()
    }

    fn open_quarantined(&self, id: BlobId) -> io::Result<Option<Box<dyn BlobRead>>> {
        Ok(self
            .inner
            .open_quarantined(id)?
            .map(|inner| self.reader(inner)))
    }

    fn wipe_staged(&self) -> io::Result<()> {
        self.inner.wipe_staged()
    }

    fn quarantine_location(&self) -> String {
        self.inner.quarantine_location()
    }
}

impl FaultyBlobs {
    fn reader(&self, inner: Box<dyn BlobRead>) -> Box<dyn BlobRead> {
        Box::new(FaultyRead {
            inner,
            shared: Arc::clone(&self.shared),
        })
    }
}

struct FaultyStaged {
    inner: Box<dyn StagedWrite>,
    shared: Arc<Shared>,
    /// What was appended, and how much of it synced (for the image).
    bytes: Vec<u8>,
    synced: usize,
}

impl FaultyStaged {
    fn keep(&mut self, data: &[u8]) {
        if self.shared.image.is_some() {
            self.bytes.extend_from_slice(data);
        }
    }
}

impl StagedWrite for FaultyStaged {
    fn append(&mut self, data: &[u8]) -> io::Result<()> {
        match self.shared.write()? {
            Go::Normally => {
                self.inner.append(data)?;
                self.keep(data);
                Ok(())
            }
            Go::Drop => Ok(()),
            Go::Tear => {
                let part = data.get(..data.len() / 2).unwrap_or_default();
                self.inner.append(part)?;
                self.keep(part);
                Err(self.shared.tear())
            }
            Go::FailSync => {
                self.inner.append(data)?;
                self.keep(data);
                Err(self.shared.poison())
            }
        }
    }

    fn sync(&mut self) -> io::Result<()> {
        match self.shared.write()? {
            Go::Normally => {
                self.inner.sync()?;
                self.synced = self.bytes.len();
                Ok(())
            }
            Go::Drop => Ok(()),
            Go::Tear => Err(self.shared.tear()),
            Go::FailSync => Err(self.shared.poison()),
        }
    }

    fn install(self: Box<Self>, id: BlobId) -> io::Result<()> {
        let Self {
            inner,
            shared,
            bytes,
            synced,
        } = *self;
        match shared.write()? {
            Go::Normally => {
                inner.install(id)?;
                shared.image(|i| {
                    i.installed.insert(id, OnDisk { bytes, synced });
                });
                Ok(())
            }
            Go::Drop => Ok(()),
            Go::Tear => Err(shared.tear()),
            Go::FailSync => {
                // Renamed, but the directory's sync failed: visible now, gone
                // after a power cut.
                inner.install(id)?;
                Err(shared.poison())
            }
        }
    }
}

struct FaultyRead {
    inner: Box<dyn BlobRead>,
    shared: Arc<Shared>,
}

impl BlobRead for FaultyRead {
    fn len(&self) -> io::Result<u64> {
        self.inner.len()
    }

    fn read_exact_at(&self, buf: &mut [u8], at: u64) -> io::Result<()> {
        let fault = self.shared.faults.next_read();
        self.inner.read_exact_at(buf, at)?;
        if fault == Some(BlobFault::FlipBit) {
            let middle = buf.len() / 2;
            if let Some(byte) = buf.get_mut(middle) {
                *byte ^= 0x10;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    use super::*;
    use crate::power::Power;

    fn store() -> (FaultyBlobs, Arc<BlobFaults>) {
        let faults = BlobFaults::new();
        (
            FaultyBlobs::in_memory(MemoryBlobs::new(), Arc::clone(&faults)),
            faults,
        )
    }

    fn id(n: u8) -> BlobId {
        BlobId([n; 16])
    }

    fn write(store: &FaultyBlobs, id: BlobId, bytes: &[u8], sync: bool) -> io::Result<()> {
        let mut staged = store.stage()?;
        staged.append(bytes)?;
        if sync {
            staged.sync()?;
        }
        staged.install(id)
    }

    fn bytes_after_cut(store: &FaultyBlobs, id: BlobId, seed: u64) -> Option<Vec<u8>> {
        let image = store.power_cut(&mut StdRng::seed_from_u64(seed)).unwrap();
        image.contents().0.get(&id).cloned()
    }

    #[test]
    fn a_failed_or_full_write_changes_nothing() {
        let (store, faults) = store();
        faults.on_write(1, BlobFault::FailWrite);
        faults.on_write(4, BlobFault::NoSpace);
        assert!(write(&store, id(1), b"a", true).is_err());
        let err = write(&store, id(1), b"a", true).unwrap_err();
        assert_eq!(err.raw_os_error(), Some(28));
        assert!(store.list(None, 10).unwrap().is_empty());
        write(&store, id(1), b"a", true).unwrap();
        assert_eq!(store.list(None, 10).unwrap(), [id(1)]);
    }

    #[test]
    fn a_failed_sync_poisons_the_store_and_is_lost_at_a_power_cut() {
        let (store, faults) = store();
        faults.on_write(2, BlobFault::SyncFails);
        assert!(write(&store, id(1), b"a", true).is_err());
        let err = write(&store, id(2), b"b", true).unwrap_err();
        assert!(err.to_string().contains("refuses writes"), "{err}");
        assert!(store.remove(id(1)).is_err());
        assert_eq!(bytes_after_cut(&store, id(1), 0), None);
    }

    #[test]
    fn a_power_cut_keeps_synced_bytes_and_a_prefix_of_the_rest() {
        let (store, faults) = store();
        write(&store, id(1), b"durable", true).unwrap();
        // Installed without a sync: a cut keeps some prefix, maybe none of it.
        write(&store, id(2), b"0123456789", false).unwrap();
        let lengths: Vec<usize> = (0..20)
            .map(|seed| bytes_after_cut(&store, id(2), seed).unwrap().len())
            .collect();
        assert!(lengths.iter().any(|&n| n < 10), "{lengths:?}");
        for seed in 0..20 {
            let kept = bytes_after_cut(&store, id(2), seed).unwrap();
            assert_eq!(&b"0123456789"[..kept.len()], &kept[..]);
            assert_eq!(bytes_after_cut(&store, id(1), seed).unwrap(), b"durable");
        }
        // A removal may come undone; staged blobs are gone.
        store.remove(id(1)).unwrap();
        let revived = (0..20).filter(|&s| bytes_after_cut(&store, id(1), s).is_some());
        assert!(revived.count() > 0);
        let mut staged = store.stage().unwrap();
        staged.append(b"staged").unwrap();
        staged.sync().unwrap();
        let image = store.power_cut(&mut StdRng::seed_from_u64(1)).unwrap();
        assert!(image.contents().0.values().all(|b| b != b"staged"));
        // A cut stops every later write.
        faults.on_write(faults.writes() + 1, BlobFault::PowerCut);
        assert!(write(&store, id(3), b"x", true).is_err());
        assert!(write(&store, id(3), b"x", true).is_err());
    }

    #[test]
    fn a_torn_append_keeps_a_prefix_and_cuts_the_power() {
        let power = Power::new();
        let faults = BlobFaults::on(Arc::clone(&power));
        let store = FaultyBlobs::in_memory(MemoryBlobs::new(), Arc::clone(&faults));
        faults.on_write(1, BlobFault::TornWrite);
        let mut staged = store.stage().unwrap();
        assert!(staged.append(b"abcdef").is_err());
        assert!(power.is_cut());
        assert!(staged.sync().is_err());
    }

    #[test]
    fn dropped_writes_and_flipped_bits() {
        let (store, faults) = store();
        faults.on_write(2, BlobFault::DropWrite);
        // The sync is dropped: the bytes are installed but not durable.
        write(&store, id(1), b"0123456789", true).unwrap();
        assert!((0..20).any(|s| bytes_after_cut(&store, id(1), s).unwrap().len() < 10));
        faults.on_read(faults.reads() + 1, BlobFault::FlipBit);
        let blob = store.open(id(1)).unwrap().unwrap();
        let mut buf = [0u8; 10];
        blob.read_exact_at(&mut buf, 0).unwrap();
        assert_ne!(&buf, b"0123456789");
        blob.read_exact_at(&mut buf, 0).unwrap();
        assert_eq!(&buf, b"0123456789");
    }
}
