#![allow(clippy::unwrap_used)]

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::*;

/// Objects above 1 KiB go to blob files, so tests exercise both paths cheaply.
pub(super) fn open_engine(dir: &Path) -> Engine {
    let mut config = EngineConfig::new(dir);
    config.inline_threshold = 1024;
    Engine::open(config).unwrap()
}

pub(super) fn bucket(engine: &Engine, name: &str) {
    engine
        .create_bucket(&BucketName::parse(name).unwrap(), "owner", "us-east-1")
        .unwrap();
}

pub(super) fn put(engine: &Engine, bucket: &str, key: &str, data: &[u8]) -> Result<ObjectVersion> {
    put_with(engine, bucket, key, data, PutOptions::default())
}

fn put_with(
    engine: &Engine,
    bucket: &str,
    key: &str,
    data: &[u8],
    opts: PutOptions,
) -> Result<ObjectVersion> {
    let blob = engine.stage(&mut &data[..], &[]).unwrap();
    engine.put_object(bucket, &ObjectKey::parse(key).unwrap(), blob, opts)
}

fn get(engine: &Engine, bucket: &str, key: &str, range: Option<Range<u64>>) -> Result<Vec<u8>> {
    let v = engine.head_object(bucket, key, None)?;
    let mut out = Vec::new();
    engine
        .open_object(bucket, &v, range)?
        .read_to_end(&mut out)?;
    Ok(out)
}

fn content(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(7).wrapping_add(seed))
        .collect()
}

/// Every blob file under the data directory.
fn blob_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.join("blobs")];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p)
            } else {
                out.push(p)
            }
        }
    }
    out
}

fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

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
    e.delete_object("bkt1", "k", None).unwrap();
    assert!(matches!(
        e.head_object("bkt1", "k", None),
        Err(Error::NoSuchKey)
    ));
    e.delete_object("bkt1", "k", None).unwrap();
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
        precondition: None,
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
    assert_eq!(h.checksums.get(ChecksumAlgorithm::Crc32c), Some("mnG7TA=="));
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
    let mut r = e.open_object("rot", &v, None).unwrap();
    let err = r.read_to_end(&mut Vec::new()).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidData);
    assert!(err.to_string().contains("corrupt"));
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
    e.delete_object("gcb", "k", None).unwrap();
    eventually("the deleted blob to go", || {
        blob_files(dir.path()).is_empty()
    });
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

#[test]
fn buckets() {
    let dir = tempfile::tempdir().unwrap();
    let e = open_engine(dir.path());
    bucket(&e, "zeta");
    bucket(&e, "alpha");
    let name = BucketName::parse("alpha").unwrap();
    assert!(matches!(
        e.create_bucket(&name, "o", "r"),
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
    e.delete_object("alpha", "k", None).unwrap();
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
    e.delete_object("ver", "k", None).unwrap();
    assert!(matches!(
        e.head_object("ver", "k", None),
        Err(Error::NoSuchKey)
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
    let marker_id = object::version_id_of(marker_seq);
    let marker = e.head_object("ver", "k", Some(&marker_id)).unwrap();
    assert!(marker.is_delete_marker);
    e.delete_object("ver", "k", Some(&marker_id)).unwrap();
    assert_eq!(get(&e, "ver", "k", None).unwrap(), b"v2");
    // Deleting the current version by id exposes the one below it.
    e.delete_object("ver", "k", Some(&id2)).unwrap();
    assert_eq!(get(&e, "ver", "k", None).unwrap(), content(3000, 1));
    e.delete_object("ver", "k", Some(&id1)).unwrap();
    assert_eq!(get(&e, "ver", "k", None).unwrap(), b"v0");
    e.delete_object("ver", "k", Some("null")).unwrap();
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
    e.delete_object("sus", "k", None).unwrap();
    assert!(matches!(
        e.head_object("sus", "k", None),
        Err(Error::NoSuchKey)
    ));
    assert!(
        e.head_object("sus", "k", Some("null"))
            .unwrap()
            .is_delete_marker
    );
    e.delete_object("sus", "k", Some("null")).unwrap();
    assert_eq!(get(&e, "sus", "k", None).unwrap(), b"one");
}
