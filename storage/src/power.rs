//! The power supply of one simulated machine, shared by the fault-injecting
//! metadata and blob stores: a power cut is one event for both, so a test that
//! cuts it (at a write of either store) then takes both stores' images of
//! what the disks hold. And [`FaultPlan`], which of a store's reads and writes
//! fail, and how.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use parking_lot::Mutex;

/// Whether the simulated machine still has power.
#[derive(Default)]
pub struct Power {
    cut: AtomicBool,
}

impl Power {
    pub fn new() -> Arc<Self> {
        Arc::default()
    }

    /// Cuts the power: from now on every write of every store on it fails.
    pub fn cut(&self) {
        self.cut.store(true, Ordering::SeqCst);
    }

    /// Whether the power was cut.
    pub fn is_cut(&self) -> bool {
        self.cut.load(Ordering::SeqCst)
    }
}

/// The faults `F` a fault-injecting store is to inject, by the number of the
/// write or read (counted from 1 over the store's life); shared between a test
/// and the store it wraps, on the machine [`Power`] feeds.
pub struct FaultPlan<F> {
    state: Mutex<Counts<F>>,
    power: Arc<Power>,
}

struct Counts<F> {
    writes: u64,
    reads: u64,
    on_write: BTreeMap<u64, F>,
    on_read: BTreeMap<u64, F>,
}

impl<F> FaultPlan<F> {
    /// A plan for a store on a machine of its own.
    pub fn new() -> Arc<Self> {
        Self::on(Power::new())
    }

    /// A plan for a store on the machine `power` feeds.
    pub fn on(power: Arc<Power>) -> Arc<Self> {
        Arc::new(Self {
            state: Mutex::new(Counts {
                writes: 0,
                reads: 0,
                on_write: BTreeMap::new(),
                on_read: BTreeMap::new(),
            }),
            power,
        })
    }

    /// Makes write number `n` do `fault`.
    pub fn on_write(&self, n: u64, fault: F) {
        self.state.lock().on_write.insert(n, fault);
    }

    /// Makes read number `n` (as the store counts its reads) do `fault`.
    pub fn on_read(&self, n: u64, fault: F) {
        self.state.lock().on_read.insert(n, fault);
    }

    /// Writes attempted so far.
    pub fn writes(&self) -> u64 {
        self.state.lock().writes
    }

    /// Reads so far.
    pub fn reads(&self) -> u64 {
        self.state.lock().reads
    }

    /// The machine the store runs on.
    pub(crate) fn power(&self) -> &Power {
        &self.power
    }

    /// Counts a write; the fault planned for it, if any.
    pub(crate) fn next_write(&self) -> Option<F> {
        let mut counts = self.state.lock();
        counts.writes += 1;
        let n = counts.writes;
        counts.on_write.remove(&n)
    }

    /// Counts a read; the fault planned for it, if any.
    pub(crate) fn next_read(&self) -> Option<F> {
        let mut counts = self.state.lock();
        counts.reads += 1;
        let n = counts.reads;
        counts.on_read.remove(&n)
    }
}
