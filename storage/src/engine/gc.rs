//! The background thread that deletes unreferenced blob files.
//!
//! - Blobs of replaced and deleted versions are listed in the `gc` column family
//!   by the commit that unreferenced them. After a short grace period (so a reader
//!   that looked a version up just before it was replaced can still open its
//!   file) the thread deletes the file, then the row.
//! - Once at start it sweeps orphans: blob files without a `blobs` reference,
//!   left by a crash between a blob's installation and its commit. They are
//!   quarantined, never deleted: a record that was lost or damaged may still
//!   need them (`horreo fsck --repair` moves those back). The engine only
//!   starts on a store that opened without damage. No sweep on a store shared
//!   by gateways, where another gateway's blob may await its commit.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use parking_lot::{Condvar, Mutex};

use super::Shared;
use crate::Result;
use crate::blob::BlobStore;
use crate::meta::Cf;
use crate::meta::records::{BlobId, GcRecord, decode};

/// How often the thread looks for work when nobody wakes it.
const TICK: Duration = Duration::from_secs(1);
/// How long a blob stays on disk after it stopped being referenced.
const GRACE: Duration = Duration::from_secs(1);
/// Rows handled per pass.
const BATCH: usize = 1024;
/// Deletes in a column family after which its memtable is flushed, so that
/// compaction can drop their tombstones (see `MetaDb::flush_tombstones`).
const TOMBSTONE_FLUSH: u64 = 4096;

#[derive(Default)]
struct State {
    wake: bool,
    shutdown: bool,
}

#[derive(Default)]
struct Signal {
    state: Mutex<State>,
    cv: Condvar,
}

impl Signal {
    fn shutting_down(&self) -> bool {
        self.state.lock().shutdown
    }
}

/// Handle of the GC thread: dropping it stops and joins the thread.
pub(super) struct Gc {
    signal: Arc<Signal>,
    thread: Option<JoinHandle<()>>,
}

impl Gc {
    pub fn start(shared: Arc<Shared>) -> Result<Self> {
        let signal = Arc::new(Signal::default());
        let thread_signal = Arc::clone(&signal);
        let thread = std::thread::Builder::new()
            .name("horreo-gc".into())
            .spawn(move || run(&shared, &thread_signal))?;
        Ok(Self {
            signal,
            thread: Some(thread),
        })
    }

    /// Asks the thread to look at the `gc` rows now.
    pub fn wake(&self) {
        self.signal.state.lock().wake = true;
        self.signal.cv.notify_one();
    }
}

impl Drop for Gc {
    fn drop(&mut self) {
        self.signal.state.lock().shutdown = true;
        self.signal.cv.notify_one();
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::error!("the gc thread panicked");
        }
    }
}

fn run(shared: &Shared, signal: &Signal) {
    // Once, by the gateway that runs the workers when this one starts.
    let swept = if shared.runs_workers() {
        sweep_orphans(shared, signal)
    } else {
        Ok(0)
    };
    match swept {
        Ok(0) => {}
        Ok(n) => tracing::info!(
            quarantine = %shared.blobs.quarantine_location(),
            "moved {n} orphaned blob files (referenced by no object) to the quarantine; \
             `horreo fsck` tells whether anything needs them, and they may be deleted otherwise"
        ),
        Err(e) => tracing::warn!("orphan sweep failed: {e}"),
    }
    loop {
        if let Err(e) = shared.db.flush_tombstones(TOMBSTONE_FLUSH) {
            tracing::warn!("flushing deleted rows failed: {e}");
        }
        // Renews the workers' lease at every tick while this gateway holds it.
        let collected = if shared.runs_workers() {
            collect(shared, signal)
        } else {
            Ok(None)
        };
        let wait = match collected {
            Ok(next_due) => next_due.map_or(TICK, |d| d.min(TICK)),
            Err(e) => {
                tracing::warn!("blob gc pass failed: {e}");
                TICK
            }
        };
        let mut state = signal.state.lock();
        if !state.wake && !state.shutdown {
            signal.cv.wait_for(&mut state, wait);
        }
        if state.shutdown {
            drop(state);
            // The engine closes: another gateway may run the workers now.
            shared.lease.release(&shared.db);
            return;
        }
        state.wake = false;
    }
}

/// Milliseconds since the epoch: the clock of `gc` rows.
pub(super) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// Deletes the files of due `gc` rows, then the rows. Returns how long until the
/// earliest row that is not yet due, if any.
fn collect(shared: &Shared, signal: &Signal) -> Result<Option<Duration>> {
    let grace_ms = GRACE.as_millis() as u64;
    loop {
        let now = now_ms();
        let mut due = Vec::new();
        let mut next_due: Option<u64> = None;
        let mut seen = 0;
        let mut it = shared.db.iter(Cf::Gc, None, None)?;
        it.seek_to_first();
        while let Some((key, value)) = it.item() {
            seen += 1;
            let (since, tier) =
                decode::<GcRecord>(value).map_or((0, None), |r| (r.since_ms, r.tier));
            match BlobId::from_slice(key) {
                Some(id) if since.saturating_add(grace_ms) <= now => due.push((id, tier)),
                Some(_) => {
                    let wait = since.saturating_add(grace_ms) - now;
                    next_due = Some(next_due.map_or(wait, |w| w.min(wait)));
                }
                None => tracing::warn!("malformed gc row {key:?}"),
            }
            if due.len() >= BATCH {
                break;
            }
            it.next();
        }
        it.status()?;
        drop(it);

        let mut batch = shared.db.batch();
        let mut removed = 0;
        for (id, tier) in &due {
            if signal.shutting_down() {
                break;
            }
            let outcome = shared
                .tiers
                .store(tier.as_deref())
                .and_then(|store| Ok(store.remove(*id)?));
            match outcome {
                Ok(_) => {
                    batch.delete(Cf::Gc, &id.0)?;
                    removed += 1;
                }
                // Keep the row: the next pass tries again.
                Err(e) => tracing::warn!(blob = %id.to_hex(), "cannot delete blob file: {e}"),
            }
        }
        // Losing these deletions in a crash only means deleting absent files again.
        batch.commit_unsynced()?;
        shared
            .gc_reclaimed
            .fetch_add(removed as u64, Ordering::Relaxed);
        if removed < BATCH || seen == 0 || signal.shutting_down() {
            return Ok(next_due.map(Duration::from_millis));
        }
    }
}

/// Runs the orphan sweep now (tests that check what a fault left behind).
#[cfg(test)]
pub(super) fn sweep_orphans_now(shared: &Shared) -> Result<usize> {
    sweep_orphans(shared, &Signal::default())
}

/// Quarantines blobs that no committed version references, in every tier.
/// Returns how many.
///
/// Not on a store shared by gateways: the install gate that makes
/// "unreferenced" mean "orphaned" is this process's, and another gateway
/// may have installed a blob whose reference it has not committed yet.
/// Staged blobs a writer left are the blob store's to reclaim
/// ([`BlobStore::wipe_staged`]); an installed blob whose gateway died before
/// the commit stays unreferenced (not reclaimed on RADOS yet: a sweep there
/// would need an age threshold, which the blob index does not record).
fn sweep_orphans(shared: &Shared, signal: &Signal) -> Result<usize> {
    if shared.db.shared_by_gateways() {
        return Ok(0);
    }
    let mut removed = 0;
    for (_, store) in shared.tiers.all() {
        removed += sweep_store(shared, &**store, signal)?;
    }
    Ok(removed)
}

/// Quarantines the blobs of `store` that no row references (a blob id is
/// unique across tiers, so any reference keeps it). Returns how many.
fn sweep_store(shared: &Shared, store: &dyn BlobStore, signal: &Signal) -> Result<usize> {
    let mut removed = 0;
    let mut after = None;
    loop {
        if signal.shutting_down() {
            break;
        }
        let ids = store.list(after, BATCH)?;
        let Some(last) = ids.last() else {
            break;
        };
        after = Some(*last);
        let rows: Vec<Vec<u8>> = ids.iter().map(|id| id.0.to_vec()).collect();
        // No put is between installing a blob and committing its reference while
        // this is held, so "unreferenced" really means orphaned.
        let _gate = shared.install_gate.write();
        let refs = shared.db.multi_get(Cf::Blobs, &rows)?;
        // Garbage already listed in `gc` is the collector's to delete.
        let garbage = shared.db.multi_get(Cf::Gc, &rows)?;
        for ((id, reference), garbage) in ids.iter().zip(refs).zip(garbage) {
            if reference.is_none() && garbage.is_none() && store.quarantine(*id)? {
                removed += 1;
            }
        }
    }
    Ok(removed)
}
