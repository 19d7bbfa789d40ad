//! Buckets and versioning.
#![allow(clippy::unwrap_used)]

use std::io::Read;

use super::*;

#[test]
fn buckets() {
    let dir = tempfile::tempdir().unwrap();
    let e = open_engine(dir.path());
    bucket(&e, "zeta");
    bucket(&e, "alpha");
    let name = BucketName::parse("alpha").unwrap();
    assert!(matches!(
        e.create_bucket(&name, "o", "r", false),
        Err(Error::BucketAlreadyOwnedByYou)
    ));
    let names: Vec<_> = e
        .list_buckets()
        .unwrap()
        .into_iter()
        .map(|b| b.name)
        .collect();
    assert_eq!(names, ["alpha", "zeta"]);
    put(&e, "alpha", "k", b"v").unwrap();
    assert!(matches!(
        e.delete_bucket("alpha"),
        Err(Error::BucketNotEmpty)
    ));
    let updated = e
        .update_bucket("alpha", |b| {
            b.tags = Some(vec![Tag {
                key: "k".into(),
                value: "v".into(),
            }]);
            b.id = 999;
            Ok(())
        })
        .unwrap();
    assert_ne!(updated.id, 999);
    assert!(e.bucket("alpha").unwrap().tags.is_some());
    assert!(matches!(
        e.update_bucket("alpha", |_| Err(Error::PreconditionFailed)),
        Err(Error::PreconditionFailed)
    ));
    assert!(matches!(e.delete_bucket("nope"), Err(Error::NoSuchBucket)));
    // A re-created bucket does not see the old one's objects.
    e.delete_object("alpha", "k", None, false).unwrap();
    e.delete_bucket("alpha").unwrap();
    bucket(&e, "alpha");
    assert!(matches!(
        e.head_object("alpha", "k", None),
        Err(Error::NoSuchKey)
    ));
}

#[test]
fn versioning_enabled_keeps_versions() {
    let dir = tempfile::tempdir().unwrap();
    let e = open_engine(dir.path());
    bucket(&e, "ver");
    let null = put(&e, "ver", "k", b"v0").unwrap();
    e.update_bucket("ver", |b| {
        b.versioning = VersioningState::Enabled;
        Ok(())
    })
    .unwrap();
    let v1 = put(&e, "ver", "k", &content(3000, 1)).unwrap();
    let v2 = put(&e, "ver", "k", b"v2").unwrap();
    let (id1, id2) = (
        v1.version_id.clone().unwrap(),
        v2.version_id.clone().unwrap(),
    );
    assert_ne!(id1, id2);
    assert_eq!(get(&e, "ver", "k", None).unwrap(), b"v2");
    assert_eq!(e.head_object("ver", "k", Some(&id1)).unwrap().size, 3000);
    assert_eq!(
        e.head_object("ver", "k", Some("null")).unwrap().etag,
        null.etag
    );
    assert!(matches!(
        e.head_object("ver", "k", Some("0000000000000000")),
        Err(Error::NoSuchVersion)
    ));
    assert!(matches!(
        e.head_object("ver", "k", Some("garbage")),
        Err(Error::NoSuchVersion)
    ));

    // A delete marker hides the key but keeps every version.
    let marker = e.delete_object("ver", "k", None, false).unwrap();
    assert!(marker.delete_marker);
    assert!(matches!(
        e.head_object("ver", "k", None),
        Err(Error::DeleteMarker { version_id }) if version_id == marker.version_id
    ));
    let old = e.head_object("ver", "k", Some(&id1)).unwrap();
    let mut data = Vec::new();
    e.open_object("ver", &old, None)
        .unwrap()
        .read_to_end(&mut data)
        .unwrap();
    assert_eq!(data, content(3000, 1));
    assert!(matches!(e.delete_bucket("ver"), Err(Error::BucketNotEmpty)));
    let page = e
        .list_objects(
            "ver",
            &ListQuery {
                max_keys: 10,
                ..Default::default()
            },
        )
        .unwrap();
    assert!(page.entries.is_empty());

    // Deleting the marker (the newest version) makes v2 current again.
    let versions_before = blob_files(dir.path()).len();
    let marker_seq = e.inner.seq.next(&e.inner.shared.db).unwrap() - 1;
    let marker_id = versions::version_id_of(marker_seq);
    let marker = e.head_object("ver", "k", Some(&marker_id)).unwrap();
    assert!(marker.is_delete_marker);
    e.delete_object("ver", "k", Some(&marker_id), false)
        .unwrap();
    assert_eq!(get(&e, "ver", "k", None).unwrap(), b"v2");
    // Deleting the current version by id exposes the one below it.
    e.delete_object("ver", "k", Some(&id2), false).unwrap();
    assert_eq!(get(&e, "ver", "k", None).unwrap(), content(3000, 1));
    e.delete_object("ver", "k", Some(&id1), false).unwrap();
    assert_eq!(get(&e, "ver", "k", None).unwrap(), b"v0");
    e.delete_object("ver", "k", Some("null"), false).unwrap();
    assert!(matches!(
        e.head_object("ver", "k", None),
        Err(Error::NoSuchKey)
    ));
    assert_eq!(versions_before, 1);
    eventually("v1's blob to go", || blob_files(dir.path()).is_empty());
    e.delete_bucket("ver").unwrap();
}

#[test]
fn versioning_suspended_replaces_the_null_version() {
    let dir = tempfile::tempdir().unwrap();
    let e = open_engine(dir.path());
    bucket(&e, "sus");
    e.update_bucket("sus", |b| {
        b.versioning = VersioningState::Enabled;
        Ok(())
    })
    .unwrap();
    let v1 = put(&e, "sus", "k", b"one").unwrap();
    e.update_bucket("sus", |b| {
        b.versioning = VersioningState::Suspended;
        Ok(())
    })
    .unwrap();
    let n1 = put(&e, "sus", "k", b"null-1").unwrap();
    assert_eq!(n1.version_id, None);
    put(&e, "sus", "k", b"null-2").unwrap();
    assert_eq!(get(&e, "sus", "k", None).unwrap(), b"null-2");
    let id1 = v1.version_id.unwrap();
    assert_eq!(e.head_object("sus", "k", Some(&id1)).unwrap().size, 3);
    // A null delete marker replaces the null version; v1 survives beneath it.
    let marker = e.delete_object("sus", "k", None, false).unwrap();
    assert_eq!(marker.version_id.as_deref(), Some("null"));
    assert!(matches!(
        e.head_object("sus", "k", None),
        Err(Error::DeleteMarker { version_id: None })
    ));
    assert!(
        e.head_object("sus", "k", Some("null"))
            .unwrap()
            .is_delete_marker
    );
    e.delete_object("sus", "k", Some("null"), false).unwrap();
    assert_eq!(get(&e, "sus", "k", None).unwrap(), b"one");
}

/// One step of the version-listing property test.
#[derive(Debug, Clone)]
enum Op {
    Put(usize),
    /// Without a version id: a delete marker.
    Delete(usize),
    /// The n-th (modulo) version still listed, by its id.
    DeleteVersion(usize),
}

#[test]
fn every_version_is_listed_exactly_once_in_order() {
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};

    const KEYS: [&str; 6] = ["a", "a/b", "a/c", "b", "c/d/e", "d"];
    let op = prop_oneof![
        4 => (0..KEYS.len()).prop_map(Op::Put),
        2 => (0..KEYS.len()).prop_map(Op::Delete),
        1 => any::<usize>().prop_map(Op::DeleteVersion),
    ];
    let strategy = (
        prop::collection::vec(op, 1..60),
        prop::sample::select(vec!["", "a", "a/", "c/"]),
        prop::option::of(Just("/")),
        1usize..5,
    );
    let mut runner = TestRunner::new(Config::with_cases(24));
    runner
        .run(&strategy, |(ops, prefix, delimiter, max)| {
            let dir = tempfile::tempdir().unwrap();
            let e = open_engine(dir.path());
            bucket(&e, "bkt");
            // A null version from before versioning, then versions and markers.
            put(&e, "bkt", "a", b"null").unwrap();
            e.update_bucket("bkt", |b| {
                b.versioning = VersioningState::Enabled;
                Ok(())
            })
            .unwrap();
            // The model: (key, version id, is a marker), oldest first.
            let mut model = vec![("a", "null".to_owned(), false)];
            for op in ops {
                match op {
                    Op::Put(k) => {
                        let v = put(&e, "bkt", KEYS[k], b"x").unwrap();
                        model.push((KEYS[k], v.version_id.unwrap(), false));
                    }
                    Op::Delete(k) => {
                        let d = e.delete_object("bkt", KEYS[k], None, false).unwrap();
                        model.push((KEYS[k], d.version_id.unwrap(), true));
                    }
                    Op::DeleteVersion(n) if !model.is_empty() => {
                        let (key, id, _) = model.remove(n % model.len());
                        e.delete_object("bkt", key, Some(&id), false).unwrap();
                    }
                    Op::DeleteVersion(_) => {}
                }
            }
            // Listed by key, newest first within a key, rolled up by the delimiter.
            let mut want: Vec<String> = Vec::new();
            let mut ordered: Vec<_> = model.iter().rev().collect();
            ordered.sort_by_key(|(key, _, _)| *key);
            let mut latest_of = None;
            for (key, id, marker) in ordered
                .into_iter()
                .filter(|(k, _, _)| k.starts_with(prefix))
            {
                let entry = match delimiter.and_then(|d| key[prefix.len()..].find(d)) {
                    Some(i) => format!("prefix:{}", &key[..prefix.len() + i + 1]),
                    None => {
                        let latest = latest_of != Some(*key);
                        latest_of = Some(*key);
                        format!("{key}:{id}:{marker}:{latest}")
                    }
                };
                if want.last() != Some(&entry) {
                    want.push(entry);
                }
            }
            let mut got = Vec::new();
            let mut query = VersionsQuery {
                prefix: prefix.to_owned(),
                delimiter: delimiter.map(str::to_owned),
                max_keys: max,
                ..Default::default()
            };
            loop {
                let page = e.list_object_versions("bkt", &query).unwrap();
                prop_assert!(page.entries.len() <= max);
                for entry in page.entries {
                    got.push(match entry {
                        VersionEntry::Version {
                            version: v,
                            is_latest,
                        } => format!(
                            "{}:{}:{}:{is_latest}",
                            v.key,
                            v.version_id.as_deref().unwrap_or("null"),
                            v.is_delete_marker
                        ),
                        VersionEntry::CommonPrefix(p) => format!("prefix:{p}"),
                    });
                }
                if !page.is_truncated {
                    break;
                }
                query.key_marker = page.next_key_marker;
                query.version_id_marker = page.next_version_id_marker;
            }
            prop_assert_eq!(got, want);
            Ok(())
        })
        .unwrap();
}
