//! The engine's locks and counters.
//!
//! Commits are never serialised by one global lock: writes to different keys run
//! in parallel and their synced WAL writes share one fsync (RocksDB group commit).

use std::hash::{BuildHasher, RandomState};
use std::time::{Duration, Instant};

use parking_lot::{Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::meta::db::decode_u64;
use crate::meta::{Cf, MetaDb};
use crate::{Error, Result};

const KEY_STRIPES: usize = 256;
const BUCKET_STRIPES: usize = 64;

/// Striped locks for read-modify-write of one key, and bucket-level gates.
pub struct Locks {
    keys: Box<[Mutex<()>]>,
    buckets: Box<[RwLock<()>]>,
    bucket_config: Mutex<()>,
    hasher: RandomState,
}

impl Locks {
    pub fn new() -> Self {
        Self {
            keys: (0..KEY_STRIPES).map(|_| Mutex::new(())).collect(),
            buckets: (0..BUCKET_STRIPES).map(|_| RwLock::new(())).collect(),
            bucket_config: Mutex::new(()),
            hasher: RandomState::new(),
        }
    }

    /// Serialises read-modify-write of one object key (and, rarely, of the other
    /// keys hashing to the same stripe).
    pub fn key(&self, bucket_id: u64, key: &[u8]) -> MutexGuard<'_, ()> {
        let stripe = self.hasher.hash_one((bucket_id, key)) as usize % self.keys.len();
        self.keys[stripe].lock()
    }

    /// Held by object writes while they commit: the bucket cannot be deleted
    /// under them.
    pub fn bucket_shared(&self, bucket_id: u64) -> RwLockReadGuard<'_, ()> {
        self.buckets[bucket_id as usize % self.buckets.len()].read()
    }

    /// Held by bucket deletion: no object write of the bucket commits meanwhile.
    pub fn bucket_exclusive(&self, bucket_id: u64) -> RwLockWriteGuard<'_, ()> {
        self.buckets[bucket_id as usize % self.buckets.len()].write()
    }

    /// Serialises bucket creation, deletion and configuration changes.
    pub fn bucket_config(&self) -> MutexGuard<'_, ()> {
        self.bucket_config.lock()
    }
}

const SEQ_CEILING: &[u8] = b"seq_ceiling";
/// Sequences reserved per synced counter write.
const SEQ_BLOCK: u64 = 1 << 16;

/// Hands out version sequences: unique and increasing, also across restarts
/// and across gateways sharing one store.
///
/// The persisted value is a ceiling: every sequence handed out by any
/// gateway is below it. A gateway reserves the block of sequences below a
/// raised ceiling with one synced write guarded on the ceiling it read, so
/// two gateways never reserve the same block (gaps are harmless). Within a
/// gateway sequences increase; across gateways they interleave, so a write
/// that replaces a version asks for a sequence above that version's
/// ([`Sequencer::next_after`]). It reserves its first block when first asked.
#[derive(Default)]
pub struct Sequencer {
    /// The next sequence and the end of the block reserved.
    state: Mutex<(u64, u64)>,
}

impl Sequencer {
    /// The next sequence.
    pub fn next(&self, db: &MetaDb) -> Result<u64> {
        self.next_after(None, db)
    }

    /// The next sequence, above `floor` if given (the sequence of a version
    /// the new one replaces, which another gateway may have handed out).
    pub fn next_after(&self, floor: Option<u64>, db: &MetaDb) -> Result<u64> {
        let mut state = self.state.lock();
        let (next, ceiling) = &mut *state;
        if let Some(floor) = floor {
            *next = (*next).max(floor.saturating_add(1));
        }
        if *next >= *ceiling {
            (*next, *ceiling) = reserve(db, *next)?;
        }
        let seq = *next;
        *next += 1;
        Ok(seq)
    }

    /// Makes every later sequence greater than `seen` (a sequence another
    /// store handed out, kept by a replica), so no local version takes it.
    pub fn observe(&self, seen: u64, db: &MetaDb) -> Result<()> {
        let mut state = self.state.lock();
        let (next, ceiling) = &mut *state;
        if seen < *next {
            return Ok(());
        }
        *next = seen.saturating_add(1);
        if *next >= *ceiling {
            (*next, *ceiling) = reserve(db, *next)?;
        }
        Ok(())
    }
}

/// Reserves a block of at least [`SEQ_BLOCK`] sequences, none below
/// `at_least`, by raising the stored ceiling; returns the block's bounds.
fn reserve(db: &MetaDb, at_least: u64) -> Result<(u64, u64)> {
    reserve_range(db, SEQ_CEILING, 1, |stored| {
        let start = stored.max(at_least);
        (start, start.saturating_add(SEQ_BLOCK))
    })
}

/// How many times a counter's guarded update is retried against other
/// gateways raising it too.
const RESERVE_RETRIES: usize = 64;

/// Reserves a range of the counter in row `name` of `meta` (the next value
/// not yet handed out; `initial` when absent): `plan` maps the stored value
/// to the range `[start, end)` taken, and `end` is stored, guarded on the
/// value read, so no two callers (gateways) take overlapping ranges.
pub(super) fn reserve_range(
    db: &MetaDb,
    name: &[u8],
    initial: u64,
    plan: impl Fn(u64) -> (u64, u64),
) -> Result<(u64, u64)> {
    for _ in 0..RESERVE_RETRIES {
        let raw = db.get(Cf::Meta, name)?;
        let stored = match &raw {
            Some(raw) => decode_u64(raw)?,
            None => initial,
        };
        let (start, end) = plan(stored);
        let mut batch = db.batch();
        batch.expect(Cf::Meta, name, raw.as_deref())?;
        batch.put(Cf::Meta, name, &end.to_be_bytes())?;
        match batch.commit() {
            Ok(()) => return Ok((start, end)),
            Err(Error::Conflict) => {}
            Err(e) => return Err(e),
        }
    }
    Err(Error::Conflict)
}

/// How long a gateway may hold a row lock: far longer than the
/// read-modify-write it guards; a holder that died frees it after this.
const ROW_LOCK: Duration = Duration::from_secs(30);
/// The pause between two attempts to take a row lock another gateway holds.
const ROW_LOCK_POLL: Duration = Duration::from_millis(5);

/// Runs `f` holding the lock `name` on the rows of `key` in `cf` across the
/// gateways of a shared store ([`MetaDb::try_lock_rows`]); within this
/// gateway the caller's in-process lock orders the attempts. Fails with
/// [`Error::Conflict`] when another holder keeps the lock past [`ROW_LOCK`].
pub(super) fn with_row_lock<T>(
    db: &MetaDb,
    cf: Cf,
    key: &[u8],
    name: &str,
    f: impl FnOnce() -> Result<T>,
) -> Result<T> {
    if !db.shared_by_gateways() {
        return f();
    }
    let holder = format!("{:016x}", rand::random::<u64>());
    let give_up = Instant::now() + ROW_LOCK;
    while !db.try_lock_rows(cf, key, name, &holder, ROW_LOCK)? {
        if Instant::now() >= give_up {
            return Err(Error::Conflict);
        }
        std::thread::sleep(ROW_LOCK_POLL);
    }
    let done = f();
    if let Err(e) = db.unlock_rows(cf, key, name, &holder) {
        // It expires on its own.
        tracing::warn!("cannot release row lock {name}: {e}");
    }
    done
}
