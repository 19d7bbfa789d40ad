//! Garbage collection, restarts, crash leftovers.
#![allow(clippy::unwrap_used)]

use std::io::Read;

use super::*;

#[test]
fn gc_reclaims_replaced_and_deleted_blobs() {
    let dir = tempfile::tempdir().unwrap();
    let e = open_engine(dir.path());
    bucket(&e, "gcb");
    let old = put(&e, "gcb", "k", &content(10_000, 1)).unwrap();
    let first = blob_files(dir.path());
    assert_eq!(first.len(), 1);
    put(&e, "gcb", "k", &content(10_000, 2)).unwrap();
    // Within the grace period the replaced version can still be read.
    let mut r = e.open_object("gcb", &old, None).unwrap();
    let mut buf = Vec::new();
    r.read_to_end(&mut buf).unwrap();
    assert_eq!(buf, content(10_000, 1));
    eventually("the replaced blob to go", || !first[0].exists());
    assert_eq!(blob_files(dir.path()).len(), 1);
    // Once gone, the old version reports NoSuchKey, the new one still reads.
    assert!(matches!(
        e.open_object("gcb", &old, None),
        Err(Error::NoSuchKey)
    ));
    assert_eq!(get(&e, "gcb", "k", None).unwrap(), content(10_000, 2));
    e.delete_object("gcb", "k", None, false).unwrap();
    eventually("the deleted blob to go", || {
        blob_files(dir.path()).is_empty()
    });
    // This engine's gc did both, under the lease a store of its own grants.
    eventually("the gc to count both", || e.gc_reclaimed() == 2);
    assert!(e.holds_workers_lease());
}

#[test]
fn reopen_keeps_data_and_sweeps_orphans_and_tmp() {
    let dir = tempfile::tempdir().unwrap();
    let big = content(150_000, 9);
    {
        let e = open_engine(dir.path());
        bucket(&e, "keep");
        put(&e, "keep", "big", &big).unwrap();
        put(&e, "keep", "small", b"tiny").unwrap();
        // Staged but never committed: its tmp file goes away with it.
        let staged = e.stage(&mut &big[..], &[]).unwrap();
        assert_eq!(
            std::fs::read_dir(dir.path().join("tmp")).unwrap().count(),
            1
        );
        drop(staged);
        assert_eq!(
            std::fs::read_dir(dir.path().join("tmp")).unwrap().count(),
            0
        );
    }
    // Leftovers of a crash: an installed but uncommitted blob and a tmp file.
    let orphan = dir.path().join("blobs/ab/cd").join("abcd".repeat(8));
    std::fs::create_dir_all(orphan.parent().unwrap()).unwrap();
    std::fs::write(&orphan, b"orphan").unwrap();
    std::fs::write(dir.path().join("tmp/partial"), b"half").unwrap();

    let e = open_engine(dir.path());
    assert_eq!(
        std::fs::read_dir(dir.path().join("tmp")).unwrap().count(),
        0
    );
    eventually("the orphan sweep", || !orphan.exists());
    assert_eq!(e.list_buckets().unwrap().len(), 1);
    assert_eq!(get(&e, "keep", "big", None).unwrap(), big);
    assert_eq!(get(&e, "keep", "small", None).unwrap(), b"tiny");
    // New writes after a restart get fresh sequences and replace old versions.
    put(&e, "keep", "small", b"new").unwrap();
    assert_eq!(get(&e, "keep", "small", None).unwrap(), b"new");
    bucket(&e, "second");
    assert_ne!(e.bucket("second").unwrap().id, e.bucket("keep").unwrap().id);
}

#[test]
fn second_engine_on_same_directory_fails() {
    let dir = tempfile::tempdir().unwrap();
    let _e = open_engine(dir.path());
    let mut config = EngineConfig::new(dir.path());
    config.inline_threshold = 1024;
    assert!(Engine::open(config).is_err());
}
