//! The due-time index: the `lifecycle` column family, ordered by when the
//! worker is to look at something, so a pass reads only what is due.
//!
//! Row key: due time (ms, big-endian) ++ bucket id ++ kind ++ subject, where
//! the subject is the object key (`KEY`), the upload's sequence and key
//! (`UPLOAD`), or nothing (`REINDEX`, due at 0). The value names the bucket
//! (and the upload id, or the re-index cursor).
//!
//! The index may say too early, never too late: every write that could make
//! something due sooner adds a row at or before that time in the same batch
//! as the change (see [`plan::hint_after_write`]); the worker then computes
//! the exact plan, acts on what is due and leaves one row at the next due
//! time. Rows that no longer mean anything (the key was deleted, the rules
//! changed) cost one look and are dropped. A rule change re-indexes the
//! bucket in the background (`REINDEX` row with a cursor), once.

use std::time::{Duration, SystemTime};

use super::plan::{self, millis};
use crate::Result;
use crate::meta::records::encode;
use crate::meta::{Batch, Cf, keys};
use crate::types::Bucket;

pub(super) const REINDEX: u8 = 0;
pub(super) const KEY: u8 = 1;
pub(super) const UPLOAD: u8 = 2;

/// Value of a `lifecycle` row.
#[derive(Debug, Clone)]
pub(crate) struct DueRecord {
    /// The bucket's name (rows are keyed by id; a re-created bucket has another).
    pub bucket: String,
    pub upload_id: Option<String>,
    /// `REINDEX`: the `versions` (then `uploads`) row key to continue after.
    pub cursor: Option<Vec<u8>>,
    /// `REINDEX`: whether the versions are done and uploads are being walked.
    pub uploads_phase: bool,
}

/// A decoded row key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RowKey {
    pub due_ms: u64,
    pub bucket_id: u64,
    pub kind: u8,
    pub upload_seq: u64,
    pub key: Vec<u8>,
}

pub(crate) fn row_key(
    due_ms: u64,
    bucket_id: u64,
    kind: u8,
    upload_seq: u64,
    key: &[u8],
) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + 8 + 1 + 8 + key.len());
    out.extend_from_slice(&due_ms.to_be_bytes());
    out.extend_from_slice(&bucket_id.to_be_bytes());
    out.push(kind);
    if kind == UPLOAD {
        out.extend_from_slice(&upload_seq.to_be_bytes());
    }
    out.extend_from_slice(key);
    out
}

pub(crate) fn split_row_key(raw: &[u8]) -> Option<RowKey> {
    let (due, rest) = raw.split_first_chunk::<8>()?;
    let (bucket, rest) = rest.split_first_chunk::<8>()?;
    let (&kind, rest) = rest.split_first()?;
    let (upload_seq, key) = if kind == UPLOAD {
        let (seq, key) = rest.split_first_chunk::<8>()?;
        (u64::from_be_bytes(*seq), key)
    } else {
        (0, rest)
    };
    Some(RowKey {
        due_ms: u64::from_be_bytes(*due),
        bucket_id: u64::from_be_bytes(*bucket),
        kind,
        upload_seq,
        key: key.to_vec(),
    })
}

/// Adds to `batch` that `key` of `bucket` is to be looked at by `at`.
pub(in crate::engine) fn put_key(
    batch: &mut Batch<'_>,
    bucket: &Bucket,
    key: &[u8],
    at: SystemTime,
) -> Result<()> {
    let value = encode(&DueRecord {
        bucket: bucket.name.clone(),
        upload_id: None,
        cursor: None,
        uploads_phase: false,
    })?;
    batch.put(
        Cf::Lifecycle,
        &row_key(millis(at), bucket.id, KEY, 0, key),
        &value,
    )
}

/// Indexes `key` after a write to it at `now` (see the module comment);
/// nothing when the bucket has no rule that could act on it.
pub(in crate::engine) fn after_write(
    batch: &mut Batch<'_>,
    bucket: &Bucket,
    key: &[u8],
    new_version: bool,
    now: SystemTime,
    day: Duration,
) -> Result<()> {
    let Some(lc) = &bucket.lifecycle else {
        return Ok(());
    };
    let Ok(text) = std::str::from_utf8(key) else {
        return Ok(());
    };
    match plan::hint_after_write(lc, text, new_version, now, day) {
        Some(at) => put_key(batch, bucket, key, at),
        None => Ok(()),
    }
}

/// Indexes a new multipart upload for its abort time, if a rule sets one.
pub(in crate::engine) fn after_upload_created(
    batch: &mut Batch<'_>,
    bucket: &Bucket,
    key: &[u8],
    upload_seq: u64,
    upload_id: &str,
    initiated: SystemTime,
    day: Duration,
) -> Result<()> {
    let Some(lc) = &bucket.lifecycle else {
        return Ok(());
    };
    let Ok(text) = std::str::from_utf8(key) else {
        return Ok(());
    };
    let Some(at) = plan::abort_due(lc, text, initiated, day) else {
        return Ok(());
    };
    let value = encode(&DueRecord {
        bucket: bucket.name.clone(),
        upload_id: Some(upload_id.to_owned()),
        cursor: None,
        uploads_phase: false,
    })?;
    batch.put(
        Cf::Lifecycle,
        &row_key(millis(at), bucket.id, UPLOAD, upload_seq, key),
        &value,
    )
}

/// Adds to `batch` that `bucket` is to be re-indexed from the start (its rules
/// changed). A re-index already under way restarts.
pub(in crate::engine) fn schedule_reindex(batch: &mut Batch<'_>, bucket: &Bucket) -> Result<()> {
    let value = encode(&DueRecord {
        bucket: bucket.name.clone(),
        upload_id: None,
        cursor: None,
        uploads_phase: false,
    })?;
    batch.put(
        Cf::Lifecycle,
        &row_key(0, bucket.id, REINDEX, 0, &[]),
        &value,
    )
}

/// The first `versions`/`uploads` row key of bucket `id`.
pub(super) fn bucket_start(id: u64) -> Vec<u8> {
    keys::bucket_prefix(id).to_vec()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn row_keys_order_by_due_time_and_round_trip() {
        let a = row_key(5, 9, KEY, 0, b"zzz");
        let b = row_key(6, 1, KEY, 0, b"a");
        assert!(a < b);
        let up = row_key(7, 2, UPLOAD, 42, b"k\0ey");
        let back = split_row_key(&up).unwrap();
        assert_eq!(
            back,
            RowKey {
                due_ms: 7,
                bucket_id: 2,
                kind: UPLOAD,
                upload_seq: 42,
                key: b"k\0ey".to_vec()
            }
        );
        assert_eq!(
            split_row_key(&row_key(0, 3, REINDEX, 0, &[])).unwrap().kind,
            REINDEX
        );
        assert!(split_row_key(b"short").is_none());
    }
}
