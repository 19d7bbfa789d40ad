//! A metadata store in memory: ordered maps, one per column family, behind one
//! lock. For tests, tools and the fault injector; nothing survives the process.

use std::collections::BTreeMap;
use std::ops::Bound;

use parking_lot::RwLock;

use super::Cf;
use super::store::{Change, Cursor, Durability, MetaStore};
use crate::{Error, Result};

type Table = BTreeMap<Vec<u8>, Vec<u8>>;

/// Rows in memory. Batches apply under one write lock, so readers never see
/// part of one; `Durability` is moot (nothing is durable).
#[derive(Default)]
pub struct MemoryStore {
    tables: RwLock<[Table; Cf::ALL.len()]>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// A copy of every row, as an independent store.
    pub fn snapshot(&self) -> MemoryStore {
        MemoryStore {
            tables: RwLock::new(self.tables.read().clone()),
        }
    }

    /// Applies `changes` in order; all or nothing (a merge into a column family
    /// without a merge operator fails the whole batch). Preconditions are not
    /// checked: this replays batches that committed (see [`MetaStore::write`]).
    pub(super) fn apply(&self, changes: &[Change]) -> Result<()> {
        self.apply_if(changes, false)
    }

    /// Applies `changes` as [`MemoryStore::apply`] does; with `checked`, only
    /// if every precondition among them holds ([`Error::Conflict`] if not).
    fn apply_if(&self, changes: &[Change], checked: bool) -> Result<()> {
        if let Some(cf) = changes.iter().find_map(|c| match c {
            Change::Merge { cf, .. } if cf.merge_operator().is_none() => Some(*cf),
            _ => None,
        }) {
            return Err(Error::Meta(format!(
                "column family {} has no merge operator",
                cf.name()
            )));
        }
        let mut tables = self.tables.write();
        if checked
            && !changes
                .iter()
                .all(|c| c.holds(tables[c.cf() as usize].get(c.key()).map(Vec::as_slice)))
        {
            return Err(Error::Conflict);
        }
        for change in changes {
            let table = &mut tables[change.cf() as usize];
            match change {
                Change::Expect { .. } => {}
                Change::Put { key, value, .. } => {
                    table.insert(key.clone(), value.clone());
                }
                Change::Delete { key, .. } => {
                    table.remove(key);
                }
                Change::Merge { cf, key, operand } => {
                    let merge = cf.merge_operator().ok_or_else(|| {
                        Error::Meta(format!("column family {} has no merge operator", cf.name()))
                    })?;
                    let existing = table.get(key).map(Vec::as_slice);
                    if let Some(merged) = merge(existing, &mut std::iter::once(operand.as_slice()))
                    {
                        table.insert(key.clone(), merged);
                    }
                }
            }
        }
        Ok(())
    }

    /// The first (or, `back`, last) row of `cf` within `(start, end)`.
    fn edge(
        &self,
        cf: Cf,
        start: Bound<&[u8]>,
        end: Bound<&[u8]>,
        back: bool,
    ) -> Option<(Vec<u8>, Vec<u8>)> {
        if is_empty_range(start, end) {
            return None;
        }
        let tables = self.tables.read();
        let mut range = tables[cf as usize].range::<[u8], _>((start, end));
        let row = if back {
            range.next_back()
        } else {
            range.next()
        };
        row.map(|(k, v)| (k.clone(), v.clone()))
    }
}

/// Whether no key lies between the bounds (`BTreeMap::range` panics on those).
fn is_empty_range(start: Bound<&[u8]>, end: Bound<&[u8]>) -> bool {
    match (start, end) {
        (Bound::Included(s), Bound::Included(e)) => s > e,
        (Bound::Included(s), Bound::Excluded(e))
        | (Bound::Excluded(s), Bound::Included(e))
        | (Bound::Excluded(s), Bound::Excluded(e)) => s >= e,
        _ => false,
    }
}

impl MetaStore for MemoryStore {
    fn get(&self, cf: Cf, key: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(self.tables.read()[cf as usize].get(key).cloned())
    }

    fn cursor(
        &self,
        cf: Cf,
        lower: Option<Vec<u8>>,
        upper: Option<Vec<u8>>,
    ) -> Result<Box<dyn Cursor + '_>> {
        Ok(Box::new(MemoryCursor {
            store: self,
            cf,
            lower,
            upper,
            row: None,
        }))
    }

    fn write(&self, changes: Vec<Change>, _durability: Durability) -> Result<()> {
        self.apply_if(&changes, true)
    }

    fn flush(&self) -> Result<()> {
        Ok(())
    }

    fn estimate_rows(&self, cf: Cf) -> u64 {
        self.tables.read()[cf as usize].len() as u64
    }
}

/// A cursor that holds a copy of its row and finds each next one afresh, so it
/// holds no lock between calls (a thread may write while it scans). It sees
/// rows committed after it was made, as a scan of RocksDB through a fresh
/// iterator would.
struct MemoryCursor<'a> {
    store: &'a MemoryStore,
    cf: Cf,
    lower: Option<Vec<u8>>,
    upper: Option<Vec<u8>>,
    row: Option<(Vec<u8>, Vec<u8>)>,
}

impl MemoryCursor<'_> {
    fn lower(&self) -> Bound<&[u8]> {
        self.lower
            .as_deref()
            .map_or(Bound::Unbounded, Bound::Included)
    }

    fn upper(&self) -> Bound<&[u8]> {
        self.upper
            .as_deref()
            .map_or(Bound::Unbounded, Bound::Excluded)
    }
}

impl Cursor for MemoryCursor<'_> {
    fn seek(&mut self, key: &[u8]) {
        let start = match self.lower.as_deref() {
            Some(lower) if lower > key => lower,
            _ => key,
        };
        self.row = self
            .store
            .edge(self.cf, Bound::Included(start), self.upper(), false);
    }

    fn seek_to_first(&mut self) {
        self.row = self.store.edge(self.cf, self.lower(), self.upper(), false);
    }

    fn seek_to_last(&mut self) {
        self.row = self.store.edge(self.cf, self.lower(), self.upper(), true);
    }

    fn next(&mut self) {
        if let Some((key, _)) = self.row.take() {
            self.row = self
                .store
                .edge(self.cf, Bound::Excluded(&key), self.upper(), false);
        }
    }

    fn prev(&mut self) {
        if let Some((key, _)) = self.row.take() {
            self.row = self
                .store
                .edge(self.cf, self.lower(), Bound::Excluded(&key), true);
        }
    }

    fn item(&self) -> Option<(&[u8], &[u8])> {
        self.row.as_ref().map(|(k, v)| (k.as_slice(), v.as_slice()))
    }

    fn status(&self) -> Result<()> {
        Ok(())
    }
}
