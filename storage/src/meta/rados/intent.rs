//! Batches that span several omap objects, made whole after a crash.
//!
//! The batch's first object (the one holding its preconditions, when it has
//! any) gets, in the same compound operation as its own rows, an intent row
//! (omap key `i` + a random id) listing the changes of every other object.
//! Those are applied next, then the intent row is removed. So readers of the
//! first object (a bucket's index: GET, HEAD, listings) see the whole batch
//! or none of it, and the rest of the batch (blob references, gc rows, usage
//! counters, queues) follows within the same call, or, when the gateway
//! died in between, once its intent is rolled forward
//! ([`RadosStore::roll_forward`]). Each object that ever held an intent is
//! entered once in the `intents` object, so leftovers are found without a
//! scan of the pool.
//!
//! Rolling forward applies an intent's changes again: puts and deletes are
//! idempotent, and an object's merges (usage counters) are applied together
//! with a done mark of the intent (omap key `d` + its id), so that they are
//! not applied twice; the marks are removed after the intent.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use horreo_rados::{ReadOp, WriteOp};
use serde::{Deserialize, Serialize};

use super::{RadosStore, rados};
use crate::meta::Cf;
use crate::meta::store::Change;
use crate::{Error, Result};

/// The object listing every object that ever held an intent.
const INTENT_OBJECTS: &str = "intents";
/// The mark of intent rows' omap keys (no family uses it).
pub(super) const INTENT_MARK: u8 = b'i';
/// The mark of done marks' omap keys (no family uses it).
const DONE_MARK: u8 = b'd';
/// Rows listed per omap read while rolling forward.
const PAGE: u64 = 256;

/// The changes of a batch still to be applied to objects other than the one
/// holding the intent, as stored in the intent row.
#[derive(Serialize, Deserialize)]
struct Intent {
    /// When the batch was written (ms since the epoch).
    written_ms: u64,
    /// (kind, family, key, value): kind 0 put, 1 merge, 2 delete.
    changes: Vec<(u8, u8, Vec<u8>, Vec<u8>)>,
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// An intent row for `changes` (which hold no preconditions): its omap key
/// and value.
pub(super) fn intent_row(changes: &[&Change]) -> Result<(Vec<u8>, Vec<u8>)> {
    let changes = changes
        .iter()
        .filter_map(|c| {
            let (kind, cf, key, value) = match c {
                Change::Put { cf, key, value } => (0, cf, key, value.clone()),
                Change::Merge { cf, key, operand } => (1, cf, key, operand.clone()),
                Change::Delete { cf, key } => (2, cf, key, Vec::new()),
                Change::Expect { .. } => return None,
            };
            Some((kind, *cf as u8, key.clone(), value))
        })
        .collect();
    let intent = Intent {
        written_ms: now_ms(),
        changes,
    };
    let mut key = vec![INTENT_MARK];
    key.extend_from_slice(format!("{:016x}", rand::random::<u64>()).as_bytes());
    let value = rmp_serde::to_vec(&intent).map_err(|e| Error::Meta(format!("intent: {e}")))?;
    Ok((key, value))
}

/// The done mark of intent `intent_key` (see the module's documentation).
pub(super) fn done_key(intent_key: &[u8]) -> Vec<u8> {
    let mut key = intent_key.to_vec();
    if let Some(mark) = key.first_mut() {
        *mark = DONE_MARK;
    }
    key
}

/// The changes an intent row lists.
fn decode(raw: &[u8]) -> Result<(u64, Vec<Change>)> {
    let bad = |what: String| Error::Corrupt(format!("intent row: {what}"));
    let intent: Intent = rmp_serde::from_slice(raw).map_err(|e| bad(e.to_string()))?;
    let changes = intent
        .changes
        .into_iter()
        .map(|(kind, cf, key, value)| {
            let cf = *Cf::ALL
                .get(cf as usize)
                .ok_or_else(|| bad(format!("family {cf}")))?;
            Ok(match kind {
                0 => Change::Put { cf, key, value },
                1 => Change::Merge {
                    cf,
                    key,
                    operand: value,
                },
                2 => Change::Delete { cf, key },
                k => return Err(bad(format!("change kind {k}"))),
            })
        })
        .collect::<Result<_>>()?;
    Ok((intent.written_ms, changes))
}

impl RadosStore {
    /// Enters `object` in the list of objects holding intents, once.
    pub(super) fn note_intent_object(&self, object: &str) -> Result<()> {
        if self.intent_objects.lock().contains(object) {
            return Ok(());
        }
        let mut op = WriteOp::new();
        op.create(false)
            .omap_set(&[(object.as_bytes(), b"".as_slice())]);
        op.operate(&self.io, INTENT_OBJECTS).map_err(rados)?;
        self.intent_objects.lock().insert(object.to_owned());
        Ok(())
    }

    /// Removes the intent row `key` of `object`, its batch applied.
    pub(super) fn drop_intent(&self, object: &str, key: &[u8]) -> Result<()> {
        let mut op = WriteOp::new();
        op.omap_remove(&[key]);
        match op.operate(&self.io, object) {
            Ok(()) | Err(horreo_rados::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(rados(e)),
        }
    }

    /// Up to [`PAGE`] rows of `object` after `after` whose keys start with
    /// `prefix`.
    fn page(&self, object: &str, after: &[u8], prefix: &[u8]) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        let mut op = ReadOp::new();
        op.omap_get_vals_with_prefix(after, prefix, PAGE);
        match op.operate(&self.io, object) {
            Ok(pages) => Ok(pages.into_iter().flat_map(|p| p.rows).collect()),
            Err(horreo_rados::Error::NotFound { .. }) => Ok(Vec::new()),
            Err(e) => Err(rados(e)),
        }
    }

    /// Applies every intent at least `min_age` old (older than any batch a
    /// live gateway is still writing) and removes it; returns how many. Run
    /// when a gateway opens the store and by the holder of the workers'
    /// lease.
    pub fn roll_forward(&self, min_age: Duration) -> Result<usize> {
        let due = now_ms().saturating_sub(min_age.as_millis() as u64);
        let mut rolled = 0;
        let mut after = Vec::new();
        loop {
            let objects = self.page(INTENT_OBJECTS, &after, b"")?;
            let Some((last, _)) = objects.last() else {
                return Ok(rolled);
            };
            after = last.clone();
            for (name, _) in &objects {
                let object = String::from_utf8_lossy(name).into_owned();
                let mut from = Vec::new();
                loop {
                    let intents = self.page(&object, &from, &[INTENT_MARK])?;
                    let Some((last, _)) = intents.last() else {
                        break;
                    };
                    from = last.clone();
                    for (key, raw) in &intents {
                        let (written_ms, changes) = decode(raw)?;
                        if written_ms > due {
                            continue;
                        }
                        let objects = self.prepare(&changes)?;
                        self.apply_intent(&object, key, &objects)?;
                        rolled += 1;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::layout::shard_object;
    use super::super::test_cluster::test_cluster;
    use super::*;
    use crate::meta::MetaStore;
    use crate::meta::store::Durability;

    #[test]
    fn a_batch_cut_short_after_its_first_object_is_rolled_forward() {
        let Some(cluster) = test_cluster() else {
            return;
        };
        let store = RadosStore::open(cluster.fresh_namespace());
        let put = |cf, key: &[u8], value: &[u8]| Change::Put {
            cf,
            key: key.to_vec(),
            value: value.to_vec(),
        };
        // A whole batch over three objects leaves no intent behind.
        let batch = vec![
            put(Cf::Current, b"whole", b"v"),
            put(Cf::Blobs, b"b0", b"r"),
            put(Cf::Gc, b"g0", b"r"),
        ];
        store.write(batch, Durability::Sync).unwrap();
        assert_eq!(store.roll_forward(Duration::ZERO).unwrap(), 0);
        // What a gateway that died after the first object of a batch left.
        let first = put(Cf::Current, b"k", b"v");
        let rest = [put(Cf::Blobs, b"b1", b"r"), put(Cf::Gc, b"g1", b"r")];
        let (key, intent) = intent_row(&rest.iter().collect::<Vec<_>>()).unwrap();
        let object = shard_object(Cf::Current, b"k");
        store.list_shard(Cf::Current, b"k").unwrap();
        store.note_intent_object(&object).unwrap();
        store
            .write_object(&object, &[&first], Some((&key, &intent)), None)
            .unwrap();
        assert_eq!(store.get(Cf::Current, b"k").unwrap().unwrap(), b"v");
        assert_eq!(store.get(Cf::Blobs, b"b1").unwrap(), None);
        // The intent row is no row of any family.
        let mut rows = store.cursor(Cf::Current, None, None).unwrap();
        rows.seek_to_first();
        let mut keys = Vec::new();
        while let Some(k) = rows.key() {
            keys.push(k.to_vec());
            rows.next();
        }
        assert_eq!(keys, [b"k".to_vec(), b"whole".to_vec()]);
        // A live gateway's intent is left alone; a dead one's is applied once.
        assert_eq!(store.roll_forward(Duration::from_secs(3600)).unwrap(), 0);
        assert_eq!(store.roll_forward(Duration::ZERO).unwrap(), 1);
        assert_eq!(store.get(Cf::Blobs, b"b1").unwrap().unwrap(), b"r");
        assert_eq!(store.get(Cf::Gc, b"g1").unwrap().unwrap(), b"r");
        assert_eq!(store.roll_forward(Duration::ZERO).unwrap(), 0);
    }

    #[test]
    fn a_batch_cut_after_its_merges_does_not_merge_twice_when_rolled_forward() {
        let Some(cluster) = test_cluster() else {
            return;
        };
        let store = RadosStore::open(cluster.fresh_namespace());
        let delta = |objects: i64, bytes: i64| {
            let mut raw = objects.to_be_bytes().to_vec();
            raw.extend_from_slice(&bytes.to_be_bytes());
            raw
        };
        let usage = |store: &RadosStore| store.get(Cf::Meta, b"usage/1").unwrap();
        // A PUT's batch: its index row first, then a usage merge and a blob
        // reference in two other objects.
        let first = Change::Put {
            cf: Cf::Current,
            key: b"k".to_vec(),
            value: b"v".to_vec(),
        };
        let merge = Change::Merge {
            cf: Cf::Meta,
            key: b"usage/1".to_vec(),
            operand: delta(1, 100),
        };
        let blob = Change::Put {
            cf: Cf::Blobs,
            key: b"b1".to_vec(),
            value: b"r".to_vec(),
        };
        let rest = [&merge, &blob];
        let (key, intent) = intent_row(&rest).unwrap();
        let object = shard_object(Cf::Current, b"k");
        store.note_intent_object(&object).unwrap();
        store
            .write_object(&object, &[&first], Some((&key, &intent)), None)
            .unwrap();
        // The gateway applied the merge's object, then died.
        let merges = [merge.clone()];
        let objects = store.prepare(&merges).unwrap();
        let (usage_object, group) = objects.iter().next().unwrap();
        store
            .write_object(usage_object, group, None, Some(&done_key(&key)))
            .unwrap();
        assert_eq!(usage(&store).unwrap(), delta(1, 100));
        assert_eq!(store.roll_forward(Duration::ZERO).unwrap(), 1);
        assert_eq!(usage(&store).unwrap(), delta(1, 100));
        assert_eq!(store.get(Cf::Blobs, b"b1").unwrap().unwrap(), b"r");
        // No mark is left behind, and a whole batch merges once.
        assert!(
            store
                .page(usage_object, b"", &[DONE_MARK])
                .unwrap()
                .is_empty()
        );
        store
            .write(vec![first, merge, blob], Durability::Sync)
            .unwrap();
        assert_eq!(usage(&store).unwrap(), delta(2, 200));
        assert!(
            store
                .page(usage_object, b"", &[DONE_MARK])
                .unwrap()
                .is_empty()
        );
        assert_eq!(store.roll_forward(Duration::ZERO).unwrap(), 0);
    }
}
