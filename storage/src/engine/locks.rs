//! The engine's locks and counters.
//!
//! Commits are never serialised by one global lock: writes to different keys run
//! in parallel and their synced WAL writes share one fsync (RocksDB group commit).

use std::hash::{BuildHasher, RandomState};

use parking_lot::{Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::Result;
use crate::meta::db::decode_u64;
use crate::meta::{Cf, MetaDb};

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

/// Hands out version sequences: unique and increasing, also across restarts.
///
/// The persisted value is a ceiling: every sequence handed out is below it, so
/// after a restart counting resumes at the ceiling (gaps are harmless). It is
/// raised by one synced write per block of sequences.
pub struct Sequencer {
    state: Mutex<(u64, u64)>,
}

impl Sequencer {
    pub fn load(db: &MetaDb) -> Result<Self> {
        let ceiling = match db.get(Cf::Meta, SEQ_CEILING)? {
            Some(raw) => decode_u64(&raw)?,
            None => 1,
        };
        Ok(Self {
            state: Mutex::new((ceiling, ceiling)),
        })
    }

    /// The next sequence.
    pub fn next(&self, db: &MetaDb) -> Result<u64> {
        let mut state = self.state.lock();
        let (next, ceiling) = &mut *state;
        if *next >= *ceiling {
            let raised = *next + SEQ_BLOCK;
            let mut batch = db.batch();
            batch.put(Cf::Meta, SEQ_CEILING, &raised.to_be_bytes())?;
            batch.commit()?;
            *ceiling = raised;
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
            let raised = next.saturating_add(SEQ_BLOCK);
            let mut batch = db.batch();
            batch.put(Cf::Meta, SEQ_CEILING, &raised.to_be_bytes())?;
            batch.commit()?;
            *ceiling = raised;
        }
        Ok(())
    }
}
