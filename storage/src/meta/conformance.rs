//! The contract of [`MetaStore`], checked against every implementation: RocksDB,
//! memory, and the fault injector (with no faults planned) over each.
//!
//! Each check runs on a fresh store of each kind (`conformance!` makes one
//! test module per kind). A model (one ordered map per column family) says
//! what every read must return after random batches, and scans are compared
//! in both directions and from random seeks.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::ops::Bound;

use proptest::prelude::*;

use super::{Cf, FaultyStore, MemoryStore, MetaDb, MetaFaults, RocksStore};
use crate::Error;

/// Every row of `cf`, by a forward scan.
fn scan(db: &MetaDb, cf: Cf) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut it = db.iter(cf, None, None).unwrap();
    it.seek_to_first();
    let mut out = Vec::new();
    while let Some((k, v)) = it.item() {
        out.push((k.to_vec(), v.to_vec()));
        it.next();
    }
    it.status().unwrap();
    out
}

fn reads_what_a_batch_wrote_in_every_column_family(name: &str, db: &MetaDb) {
    let mut batch = db.batch();
    for cf in Cf::ALL {
        batch.put(cf, b"k", cf.name().as_bytes()).unwrap();
    }
    batch.commit().unwrap();
    for cf in Cf::ALL {
        assert_eq!(
            db.get(cf, b"k").unwrap().unwrap(),
            cf.name().as_bytes(),
            "{name}"
        );
    }
    let mut batch = db.batch();
    batch.delete(Cf::Current, b"k").unwrap();
    batch.put(Cf::Versions, b"k", b"new").unwrap();
    batch.commit_unsynced().unwrap();
    assert_eq!(db.get(Cf::Current, b"k").unwrap(), None, "{name}");
    assert_eq!(
        db.get(Cf::Versions, b"k").unwrap().unwrap(),
        b"new",
        "{name}"
    );
    assert_eq!(
        db.multi_get(Cf::Buckets, &[b"x".to_vec(), b"k".to_vec()])
            .unwrap(),
        vec![None, Some(b"buckets".to_vec())],
        "{name}"
    );
}

fn later_changes_of_a_batch_win(name: &str, db: &MetaDb) {
    let mut batch = db.batch();
    batch.put(Cf::Current, b"a", b"1").unwrap();
    batch.delete(Cf::Current, b"a").unwrap();
    batch.put(Cf::Current, b"b", b"1").unwrap();
    batch.put(Cf::Current, b"b", b"2").unwrap();
    batch.commit().unwrap();
    assert_eq!(
        scan(db, Cf::Current),
        vec![(b"b".to_vec(), b"2".to_vec())],
        "{name}"
    );
}

fn preconditions_guard_the_whole_batch(name: &str, db: &MetaDb) {
    let mut batch = db.batch();
    batch.put(Cf::Current, b"k", b"v1").unwrap();
    batch.commit().unwrap();
    // Holds: the batch commits, in every family it touches.
    let mut batch = db.batch();
    batch.put(Cf::Current, b"k", b"v2").unwrap();
    batch.expect(Cf::Current, b"k", Some(b"v1")).unwrap();
    batch.put(Cf::Versions, b"z", b"1").unwrap();
    batch.commit().unwrap();
    assert_eq!(db.get(Cf::Current, b"k").unwrap().unwrap(), b"v2", "{name}");
    // Stale: nothing of the batch is written.
    let mut batch = db.batch();
    batch.expect(Cf::Current, b"k", Some(b"v1")).unwrap();
    batch.put(Cf::Current, b"k", b"v3").unwrap();
    batch.delete(Cf::Versions, b"z").unwrap();
    batch.put(Cf::Gc, b"g", b"1").unwrap();
    assert!(matches!(batch.commit(), Err(Error::Conflict)), "{name}");
    assert_eq!(db.get(Cf::Current, b"k").unwrap().unwrap(), b"v2", "{name}");
    assert_eq!(db.get(Cf::Versions, b"z").unwrap().unwrap(), b"1", "{name}");
    assert_eq!(db.get(Cf::Gc, b"g").unwrap(), None, "{name}");
    // Absence: holds once, then the row is there.
    for outcome in [true, false] {
        let mut batch = db.batch();
        batch.expect(Cf::Buckets, b"new", None).unwrap();
        batch.put(Cf::Buckets, b"new", b"b").unwrap();
        assert_eq!(batch.commit().is_ok(), outcome, "{name}");
    }
    let mut batch = db.batch();
    batch.expect(Cf::Buckets, b"missing", Some(b"b")).unwrap();
    batch.delete(Cf::Buckets, b"missing").unwrap();
    assert!(matches!(batch.commit(), Err(Error::Conflict)), "{name}");
}

fn one_of_racing_guarded_writers_wins(name: &str, db: &MetaDb) {
    let won: Vec<bool> = std::thread::scope(|s| {
        let writers: Vec<_> = (0..8u8)
            .map(|i| {
                s.spawn(move || {
                    let mut batch = db.batch();
                    batch.expect(Cf::Current, b"race", None).unwrap();
                    batch.put(Cf::Current, b"race", &[i + 1]).unwrap();
                    batch.put(Cf::Versions, &[b'r', i], b"v").unwrap();
                    match batch.commit() {
                        Ok(()) => true,
                        Err(Error::Conflict) => false,
                        Err(e) => panic!("{name}: {e}"),
                    }
                })
            })
            .collect();
        writers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    assert_eq!(won.iter().filter(|w| **w).count(), 1, "{name}");
    let winner = won.iter().position(|w| *w).unwrap() as u8;
    assert_eq!(
        db.get(Cf::Current, b"race").unwrap(),
        Some(vec![winner + 1]),
        "{name}"
    );
    assert_eq!(
        scan(db, Cf::Versions),
        vec![(vec![b'r', winner], b"v".to_vec())],
        "{name}"
    );
}

fn merges_sum_usage_deltas(name: &str, db: &MetaDb) {
    let delta = |objects: i64, bytes: i64| {
        let mut raw = objects.to_be_bytes().to_vec();
        raw.extend_from_slice(&bytes.to_be_bytes());
        raw
    };
    let mut batch = db.batch();
    batch.merge(Cf::Meta, b"usage/1", &delta(1, 100)).unwrap();
    batch.merge(Cf::Meta, b"usage/1", &delta(1, 50)).unwrap();
    batch.commit().unwrap();
    let mut batch = db.batch();
    batch.merge(Cf::Meta, b"usage/1", &delta(-1, -100)).unwrap();
    batch.commit().unwrap();
    assert_eq!(
        db.get(Cf::Meta, b"usage/1").unwrap().unwrap(),
        delta(1, 50),
        "{name}"
    );
}

fn cursors_keep_to_their_bounds_in_both_directions(name: &str, db: &MetaDb) {
    let mut batch = db.batch();
    for k in [b"a", b"b", b"c", b"d", b"e"] {
        batch.put(Cf::Versions, k, k).unwrap();
    }
    batch.commit().unwrap();
    let mut it = db
        .iter(Cf::Versions, Some(b"b".to_vec()), Some(b"e".to_vec()))
        .unwrap();
    it.seek_to_first();
    assert_eq!(it.key(), Some(&b"b"[..]), "{name}");
    it.seek_to_last();
    assert_eq!(it.key(), Some(&b"d"[..]), "{name}");
    it.prev();
    assert_eq!(it.key(), Some(&b"c"[..]), "{name}");
    // Below the lower bound, a seek lands on the first row within bounds.
    it.seek(b"a");
    assert_eq!(it.key(), Some(&b"b"[..]), "{name}");
    it.prev();
    assert!(!it.valid(), "{name}");
    it.seek(b"cc");
    assert_eq!(it.item(), Some((&b"d"[..], &b"d"[..])), "{name}");
    it.next();
    assert!(!it.valid(), "{name}");
    it.seek(b"e");
    assert!(!it.valid(), "{name}");
    it.status().unwrap();
    // An empty range.
    let mut it = db
        .iter(Cf::Versions, Some(b"c".to_vec()), Some(b"c".to_vec()))
        .unwrap();
    it.seek_to_first();
    assert!(!it.valid(), "{name}");
    it.seek_to_last();
    assert!(!it.valid(), "{name}");
    assert!(
        db.any_in_range(Cf::Versions, b"c".to_vec(), Some(b"d".to_vec()))
            .unwrap()
    );
    assert!(!db.any_in_range(Cf::Versions, b"f".to_vec(), None).unwrap());
    assert_eq!(db.count_rows(Cf::Versions, 3).unwrap(), 3, "{name}");
}

fn a_cursor_does_not_block_writes_of_its_thread(name: &str, db: &MetaDb) {
    let mut batch = db.batch();
    batch.put(Cf::Gc, b"1", b"").unwrap();
    batch.put(Cf::Gc, b"2", b"").unwrap();
    batch.commit().unwrap();
    let mut it = db.iter(Cf::Gc, None, None).unwrap();
    it.seek_to_first();
    let mut seen = 0;
    while let Some((key, _)) = it.item() {
        let mut batch = db.batch();
        batch.delete(Cf::Gc, key).unwrap();
        batch.commit_unsynced().unwrap();
        seen += 1;
        it.next();
    }
    assert_eq!(seen, 2, "{name}");
    assert_eq!(db.count_rows(Cf::Gc, 10).unwrap(), 0, "{name}");
}

#[test]
fn the_rocksdb_store_keeps_durable_commits_across_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    {
        let db = MetaDb::new(RocksStore::open(dir.path()).unwrap());
        let db: &MetaDb = &db;
        let mut batch = db.batch();
        batch.put(Cf::Buckets, b"b", b"1").unwrap();
        batch.commit().unwrap();
    }
    let db = MetaDb::new(RocksStore::open(dir.path()).unwrap());
    let db: &MetaDb = &db;
    assert_eq!(db.get(Cf::Buckets, b"b").unwrap().unwrap(), b"1");
}

/// One change of a random batch: the column family (of three), key and value.
#[derive(Debug, Clone)]
enum Op {
    Put(usize, Vec<u8>, Vec<u8>),
    Delete(usize, Vec<u8>),
}

const CFS: [Cf; 3] = [Cf::Current, Cf::Versions, Cf::Uploads];

fn key() -> impl Strategy<Value = Vec<u8>> {
    // Few distinct short keys, so batches overwrite and delete each other's rows.
    prop::collection::vec(prop::sample::select(vec![0u8, 1, 0x7f, 0x80, 0xff]), 0..4)
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..3usize, key(), prop::collection::vec(any::<u8>(), 0..8))
            .prop_map(|(cf, k, v)| Op::Put(cf, k, v)),
        1 => (0..3usize, key()).prop_map(|(cf, k)| Op::Delete(cf, k)),
    ]
}

type Model = [BTreeMap<Vec<u8>, Vec<u8>>; 3];

/// Rows of `model[cf]` in `[lower, upper)`.
fn model_rows(
    model: &Model,
    cf: usize,
    lower: &Option<Vec<u8>>,
    upper: &Option<Vec<u8>>,
) -> Vec<(Vec<u8>, Vec<u8>)> {
    let lo = lower.as_deref().map_or(Bound::Unbounded, Bound::Included);
    let hi = upper.as_deref().map_or(Bound::Unbounded, Bound::Excluded);
    if let (Bound::Included(l), Bound::Excluded(h)) = (lo, hi)
        && l >= h
    {
        return Vec::new();
    }
    model[cf]
        .range::<[u8], _>((lo, hi))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// A random case: batches of changes, scan bounds and keys to seek to.
#[derive(Debug, Clone)]
struct Case {
    batches: Vec<Vec<Op>>,
    lower: Option<Vec<u8>>,
    upper: Option<Vec<u8>>,
    seeks: Vec<Vec<u8>>,
}

fn case() -> impl Strategy<Value = Case> {
    (
        prop::collection::vec(prop::collection::vec(op(), 1..6), 1..12),
        prop::option::of(key()),
        prop::option::of(key()),
        prop::collection::vec(key(), 1..6),
    )
        .prop_map(|(batches, lower, upper, seeks)| Case {
            batches,
            lower,
            upper,
            seeks,
        })
}

/// After the case's batches, the store reads like the model: point reads,
/// bounded scans forward and backward, and seeks.
fn reads_like_the_model(name: &str, db: &MetaDb, case: &Case) -> Result<(), TestCaseError> {
    let mut model: Model = Default::default();
    for (i, batch) in case.batches.iter().enumerate() {
        let mut b = db.batch();
        for op in batch {
            match op {
                Op::Put(cf, k, v) => {
                    b.put(CFS[*cf], k, v).unwrap();
                    model[*cf].insert(k.clone(), v.clone());
                }
                Op::Delete(cf, k) => {
                    b.delete(CFS[*cf], k).unwrap();
                    model[*cf].remove(k);
                }
            }
        }
        if i % 2 == 0 {
            b.commit().unwrap()
        } else {
            b.commit_unsynced().unwrap()
        }
    }
    for (cf, table) in model.iter().enumerate() {
        for k in table.keys().chain(case.seeks.iter()) {
            prop_assert_eq!(
                db.get(CFS[cf], k).unwrap(),
                table.get(k).cloned(),
                "{}",
                name
            );
        }
        let expected = model_rows(&model, cf, &case.lower, &case.upper);
        let mut it = db
            .iter(CFS[cf], case.lower.clone(), case.upper.clone())
            .unwrap();
        it.seek_to_first();
        let mut forward = Vec::new();
        while let Some((k, v)) = it.item() {
            forward.push((k.to_vec(), v.to_vec()));
            it.next();
        }
        prop_assert_eq!(&forward, &expected, "{} forward", name);
        it.seek_to_last();
        let mut backward = Vec::new();
        while let Some((k, v)) = it.item() {
            backward.push((k.to_vec(), v.to_vec()));
            it.prev();
        }
        backward.reverse();
        prop_assert_eq!(&backward, &expected, "{} backward", name);
        for s in &case.seeks {
            it.seek(s);
            let want = expected
                .iter()
                .find(|(k, _)| k >= s)
                .map(|(k, _)| k.as_slice());
            prop_assert_eq!(it.key(), want, "{} seek {:?}", name, s);
        }
        it.status().unwrap();
    }
    Ok(())
}

/// The suite for one kind of store: `$open` makes a fresh one (with whatever
/// must outlive it, such as its directory); with `unless`, every check is
/// skipped while `$skip` holds (a backend whose service is not installed).
macro_rules! conformance {
    ($backend:ident, $open:expr) => {
        conformance!($backend, $open, unless false);
    };
    ($backend:ident, $open:expr, unless $skip:expr) => {
        mod $backend {
            use super::*;

            fn check(run: impl Fn(&str, &MetaDb)) {
                if $skip {
                    return;
                }
                let (db, _keep) = $open;
                run(stringify!($backend), &db);
            }

            #[test]
            fn reads_what_a_batch_wrote_in_every_column_family() {
                check(super::reads_what_a_batch_wrote_in_every_column_family);
            }

            #[test]
            fn later_changes_of_a_batch_win() {
                check(super::later_changes_of_a_batch_win);
            }

            #[test]
            fn preconditions_guard_the_whole_batch() {
                check(super::preconditions_guard_the_whole_batch);
            }

            #[test]
            fn one_of_racing_guarded_writers_wins() {
                check(super::one_of_racing_guarded_writers_wins);
            }

            #[test]
            fn merges_sum_usage_deltas() {
                check(super::merges_sum_usage_deltas);
            }

            #[test]
            fn cursors_keep_to_their_bounds_in_both_directions() {
                check(super::cursors_keep_to_their_bounds_in_both_directions);
            }

            #[test]
            fn a_cursor_does_not_block_writes_of_its_thread() {
                check(super::a_cursor_does_not_block_writes_of_its_thread);
            }

            proptest! {
                #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]
                #[test]
                fn reads_like_the_model(case in case()) {
                    if $skip {
                        return Ok(());
                    }
                    let (db, _keep) = $open;
                    super::reads_like_the_model(stringify!($backend), &db, &case)?;
                }
            }
        }
    };
}

/// A store on disk in a fresh directory, which lives as long as it.
fn rocksdb() -> (Box<MetaDb>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    (
        Box::new(MetaDb::new(RocksStore::open(dir.path()).unwrap())),
        dir,
    )
}

conformance!(rocks, rocksdb());
conformance!(memory, (MetaDb::new(MemoryStore::new()), ()));
conformance!(
    faulty_memory,
    (MetaDb::new(FaultyStore::in_memory(MetaFaults::new())), ())
);
conformance!(faulty_rocks, {
    let dir = tempfile::tempdir().unwrap();
    let store = RocksStore::open(dir.path()).unwrap();
    (MetaDb::new(FaultyStore::new(store, MetaFaults::new())), dir)
});

/// A store in a namespace of its own on the process's test cluster.
#[cfg(feature = "rados")]
fn rados_store() -> (MetaDb<super::RadosStore>, ()) {
    let cluster = crate::meta::rados::test_cluster::test_cluster().unwrap();
    (
        MetaDb::new(super::RadosStore::open(cluster.fresh_namespace())),
        (),
    )
}

#[cfg(feature = "rados")]
conformance!(
    rados,
    rados_store(),
    unless crate::meta::rados::test_cluster::test_cluster().is_none()
);
