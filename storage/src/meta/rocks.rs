//! The embedded metadata store: RocksDB, one column family per [`Cf`], batches
//! committed through its write-ahead log (group commit shares one fsync).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use rocksdb::statistics::Ticker;
use rocksdb::{
    BlockBasedOptions, Cache, ColumnFamily, ColumnFamilyDescriptor, DB, DBRawIterator,
    DBRecoveryMode, FlushOptions, Options, ReadOptions, WriteBatch, WriteOptions,
};

use super::Cf;
use super::row_locks::RowLocks;
use super::store::{Change, Cursor, Durability, MetaHealth, MetaStore};
use crate::{Error, Result};

/// The options of column family `cf`.
fn cf_options(cache: &Cache, cf: Cf) -> Options {
    let mut cf_opts = Options::default();
    if let Some(merge) = cf.merge_operator() {
        // The name is stored in the OPTIONS file: it stays what it was first.
        cf_opts.set_merge_operator_associative("horreo.usage", move |_key, existing, operands| {
            merge(existing, &mut operands.iter())
        });
    }
    cf_opts.set_compression_type(rocksdb::DBCompressionType::Lz4);
    cf_opts.set_write_buffer_size(MEMTABLE_BUDGET / 4);
    // Point lookups (GET, HEAD, preconditions) dominate: bloom filters make a
    // miss cost no disk read.
    let mut table = BlockBasedOptions::default();
    table.set_bloom_filter(10.0, false);
    table.set_cache_index_and_filter_blocks(true);
    // Index and filter in small partitions, only their top level pinned: with
    // whole-file index blocks, a store larger than the block cache read and
    // decompressed an SST's index again on many point lookups (8.5 % of a
    // DELETE's CPU; benches/README.md, issue 17).
    table.set_index_type(rocksdb::BlockBasedIndexType::TwoLevelIndexSearch);
    table.set_partition_filters(true);
    table.set_pin_top_level_index_and_filter(true);
    table.set_block_cache(cache);
    cf_opts.set_block_based_table_factory(&table);
    // Deleted objects leave tombstones that listings step over until a
    // compaction drops them: an SST file dense with them is compacted soon.
    cf_opts.add_compact_on_deletion_collector_factory(1024, 256, 0.25);
    cf_opts
}

/// How the write-ahead log is replayed when the store opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recovery {
    /// A record torn by a crash at the very end of the log is dropped (it was
    /// never acknowledged); any other damage fails the open with
    /// [`Error::DamagedStore`]: no acknowledged write is ever dropped silently.
    Strict,
    /// Damaged records are skipped and every intact one is replayed: for
    /// `horreo fsck`, after the damaged log files were backed up.
    Salvage,
}

/// The metadata store. Shared by all engine threads; every method is thread-safe.
pub struct RocksStore {
    db: DB,
    /// The block cache every column family shares.
    cache: Cache,
    /// The options the store was opened with: they hold its statistics.
    opts: Options,
    read_only: bool,
    /// Deletes committed per column family since its memtable was last flushed
    /// for them (see [`RocksStore::flush_tombstones`]).
    tombstones: [AtomicU64; Cf::ALL.len()],
    /// Make preconditions atomic with their batch's commit.
    row_locks: RowLocks,
}

/// All memtables together (see [`RocksStore::open`]).
const MEMTABLE_BUDGET: usize = 64 << 20;
/// The block cache shared by every column family.
const BLOCK_CACHE: usize = 32 << 20;

impl RocksStore {
    /// Opens or creates the store and all column families under `path`, with
    /// [`Recovery::Strict`]. Fails if another process has it open.
    pub fn open(path: &Path) -> Result<Self> {
        Self::open_with(path, Recovery::Strict, false)
    }

    /// Opens the store as `recovery` says; `read_only` opens an existing store
    /// without writing to it (and without its lock: a server may have it open).
    pub fn open_with(path: &Path, recovery: Recovery, read_only: bool) -> Result<Self> {
        let mut opts = Options::default();
        opts.create_if_missing(!read_only);
        opts.create_missing_column_families(!read_only);
        opts.set_paranoid_checks(true);
        opts.set_wal_recovery_mode(match recovery {
            Recovery::Strict => DBRecoveryMode::TolerateCorruptedTailRecords,
            Recovery::Salvage => DBRecoveryMode::SkipAnyCorruptedRecord,
        });
        opts.set_max_background_jobs(2);
        opts.set_bytes_per_sync(1 << 20);
        opts.set_compression_type(rocksdb::DBCompressionType::Lz4);
        // With eight column families written at different rates, the WAL would
        // otherwise be kept for the slowest one: flush whatever pins it past 256 MiB.
        opts.set_max_total_wal_size(256 << 20);
        // Memory stays bounded whatever the write load: memtables of all column
        // families together flush at MEMTABLE_BUDGET, and one block cache serves them
        // all (by default each would get its own, and 64 MiB memtables each).
        opts.set_db_write_buffer_size(MEMTABLE_BUDGET);
        // Counters only (no timers, no histograms): what the metrics report of
        // the block cache and write stalls.
        opts.enable_statistics();
        opts.set_statistics_level(rocksdb::statistics::StatsLevel::ExceptHistogramOrTimers);
        let cache = Cache::new_lru_cache(BLOCK_CACHE);
        let descriptors =
            Cf::ALL.map(|cf| ColumnFamilyDescriptor::new(cf.name(), cf_options(&cache, cf)));
        let opened = if read_only {
            DB::open_cf_descriptors_read_only(&opts, path, descriptors, false)
        } else {
            DB::open_cf_descriptors(&opts, path, descriptors)
        };
        let db = opened.map_err(|e| open_error(path, e))?;
        Ok(Self {
            db,
            cache,
            opts,
            read_only,
            tombstones: Default::default(),
            row_locks: RowLocks::new(),
        })
    }

    /// Drops column family `cf` with all its table files and creates it again,
    /// empty: for `horreo fsck` rebuilding a column family that is a copy.
    pub fn recreate(&mut self, cf: Cf) -> Result<()> {
        self.db.drop_cf(cf.name())?;
        self.db.create_cf(cf.name(), &cf_options(&self.cache, cf))?;
        Ok(())
    }

    /// Opens an existing store for reading only, without taking its lock (so
    /// beside a running server): sees what was written when it opened.
    pub fn open_read_only(path: &Path) -> Result<Self> {
        Self::open_with(path, Recovery::Strict, true)
    }

    fn cf(&self, cf: Cf) -> Result<&ColumnFamily> {
        self.db
            .cf_handle(cf.name())
            .ok_or_else(|| Error::Meta(format!("column family {} is missing", cf.name())))
    }

    /// Applies a write batch in RocksDB's own encoding, as read from a log file
    /// (see [`super::wal`]); not synced: call [`MetaStore::flush`] after.
    pub fn apply_raw_batch(&self, data: &[u8]) -> Result<()> {
        self.db.write(WriteBatch::from_data(data))?;
        Ok(())
    }
}

impl MetaStore for RocksStore {
    fn get(&self, cf: Cf, key: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(self
            .db
            .get_pinned_cf(self.cf(cf)?, key)?
            .map(|v| v.to_vec()))
    }

    fn multi_get(&self, cf: Cf, keys: &[Vec<u8>]) -> Result<Vec<Option<Vec<u8>>>> {
        let handle = self.cf(cf)?;
        self.db
            .multi_get_cf(keys.iter().map(|k| (handle, k.as_slice())))
            .into_iter()
            .map(|r| r.map_err(Error::from))
            .collect()
    }

    fn cursor(
        &self,
        cf: Cf,
        lower: Option<Vec<u8>>,
        upper: Option<Vec<u8>>,
    ) -> Result<Box<dyn Cursor + '_>> {
        let mut ro = ReadOptions::default();
        if let Some(lower) = lower {
            ro.set_iterate_lower_bound(lower);
        }
        if let Some(upper) = upper {
            ro.set_iterate_upper_bound(upper);
        }
        Ok(Box::new(RocksCursor(
            self.db.raw_iterator_cf_opt(self.cf(cf)?, ro),
        )))
    }

    fn write(&self, changes: Vec<Change>, durability: Durability) -> Result<()> {
        let _held = self.row_locks.lock(&changes);
        for change in changes
            .iter()
            .filter(|c| matches!(c, Change::Expect { .. }))
        {
            let stored = self.db.get_pinned_cf(self.cf(change.cf())?, change.key())?;
            if !change.holds(stored.as_deref()) {
                return Err(Error::Conflict);
            }
        }
        let mut wb = WriteBatch::default();
        let mut deletes = [0u64; Cf::ALL.len()];
        for change in &changes {
            let handle = self.cf(change.cf())?;
            match change {
                Change::Expect { .. } => {}
                Change::Put { key, value, .. } => wb.put_cf(handle, key, value),
                Change::Merge { key, operand, .. } => wb.merge_cf(handle, key, operand),
                Change::Delete { cf, key } => {
                    wb.delete_cf(handle, key);
                    deletes[*cf as usize] += 1;
                }
            }
        }
        let mut wo = WriteOptions::default();
        wo.set_sync(durability == Durability::Sync);
        self.db.write_opt(wb, &wo)?;
        for (count, n) in self.tombstones.iter().zip(deletes) {
            if n > 0 {
                count.fetch_add(n, Ordering::Relaxed);
            }
        }
        Ok(())
    }

    /// Writes every memtable to SST files and syncs the WAL: afterwards the
    /// store opens without replaying anything.
    fn flush(&self) -> Result<()> {
        let handles: Vec<&ColumnFamily> = Cf::ALL
            .iter()
            .filter_map(|cf| self.db.cf_handle(cf.name()))
            .collect();
        let mut fo = FlushOptions::default();
        fo.set_wait(true);
        self.db.flush_cfs_opt(&handles, &fo)?;
        self.db.flush_wal(true)?;
        Ok(())
    }

    /// Writes every memtable out (their arenas are freed) and empties the
    /// block cache, keeping its capacity for the next busy period.
    fn release_memory(&self) -> Result<()> {
        self.flush()?;
        let mut cache = self.cache.clone();
        cache.set_capacity(0);
        cache.set_capacity(BLOCK_CACHE);
        Ok(())
    }

    /// RocksDB's estimate of the rows in `cf`.
    fn estimate_rows(&self, cf: Cf) -> u64 {
        self.cf(cf)
            .ok()
            .and_then(|h| {
                self.db
                    .property_int_value_cf(h, "rocksdb.estimate-num-keys")
                    .ok()
                    .flatten()
            })
            .unwrap_or(0)
    }

    /// Read from RocksDB's properties and statistics counters (no I/O).
    fn health(&self) -> MetaHealth {
        let db_wide = |name: &str| self.db.property_int_value(name).ok().flatten().unwrap_or(0);
        // Per column family: summed over all of them.
        let summed = |name: &str| -> u64 {
            Cf::ALL
                .iter()
                .filter_map(|cf| self.db.cf_handle(cf.name()))
                .filter_map(|h| self.db.property_int_value_cf(h, name).ok().flatten())
                .sum()
        };
        MetaHealth {
            write_stopped: db_wide("rocksdb.is-write-stopped") != 0,
            delayed_write_rate: db_wide("rocksdb.actual-delayed-write-rate"),
            pending_compaction_bytes: summed("rocksdb.estimate-pending-compaction-bytes"),
            running_compactions: db_wide("rocksdb.num-running-compactions"),
            live_data_bytes: summed("rocksdb.total-sst-files-size"),
            memtable_bytes: summed("rocksdb.cur-size-all-mem-tables"),
            block_cache_bytes: self.cache.get_usage() as u64,
            block_cache_hits: self.opts.get_ticker_count(Ticker::BlockCacheHit),
            block_cache_misses: self.opts.get_ticker_count(Ticker::BlockCacheMiss),
            stall_micros: self.opts.get_ticker_count(Ticker::StallMicros),
        }
    }

    /// Flushes the memtable of each column family that has taken `threshold` or
    /// more deletes since its last flush. Deleted rows leave tombstones that every
    /// scan steps over while they sit in the memtable; once flushed, the SST file
    /// dense with them is marked for compaction, which drops them. So a scan past
    /// many deleted rows costs O(threshold), not O(deleted rows), soon after.
    fn flush_tombstones(&self, threshold: u64) -> Result<()> {
        for cf in Cf::ALL {
            let count = &self.tombstones[cf as usize];
            if count.load(Ordering::Relaxed) >= threshold {
                count.store(0, Ordering::Relaxed);
                self.db.flush_cf(self.cf(cf)?)?;
            }
        }
        Ok(())
    }
}

/// RocksDB's raw iterator as a [`Cursor`].
struct RocksCursor<'a>(DBRawIterator<'a>);

impl Cursor for RocksCursor<'_> {
    fn seek(&mut self, key: &[u8]) {
        self.0.seek(key);
    }
    fn seek_to_first(&mut self) {
        self.0.seek_to_first();
    }
    fn seek_to_last(&mut self) {
        self.0.seek_to_last();
    }
    fn next(&mut self) {
        self.0.next();
    }
    fn prev(&mut self) {
        self.0.prev();
    }
    fn item(&self) -> Option<(&[u8], &[u8])> {
        self.0.item()
    }
    fn status(&self) -> Result<()> {
        Ok(self.0.status()?)
    }
}

impl Drop for RocksStore {
    /// A clean close leaves nothing to replay: a WAL that is empty cannot be
    /// damaged, and the next start does not depend on it.
    fn drop(&mut self) {
        if !self.read_only
            && let Err(e) = self.flush()
        {
            tracing::warn!("flushing the metadata store on close failed: {e}");
        }
    }
}

/// The write-ahead log files of the store at `path`, by name.
pub fn wal_files(path: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(path)
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "log"))
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// Says what a failed open means: damage is [`Error::DamagedStore`], naming
/// the log files and what to run; a held lock names the likely owner.
fn open_error(path: &Path, e: rocksdb::Error) -> Error {
    let detail = e.into_string();
    if detail.contains("Corruption") {
        let files: Vec<String> = wal_files(path)
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        let data_dir = path.parent().unwrap_or(path);
        return Error::DamagedStore(format!(
            "the metadata store {} is damaged ({detail}; write-ahead log: {}). horreo does not \
             start on it, so that no acknowledged write is dropped and no blob it needs is \
             deleted. With the server stopped, run `horreo fsck --data-dir {}` to see what is \
             affected, then `horreo fsck --data-dir {} --repair` to salvage every intact record",
            path.display(),
            if files.is_empty() {
                "none".to_owned()
            } else {
                files.join(", ")
            },
            data_dir.display(),
            data_dir.display(),
        ));
    }
    if detail.contains("lock") {
        return Error::Meta(format!(
            "{detail} (the store is in use by another process: is a horreo server running on it?)"
        ));
    }
    Error::Meta(detail)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn memtable_deletes(db: &RocksStore, cf: Cf) -> u64 {
        db.db
            .property_int_value_cf(db.cf(cf).unwrap(), "rocksdb.num-deletes-active-mem-table")
            .unwrap()
            .unwrap()
    }

    #[test]
    fn many_deletes_leave_the_memtable() {
        let dir = tempfile::tempdir().unwrap();
        let meta = super::super::MetaDb::new(RocksStore::open(dir.path()).unwrap());
        let db = meta.store();
        for round in 0..2u32 {
            let mut batch = meta.batch();
            for i in 0..600u32 {
                let key = (round * 1000 + i).to_be_bytes();
                batch.put(Cf::Current, &key, b"v").unwrap();
                batch.delete(Cf::Current, &key).unwrap();
            }
            batch.commit().unwrap();
        }
        meta.batch().commit().unwrap();
        // Below the threshold nothing happens; at it, the deletes are flushed.
        db.flush_tombstones(2000).unwrap();
        assert_eq!(memtable_deletes(db, Cf::Current), 1200);
        db.flush_tombstones(1000).unwrap();
        assert_eq!(memtable_deletes(db, Cf::Current), 0);
        assert_eq!(
            db.tombstones[Cf::Current as usize].load(Ordering::Relaxed),
            0
        );
        assert_eq!(
            db.tombstones[Cf::Versions as usize].load(Ordering::Relaxed),
            0
        );
    }
}
