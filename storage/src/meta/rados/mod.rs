//! The metadata store on Ceph RADOS: rows in the omap of RADOS objects, as
//! RGW keeps its bucket index.
//!
//! # Layout
//! Each column family is split into shards by a fixed-length prefix of the
//! row key (`layout::shard_prefix_len`): the bucket id for `current`,
//! `versions` and `uploads`, the upload sequence for `parts`, the first
//! byte of the random blob id for `blobs` and `gc` (256 objects), and one
//! object for each small family (`buckets`, `meta`, `iam`, queues). Shard
//! `p` of family `cf` is object `<cf>.s.<hex p>`, except that a bucket's
//! `current`, `versions` and `uploads` rows share its index object
//! `index.s.<hex id>`; omap keys are the escaped row keys behind a mark
//! byte naming the family (see `layout::omap_key`), so omap order is key
//! order within a family and a listing filters on the mark. A directory object per
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
//! A batch is grouped by object; each group is one compound write
//! operation (omap set + remove, guarded by compares), which RADOS applies
//! atomically and durably (acknowledged only once on every replica's
//! journal, so `Durability::Lazy` is the same as `Sync`).
//! - Preconditions ([`Change::Expect`]) become omap compares in the
//!   operation of the object holding their rows, so they hold across every
//!   gateway on the pool; a batch's preconditions must fall in one object,
//!   which is written first. The rows the engine reads and changes together
//!   for one object key (its `current` row, its `versions` rows, its
//!   upload) share the bucket's index object: an S3 write's guarded index
//!   update is one operation.
//! - A batch spanning objects writes the rest of itself as an intent row
//!   into that first operation, applies the other objects, then drops the
//!   intent (see `intent`): readers of the first object see all or nothing;
//!   rows elsewhere (blob references, gc, usage, queues) may lag it for the
//!   length of the call, or, if the gateway dies meanwhile, until its intent
//!   is rolled forward (at the next open of a store, or by
//!   [`RadosStore::roll_forward`]).
//! - The engine's in-process locks stay as the fast path inside a gateway;
//!   across gateways its read-modify-writes are guarded batches retried on
//!   conflict, its counters (sequences, bucket ids) reserve ranges by a
//!   guarded update, and its background workers run under a lease
//!   ([`MetaStore::hold_lease`]).
//! - The engine caches no bucket on a shared store (each request reads its
//!   bucket's row); object writes are guarded on the bucket's closing row
//!   in its index, which DeleteBucket writes before it checks emptiness
//!   (`engine::bucket::guard_open`). Two uploads of one part number
//!   serialise on a RADOS lock on the part's shard
//!   ([`MetaStore::try_lock_rows`]): the part row and the upload row that
//!   guards the commit live in different objects.
//!
//! Merges (the usage counters) are read-modify-write cycles guarded by an
//! omap compare of the value read: a concurrent change cancels the whole
//! operation, which is then retried.

mod cursor;
mod intent;
mod layout;

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::Path;
use std::time::Duration;

use horreo_rados::{Cluster, Compare, IoCtx, ReadOp, WriteOp};
use parking_lot::Mutex;

use super::Cf;
use super::store::{Change, Cursor, Durability, MetaStore};
use crate::{Error, Result};
use layout::{directory_object, omap_key, shard_key, shard_object, shard_of, shard_prefix_len};

/// The age at which an intent is taken to be left by a gateway that died:
/// far longer than any live gateway takes to apply a batch.
pub const STALE_INTENT: Duration = Duration::from_secs(60);

/// How many times a guarded merge is retried before the batch fails.
const MERGE_RETRIES: usize = 64;

/// What a batch does to one row: its family, the value its last put or
/// delete left (`None` when it only merges), then its merge operands in
/// order.
struct PendingRow<'a> {
    cf: Cf,
    base: Option<Option<Vec<u8>>>,
    operands: Vec<&'a [u8]>,
}

/// Metadata rows in RADOS omap objects of one pool and namespace.
pub struct RadosStore {
    io: IoCtx,
    /// Shards known to be in their family's directory (entries are never
    /// removed, so a cached one stays true).
    listed: Mutex<HashSet<(Cf, Vec<u8>)>>,
    /// Objects known to be entered in the list of objects with intents.
    intent_objects: Mutex<HashSet<String>>,
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
            intent_objects: Mutex::new(HashSet::new()),
        }
    }

    /// Connects as `client.<user>` with the conf file at `conf` and opens a
    /// store in `pool` (its default namespace), rolling forward the batches
    /// of gateways that died while writing them (see `intent`).
    pub fn connect(conf: &Path, pool: &str, user: Option<&str>) -> Result<RadosStore> {
        let cluster = Cluster::connect(conf, user).map_err(rados)?;
        let io = cluster.ioctx(pool, "").map_err(rados)?;
        let store = RadosStore::open(io);
        store.roll_forward(STALE_INTENT)?;
        Ok(store)
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
        let key = shard_key(prefix);
        let mut op = WriteOp::new();
        op.create(false)
            .omap_set(&[(key.as_slice(), b"".as_slice())]);
        op.operate(&self.io, &directory_object(cf)).map_err(rados)?;
        self.listed.lock().insert((cf, prefix.to_vec()));
        Ok(())
    }

    /// Groups `changes` by the object they fall in, after entering every
    /// shard they write in its family's directory.
    fn prepare<'c>(&self, changes: &'c [Change]) -> Result<BTreeMap<String, Vec<&'c Change>>> {
        let mut objects: BTreeMap<String, Vec<&Change>> = BTreeMap::new();
        let mut shards: BTreeSet<(Cf, &[u8])> = BTreeSet::new();
        for change in changes {
            let cf = change.cf();
            let prefix = shard_of(cf, change.key());
            if !matches!(change, Change::Expect { .. }) {
                shards.insert((cf, prefix));
            }
            objects
                .entry(shard_object(cf, prefix))
                .or_default()
                .push(change);
        }
        for (cf, prefix) in &shards {
            self.list_shard(*cf, prefix)?;
        }
        Ok(objects)
    }

    /// Applies the changes of intent `intent_key` of `first` to `objects`
    /// (every object of its batch but the first), then drops the intent.
    /// An object whose changes hold merges gets a done mark in the same
    /// operation, so that rolling the intent forward again after a crash
    /// does not merge twice; the marks go once the intent has.
    fn apply_intent(
        &self,
        first: &str,
        intent_key: &[u8],
        objects: &BTreeMap<String, Vec<&Change>>,
    ) -> Result<()> {
        let done = intent::done_key(intent_key);
        let merges = |group: &[&Change]| group.iter().any(|c| matches!(c, Change::Merge { .. }));
        for (object, group) in objects {
            let once = merges(group).then_some(done.as_slice());
            self.write_object(object, group, None, once)?;
        }
        self.drop_intent(first, intent_key)?;
        for (object, _) in objects.iter().filter(|(_, group)| merges(group)) {
            self.drop_intent(object, &done)?;
        }
        Ok(())
    }

    /// Whether the stored rows of `object` meet every precondition of
    /// `expected` (omap key, precondition).
    fn preconditions_hold(&self, object: &str, expected: &[(Vec<u8>, &Change)]) -> Result<bool> {
        let keys: Vec<&[u8]> = expected.iter().map(|(k, _)| k.as_slice()).collect();
        let stored = self.read_keys(object, &keys)?;
        Ok(expected
            .iter()
            .all(|(k, change)| change.holds(stored.get(k).map(Vec::as_slice))))
    }

    /// Applies the changes of one object as one compound operation, guarded
    /// by their preconditions ([`Error::Conflict`] when one does not hold),
    /// with `intent` (an omap row of no family) set in the same operation.
    /// With `once`, a mark of no family, the operation applies only if the
    /// mark is absent and sets it: when present, the changes were applied
    /// already and nothing is written.
    fn write_object(
        &self,
        object: &str,
        changes: &[&Change],
        intent: Option<(&[u8], &[u8])>,
        once: Option<&[u8]>,
    ) -> Result<()> {
        // Per omap key: what the batch does to the row.
        let mut rows: BTreeMap<Vec<u8>, PendingRow> = BTreeMap::new();
        let mut expected: Vec<(Vec<u8>, &Change)> = Vec::new();
        for &change in changes {
            let cf = change.cf();
            let key = omap_key(cf, change.key());
            let base = match change {
                Change::Put { value, .. } => Some(value.clone()),
                Change::Delete { .. } => None,
                Change::Merge { operand, .. } => {
                    rows.entry(key)
                        .or_insert(PendingRow {
                            cf,
                            base: None,
                            operands: Vec::new(),
                        })
                        .operands
                        .push(operand);
                    continue;
                }
                Change::Expect { .. } => {
                    expected.push((key, change));
                    continue;
                }
            };
            rows.insert(
                key,
                PendingRow {
                    cf,
                    base: Some(base),
                    operands: Vec::new(),
                },
            );
        }
        let unread: Vec<&[u8]> = rows
            .iter()
            .filter(|(_, row)| row.base.is_none() && !row.operands.is_empty())
            .map(|(k, _)| k.as_slice())
            .collect();
        let only_removes = intent.is_none()
            && once.is_none()
            && rows
                .values()
                .all(|row| matches!(row.base, Some(None)) && row.operands.is_empty());
        for _ in 0..MERGE_RETRIES {
            let stored = if unread.is_empty() {
                BTreeMap::new()
            } else {
                self.read_keys(object, &unread)?
            };
            let mut op = WriteOp::new();
            if !only_removes {
                op.create(false);
            }
            // A missing omap key compares as the empty value, which is what
            // `Change::holds` makes of an absent row on every store.
            for (key, change) in &expected {
                if let Change::Expect { value, .. } = change {
                    op.cmp_omap(key, Compare::Eq, value.as_deref().unwrap_or_default());
                }
            }
            let mut sets: Vec<(&[u8], Vec<u8>)> = Vec::new();
            let mut removes: Vec<&[u8]> = Vec::new();
            for (key, row) in &rows {
                let value = match &row.base {
                    Some(v) if row.operands.is_empty() => v.clone(),
                    base => {
                        let merge = row.cf.merge_operator().ok_or_else(|| {
                            Error::Meta(format!(
                                "column family {} has no merge operator",
                                row.cf.name()
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
                        let mut operands = row.operands.iter().copied();
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
            if let Some(mark) = once {
                op.cmp_omap(mark, Compare::Eq, b"");
            }
            let set_refs: Vec<(&[u8], &[u8])> = sets
                .iter()
                .map(|(k, v)| (*k, v.as_slice()))
                .chain(intent)
                .chain(once.map(|mark| (mark, b"1".as_slice())))
                .collect();
            op.omap_set(&set_refs).omap_remove(&removes);
            match op.operate(&self.io, object) {
                Ok(()) => return Ok(()),
                // No object: no rows, so nothing to remove, and only
                // preconditions of absence hold.
                Err(horreo_rados::Error::NotFound { .. }) if only_removes => {
                    return if expected.iter().all(|(_, c)| c.holds(None)) {
                        Ok(())
                    } else {
                        Err(Error::Conflict)
                    };
                }
                Err(horreo_rados::Error::GuardFailed { .. }) => {
                    if let Some(mark) = once
                        && !self.read_keys(object, &[mark])?.is_empty()
                    {
                        return Ok(());
                    }
                    // A precondition failed, or a merge lost a race (retried).
                    if !expected.is_empty() && !self.preconditions_hold(object, &expected)? {
                        return Err(Error::Conflict);
                    }
                    if unread.is_empty() && expected.is_empty() {
                        return Err(rados(horreo_rados::Error::GuardFailed {
                            op: "rados_write_op_operate",
                        }));
                    }
                }
                Err(e) => return Err(rados(e)),
            }
        }
        Err(Error::Meta(format!(
            "RADOS: a write to {object} lost {MERGE_RETRIES} races in a row"
        )))
    }
}

impl MetaStore for RadosStore {
    fn get(&self, cf: Cf, key: &[u8]) -> Result<Option<Vec<u8>>> {
        let omap = omap_key(cf, key);
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
                .push(omap_key(cf, key));
        }
        let mut found = BTreeMap::new();
        for (prefix, omap_keys) in &by_shard {
            let refs: Vec<&[u8]> = omap_keys.iter().map(Vec::as_slice).collect();
            found.extend(self.read_keys(&shard_object(cf, prefix), &refs)?);
        }
        Ok(keys
            .iter()
            .map(|k| found.get(&omap_key(cf, k)).cloned())
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
        let mut objects = self.prepare(&changes)?;
        // The object holding the preconditions is written first: when they
        // fail, nothing else has been.
        let mut guarded = objects
            .iter()
            .filter(|(_, group)| group.iter().any(|c| matches!(c, Change::Expect { .. })))
            .map(|(object, _)| object.clone());
        let first = guarded.next();
        if let Some(other) = guarded.next() {
            return Err(Error::Meta(format!(
                "a batch's preconditions span RADOS objects {} and {other}",
                first.unwrap_or_default()
            )));
        }
        let Some(first) = first.or_else(|| objects.keys().next().cloned()) else {
            return Ok(());
        };
        let group = objects.remove(&first).unwrap_or_default();
        if objects.is_empty() {
            return self.write_object(&first, &group, None, None);
        }
        // Several objects: the rest of the batch rides in an intent row of
        // the first (see `intent`).
        let rest: Vec<&Change> = objects.values().flatten().copied().collect();
        let (intent_key, intent) = intent::intent_row(&rest)?;
        self.note_intent_object(&first)?;
        self.write_object(&first, &group, Some((&intent_key, &intent)), None)?;
        self.apply_intent(&first, &intent_key, &objects)
    }

    fn flush(&self) -> Result<()> {
        // Every acknowledged RADOS write is already durable.
        Ok(())
    }

    fn estimate_rows(&self, _cf: Cf) -> u64 {
        // RADOS keeps no cheap per-family count; progress displays show none.
        0
    }

    fn shared_by_gateways(&self) -> bool {
        true
    }

    /// An exclusive RADOS lock with a duration on the shard object of `key`
    /// (no object of its own, so none is left behind).
    fn try_lock_rows(
        &self,
        cf: Cf,
        key: &[u8],
        name: &str,
        holder: &str,
        duration: Duration,
    ) -> Result<bool> {
        let object = shard_object(cf, shard_of(cf, key));
        match self
            .io
            .lock_exclusive(&object, name, holder, duration, false)
        {
            Ok(()) => Ok(true),
            Err(horreo_rados::Error::Busy { .. }) => Ok(false),
            Err(e) => Err(rados(e)),
        }
    }

    fn unlock_rows(&self, cf: Cf, key: &[u8], name: &str, holder: &str) -> Result<()> {
        let object = shard_object(cf, shard_of(cf, key));
        match self.io.unlock(&object, name, holder) {
            // Expired meanwhile (and perhaps taken by another holder).
            Ok(()) | Err(horreo_rados::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(rados(e)),
        }
    }

    /// An exclusive RADOS lock with a duration on object `lease.<name>`: the
    /// OSD records the holder, and drops the lock once it is not renewed.
    fn hold_lease(&self, name: &str, holder: &str, duration: Duration) -> Result<bool> {
        let object = format!("lease.{name}");
        match self
            .io
            .lock_exclusive(&object, name, holder, duration, true)
        {
            Ok(()) => Ok(true),
            Err(horreo_rados::Error::Busy { .. }) => Ok(false),
            Err(e) => Err(rados(e)),
        }
    }

    fn release_lease(&self, name: &str, holder: &str) -> Result<()> {
        match self.io.unlock(&format!("lease.{name}"), name, holder) {
            // Expired meanwhile (and perhaps taken by another holder).
            Ok(()) | Err(horreo_rados::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(rados(e)),
        }
    }
}

#[cfg(test)]
mod binding_tests;
#[cfg(test)]
pub(crate) mod test_cluster;
