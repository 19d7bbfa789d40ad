//! Striped row locks that make a batch's preconditions atomic with its commit
//! in one process (see [`super::store::Change::Expect`]).
//!
//! A batch with preconditions locks the stripes of the rows it expects
//! exclusively, checks them, and commits while holding them; every batch
//! holds the stripes of the rows it puts or deletes shared. So no write to an
//! expected row lands between the check and the commit, while batches without
//! preconditions never wait for each other (their synced commits still share
//! one fsync). Merges take no lock: a precondition on a merged row (a usage
//! counter) is not supported.

use std::hash::{BuildHasher, RandomState};

use parking_lot::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use super::Cf;
use super::store::Change;

const STRIPES: usize = 1024;

/// The stripes, and the hash that maps a row to one.
pub(super) struct RowLocks {
    stripes: Box<[RwLock<()>]>,
    hasher: RandomState,
}

/// The stripes one batch holds until it has committed (released on drop).
pub(super) struct Held<'a> {
    _shared: Vec<RwLockReadGuard<'a, ()>>,
    _exclusive: Vec<RwLockWriteGuard<'a, ()>>,
}

impl RowLocks {
    pub(super) fn new() -> RowLocks {
        RowLocks {
            stripes: (0..STRIPES).map(|_| RwLock::new(())).collect(),
            hasher: RandomState::new(),
        }
    }

    fn stripe(&self, cf: Cf, key: &[u8]) -> usize {
        self.hasher.hash_one((cf as usize, key)) as usize % self.stripes.len()
    }

    /// Locks what `changes` need, in stripe order (so two batches never wait
    /// for each other in a cycle).
    pub(super) fn lock(&self, changes: &[Change]) -> Held<'_> {
        // Per stripe: whether some precondition needs it exclusively.
        let mut wanted: Vec<(usize, bool)> = changes
            .iter()
            .filter(|c| !matches!(c, Change::Merge { .. }))
            .map(|c| {
                (
                    self.stripe(c.cf(), c.key()),
                    matches!(c, Change::Expect { .. }),
                )
            })
            .collect();
        // Exclusive first within a stripe, so dedup keeps it.
        wanted.sort_unstable_by_key(|&(stripe, exclusive)| (stripe, !exclusive));
        wanted.dedup_by_key(|(stripe, _)| *stripe);
        let (mut shared, mut exclusive) = (Vec::new(), Vec::new());
        for (stripe, exclusively) in wanted {
            let lock = &self.stripes[stripe];
            if exclusively {
                exclusive.push(lock.write());
            } else {
                shared.push(lock.read());
            }
        }
        Held {
            _shared: shared,
            _exclusive: exclusive,
        }
    }
}
