//! Backward compatibility of the stored formats: the bytes of each record
//! kind and blob header as this version of horreo wrote them, committed under
//! `storage/tests/fixtures/records/`, must keep decoding to the same values.
//! A change that cannot read them cannot read existing data directories.
//!
//! The files are written once per format (see the README beside them) and
//! never regenerated to make this test pass.

use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::blob::format::{HEADER_LEN, Header};
use crate::crypto::{BlobKey, SealedKey};
use crate::meta::records::{
    BlobId, BlobRef, DataSummary, GcRecord, ObjectData, PartData, PartRecord, UploadRecord,
    VersionRecord, decode, encode,
};
use crate::types::{
    Bucket, ChecksumAlgorithm, ChecksumType, Checksums, ContentHeaders, EncryptionRecord,
    EventCause, ObjectEvent, ObjectLock, Retention, RetentionMode, SseMode, StorageClass, Tag,
    VersioningState,
};

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/records")
}

fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(secs * 1000 + 250)
}

fn blob_key(seed: u8) -> BlobKey {
    BlobKey {
        content_id: [seed; 16],
        sealed: SealedKey(std::array::from_fn(|i| seed.wrapping_add(i as u8))),
    }
}

fn version(seq: u64, data: ObjectData) -> VersionRecord {
    VersionRecord {
        seq,
        version_id: Some(format!("v{seq}")),
        is_delete_marker: false,
        last_modified: at(1_700_000_000 + seq),
        size: 11,
        etag: "\"5eb63bbbe01eeed093cb22bb8f5acdc3\"".into(),
        storage_class: StorageClass::Standard,
        content: ContentHeaders {
            content_type: Some("text/plain".into()),
            cache_control: Some("max-age=60".into()),
            ..ContentHeaders::default()
        },
        user_metadata: vec![("colour".into(), "blue".into())],
        tags: vec![Tag {
            key: "project".into(),
            value: "horreo".into(),
        }],
        checksums: Checksums {
            values: vec![(ChecksumAlgorithm::Crc32c, "yZRlqg==".into())],
            kind: ChecksumType::FullObject,
        },
        owner: "000000000001".into(),
        acl: None,
        upload_id: None,
        lock: ObjectLock::default(),
        encryption: None,
        restore: None,
        replication_status: None,
        data,
    }
}

/// Every fixture: its file name, and the value it must decode to (as `Debug`).
fn expected() -> Vec<(&'static str, Vec<u8>, String)> {
    fn entry<T: Serialize + std::fmt::Debug>(
        name: &'static str,
        value: T,
    ) -> (&'static str, Vec<u8>, String) {
        let encoded = match encode(&value) {
            Ok(encoded) => encoded,
            Err(err) => panic!("{name}: {err}"),
        };
        (name, encoded, format!("{value:?}"))
    }
    let blob = BlobId([0x11; 16]);
    let mut encrypted = version(
        2,
        ObjectData::Blob {
            id: blob,
            size: 11,
            tier: None,
        },
    );
    encrypted.encryption = Some(EncryptionRecord {
        mode: SseMode::S3,
        key: Some(blob_key(7)),
    });
    encrypted.lock = ObjectLock {
        retention: Some(Retention {
            mode: RetentionMode::Governance,
            retain_until: at(1_900_000_000),
        }),
        legal_hold: Some(true),
    };
    let mut marker = version(3, ObjectData::None);
    marker.is_delete_marker = true;
    marker.size = 0;
    let mut multipart = version(
        4,
        ObjectData::Parts(vec![
            PartData {
                id: BlobId([0x21; 16]),
                size: 5 * 1024 * 1024,
                key: None,
                checksum: Some("AAAAAA==".into()),
                tier: None,
            },
            PartData {
                id: BlobId([0x22; 16]),
                size: 1,
                key: None,
                checksum: None,
                tier: None,
            },
        ]),
    );
    multipart.upload_id = Some("upload-1".into());
    multipart.etag = "\"c4b1a0a2f3f0d0c2e1b0a9f8e7d6c5b4-2\"".into();
    let upload = UploadRecord {
        upload_id: "upload-2".into(),
        initiated: at(1_700_000_100),
        storage_class: StorageClass::Glacier,
        content: ContentHeaders::default(),
        user_metadata: vec![],
        tags: vec![],
        owner: "000000000001".into(),
        acl: None,
        checksum_algorithm: Some(ChecksumAlgorithm::Sha256),
        checksum_type: Some(ChecksumType::Composite),
        lock: ObjectLock::default(),
        encryption: Some(SseMode::S3),
    };
    let part = PartRecord {
        size: 5,
        etag: "\"5d41402abc4b2a76b9719d911017c592\"".into(),
        last_modified: at(1_700_000_200),
        checksums: Checksums::default(),
        blob: BlobId([0x31; 16]),
        encryption: None,
        tier: None,
    };
    let bucket = Bucket {
        id: 42,
        name: "photos".into(),
        created: at(1_600_000_000),
        region: "us-east-1".into(),
        owner: "000000000001".into(),
        versioning: VersioningState::Enabled,
        tags: Some(vec![Tag {
            key: "team".into(),
            value: "storage".into(),
        }]),
        object_lock: None,
        encryption: None,
        policy: Some(r#"{"Version":"2012-10-17","Statement":[]}"#.into()),
        public_access_block: None,
        ownership: None,
        acl: None,
        lifecycle: None,
        cors: None,
        website: None,
        notification: None,
        replication: None,
    };
    let event = ObjectEvent {
        name: "ObjectCreated:Put".into(),
        time: at(1_700_000_300),
        bucket: "photos".into(),
        bucket_owner: "000000000001".into(),
        key: "cat.jpg".into(),
        size: Some(11),
        etag: Some("5eb63bbbe01eeed093cb22bb8f5acdc3".into()),
        version_id: Some("v1".into()),
        config_id: "rule-1".into(),
        cause: EventCause::default(),
    };
    vec![
        entry(
            "version-inline.bin",
            version(1, ObjectData::Inline(Bytes::from_static(b"hello world"))),
        ),
        entry("version-blob-sse-s3-locked.bin", encrypted),
        entry("version-delete-marker.bin", marker),
        entry("version-multipart.bin", multipart),
        entry("upload.bin", upload),
        entry("part.bin", part),
        entry(
            "gc.bin",
            GcRecord {
                since_ms: 1_700_000_400_000,
                tier: None,
            },
        ),
        entry(
            "blob-ref.bin",
            BlobRef {
                bucket_id: 42,
                tier: None,
            },
        ),
        entry("bucket.bin", bucket),
        entry("blob-key.bin", blob_key(9)),
        entry("event.bin", event),
        (
            "blob-header-plain.bin",
            Header::plain(64 * 1024).encode().to_vec(),
            format!("{:?}", Header::plain(64 * 1024)),
        ),
        (
            "blob-header-encrypted.bin",
            Header::encrypted(64 * 1024).encode().to_vec(),
            format!("{:?}", Header::encrypted(64 * 1024)),
        ),
    ]
}

fn read(name: &str) -> Vec<u8> {
    let path = dir().join(name);
    match std::fs::read(&path) {
        Ok(raw) => raw,
        Err(err) => panic!("{}: {err}", path.display()),
    }
}

fn decoded<T: DeserializeOwned + std::fmt::Debug>(name: &str, raw: &[u8]) -> String {
    match decode::<T>(raw) {
        Ok(value) => format!("{value:?}"),
        Err(err) => panic!("{name} no longer decodes: {err}"),
    }
}

#[test]
fn committed_records_decode_to_what_was_written() {
    for (name, _, want) in expected() {
        let raw = read(name);
        let got = match name {
            n if n.starts_with("version-") => decoded::<VersionRecord>(n, &raw),
            "upload.bin" => decoded::<UploadRecord>(name, &raw),
            "part.bin" => decoded::<PartRecord>(name, &raw),
            "gc.bin" => decoded::<GcRecord>(name, &raw),
            "blob-ref.bin" => decoded::<BlobRef>(name, &raw),
            "bucket.bin" => decoded::<Bucket>(name, &raw),
            "event.bin" => decoded::<ObjectEvent>(name, &raw),
            "blob-key.bin" => {
                let key: BlobKey = match decode(&raw) {
                    Ok(key) => key,
                    Err(err) => panic!("{name} no longer decodes: {err}"),
                };
                assert_eq!(key, blob_key(9), "{name}: the sealed key bytes");
                format!("{key:?}")
            }
            n => {
                let Some(header) = raw.first_chunk::<{ HEADER_LEN as usize }>() else {
                    panic!("{n} is shorter than a blob header");
                };
                match Header::decode(header) {
                    Ok(header) => format!("{header:?}"),
                    Err(err) => panic!("{n} no longer decodes: {err}"),
                }
            }
        };
        assert_eq!(got, want, "{name}");
    }
}

#[test]
fn listings_still_read_version_summaries() {
    for name in [
        "version-inline.bin",
        "version-blob-sse-s3-locked.bin",
        "version-delete-marker.bin",
        "version-multipart.bin",
    ] {
        let raw = read(name);
        if let Err(err) = decode::<VersionRecord<DataSummary>>(&raw) {
            panic!("{name}: {err}");
        }
    }
}

/// Writes the fixtures that do not exist yet (never overwrites one):
/// `HORREO_WRITE_FORMAT_FIXTURES=1 cargo test --workspace --lib write_format_fixtures -- --ignored`.
#[test]
#[ignore = "writes fixtures; run by hand for a new format only"]
fn write_format_fixtures() {
    if std::env::var_os("HORREO_WRITE_FORMAT_FIXTURES").is_none() {
        return;
    }
    if let Err(err) = std::fs::create_dir_all(dir()) {
        panic!("{}: {err}", dir().display());
    }
    for (name, raw, _) in expected() {
        let path = dir().join(name);
        if !path.exists()
            && let Err(err) = std::fs::write(&path, raw)
        {
            panic!("{}: {err}", path.display());
        }
    }
}
