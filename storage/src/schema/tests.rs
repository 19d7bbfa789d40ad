use std::time::SystemTime;

use bytes::Bytes;
use serde::Serialize;

use super::{decode, encode, v1};
use crate::meta::records::{BlobId, DataSummary, GcRecord, ObjectData, PartRecord, VersionRecord};
use crate::types::{Checksums, ContentHeaders, ObjectLock, StorageClass};
use crate::{Error, Result};

fn record(data: ObjectData) -> VersionRecord {
    VersionRecord {
        seq: 9,
        version_id: None,
        is_delete_marker: false,
        last_modified: SystemTime::UNIX_EPOCH,
        size: 3,
        etag: "e".into(),
        storage_class: StorageClass::Glacier,
        content: ContentHeaders::default(),
        user_metadata: vec![("a".into(), "b".into())],
        tags: vec![],
        checksums: Checksums::default(),
        owner: "me".into(),
        acl: None,
        upload_id: None,
        lock: ObjectLock::default(),
        encryption: None,
        restore: None,
        replication_status: None,
        tiering: None,
        data,
    }
}

/// Bytes as a writer of format 1 with another struct would write them.
fn raw_v1<T: Serialize>(value: &T) -> Vec<u8> {
    let mut out = vec![v1::FORMAT];
    if let Err(err) = rmp_serde::encode::write_named(&mut out, value) {
        panic!("{err}");
    }
    out
}

fn ok<T>(result: Result<T>) -> T {
    result.unwrap_or_else(|err| panic!("{err}"))
}

#[test]
fn versions_round_trip_and_summarise() {
    let id = BlobId::random();
    for data in [
        ObjectData::Inline(Bytes::from_static(b"abc")),
        ObjectData::Blob {
            id,
            size: 3,
            tier: Some("GLACIER".into()),
        },
        ObjectData::None,
    ] {
        let raw = ok(encode(&record(data.clone())));
        assert_eq!(raw[0], v1::FORMAT);
        let back: VersionRecord = ok(decode(&raw));
        assert_eq!(back.storage_class, StorageClass::Glacier);
        assert_eq!(format!("{:?}", back.data), format!("{data:?}"));
        assert_eq!(ok(encode(&back)), raw, "re-encoding changed the bytes");
        let summary: VersionRecord<DataSummary> = ok(decode(&raw));
        match (summary.data, data) {
            (DataSummary::Blob { id: a, .. }, ObjectData::Blob { id: b, .. }) => assert_eq!(a, b),
            (DataSummary::Inline, ObjectData::Inline(_))
            | (DataSummary::None, ObjectData::None) => {}
            (s, d) => panic!("summary {s:?} of {d:?}"),
        }
    }
}

#[test]
fn missing_defaulted_fields_decode_and_unknown_ones_are_ignored() {
    #[derive(Serialize)]
    struct Old {
        seq: u64,
        version_id: Option<String>,
        last_modified: SystemTime,
        size: u64,
        etag: String,
        data: v1::ObjectData,
        unknown_future_field: u32,
    }
    let raw = raw_v1(&Old {
        seq: 1,
        version_id: Some("v".into()),
        last_modified: SystemTime::UNIX_EPOCH,
        size: 0,
        etag: "x".into(),
        data: v1::ObjectData::None,
        unknown_future_field: 5,
    });
    let rec: VersionRecord = ok(decode(&raw));
    assert_eq!(rec.storage_class, StorageClass::Standard);
    assert!(rec.tags.is_empty());
}

#[test]
fn bad_records_are_corrupt() {
    assert!(matches!(decode::<GcRecord>(&[]), Err(Error::Corrupt(_))));
    assert!(matches!(
        decode::<GcRecord>(&[9, 1]),
        Err(Error::Corrupt(_))
    ));
    assert!(matches!(
        decode::<GcRecord>(&[v1::FORMAT, 0xc1]),
        Err(Error::Corrupt(_))
    ));
}

#[test]
fn a_blob_id_of_the_wrong_length_is_corrupt() {
    #[derive(Serialize)]
    struct Part {
        size: u64,
        etag: String,
        last_modified: SystemTime,
        blob: Bytes,
    }
    let part = |blob: &'static [u8]| {
        raw_v1(&Part {
            size: 1,
            etag: "e".into(),
            last_modified: SystemTime::UNIX_EPOCH,
            blob: Bytes::from_static(blob),
        })
    };
    let read = ok(decode::<PartRecord>(&part(&[7; 16])));
    assert_eq!(read.blob, BlobId([7; 16]));
    assert!(matches!(
        decode::<PartRecord>(&part(&[7; 15])),
        Err(Error::Corrupt(_))
    ));
}
