//! Fuzz entry point for the decoders of stored bytes: metadata records and
//! blob file headers, which a damaged disk can hand back as anything.
//!
//! Not an API: hidden from the documentation, for `fuzz/` and the tests only.

use std::fmt::Debug;

use crate::blob::format::{HEADER_LEN, Header};
use crate::crypto::BlobKey;
use crate::crypto::kms::KeyRecord;
use crate::engine::iam::Session;
use crate::engine::iam::access_keys::KeyRow;
use crate::engine::lifecycle::index::{DueRecord, row_key, split_row_key};
use crate::engine::usage;
use crate::meta::keys;
use crate::meta::records::{
    BlobRef, DataSummary, GcRecord, PartRecord, UploadRecord, VersionRecord, decode, encode,
};
use crate::schema::Encode;
use crate::types::{
    Account, Bucket, Group, ManagedPolicy, ObjectEvent, ReplicationTask, Role, ScrubStatus, User,
};

/// Decodes the bytes as the record kind the first byte chooses (the rest is
/// the stored value, format byte included), then as every other stored row
/// and row key. Damaged bytes decode to an error, never a panic; what decodes
/// encodes and decodes again to the same record.
pub fn stored_records(data: &[u8]) {
    let Some((&which, raw)) = data.split_first() else {
        return;
    };
    match which % 9 {
        0 => round_trip::<VersionRecord>(raw),
        1 => {
            let _ = decode::<VersionRecord<DataSummary>>(raw);
        }
        2 => round_trip::<UploadRecord>(raw),
        3 => round_trip::<PartRecord>(raw),
        4 => round_trip::<GcRecord>(raw),
        5 => round_trip::<BlobRef>(raw),
        6 => round_trip::<Bucket>(raw),
        7 => round_trip::<BlobKey>(raw),
        _ => round_trip::<ObjectEvent>(raw),
    }
    blob_header(raw);
    other_rows(raw);
    row_keys(raw);
}

/// The rows the first byte does not choose: IAM, KMS keys, sessions, the
/// lifecycle index, the replication queue, the scrub status and usage counters. Some hold sealed
/// secrets and print nothing, so these are compared as bytes: what decodes
/// re-encodes to bytes that decode and re-encode to themselves.
fn other_rows(raw: &[u8]) {
    settles::<Account>(raw);
    settles::<User>(raw);
    settles::<Group>(raw);
    settles::<Role>(raw);
    settles::<ManagedPolicy>(raw);
    settles::<KeyRow>(raw);
    settles::<KeyRecord>(raw);
    settles::<Session>(raw);
    settles::<DueRecord>(raw);
    settles::<ReplicationTask>(raw);
    settles::<ScrubStatus>(raw);
    // Usage rows: a merge of damaged operands fails, it never panics, and a sum
    // of well-formed ones is itself well-formed.
    let (existing, operands) = raw.split_at(raw.len().min(16));
    if let Some(sum) = usage::merge(Some(existing), &mut operands.chunks(16)) {
        assert!(usage::merge(Some(&sum), &mut std::iter::empty()).is_some());
    }
}

fn settles<T: Encode>(raw: &[u8]) {
    let Ok(record) = decode::<T>(raw) else {
        return;
    };
    let once = encode(&record).unwrap_or_else(|err| panic!("decoded but does not encode: {err}"));
    let again = decode::<T>(&once)
        .and_then(|record| encode(&record))
        .unwrap_or_else(|err| panic!("re-encoded record does not decode: {err}"));
    assert_eq!(once, again, "a record's encoding is not stable");
}

/// Row keys split into their parts only when joining the parts gives them back.
fn row_keys(raw: &[u8]) {
    if let Some((bucket, key, seq)) = keys::split_version_key(raw) {
        assert_eq!(keys::version_key(bucket, &key, seq), raw);
    }
    if let Some((bucket, key, seq)) = keys::split_upload_key(raw) {
        assert_eq!(keys::upload_key(bucket, &key, seq), raw);
    }
    if let Some((bucket, key)) = keys::split_current_key(raw) {
        assert_eq!(keys::current_key(bucket, key), raw);
    }
    if let Some((upload, number)) = keys::split_part_key(raw) {
        assert_eq!(keys::part_key(upload, number), raw);
    }
    if let Some(due) = split_row_key(raw) {
        let joined = row_key(
            due.due_ms,
            due.bucket_id,
            due.kind,
            due.upload_seq,
            &due.key,
        );
        assert_eq!(joined, raw);
    }
}

fn round_trip<T: Encode + Debug>(raw: &[u8]) {
    let Ok(record) = decode::<T>(raw) else {
        return;
    };
    let encoded = match encode(&record) {
        Ok(encoded) => encoded,
        Err(err) => panic!("{record:?} decoded but does not encode: {err}"),
    };
    match decode::<T>(&encoded) {
        Ok(again) => assert_eq!(format!("{again:?}"), format!("{record:?}")),
        Err(err) => panic!("{record:?} does not decode after encoding: {err}"),
    }
}

/// A blob header decodes only if it is exactly what encoding it writes.
fn blob_header(raw: &[u8]) {
    let Some(raw) = raw.first_chunk::<{ HEADER_LEN as usize }>() else {
        return;
    };
    if let Ok(header) = Header::decode(raw) {
        assert_eq!(Header::decode(&header.encode()), Ok(header));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The target over its committed corpus (`fuzz/corpus/stored_records/`).
    #[test]
    fn stored_records_corpus() {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/stored_records");
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(err) => panic!("corpus {}: {err}", dir.display()),
        };
        let mut count = 0;
        for entry in entries.flatten() {
            match std::fs::read(entry.path()) {
                Ok(data) => stored_records(&data),
                Err(err) => panic!("{}: {err}", entry.path().display()),
            }
            count += 1;
        }
        assert!(count > 0, "corpus {} is empty", dir.display());
    }
}
