//! The `current` column family is a copy: each row is the newest version of its
//! key, unless that version is a delete marker. So fsck can check it against
//! `versions` and, when a table block of it is damaged (every listing of the
//! bucket fails on it) or it disagrees, rebuild it from `versions` whole.
//!
//! Both column families sort by bucket id, then key bytes, so the check is one
//! merge of two ordered scans: memory stays flat whatever the store's size.

use crate::Result;
use crate::meta::records::{VersionRecord, decode};
use crate::meta::{Cf, Cursor, MetaDb, RocksStore, keys};

/// What the check of `current` found.
#[derive(Debug, Default)]
pub struct CurrentCheck {
    /// The read error that stopped the scan of `current` (a damaged block).
    pub damage: Option<String>,
    /// Rows missing, naming another version than the newest, or with no version.
    pub mismatched: u64,
}

impl CurrentCheck {
    pub fn is_clean(&self) -> bool {
        self.damage.is_none() && self.mismatched == 0
    }
}

/// Compares `current` with what `versions` says it must hold.
pub fn check(db: &MetaDb) -> Result<CurrentCheck> {
    let mut found = CurrentCheck::default();
    let mut cur = db.iter(Cf::Current, None, None)?;
    cur.seek_to_first();
    let mut expected = Expected::new(db)?;
    while let Some(row) = expected.next_row()? {
        // Rows before this key have no version: extra.
        while cur.key().is_some_and(|k| k < row.key.as_slice()) {
            found.mismatched += 1;
            cur.next();
        }
        match cur.item() {
            Some((k, v)) if k == row.key.as_slice() => {
                // Compared by version, not bytes: a master-key rotation reseals
                // the two copies with different nonces.
                if decode::<VersionRecord>(v).map(|r| r.seq).ok() != Some(row.seq) {
                    found.mismatched += 1;
                }
                cur.next();
            }
            Some(_) => found.mismatched += 1,
            None => {
                if let Err(e) = cur.status() {
                    found.damage = Some(e.to_string());
                    return Ok(found);
                }
                found.mismatched += 1;
            }
        }
    }
    while cur.valid() {
        found.mismatched += 1;
        cur.next();
    }
    if let Err(e) = cur.status() {
        found.damage = Some(e.to_string());
    }
    Ok(found)
}

/// Replaces `current` by a fresh column family holding exactly the rows
/// `versions` implies; made durable before it returns. Damaged table files
/// of the old one are dropped with it. Interrupted, it is safe to run again.
pub fn rebuild(store: &mut MetaDb<RocksStore>) -> Result<u64> {
    store.store_mut().recreate(Cf::Current)?;
    let db: &MetaDb = store;
    let mut rows = 0;
    let mut expected = Expected::new(db)?;
    let mut batch = db.batch();
    while let Some(row) = expected.next_row()? {
        batch.put(Cf::Current, &row.key, &row.value)?;
        rows += 1;
        if rows % 4096 == 0 {
            std::mem::replace(&mut batch, db.batch()).commit_unsynced()?;
        }
    }
    batch.commit_unsynced()?;
    drop(expected);
    db.flush_all()?;
    Ok(rows)
}

/// One `current` row: its key, the version row it copies and that version's sequence.
struct Row {
    key: Vec<u8>,
    value: Vec<u8>,
    seq: u64,
}

/// The `current` rows `versions` implies, in key order: the first (newest)
/// version of each key unless it is a delete marker. Rows that do not decode
/// are skipped (fsck reports them on its own).
struct Expected<'a> {
    it: Box<dyn Cursor + 'a>,
    last: Option<(u64, Vec<u8>)>,
}

impl<'a> Expected<'a> {
    fn new(db: &'a MetaDb) -> Result<Self> {
        let mut it = db.iter(Cf::Versions, None, None)?;
        it.seek_to_first();
        Ok(Self { it, last: None })
    }

    fn next_row(&mut self) -> Result<Option<Row>> {
        while let Some((raw_key, value)) = self.it.item() {
            let split = keys::split_version_key(raw_key);
            let row = match split {
                Some((bucket_id, key, _)) if self.last != Some((bucket_id, key.clone())) => {
                    let row = match decode::<VersionRecord>(value) {
                        Ok(rec) if !rec.is_delete_marker => Some(Row {
                            key: keys::current_key(bucket_id, &key),
                            value: value.to_vec(),
                            seq: rec.seq,
                        }),
                        _ => None,
                    };
                    self.last = Some((bucket_id, key));
                    row
                }
                _ => None,
            };
            self.it.next();
            if row.is_some() {
                return Ok(row);
            }
        }
        self.it.status()?;
        Ok(None)
    }
}
