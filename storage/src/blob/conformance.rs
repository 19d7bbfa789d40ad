//! The contract of [`BlobStore`], checked against every implementation: local
//! files, memory, the fault injector (with no faults planned) over each, and
//! RADOS (on the process's test cluster, in a namespace per check).
//!
//! `conformance!` makes one test module per kind, each check on a fresh store.
//! A model (a map of installed blobs) says what listing and reads must return
//! after random installs, removals and quarantines.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::io;

use proptest::prelude::*;

use super::{BlobFaults, BlobStore, FaultyBlobs, LocalBlobs, MemoryBlobs};
use crate::meta::records::BlobId;

fn id(n: u8) -> BlobId {
    // Spread over directories: the first bytes differ too.
    BlobId([
        n,
        n.wrapping_mul(37),
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        n,
    ])
}

fn install(store: &dyn BlobStore, id: BlobId, bytes: &[u8]) {
    let mut staged = store.stage().unwrap();
    for piece in bytes.chunks(7) {
        staged.append(piece).unwrap();
    }
    staged.sync().unwrap();
    staged.install(id).unwrap();
}

fn read_all(store: &dyn BlobStore, id: BlobId) -> Option<Vec<u8>> {
    let blob = store.open(id).unwrap()?;
    let mut buf = vec![0u8; usize::try_from(blob.len().unwrap()).unwrap()];
    blob.read_exact_at(&mut buf, 0).unwrap();
    Some(buf)
}

fn all_ids(store: &dyn BlobStore) -> Vec<BlobId> {
    store.list(None, usize::MAX).unwrap()
}

fn a_staged_blob_is_invisible_until_installed(name: &str, store: &dyn BlobStore) {
    let mut staged = store.stage().unwrap();
    staged.append(b"hello ").unwrap();
    staged.append(b"world").unwrap();
    staged.sync().unwrap();
    assert!(all_ids(store).is_empty(), "{name}");
    assert!(store.open(id(1)).unwrap().is_none(), "{name}");
    staged.install(id(1)).unwrap();
    assert_eq!(all_ids(store), [id(1)], "{name}");
    assert_eq!(read_all(store, id(1)).unwrap(), b"hello world", "{name}");
}

fn a_dropped_or_wiped_staged_blob_leaves_nothing(name: &str, store: &dyn BlobStore) {
    let mut staged = store.stage().unwrap();
    staged.append(b"gone").unwrap();
    drop(staged);
    let mut kept = store.stage().unwrap();
    kept.append(b"interrupted").unwrap();
    kept.sync().unwrap();
    store.wipe_staged().unwrap();
    assert!(all_ids(store).is_empty(), "{name}");
    assert!(store.quarantined().unwrap().is_empty(), "{name}");
    // A new blob stages and installs after the wipe.
    install(store, id(2), b"after");
    assert_eq!(read_all(store, id(2)).unwrap(), b"after", "{name}");
}

fn ranged_reads_return_exactly_the_range(name: &str, store: &dyn BlobStore) {
    let bytes: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
    install(store, id(3), &bytes);
    let blob = store.open(id(3)).unwrap().unwrap();
    assert_eq!(blob.len().unwrap(), 10_000, "{name}");
    assert!(!blob.is_empty().unwrap(), "{name}");
    for (at, len) in [(0, 1), (4096, 100), (9_999, 1), (0, 10_000), (5000, 0)] {
        let mut buf = vec![0u8; len];
        blob.read_exact_at(&mut buf, at as u64).unwrap();
        assert_eq!(buf, &bytes[at..at + len], "{name}: {at}+{len}");
    }
    let mut past = vec![0u8; 10];
    let err = blob.read_exact_at(&mut past, 9_995).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof, "{name}");
    // An empty blob.
    install(store, id(4), b"");
    let empty = store.open(id(4)).unwrap().unwrap();
    assert!(empty.is_empty().unwrap(), "{name}");
}

fn an_open_reader_survives_removal(name: &str, store: &dyn BlobStore) {
    install(store, id(5), b"still here");
    let blob = store.open(id(5)).unwrap().unwrap();
    assert!(store.remove(id(5)).unwrap(), "{name}");
    assert!(!store.remove(id(5)).unwrap(), "{name}: removed twice");
    assert!(store.open(id(5)).unwrap().is_none(), "{name}");
    let mut buf = vec![0u8; 10];
    blob.read_exact_at(&mut buf, 0).unwrap();
    assert_eq!(buf, b"still here", "{name}");
}

fn quarantine_and_restore(name: &str, store: &dyn BlobStore) {
    install(store, id(6), b"orphan");
    install(store, id(7), b"kept");
    assert!(store.quarantine(id(6)).unwrap(), "{name}");
    assert!(
        !store.quarantine(id(6)).unwrap(),
        "{name}: not there any more"
    );
    assert_eq!(all_ids(store), [id(7)], "{name}");
    assert!(store.open(id(6)).unwrap().is_none(), "{name}");
    assert_eq!(store.quarantined().unwrap(), [id(6)], "{name}");
    let q = store.open_quarantined(id(6)).unwrap().unwrap();
    assert_eq!(q.len().unwrap(), 6, "{name}");
    assert!(store.open_quarantined(id(7)).unwrap().is_none(), "{name}");
    assert!(store.restore(id(6)).unwrap(), "{name}");
    assert!(!store.restore(id(6)).unwrap(), "{name}: restored twice");
    assert!(store.quarantined().unwrap().is_empty(), "{name}");
    assert_eq!(read_all(store, id(6)).unwrap(), b"orphan", "{name}");
    assert!(!store.quarantine_location().is_empty(), "{name}");
}

fn listing_pages_through_every_id_in_order(name: &str, store: &dyn BlobStore) {
    let mut ids: Vec<BlobId> = (0..40u8).map(id).collect();
    ids.extend((0..20).map(|_| BlobId::random()));
    for (n, i) in ids.iter().enumerate() {
        install(store, *i, &[n as u8]);
    }
    ids.sort();
    for page in [1, 3, 7, 100] {
        let mut seen = Vec::new();
        let mut after = None;
        loop {
            let got = store.list(after, page).unwrap();
            assert!(got.len() <= page, "{name}");
            let Some(last) = got.last() else { break };
            after = Some(*last);
            seen.extend(got);
        }
        assert_eq!(seen, ids, "{name}: pages of {page}");
    }
    // From an id that is not there.
    let middle = ids[30];
    store.remove(middle).unwrap();
    assert_eq!(store.list(Some(middle), 2).unwrap(), ids[31..33], "{name}");
}

fn concurrent_writers_each_get_their_blob(name: &str, store: &dyn BlobStore) {
    std::thread::scope(|s| {
        for t in 0..4u8 {
            s.spawn(move || {
                for n in 0..10u8 {
                    install(store, id(100 + t * 10 + n), &[t, n]);
                }
            });
        }
    });
    for t in 0..4u8 {
        for n in 0..10u8 {
            assert_eq!(
                read_all(store, id(100 + t * 10 + n)).unwrap(),
                [t, n],
                "{name}"
            );
        }
    }
}

/// Random installs, removals, quarantines and restores against a model.
fn agrees_with_a_model(name: &str, store: &dyn BlobStore, ops: &[(u8, u8)]) {
    let mut installed: BTreeMap<BlobId, Vec<u8>> = BTreeMap::new();
    let mut quarantined: BTreeMap<BlobId, Vec<u8>> = BTreeMap::new();
    for (n, (op, which)) in ops.iter().enumerate() {
        let i = id(which % 16);
        match op % 4 {
            0 if !installed.contains_key(&i) && !quarantined.contains_key(&i) => {
                let bytes = vec![*which; n % 50];
                install(store, i, &bytes);
                installed.insert(i, bytes);
            }
            1 => {
                let was = installed.remove(&i).is_some();
                assert_eq!(store.remove(i).unwrap(), was, "{name}");
            }
            2 => {
                let moved = installed.remove(&i);
                assert_eq!(store.quarantine(i).unwrap(), moved.is_some(), "{name}");
                if let Some(bytes) = moved {
                    quarantined.insert(i, bytes);
                }
            }
            3 if !installed.contains_key(&i) => {
                let moved = quarantined.remove(&i);
                assert_eq!(store.restore(i).unwrap(), moved.is_some(), "{name}");
                if let Some(bytes) = moved {
                    installed.insert(i, bytes);
                }
            }
            _ => {}
        }
    }
    assert_eq!(
        all_ids(store),
        installed.keys().copied().collect::<Vec<_>>(),
        "{name}"
    );
    assert_eq!(
        store.quarantined().unwrap(),
        quarantined.keys().copied().collect::<Vec<_>>(),
        "{name}"
    );
    for (i, bytes) in &installed {
        assert_eq!(read_all(store, *i).as_ref(), Some(bytes), "{name}");
    }
}

/// With `unless`, every check is skipped while `$skip` holds (a backend
/// whose service is not installed).
macro_rules! conformance {
    ($backend:ident, $open:expr) => {
        conformance!($backend, $open, unless false);
    };
    ($backend:ident, $open:expr, unless $skip:expr) => {
        mod $backend {
            use super::*;

            fn check(run: impl Fn(&str, &dyn BlobStore)) {
                if $skip {
                    return;
                }
                let (store, _keep) = $open;
                run(stringify!($backend), &store);
            }

            #[test]
            fn a_staged_blob_is_invisible_until_installed() {
                check(super::a_staged_blob_is_invisible_until_installed);
            }

            #[test]
            fn a_dropped_or_wiped_staged_blob_leaves_nothing() {
                check(super::a_dropped_or_wiped_staged_blob_leaves_nothing);
            }

            #[test]
            fn ranged_reads_return_exactly_the_range() {
                check(super::ranged_reads_return_exactly_the_range);
            }

            #[test]
            fn an_open_reader_survives_removal() {
                check(super::an_open_reader_survives_removal);
            }

            #[test]
            fn quarantine_and_restore() {
                check(super::quarantine_and_restore);
            }

            #[test]
            fn listing_pages_through_every_id_in_order() {
                check(super::listing_pages_through_every_id_in_order);
            }

            #[test]
            fn concurrent_writers_each_get_their_blob() {
                check(super::concurrent_writers_each_get_their_blob);
            }

            proptest! {
                #![proptest_config(ProptestConfig::with_cases(32))]
                #[test]
                fn agrees_with_a_model(ops in proptest::collection::vec((0u8..4, 0u8..16), 0..60)) {
                    check(|name, store| super::agrees_with_a_model(name, store, &ops));
                }
            }
        }
    };
}

fn local() -> (LocalBlobs, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    (LocalBlobs::open(dir.path()).unwrap(), dir)
}

conformance!(local_files, local());
conformance!(memory, (MemoryBlobs::new(), ()));
conformance!(
    faulty_memory,
    (
        FaultyBlobs::in_memory(MemoryBlobs::new(), BlobFaults::new()),
        ()
    )
);
conformance!(faulty_local_files, {
    let (store, dir) = local();
    (FaultyBlobs::new(store, BlobFaults::new()), dir)
});

#[cfg(feature = "rados")]
conformance!(
    rados,
    {
        let cluster = crate::meta::rados::test_cluster::test_cluster().unwrap();
        (crate::blob::RadosBlobs::open(cluster.fresh_namespace()), ())
    },
    unless crate::meta::rados::test_cluster::test_cluster().is_none()
);
