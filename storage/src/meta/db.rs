//! The RocksDB wrapper: column families, synced batches, bounded iteration.

use std::path::Path;

use rocksdb::{
    BlockBasedOptions, ColumnFamily, ColumnFamilyDescriptor, DB, DBPinnableSlice, DBRawIterator,
    Options, ReadOptions, WriteBatch, WriteOptions,
};

use crate::{Error, Result};

/// The column families of the metadata store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cf {
    /// bucket name -> `Bucket`
    Buckets,
    /// bucket id ++ key -> the live `VersionRecord` a plain GET sees
    Current,
    /// bucket id ++ escaped key ++ terminator ++ !seq -> every `VersionRecord`
    Versions,
    /// blob id -> `BlobRef`: the blob is referenced by a committed version
    Blobs,
    /// blob id -> `GcRecord`: the blob is garbage, its file is to be deleted
    Gc,
    /// counter name -> u64 BE
    Meta,
    /// bucket id ++ escaped key ++ terminator ++ seq -> `UploadRecord` (in progress)
    Uploads,
    /// upload seq ++ part number -> `PartRecord`
    Parts,
}

impl Cf {
    pub const ALL: [Cf; 8] = [
        Cf::Buckets,
        Cf::Current,
        Cf::Versions,
        Cf::Blobs,
        Cf::Gc,
        Cf::Meta,
        Cf::Uploads,
        Cf::Parts,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Cf::Buckets => "buckets",
            Cf::Current => "current",
            Cf::Versions => "versions",
            Cf::Blobs => "blobs",
            Cf::Gc => "gc",
            Cf::Uploads => "uploads",
            Cf::Parts => "parts",
            Cf::Meta => "meta",
        }
    }
}

/// The metadata store. Shared by all engine threads; every method is thread-safe.
pub struct MetaDb {
    db: DB,
}

impl MetaDb {
    /// Opens or creates the store and all column families under `path`.
    pub fn open(path: &Path) -> Result<Self> {
        let mut opts = Options::default();
        opts.create_if_missing(true);
        opts.create_missing_column_families(true);
        opts.set_max_background_jobs(2);
        opts.set_bytes_per_sync(1 << 20);
        opts.set_compression_type(rocksdb::DBCompressionType::Lz4);
        // With eight column families written at different rates, the WAL would
        // otherwise be kept for the slowest one: flush whatever pins it past 256 MiB.
        opts.set_max_total_wal_size(256 << 20);
        let descriptors = Cf::ALL.map(|cf| {
            let mut cf_opts = Options::default();
            cf_opts.set_compression_type(rocksdb::DBCompressionType::Lz4);
            // Point lookups (GET, HEAD, preconditions) dominate: bloom filters make a
            // miss cost no disk read.
            let mut table = BlockBasedOptions::default();
            table.set_bloom_filter(10.0, false);
            table.set_cache_index_and_filter_blocks(true);
            cf_opts.set_block_based_table_factory(&table);
            ColumnFamilyDescriptor::new(cf.name(), cf_opts)
        });
        let db = DB::open_cf_descriptors(&opts, path, descriptors)?;
        Ok(Self { db })
    }

    fn cf(&self, cf: Cf) -> Result<&ColumnFamily> {
        self.db
            .cf_handle(cf.name())
            .ok_or_else(|| Error::Meta(format!("column family {} is missing", cf.name())))
    }

    /// Reads one row.
    pub fn get(&self, cf: Cf, key: &[u8]) -> Result<Option<DBPinnableSlice<'_>>> {
        Ok(self.db.get_pinned_cf(self.cf(cf)?, key)?)
    }

    /// Reads several rows of one column family in one call, in the order given.
    pub fn multi_get(&self, cf: Cf, keys: &[Vec<u8>]) -> Result<Vec<Option<Vec<u8>>>> {
        let handle = self.cf(cf)?;
        self.db
            .multi_get_cf(keys.iter().map(|k| (handle, k.as_slice())))
            .into_iter()
            .map(|r| r.map_err(Error::from))
            .collect()
    }

    /// A raw iterator over `cf` restricted to `[lower, upper)`; not yet positioned.
    pub fn iter(
        &self,
        cf: Cf,
        lower: Option<Vec<u8>>,
        upper: Option<Vec<u8>>,
    ) -> Result<DBRawIterator<'_>> {
        let mut ro = ReadOptions::default();
        if let Some(lower) = lower {
            ro.set_iterate_lower_bound(lower);
        }
        if let Some(upper) = upper {
            ro.set_iterate_upper_bound(upper);
        }
        Ok(self.db.raw_iterator_cf_opt(self.cf(cf)?, ro))
    }

    /// Whether any row of `cf` lies in `[lower, upper)`: one bounded seek.
    pub fn any_in_range(&self, cf: Cf, lower: Vec<u8>, upper: Option<Vec<u8>>) -> Result<bool> {
        let mut it = self.iter(cf, Some(lower.clone()), upper)?;
        it.seek(&lower);
        let found = it.valid();
        it.status()?;
        Ok(found)
    }

    /// Starts a batch of changes that commit together or not at all.
    pub fn batch(&self) -> Batch<'_> {
        Batch {
            db: self,
            wb: WriteBatch::default(),
        }
    }
}

/// A set of row changes committed atomically by [`Batch::commit`].
pub struct Batch<'a> {
    db: &'a MetaDb,
    wb: WriteBatch,
}

impl Batch<'_> {
    pub fn put(&mut self, cf: Cf, key: &[u8], value: &[u8]) -> Result<()> {
        self.wb.put_cf(self.db.cf(cf)?, key, value);
        Ok(())
    }

    pub fn delete(&mut self, cf: Cf, key: &[u8]) -> Result<()> {
        self.wb.delete_cf(self.db.cf(cf)?, key);
        Ok(())
    }

    /// Commits durably: the WAL is fsynced before this returns. Concurrent commits
    /// share one fsync (RocksDB's group commit), so callers must not serialise them.
    pub fn commit(self) -> Result<()> {
        let mut wo = WriteOptions::default();
        wo.set_sync(true);
        self.db.db.write_opt(self.wb, &wo)?;
        Ok(())
    }

    /// Commits without waiting for the WAL fsync: for changes that are safe to lose
    /// in a crash (e.g. removing gc rows whose files are already gone).
    pub fn commit_unsynced(self) -> Result<()> {
        self.db.db.write(self.wb)?;
        Ok(())
    }
}

/// Reads a big-endian u64 counter value.
pub fn decode_u64(raw: &[u8]) -> Result<u64> {
    let bytes: [u8; 8] = raw
        .try_into()
        .map_err(|_| Error::Corrupt(format!("counter has {} bytes, expected 8", raw.len())))?;
    Ok(u64::from_be_bytes(bytes))
}
