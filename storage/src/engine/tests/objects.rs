//! Reading and writing objects.
#![allow(clippy::unwrap_used)]

use std::io::{Read, Seek, SeekFrom, Write};

use super::*;

#[test]
fn put_get_overwrite_delete_inline_and_blob() {
    let dir = tempfile::tempdir().unwrap();
    let e = open_engine(dir.path());
    bucket(&e, "bkt1");
    for size in [0usize, 5, 1024, 1025, 200_000] {
        let data = content(size, 1);
        let v = put(&e, "bkt1", "k", &data).unwrap();
        assert_eq!(v.size, size as u64);
        assert_eq!(
            v.etag,
            hex::encode(<md5::Md5 as md5::Digest>::digest(&data))
        );
        assert_eq!(v.version_id, None);
        assert_eq!(get(&e, "bkt1", "k", None).unwrap(), data);
        let h = e.head_object("bkt1", "k", None).unwrap();
        assert_eq!(h.etag, v.etag);
        assert_eq!(
            e.head_object("bkt1", "k", Some("null")).unwrap().etag,
            v.etag
        );
    }
    e.delete_object("bkt1", "k", None, false).unwrap();
    assert!(matches!(
        e.head_object("bkt1", "k", None),
        Err(Error::NoSuchKey)
    ));
    e.delete_object("bkt1", "k", None, false).unwrap();
    assert!(matches!(
        e.head_object("nope", "k", None),
        Err(Error::NoSuchBucket)
    ));
    assert!(matches!(
        put(&e, "nope", "k", b"x"),
        Err(Error::NoSuchBucket)
    ));
    // The bucket is empty again and can go.
    e.delete_bucket("bkt1").unwrap();
    assert!(matches!(e.bucket("bkt1"), Err(Error::NoSuchBucket)));
}

#[test]
fn metadata_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let e = open_engine(dir.path());
    bucket(&e, "meta");
    let opts = PutOptions {
        content: ContentHeaders {
            content_type: Some("text/plain".into()),
            ..Default::default()
        },
        user_metadata: vec![("b".into(), "2".into()), ("a".into(), "1".into())],
        tags: vec![Tag {
            key: "t".into(),
            value: "v".into(),
        }],
        storage_class: StorageClass::StandardIa,
        owner: "alice".into(),
        acl: Some(Acl::private("c1")),
        precondition: None,
        lock: ObjectLock::default(),
        sse: None,
    };
    let blob = e
        .stage(
            &mut &b"hello"[..],
            &[ChecksumAlgorithm::Crc32, ChecksumAlgorithm::Crc32c],
        )
        .unwrap();
    assert_eq!(
        blob.checksums.get(ChecksumAlgorithm::Crc32),
        Some("NhCmhg==")
    );
    e.put_object("meta", &ObjectKey::parse("k").unwrap(), blob, opts.clone())
        .unwrap();
    let h = e.head_object("meta", "k", None).unwrap();
    assert_eq!(h.content, opts.content);
    assert_eq!(h.user_metadata, opts.user_metadata);
    assert_eq!(h.tags, opts.tags);
    assert_eq!(h.storage_class, StorageClass::StandardIa);
    assert_eq!(h.owner, "alice");
    assert_eq!(h.acl, opts.acl);
    assert_eq!(h.checksums.get(ChecksumAlgorithm::Crc32c), Some("mnG7TA=="));
    let public = Acl {
        grants: vec![Grant {
            grantee: Grantee::Group(GroupGrantee::AllUsers),
            permission: Permission::Read,
        }],
    };
    let changed = e.set_object_acl("meta", "k", None, Some(public.clone()));
    assert_eq!(changed.unwrap().acl.as_ref(), Some(&public));
    assert_eq!(e.head_object("meta", "k", None).unwrap().acl, Some(public));
    let tagged = e.set_object_tags("meta", "k", None, vec![]).unwrap();
    assert!(tagged.tags.is_empty());
    assert!(e.head_object("meta", "k", None).unwrap().tags.is_empty());
    assert!(matches!(
        e.set_object_tags("meta", "zz", None, vec![]),
        Err(Error::NoSuchKey)
    ));
}

#[test]
fn range_reads_across_chunk_boundaries() {
    let dir = tempfile::tempdir().unwrap();
    let e = open_engine(dir.path());
    bucket(&e, "ranges");
    let chunk = 64 * 1024u64;
    let size = 3 * chunk + 100;
    let data = content(size as usize, 3);
    put(&e, "ranges", "big", &data).unwrap();
    put(&e, "ranges", "small", &data[..500]).unwrap();
    for (s, t) in [
        (0, size),
        (0, 1),
        (chunk - 1, chunk + 1),
        (chunk, 2 * chunk),
        (chunk - 10, 3 * chunk + 5),
        (size - 1, size),
        (size - 100, size + 1000),
        (5, 5),
    ] {
        let got = get(&e, "ranges", "big", Some(s..t)).unwrap();
        assert_eq!(
            got,
            &data[s as usize..t.min(size) as usize],
            "range {s}..{t}"
        );
    }
    assert_eq!(
        get(&e, "ranges", "small", Some(10..20)).unwrap(),
        &data[10..20]
    );
}

#[test]
fn corrupted_chunk_is_an_error_not_data() {
    let dir = tempfile::tempdir().unwrap();
    let e = open_engine(dir.path());
    bucket(&e, "rot");
    let data = content(200_000, 5);
    put(&e, "rot", "k", &data).unwrap();
    let files = blob_files(dir.path());
    assert_eq!(files.len(), 1);
    let mut f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&files[0])
        .unwrap();
    let at = 16 + (64 * 1024 + 4) + 1234; // inside chunk 1
    let mut b = [0u8];
    f.seek(SeekFrom::Start(at)).unwrap();
    f.read_exact(&mut b).unwrap();
    f.seek(SeekFrom::Start(at)).unwrap();
    f.write_all(&[!b[0]]).unwrap();
    drop(f);
    assert_eq!(get(&e, "rot", "k", Some(0..1000)).unwrap(), &data[..1000]);
    let v = e.head_object("rot", "k", None).unwrap();
    // A small object is verified whole: the open itself fails, naming the object.
    match e.open_object("rot", &v, None) {
        Err(Error::Corrupt(msg)) => assert!(msg.contains("rot/k"), "{msg}"),
        other => panic!("expected Corrupt, got {:?}", other.err()),
    }
    // So does any short range that reaches chunk 1.
    assert!(e.open_object("rot", &v, Some(0..100_000)).is_err());
}

#[test]
fn preconditions() {
    let dir = tempfile::tempdir().unwrap();
    let e = open_engine(dir.path());
    bucket(&e, "pre");
    let if_none = || PutOptions {
        precondition: Some(WritePrecondition::IfNoneMatchAny),
        ..Default::default()
    };
    let if_match = |etag: &str| PutOptions {
        precondition: Some(WritePrecondition::IfMatch(etag.into())),
        ..Default::default()
    };
    assert!(matches!(
        put_with(&e, "pre", "k", b"a", if_match("x")),
        Err(Error::NoSuchKey)
    ));
    let v1 = put_with(&e, "pre", "k", b"a", if_none()).unwrap();
    assert!(matches!(
        put_with(&e, "pre", "k", b"b", if_none()),
        Err(Error::PreconditionFailed)
    ));
    assert!(matches!(
        put_with(&e, "pre", "k", b"b", if_match("nope")),
        Err(Error::PreconditionFailed)
    ));
    assert_eq!(get(&e, "pre", "k", None).unwrap(), b"a");
    put_with(&e, "pre", "k", b"b", if_match(&v1.etag)).unwrap();
    assert_eq!(get(&e, "pre", "k", None).unwrap(), b"b");
    // A failed precondition on a large object leaves no blob file behind.
    let big = content(5000, 1);
    assert!(put_with(&e, "pre", "k", &big, if_none()).is_err());
    assert!(blob_files(dir.path()).is_empty());
}

#[test]
fn concurrent_if_none_match_has_one_winner() {
    let dir = tempfile::tempdir().unwrap();
    let e = open_engine(dir.path());
    bucket(&e, "race");
    let winners: usize = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|i| {
                let e = e.clone();
                s.spawn(move || {
                    let opts = PutOptions {
                        precondition: Some(WritePrecondition::IfNoneMatchAny),
                        ..Default::default()
                    };
                    // Other keys in parallel exercise group commit.
                    put(&e, "race", &format!("other-{i}"), b"x").unwrap();
                    put_with(&e, "race", "k", &[i as u8], opts).is_ok() as usize
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    assert_eq!(winners, 1);
}

#[test]
fn conditional_delete_checks_the_current_version_under_the_key_lock() {
    let dir = tempfile::tempdir().unwrap();
    let e = open_engine(dir.path());
    bucket(&e, "cond");
    let v = put(&e, "cond", "k", b"hello").unwrap();
    let pre = |if_match: Option<&str>, last_modified, size| DeletePrecondition {
        if_match: if_match.map(str::to_owned),
        last_modified,
        size,
    };
    let delete = |p: &DeletePrecondition| e.delete_object_if("cond", "k", None, false, p);

    // Any condition that does not hold refuses, and keeps the object.
    let later = v.last_modified + Duration::from_secs(2);
    for failing in [
        pre(Some("0123"), None, None),
        pre(None, Some(later), None),
        pre(None, None, Some(4)),
        pre(Some(&v.etag), None, Some(6)),
    ] {
        assert!(
            matches!(delete(&failing), Err(Error::PreconditionFailed)),
            "{failing:?}"
        );
        assert_eq!(get(&e, "cond", "k", None).unwrap(), b"hello");
    }
    // All that hold delete; the time counts in whole seconds.
    delete(&pre(Some(&v.etag), Some(v.last_modified), Some(5))).unwrap();
    assert!(matches!(
        e.head_object("cond", "k", None),
        Err(Error::NoSuchKey)
    ));
    // No object at all: NoSuchKey, whatever the condition.
    for absent in [pre(Some("*"), None, None), pre(None, None, Some(5))] {
        assert!(matches!(delete(&absent), Err(Error::NoSuchKey)));
    }
    put(&e, "cond", "k", b"again").unwrap();
    delete(&pre(Some("*"), None, None)).unwrap();
}

#[test]
fn conditional_delete_in_a_versioned_bucket() {
    let dir = tempfile::tempdir().unwrap();
    let e = open_engine(dir.path());
    bucket(&e, "condv");
    e.update_bucket("condv", |b| {
        b.versioning = VersioningState::Enabled;
        Ok(())
    })
    .unwrap();
    let v1 = put(&e, "condv", "k", b"one").unwrap();
    let v2 = put(&e, "condv", "k", b"two").unwrap();
    let matching = |v: &ObjectVersion| DeletePrecondition {
        if_match: Some(v.etag.clone()),
        ..Default::default()
    };
    // A version id names what goes; the conditions are the current version's.
    let old = v1.version_id.as_deref();
    assert!(matches!(
        e.delete_object_if("condv", "k", old, false, &matching(&v1)),
        Err(Error::PreconditionFailed)
    ));
    assert!(e.head_object("condv", "k", old).is_ok());
    e.delete_object_if("condv", "k", old, false, &matching(&v2))
        .unwrap();
    assert!(matches!(
        e.head_object("condv", "k", old),
        Err(Error::NoSuchVersion)
    ));
    // A matching delete without a version id adds a delete marker...
    let marker = e
        .delete_object_if("condv", "k", None, false, &matching(&v2))
        .unwrap();
    assert!(marker.delete_marker);
    // ...after which no object exists: `*` fails, and adds no second marker.
    let any = DeletePrecondition {
        if_match: Some("*".into()),
        ..Default::default()
    };
    assert!(matches!(
        e.delete_object_if("condv", "k", None, false, &any),
        Err(Error::PreconditionFailed)
    ));
    let versions = e
        .list_object_versions(
            "condv",
            &VersionsQuery {
                max_keys: 10,
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(versions.entries.len(), 2);
}
