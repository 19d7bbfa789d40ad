//! The metadata store on Ceph RADOS: rows in the omap of RADOS objects, as
//! RGW keeps its bucket index.
//!
//! # Layout
//! Each column family is split into shards by a fixed-length prefix of the
//! row key (`layout::shard_prefix_len`): the bucket id for `current`,
//! `versions` and `uploads` (one omap object per bucket and family), the
//! upload sequence for `parts`, the first byte of the random blob id for
//! `blobs` and `gc` (256 objects), and one object for each small family
//! (`buckets`, `meta`, `iam`, queues). Shard `p` of family `cf` is object
//! `<cf>.s.<hex p>`; its omap keys are the escaped row keys (see
//! `layout::omap_key`), so omap order is key order. A directory object per
//! family (`<cf>.dir`) lists the shards ever written, in prefix order; a
//! shard is entered there before its first row is written, and entries are
//! never removed, so a scan that walks the directory misses no row.
//!
//! # Costs
//! - `get`: one omap read of one object.
//! - A scan page: one omap listing (start-after, max-return) of one object,
//!   plus one directory read each time it crosses into the next shard: a
//!   listing costs O(page) however many keys the bucket holds. Pages grow
//!   from a few rows after a seek (a delimiter listing seeks often) to
//!   hundreds while a scan runs on.
//! - Stepping backwards (`prev`, `seek_to_last`) rescans forward from the
//!   lower bound, keeping the last rows seen: omap lists only forwards. The
//!   engine steps back only to trim event queues.
//! - A bucket's rows share one object per family: RADOS copes with a few
//!   hundred thousand omap keys per object before recovery and scrub of it
//!   grow slow. Splitting a bucket's shard by key range (the directory
//!   already allows more shards than one per bucket) lifts that.
//!
//! # Atomicity
//! A batch is grouped by shard object; each group is one compound write
//! operation (omap set + remove, guarded where it merges), which RADOS
//! applies atomically and durably (acknowledged only once on every replica's
//! journal, so `Durability::Lazy` is the same as `Sync`). The rows the
//! engine changes together for one object key (its `current` row, its
//! `versions` rows, its upload) share the bucket's shards, so an S3 write's
//! index update is one operation per family. A batch spanning objects
//! (index rows plus `blobs`/`gc` rows and the usage counter) is applied one
//! object after the other: a reader may see part of it, and a crash between
//! two objects leaves part of it. Making that atomic, and replacing the
//! engine's in-process locks (striped key locks, the sequencer, bucket ids)
//! for several gateways, is the next step (intent rows rolled forward, and
//! guards or leases); until then one gateway per pool.
//!
//! Merges (the usage counters) are read-modify-write cycles guarded by an
//! omap compare of the value read: a concurrent change cancels the whole
//! operation, which is then retried.

mod cursor;
mod layout;

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use horreo_rados::{Cluster, Compare, IoCtx, ReadOp, WriteOp};
use parking_lot::Mutex;

use super::Cf;
use super::store::{Change, Cursor, Durability, MetaStore};
use crate::{Error, Result};
use layout::{directory_object, omap_key, shard_object, shard_of, shard_prefix_len};

/// How many times a guarded merge is retried before the batch fails.
const MERGE_RETRIES: usize = 64;

/// What a batch does to one row: the value its last put or delete left
/// (`None` when it only merges), then its merge operands in order.
type PendingRow<'a> = (Option<Option<Vec<u8>>>, Vec<&'a [u8]>);

/// Metadata rows in RADOS omap objects of one pool and namespace.
pub struct RadosStore {
    io: IoCtx,
    /// Shards known to be in their family's directory (entries are never
    /// removed, so a cached one stays true).
    listed: Mutex<HashSet<(Cf, Vec<u8>)>>,
}

fn rados(e: horreo_rados::Error) -> Error {
    Error::Meta(format!("RADOS: {e}"))
}

impl RadosStore {
    /// A store on an open I/O context (its pool and namespace).
    pub fn open(io: IoCtx) -> RadosStore {
        RadosStore {
            io,
            listed: Mutex::new(HashSet::new()),
        }
    }

    /// Connects as `client.<user>` with the conf file at `conf` and opens a
    /// store in `pool` (its default namespace).
    pub fn connect(conf: &Path, pool: &str, user: Option<&str>) -> Result<RadosStore> {
        let cluster = Cluster::connect(conf, user).map_err(rados)?;
        let io = cluster.ioctx(pool, "").map_err(rados)?;
        Ok(RadosStore::open(io))
    }

    /// The rows of `keys` (omap keys) in `object`, with absent ones left
    /// out; no object means no rows.
    fn read_keys(&self, object: &str, keys: &[&[u8]]) -> Result<BTreeMap<Vec<u8>, Vec<u8>>> {
        let mut op = ReadOp::new();
        op.omap_get_vals_by_keys(keys);
        match op.operate(&self.io, object) {
            Ok(pages) => Ok(pages.into_iter().flat_map(|p| p.rows).collect()),
            Err(horreo_rados::Error::NotFound { .. }) => Ok(BTreeMap::new()),
            Err(e) => Err(rados(e)),
        }
    }

    /// Enters shard `prefix` of `cf` in the family's directory, once.
    fn list_shard(&self, cf: Cf, prefix: &[u8]) -> Result<()> {
        if shard_prefix_len(cf) == 0 || self.listed.lock().contains(&(cf, prefix.to_vec())) {
            return Ok(());
        }
        let key = omap_key(prefix);
        let mut op = WriteOp::new();
        op.create(false)
            .omap_set(&[(key.as_slice(), b"".as_slice())]);
        op.operate(&self.io, &directory_object(cf)).map_err(rados)?;
        self.listed.lock().insert((cf, prefix.to_vec()));
        Ok(())
    }

    /// Applies the changes of one shard object as one compound operation.
    fn write_shard(&self, cf: Cf, prefix: &[u8], changes: &[&Change]) -> Result<()> {
        let object = shard_object(cf, prefix);
        // Per omap key: the value a put or delete of this batch left (or
        // `None` when the batch only merges into it), then merge operands.
        let mut rows: BTreeMap<Vec<u8>, PendingRow> = BTreeMap::new();
        for change in changes {
            match change {
                Change::Put { key, value, .. } => {
                    rows.insert(omap_key(key), (Some(Some(value.clone())), Vec::new()));
                }
                Change::Delete { key, .. } => {
                    rows.insert(omap_key(key), (Some(None), Vec::new()));
                }
                Change::Merge { key, operand, .. } => {
                    rows.entry(omap_key(key))
                        .or_insert((None, Vec::new()))
                        .1
                        .push(operand);
                }
            }
        }
        let merge = cf.merge_operator();
        let unread: Vec<&[u8]> = rows
            .iter()
            .filter(|(_, (base, ops))| base.is_none() && !ops.is_empty())
            .map(|(k, _)| k.as_slice())
            .collect();
        let only_removes = rows
            .values()
            .all(|(base, ops)| matches!(base, Some(None)) && ops.is_empty());
        for _ in 0..MERGE_RETRIES {
            let stored = if unread.is_empty() {
                BTreeMap::new()
            } else {
                self.read_keys(&object, &unread)?
            };
            let mut op = WriteOp::new();
            if !only_removes {
                op.create(false);
            }
            let mut sets: Vec<(&[u8], Vec<u8>)> = Vec::new();
            let mut removes: Vec<&[u8]> = Vec::new();
            for (key, (base, ops)) in &rows {
                let value = match base {
                    Some(v) if ops.is_empty() => v.clone(),
                    _ => {
                        let merge = merge.ok_or_else(|| {
                            Error::Meta(format!(
                                "column family {} has no merge operator",
                                cf.name()
                            ))
                        })?;
                        let existing = match base {
                            Some(v) => v.as_deref(),
                            None => {
                                // Guard: the value the merge starts from is
                                // still the stored one (absent compares as empty).
                                let seen = stored.get(key).map_or(&[][..], Vec::as_slice);
                                op.cmp_omap(key, Compare::Eq, seen);
                                stored.get(key).map(Vec::as_slice)
                            }
                        };
                        let mut operands = ops.iter().copied();
                        match merge(existing, &mut operands) {
                            Some(merged) => Some(merged),
                            // Bytes the operator cannot combine stay as they are.
                            None => continue,
                        }
                    }
                };
                match value {
                    Some(v) => sets.push((key, v)),
                    None => removes.push(key),
                }
            }
            let set_refs: Vec<(&[u8], &[u8])> =
                sets.iter().map(|(k, v)| (*k, v.as_slice())).collect();
            op.omap_set(&set_refs).omap_remove(&removes);
            match op.operate(&self.io, &object) {
                Ok(()) => return Ok(()),
                // Nothing to remove from an object that is not there.
                Err(horreo_rados::Error::NotFound { .. }) if only_removes => return Ok(()),
                Err(horreo_rados::Error::GuardFailed { .. }) if !unread.is_empty() => continue,
                Err(e) => return Err(rados(e)),
            }
        }
        Err(Error::Meta(format!(
            "RADOS: merge into {object} lost {MERGE_RETRIES} races in a row"
        )))
    }
}

impl MetaStore for RadosStore {
    fn get(&self, cf: Cf, key: &[u8]) -> Result<Option<Vec<u8>>> {
        let omap = omap_key(key);
        let mut rows = self.read_keys(&shard_object(cf, shard_of(cf, key)), &[&omap])?;
        Ok(rows.remove(&omap))
    }

    fn multi_get(&self, cf: Cf, keys: &[Vec<u8>]) -> Result<Vec<Option<Vec<u8>>>> {
        // One read per shard object the keys fall in.
        let mut by_shard: BTreeMap<&[u8], Vec<Vec<u8>>> = BTreeMap::new();
        for key in keys {
            by_shard
                .entry(shard_of(cf, key))
                .or_default()
                .push(omap_key(key));
        }
        let mut found = BTreeMap::new();
        for (prefix, omap_keys) in &by_shard {
            let refs: Vec<&[u8]> = omap_keys.iter().map(Vec::as_slice).collect();
            found.extend(self.read_keys(&shard_object(cf, prefix), &refs)?);
        }
        Ok(keys
            .iter()
            .map(|k| found.get(&omap_key(k)).cloned())
            .collect())
    }

    fn cursor(
        &self,
        cf: Cf,
        lower: Option<Vec<u8>>,
        upper: Option<Vec<u8>>,
    ) -> Result<Box<dyn Cursor + '_>> {
        Ok(Box::new(cursor::RadosCursor::new(self, cf, lower, upper)))
    }

    fn write(&self, changes: Vec<Change>, _durability: Durability) -> Result<()> {
        if let Some(cf) = changes.iter().find_map(|c| match c {
            Change::Merge { cf, .. } if cf.merge_operator().is_none() => Some(*cf),
            _ => None,
        }) {
            return Err(Error::Meta(format!(
                "column family {} has no merge operator",
                cf.name()
            )));
        }
        let mut shards: BTreeMap<(Cf, &[u8]), Vec<&Change>> = BTreeMap::new();
        for change in &changes {
            let key = match change {
                Change::Put { key, .. }
                | Change::Merge { key, .. }
                | Change::Delete { key, .. } => key,
            };
            let cf = change.cf();
            shards
                .entry((cf, shard_of(cf, key)))
                .or_default()
                .push(change);
        }
        for ((cf, prefix), group) in &shards {
            self.list_shard(*cf, prefix)?;
            self.write_shard(*cf, prefix, group)?;
        }
        Ok(())
    }

    fn flush(&self) -> Result<()> {
        // Every acknowledged RADOS write is already durable.
        Ok(())
    }

    fn estimate_rows(&self, _cf: Cf) -> u64 {
        // RADOS keeps no cheap per-family count; progress displays show none.
        0
    }
}

#[cfg(test)]
mod binding_tests;
#[cfg(test)]
pub(crate) mod test_cluster;
