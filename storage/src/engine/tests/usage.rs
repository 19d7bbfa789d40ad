//! Per-bucket usage: exact through overwrites, versions, deletes and restarts.
#![allow(clippy::unwrap_used)]

use super::*;

fn usage_of(e: &Engine, bucket: &str) -> BucketUsage {
    e.bucket_usage()
        .unwrap()
        .into_iter()
        .find(|(name, _)| name == bucket)
        .map(|(_, u)| u)
        .unwrap()
}

fn usage(objects: u64, bytes: u64) -> BucketUsage {
    BucketUsage { objects, bytes }
}

#[test]
fn usage_follows_every_change_and_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    {
        let e = open_engine(dir.path());
        bucket(&e, "plain");
        bucket(&e, "kept");
        e.update_bucket("kept", |b| {
            b.versioning = VersioningState::Enabled;
            Ok(())
        })
        .unwrap();
        assert_eq!(usage_of(&e, "plain"), usage(0, 0));
        // Inline and blob-file objects; an overwrite replaces the old size.
        put(&e, "plain", "a", &content(100, 1)).unwrap();
        put(&e, "plain", "b", &content(5000, 2)).unwrap();
        put(&e, "plain", "a", &content(300, 3)).unwrap();
        assert_eq!(usage_of(&e, "plain"), usage(2, 5300));
        // Versions accumulate; a delete marker counts nothing.
        let v1 = put(&e, "kept", "k", &content(2000, 4)).unwrap();
        put(&e, "kept", "k", &content(10, 5)).unwrap();
        e.delete_object("kept", "k", None, false).unwrap();
        assert_eq!(usage_of(&e, "kept"), usage(2, 2010));
        e.delete_object("kept", "k", v1.version_id.as_deref(), false)
            .unwrap();
        assert_eq!(usage_of(&e, "kept"), usage(1, 10));
        e.delete_object("plain", "b", None, false).unwrap();
        assert_eq!(usage_of(&e, "plain"), usage(1, 300));
    }
    let e = open_engine(dir.path());
    assert_eq!(usage_of(&e, "plain"), usage(1, 300));
    assert_eq!(usage_of(&e, "kept"), usage(1, 10));
}

#[test]
fn a_store_without_usage_rows_is_counted_at_open() {
    let dir = tempfile::tempdir().unwrap();
    {
        let e = open_engine(dir.path());
        bucket(&e, "old");
        put(&e, "old", "x", &content(4000, 1)).unwrap();
        put(&e, "old", "y", &content(7, 2)).unwrap();
        // As a store written before usage was counted: no rows, no marker.
        let db = &e.inner.shared.db;
        let id = e.bucket("old").unwrap().id;
        let mut batch = db.batch();
        batch
            .delete(crate::meta::Cf::Meta, &crate::engine::usage::row_key(id))
            .unwrap();
        batch
            .delete(crate::meta::Cf::Meta, crate::engine::usage::COUNTED)
            .unwrap();
        batch.commit().unwrap();
        assert_eq!(usage_of(&e, "old"), usage(0, 0));
    }
    let e = open_engine(dir.path());
    assert_eq!(usage_of(&e, "old"), usage(2, 4007));
}
