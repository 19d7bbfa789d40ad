//! Re-indexing a bucket after its rules changed: every key and upload gets
//! an index row at its first due time under the new rules, a step at a time,
//! with the cursor saved in the bucket's `REINDEX` row after each step (so a
//! restart resumes where it stopped).

use std::time::SystemTime;

use super::index::{self, DueRecord};
use super::{act, plan, tiering};
use crate::engine::Inner;
use crate::meta::records::{DataSummary, UploadRecord, VersionRecord, decode, encode};
use crate::meta::{Batch, Cf, keys};
use crate::types::Bucket;
use crate::{Error, Result};

/// Keys (or uploads) a re-index step indexes before saving its cursor.
const REINDEX_STEP: usize = 1000;

/// Indexes every key and upload of `bucket` under its current rules, a step
/// at a time, saving the cursor in the `REINDEX` row after each step. A rule
/// change meanwhile resets the row; this walk then gives way to the new one.
pub(super) fn reindex(
    inner: &Inner,
    bucket: &Bucket,
    raw: &[u8],
    mut rec: DueRecord,
    stop: &(dyn Fn() -> bool + Sync),
) -> Result<()> {
    let db = &inner.shared.db;
    let mut seen = encode(&rec)?;
    loop {
        if stop() {
            return Ok(());
        }
        let mut batch = db.batch();
        // Intelligent-Tiering configurations need the versions indexed too.
        let versions = bucket.lifecycle.is_some() || !bucket.intelligent_tiering.is_empty();
        let (cursor, finished) = match (versions, rec.uploads_phase) {
            (false, _) => (None, true),
            (true, false) => reindex_versions(inner, bucket, rec.cursor.as_deref(), &mut batch)?,
            (true, true) => reindex_uploads(inner, bucket, rec.cursor.as_deref(), &mut batch)?,
        };
        let last = finished && (rec.uploads_phase || !versions);
        if last {
            batch.delete(Cf::Lifecycle, raw)?;
        } else {
            if finished {
                rec.uploads_phase = true;
                rec.cursor = None;
            } else {
                rec.cursor = cursor;
            }
            batch.put(Cf::Lifecycle, raw, &encode(&rec)?)?;
        }
        // Rule changes hold the configuration lock while they reset the row.
        let _config = inner.locks.bucket_config();
        let now_stored = db.get(Cf::Lifecycle, raw)?.map(|v| v.to_vec());
        if now_stored.as_deref() != Some(seen.as_slice()) {
            return Ok(());
        }
        batch.commit()?;
        if last {
            return Ok(());
        }
        seen = encode(&rec)?;
    }
}

/// Indexes up to a step of keys after `cursor`; returns the next cursor and
/// whether the bucket's versions are all done.
fn reindex_versions(
    inner: &Inner,
    bucket: &Bucket,
    cursor: Option<&[u8]>,
    batch: &mut Batch<'_>,
) -> Result<(Option<Vec<u8>>, bool)> {
    let lc = bucket.lifecycle.as_ref();
    let day = inner.config.lifecycle.day;
    let now = inner.shared.now();
    let start = cursor.map_or_else(|| index::bucket_start(bucket.id), <[u8]>::to_vec);
    let mut it = inner.shared.db.iter(
        Cf::Versions,
        Some(start.clone()),
        keys::bucket_upper_bound(bucket.id),
    )?;
    it.seek(&start);
    let mut stack = Vec::new();
    let mut current_key: Option<Vec<u8>> = None;
    // The key's next Intelligent-Tiering move, found as its versions are read.
    let mut tier_due: Option<SystemTime> = None;
    let mut indexed = 0;
    let flush = |key: &[u8],
                 stack: &mut Vec<plan::Ver>,
                 tier_due: &mut Option<SystemTime>,
                 batch: &mut Batch<'_>| {
        if let Ok(text) = std::str::from_utf8(key) {
            let rules =
                lc.and_then(|lc| plan::plan(lc, text, stack, day).iter().map(|d| d.at).min());
            if let Some(at) = rules.into_iter().chain(tier_due.take()).min() {
                index::put_key(batch, bucket, key, at)?;
            }
        }
        stack.clear();
        *tier_due = None;
        Ok::<_, Error>(())
    };
    while let Some((raw_key, value)) = it.item() {
        let Some((_, key, _)) = keys::split_version_key(raw_key) else {
            return Err(Error::Corrupt("malformed version row key".into()));
        };
        if current_key.as_deref() != Some(key.as_slice()) {
            if let Some(done_key) = current_key.take() {
                flush(&done_key, &mut stack, &mut tier_due, batch)?;
                indexed += 1;
                if indexed >= REINDEX_STEP {
                    let next =
                        keys::prefix_successor(&keys::version_key_prefix(bucket.id, &done_key));
                    return Ok((next, false));
                }
            }
            current_key = Some(key);
        }
        let rec: VersionRecord<DataSummary> = decode(value)?;
        if let Some(Ok(text)) = current_key.as_deref().map(std::str::from_utf8)
            && let Some(at) = tiering::next_move(bucket, text, &rec, now, day)
        {
            tier_due = Some(tier_due.map_or(at, |t| t.min(at)));
        }
        stack.push(act::to_ver(rec).0);
        it.next();
    }
    it.status()?;
    if let Some(done_key) = current_key {
        flush(&done_key, &mut stack, &mut tier_due, batch)?;
    }
    Ok((None, true))
}

/// Indexes up to a step of uploads after `cursor` for their abort time.
fn reindex_uploads(
    inner: &Inner,
    bucket: &Bucket,
    cursor: Option<&[u8]>,
    batch: &mut Batch<'_>,
) -> Result<(Option<Vec<u8>>, bool)> {
    let day = inner.config.lifecycle.day;
    let start = cursor.map_or_else(|| index::bucket_start(bucket.id), <[u8]>::to_vec);
    let mut it = inner.shared.db.iter(
        Cf::Uploads,
        Some(start.clone()),
        keys::bucket_upper_bound(bucket.id),
    )?;
    it.seek(&start);
    let mut count = 0;
    while let Some((raw_key, value)) = it.item() {
        let Some((_, key, seq)) = keys::split_upload_key(raw_key) else {
            return Err(Error::Corrupt("malformed upload row key".into()));
        };
        let upload: UploadRecord = decode(value)?;
        index::after_upload_created(
            batch,
            bucket,
            &key,
            seq,
            &upload.upload_id,
            upload.initiated,
            day,
        )?;
        count += 1;
        if count >= REINDEX_STEP {
            let mut next = raw_key.to_vec();
            next.push(0);
            return Ok((Some(next), false));
        }
        it.next();
    }
    it.status()?;
    Ok((None, true))
}
