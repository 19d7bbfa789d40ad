//! The power supply of one simulated machine, shared by the fault-injecting
//! metadata and blob stores: a power cut is one event for both, so a test that
//! cuts it (at a write of either store) then takes both stores' images of
//! what the disks hold.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

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
