//! The workers' lease: background work (gc, lifecycle, scrub, queue delivery)
//! runs on one gateway at a time, the one holding this lease in the shared
//! metadata store. Whoever asks whether to work renews it; the gc thread
//! asks at every tick, so a live holder keeps it, one that closes gives it
//! up, and a dead one loses it once its term runs out.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use crate::meta::MetaDb;

/// The lease's name in the metadata store.
const NAME: &str = "workers";

/// This engine's claim on the workers' lease, and what it last learned of it.
pub(super) struct WorkersLease {
    /// This engine's name as a holder.
    holder: String,
    /// How long the lease outlives its holder's last renewal.
    term: Duration,
    /// When the last renewal that succeeded was asked for; `None` once one
    /// failed.
    renewed: Mutex<Option<Instant>>,
    /// Set once the engine closes: the lease is not taken again.
    released: AtomicBool,
}

impl WorkersLease {
    pub fn new(term: Duration) -> Self {
        Self {
            holder: format!("{:032x}", rand::random::<u128>()),
            term,
            renewed: Mutex::new(None),
            released: AtomicBool::new(false),
        }
    }

    /// Takes or renews the lease; whether this engine holds it now. A store
    /// that one process opens grants it always.
    pub fn hold(&self, db: &MetaDb) -> bool {
        if self.released.load(Ordering::Acquire) {
            return false;
        }
        // Before the call: the store's term starts no earlier than this.
        let asked = Instant::now();
        let held = db
            .hold_lease(NAME, &self.holder, self.term)
            .unwrap_or_else(|e| {
                tracing::warn!("cannot renew the workers' lease: {e}");
                false
            });
        *self.renewed.lock() = held.then_some(asked);
        held
    }

    /// Whether this engine held the lease at its last renewal and that
    /// renewal's term has not run out: no call to the store.
    pub fn held(&self) -> bool {
        self.renewed
            .lock()
            .is_some_and(|asked| asked.elapsed() < self.term)
    }

    /// Gives the lease up for good, if this engine holds it: another
    /// gateway takes it at its next tick instead of when it would have
    /// expired. Called by the gc thread as it stops, when the engine closes.
    pub fn release(&self, db: &MetaDb) {
        self.released.store(true, Ordering::Release);
        if self.renewed.lock().take().is_some()
            && let Err(e) = db.release_lease(NAME, &self.holder)
        {
            tracing::warn!("cannot release the workers' lease (it expires by itself): {e}");
        }
    }
}
