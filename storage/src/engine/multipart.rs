//! Multipart uploads.
//!
//! - An upload is an `uploads` row keyed like a version (bucket, key, sequence),
//!   so ListMultipartUploads is one ordered scan. Its id is the sequence in hex
//!   followed by 128 random bits: unguessable, yet ordered by initiation.
//! - Each part is a blob of its own with a `parts` row; re-uploading a part number
//!   frees the blob it replaces.
//! - Completion writes a version whose content is the listed part blobs in order:
//!   no data is copied, so it costs the same for 10 MiB and for 1 GiB. Parts not
//!   listed are freed, and the upload's rows go, in the same batch.
//!
//! Every change runs under the key's stripe lock, so a part that arrives while its
//! upload completes or aborts either lands first or fails with `NoSuchUpload`.

use std::collections::BTreeMap;

use md5::{Digest, Md5};

use super::composite::multipart_checksum;
use super::encryption::Sealing;
use super::keyed_scan::{self, Item, Scan};
use super::list::utf8;
use super::locks::with_row_lock;
use super::object::{
    Locked, NewVersion, commit_version, discard_uncommitted, free_blob, lock_key, retry_conflicts,
};
use super::placement::install_in_class;
use super::stage::Staged;
use super::versions::{read_current, to_object_version};
use super::{Inner, StagedBlob, bucket, lifecycle, replica};
use crate::meta::records::{
    BlobRef, ObjectData, PartData, PartRecord, UploadRecord, decode, encode,
};
use crate::meta::{Batch, Cf, MetaDb, keys};
use crate::types::{
    ChecksumAlgorithm, ChecksumType, Checksums, CompletedPart, Completion, EncryptionRecord,
    EventCause, MAX_OBJECT_SIZE, MIN_PART_SIZE, MultipartUpload, ObjectKey, ObjectVersion, Part,
    PartsPage, PutOptions, UploadEntry, UploadsPage, UploadsQuery,
};
use crate::{Error, Result};

pub(super) fn create(
    inner: &Inner,
    bucket: &str,
    key: &ObjectKey,
    opts: PutOptions,
    checksum_algorithm: Option<ChecksumAlgorithm>,
    checksum_type: Option<ChecksumType>,
) -> Result<MultipartUpload> {
    let db = &inner.shared.db;
    let k = key.as_str().as_bytes();
    let encryption = match &opts.sse {
        Some(request) => Some(Sealing::resolve(inner, request)?.mode),
        None => None,
    };
    let locked = lock_key(inner, bucket, k)?;
    if opts.lock.is_set() && locked.bucket.object_lock.is_none() {
        return Err(Error::ObjectLockNotEnabled);
    }
    // One process hands out increasing sequences already; only gateways
    // with blocks of their own need the key's latest upload as a floor.
    let latest = if db.shared_by_gateways() {
        latest_upload_seq(db, locked.bucket.id, k)?
    } else {
        None
    };
    let seq = inner.seq.next_after(latest, db)?;
    let record = UploadRecord {
        upload_id: format!("{seq:016x}{:032x}", rand::random::<u128>()),
        initiated: inner.shared.now(),
        storage_class: opts.storage_class,
        content: opts.content,
        user_metadata: opts.user_metadata,
        tags: opts.tags,
        owner: opts.owner,
        acl: opts.acl,
        checksum_algorithm,
        checksum_type: checksum_algorithm
            .map(|alg| checksum_type.unwrap_or(ChecksumType::default_for(alg))),
        lock: opts.lock,
        encryption,
    };
    let mut batch = db.batch();
    bucket::guard_open(db, &mut batch, locked.bucket.id)?;
    batch.put(
        Cf::Uploads,
        &keys::upload_key(locked.bucket.id, k, seq),
        &encode(&record)?,
    )?;
    lifecycle::index::after_upload_created(
        &mut batch,
        &locked.bucket,
        k,
        seq,
        &record.upload_id,
        record.initiated,
        inner.config.lifecycle.day,
    )?;
    match batch.commit() {
        // The only guard: the bucket closed meanwhile (being deleted).
        Err(Error::Conflict) => return Err(Error::NoSuchBucket),
        committed => committed?,
    }
    Ok(to_upload(key.as_str().to_owned(), record))
}

/// The upload `upload_id` to `key`: `NoSuchUpload` if it does not exist (or was
/// completed or aborted).
pub(super) fn get(
    inner: &Inner,
    bucket: &str,
    key: &str,
    upload_id: &str,
) -> Result<MultipartUpload> {
    let b = bucket::get(inner, bucket)?;
    let (_, record) = find(&inner.shared.db, b.id, key.as_bytes(), upload_id)?;
    Ok(to_upload(key.to_owned(), record))
}

fn find(db: &MetaDb, bucket_id: u64, key: &[u8], upload_id: &str) -> Result<(u64, UploadRecord)> {
    find_row(db, bucket_id, key, upload_id).map(|(seq, record, _)| (seq, record))
}

/// Finds the upload as [`find`] does, and makes `batch` commit only if the
/// upload is still there then (not completed or aborted meanwhile by another
/// gateway): [`Error::Conflict`] if it is gone.
fn find_guarded(
    db: &MetaDb,
    batch: &mut Batch<'_>,
    bucket_id: u64,
    key: &[u8],
    upload_id: &str,
) -> Result<(u64, UploadRecord)> {
    let (seq, record, raw) = find_row(db, bucket_id, key, upload_id)?;
    batch.expect(
        Cf::Uploads,
        &keys::upload_key(bucket_id, key, seq),
        Some(&raw),
    )?;
    Ok((seq, record))
}

/// The sequence of the latest upload to `key` in progress. A new upload's
/// sequence goes above it, so uploads of one key list in the order they were
/// initiated even when another gateway (with its own block of sequences)
/// started the earlier one.
fn latest_upload_seq(db: &MetaDb, bucket_id: u64, key: &[u8]) -> Result<Option<u64>> {
    let mut it = db.iter(
        Cf::Uploads,
        Some(keys::upload_key(bucket_id, key, 0)),
        Some(keys::upload_key(bucket_id, key, u64::MAX)),
    )?;
    it.seek_to_last();
    it.status()?;
    Ok(it
        .key()
        .and_then(keys::split_upload_key)
        .map(|(_, _, seq)| seq))
}

/// The upload's sequence, record and stored row.
fn find_row(
    db: &MetaDb,
    bucket_id: u64,
    key: &[u8],
    upload_id: &str,
) -> Result<(u64, UploadRecord, Vec<u8>)> {
    let seq = upload_id
        .get(..16)
        .and_then(|hex| u64::from_str_radix(hex, 16).ok())
        .ok_or(Error::NoSuchUpload)?;
    let raw = db
        .get(Cf::Uploads, &keys::upload_key(bucket_id, key, seq))?
        .ok_or(Error::NoSuchUpload)?;
    let record: UploadRecord = decode(&raw)?;
    if record.upload_id != upload_id {
        return Err(Error::NoSuchUpload);
    }
    Ok((seq, record, raw))
}

pub(super) fn put_part(
    inner: &Inner,
    bucket: &str,
    key: &str,
    upload_id: &str,
    number: u32,
    blob: StagedBlob,
) -> Result<Part> {
    let StagedBlob {
        size,
        md5,
        checksums,
        content,
        encryption,
    } = blob;
    let Staged::Blob(staged) = content else {
        return Err(Error::Meta("a part was staged inline".into()));
    };
    // The part lands in the tier of the upload's class (which never changes).
    let bucket_id = bucket::get(inner, bucket)?.id;
    let (seq, upload) = find(&inner.shared.db, bucket_id, key.as_bytes(), upload_id)?;
    let class = upload.storage_class;
    // Held until the blob's reference commits (or the blob is removed again).
    let _installing = inner.shared.install_gate.read();
    let loc = install_in_class(inner, staged, class)?;
    let record = PartRecord {
        size,
        etag: hex::encode(md5),
        last_modified: inner.shared.now(),
        checksums,
        blob: loc.id,
        encryption,
        tier: loc.tier.clone(),
    };
    // Across gateways, a lock on the part's row keeps two uploads of one part
    // number from both reading the part they replace before either commits
    // (the loser's blob would then be referenced by no part and never freed):
    // the guard cannot sit in the batch, whose guard is the upload's row in
    // another RADOS object.
    let result = with_row_lock(
        &inner.shared.db,
        Cf::Parts,
        &keys::part_key(seq, number),
        &format!("part.{number}"),
        || retry_conflicts(|| commit_part(inner, bucket, key, upload_id, number, &record)),
    );
    if let Err(e) = &result {
        discard_uncommitted(inner, &loc, e);
    }
    result.map(|()| to_part(number, record))
}

fn commit_part(
    inner: &Inner,
    bucket: &str,
    key: &str,
    upload_id: &str,
    number: u32,
    record: &PartRecord,
) -> Result<()> {
    let db = &inner.shared.db;
    let locked = lock_key(inner, bucket, key.as_bytes())?;
    let mut batch = db.batch();
    let (seq, upload) = find_guarded(db, &mut batch, locked.bucket.id, key.as_bytes(), upload_id)?;
    let fits = match (&upload.encryption, &record.encryption) {
        (None, None) => true,
        (Some(want), Some(got)) => want.compatible(&got.mode),
        _ => false,
    };
    if !fits {
        return Err(Error::EncryptionMismatch);
    }
    let row = keys::part_key(seq, number);
    let replaced = db
        .get(Cf::Parts, &row)?
        .map(|raw| decode::<PartRecord>(&raw))
        .transpose()?;
    batch.put(Cf::Parts, &row, &encode(record)?)?;
    batch.put(
        Cf::Blobs,
        &record.blob.0,
        &encode(&BlobRef {
            bucket_id: locked.bucket.id,
            tier: record.tier.clone(),
        })?,
    )?;
    if let Some(old) = &replaced {
        free_blob(&mut batch, &old.blob_loc())?;
    }
    batch.commit()?;
    if replaced.is_some() {
        inner.gc.wake();
    }
    Ok(())
}

/// All part rows of the upload with sequence `seq`, by part number.
fn parts_of(db: &MetaDb, seq: u64) -> Result<BTreeMap<u32, PartRecord>> {
    let mut out = BTreeMap::new();
    scan_parts(db, seq, 1, |number, record| {
        out.insert(number, record);
        true
    })?;
    Ok(out)
}

/// Calls `visit` on each part of upload `seq` numbered `first` or more, in
/// order, while it returns true.
fn scan_parts(
    db: &MetaDb,
    seq: u64,
    first: u32,
    mut visit: impl FnMut(u32, PartRecord) -> bool,
) -> Result<()> {
    let lower = keys::part_key(seq, 0).to_vec();
    let upper = keys::prefix_successor(&seq.to_be_bytes());
    let mut it = db.iter(Cf::Parts, Some(lower), upper)?;
    it.seek(&keys::part_key(seq, first));
    while let Some((raw_key, value)) = it.item() {
        let Some((_, number)) = keys::split_part_key(raw_key) else {
            return Err(Error::Corrupt("malformed part row key".into()));
        };
        if !visit(number, decode(value)?) {
            break;
        }
        it.next();
    }
    it.status()?;
    Ok(())
}

pub(super) fn list_parts(
    inner: &Inner,
    bucket: &str,
    key: &str,
    upload_id: &str,
    after: u32,
    max_parts: usize,
) -> Result<(MultipartUpload, PartsPage)> {
    let db = &inner.shared.db;
    let b = bucket::get(inner, bucket)?;
    let (seq, record) = find(db, b.id, key.as_bytes(), upload_id)?;
    let mut page = PartsPage::default();
    if let Some(first) = after.checked_add(1) {
        scan_parts(db, seq, first, |number, part| {
            if page.parts.len() == max_parts {
                page.is_truncated = true;
                return false;
            }
            page.parts.push(to_part(number, part));
            true
        })?;
    }
    if page.is_truncated {
        page.next_marker = page.parts.last().map(|p| p.number);
    }
    Ok((to_upload(key.to_owned(), record), page))
}

pub(super) fn abort(inner: &Inner, bucket: &str, key: &str, upload_id: &str) -> Result<()> {
    retry_conflicts(|| {
        let locked = lock_key(inner, bucket, key.as_bytes())?;
        abort_locked(inner, &locked, key, upload_id).map(|_| ())
    })
}

/// Aborts with the key already locked; returns the bytes of the parts freed.
pub(super) fn abort_locked(
    inner: &Inner,
    locked: &Locked<'_>,
    key: &str,
    upload_id: &str,
) -> Result<u64> {
    let db = &inner.shared.db;
    let bucket_id = locked.bucket.id;
    let mut batch = db.batch();
    let (seq, _) = find_guarded(db, &mut batch, bucket_id, key.as_bytes(), upload_id)?;
    let mut freed = 0;
    for (number, part) in parts_of(db, seq)? {
        batch.delete(Cf::Parts, &keys::part_key(seq, number))?;
        free_blob(&mut batch, &part.blob_loc())?;
        freed += part.size;
    }
    batch.delete(
        Cf::Uploads,
        &keys::upload_key(bucket_id, key.as_bytes(), seq),
    )?;
    batch.commit()?;
    inner.gc.wake();
    Ok(freed)
}

/// The upload with id `upload_id` to `key`, with its sequence, if in progress.
pub(super) fn find_upload(
    inner: &Inner,
    bucket_id: u64,
    key: &[u8],
    upload_id: &str,
) -> Result<Option<(u64, UploadRecord)>> {
    match find(&inner.shared.db, bucket_id, key, upload_id) {
        Ok(found) => Ok(Some(found)),
        Err(Error::NoSuchUpload) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Adds the abortion of every upload in bucket `bucket_id` to `batch` (for
/// DeleteBucket, which holds the bucket exclusively). Returns how many.
pub(super) fn abort_all(inner: &Inner, bucket_id: u64, batch: &mut Batch<'_>) -> Result<usize> {
    let db = &inner.shared.db;
    let lower = keys::bucket_prefix(bucket_id).to_vec();
    let mut it = db.iter(
        Cf::Uploads,
        Some(lower.clone()),
        keys::bucket_upper_bound(bucket_id),
    )?;
    it.seek(&lower);
    let mut count = 0;
    while let Some((raw_key, _)) = it.item() {
        let Some((_, _, seq)) = keys::split_upload_key(raw_key) else {
            return Err(Error::Corrupt("malformed upload row key".into()));
        };
        for (number, part) in parts_of(db, seq)? {
            batch.delete(Cf::Parts, &keys::part_key(seq, number))?;
            free_blob(batch, &part.blob_loc())?;
        }
        batch.delete(Cf::Uploads, raw_key)?;
        count += 1;
        it.next();
    }
    it.status()?;
    Ok(count)
}

/// Completes the upload: one version, however many gateways complete it at
/// once (the others answer as a retried completion does).
pub(super) fn complete(
    inner: &Inner,
    cause: &EventCause,
    bucket: &str,
    key: &ObjectKey,
    upload_id: &str,
    completion: Completion,
) -> Result<ObjectVersion> {
    retry_conflicts(|| complete_once(inner, cause, bucket, key, upload_id, completion.clone()))
}

fn complete_once(
    inner: &Inner,
    cause: &EventCause,
    bucket: &str,
    key: &ObjectKey,
    upload_id: &str,
    mut completion: Completion,
) -> Result<ObjectVersion> {
    let replica = completion.replica.take();
    let listed = &completion.parts[..];
    let db = &inner.shared.db;
    let k = key.as_str().as_bytes();
    let locked = lock_key(inner, bucket, k)?;
    let bucket_id = locked.bucket.id;
    let mut batch = db.batch();
    // The upload must exist before the parts listed are judged: a missing upload
    // is `NoSuchUpload` whatever the list says.
    let (seq, upload) = match find_guarded(db, &mut batch, bucket_id, k, upload_id) {
        Ok(found) => found,
        // A retried completion answers as the first one did.
        Err(Error::NoSuchUpload) => {
            let retried = multipart_etag(listed).ok();
            return match read_current(db, bucket_id, k)? {
                Some(cur)
                    if cur.upload_id.as_deref() == Some(upload_id)
                        && retried.as_ref() == Some(&cur.etag) =>
                {
                    Ok(to_object_version(key.as_str().to_owned(), cur))
                }
                _ => Err(Error::NoSuchUpload),
            };
        }
        Err(e) => return Err(e),
    };
    if listed.windows(2).any(|w| w[0].number >= w[1].number) {
        return Err(Error::InvalidPartOrder);
    }
    let etag = multipart_etag(listed)?;
    let mut stored = parts_of(db, seq)?;
    // Every listed part must exist as listed before sizes are judged.
    let mut chosen = Vec::with_capacity(listed.len());
    for want in listed {
        let part = stored
            .get(&want.number)
            .filter(|p| p.etag == want.etag)
            .ok_or_else(|| {
                Error::InvalidPart(format!(
                    "part {} was not uploaded or its ETag is not {:?}",
                    want.number, want.etag
                ))
            })?;
        for (alg, value) in &want.checksums {
            if part.checksums.get(*alg) != Some(value.as_str()) {
                return Err(Error::InvalidPart(format!(
                    "the {} checksum of part {} does not match",
                    alg.as_str(),
                    want.number
                )));
            }
        }
        chosen.push((want.number, part));
    }
    let all_but_last = &chosen[..chosen.len().saturating_sub(1)];
    if let Some((number, _)) = all_but_last.iter().find(|(_, p)| p.size < MIN_PART_SIZE) {
        return Err(Error::EntityTooSmall(*number));
    }
    let size = chosen
        .iter()
        .fold(0u64, |acc, (_, p)| acc.saturating_add(p.size));
    let data: Vec<PartData> = chosen
        .iter()
        .map(|(_, p)| PartData {
            id: p.blob,
            size: p.size,
            key: p.encryption.as_ref().and_then(|e| e.key),
            checksum: upload
                .checksum_algorithm
                .and_then(|alg| p.checksums.get(alg))
                .map(str::to_owned),
            tier: p.tier.clone(),
        })
        .collect();
    let part_sums: Vec<(&str, u64)> = match upload.checksum_algorithm {
        Some(alg) => chosen
            .iter()
            .map(|(_, p)| (p.checksums.get(alg).unwrap_or_default(), p.size))
            .collect(),
        None => Vec::new(),
    };
    if size > MAX_OBJECT_SIZE {
        return Err(Error::EntityTooLarge);
    }
    let checksums = match (upload.checksum_algorithm, upload.checksum_type) {
        (Some(alg), Some(kind)) => {
            let value = multipart_checksum(alg, kind, &part_sums).ok_or_else(|| {
                Error::InvalidPart(format!("a part lacks its {} checksum", alg.as_str()))
            })?;
            Checksums {
                values: vec![(alg, value)],
                kind,
            }
        }
        _ => Checksums::default(),
    };
    for (alg, stated) in &completion.checksums {
        let computed = checksums.get(*alg).unwrap_or_default();
        let base = |v: &str| v.split_once('-').map_or(v, |(b, _)| b).to_owned();
        if base(stated) != base(computed) {
            return Err(Error::ChecksumMismatch(alg.as_str()));
        }
    }

    batch.delete(Cf::Uploads, &keys::upload_key(bucket_id, k, seq))?;
    for want in listed {
        stored.remove(&want.number);
        batch.delete(Cf::Parts, &keys::part_key(seq, want.number))?;
    }
    for (number, unused) in &stored {
        batch.delete(Cf::Parts, &keys::part_key(seq, *number))?;
        free_blob(&mut batch, &unused.blob_loc())?;
    }
    let new = NewVersion {
        size,
        etag,
        checksums,
        data: ObjectData::Parts(data),
        opts: PutOptions {
            content: upload.content,
            user_metadata: upload.user_metadata,
            tags: upload.tags,
            storage_class: upload.storage_class,
            owner: upload.owner,
            acl: upload.acl,
            precondition: completion.precondition,
            lock: upload.lock,
            sse: None,
        },
        upload_id: Some(upload_id.to_owned()),
        encryption: upload
            .encryption
            .map(|mode| EncryptionRecord { mode, key: None }),
        event: "ObjectCreated:CompleteMultipartUpload",
    };
    let version = match &replica {
        Some(source) => {
            // A multipart source's ETag is what these parts make; any other
            // (a plain source sent in parts) is the source's to keep.
            let new = NewVersion {
                etag: source.etag.clone().unwrap_or(new.etag),
                ..new
            };
            replica::commit(inner, cause, &locked, key, source, new, batch)?.0
        }
        None => commit_version(inner, cause, &locked, key, new, batch)?,
    };
    inner.gc.wake();
    Ok(version)
}

/// The ETag of a multipart object: the MD5 of the parts' binary MD5s, then `-N`.
fn multipart_etag(listed: &[CompletedPart]) -> Result<String> {
    let mut md5 = Md5::new();
    for part in listed {
        let mut raw = [0u8; 16];
        hex::decode_to_slice(&part.etag, &mut raw).map_err(|_| {
            Error::InvalidPart(format!(
                "part {} has a malformed ETag {:?}",
                part.number, part.etag
            ))
        })?;
        md5.update(raw);
    }
    Ok(format!("{}-{}", hex::encode(md5.finalize()), listed.len()))
}

pub(super) fn list_uploads(
    inner: &Inner,
    bucket: &str,
    query: &UploadsQuery,
) -> Result<UploadsPage> {
    let b = bucket::get(inner, bucket)?;
    let key_marker = query.key_marker.as_deref().map(str::as_bytes);
    let marker_row = key_marker.and_then(|marker| {
        let seq = query.upload_id_marker.as_deref()?.get(..16)?;
        Some(keys::upload_key(
            b.id,
            marker,
            u64::from_str_radix(seq, 16).ok()?,
        ))
    });
    let scan = Scan {
        cf: Cf::Uploads,
        bucket_id: b.id,
        prefix: query.prefix.as_bytes(),
        delimiter: query.delimiter.as_deref().map(str::as_bytes),
        key_marker,
        marker_row,
        max: query.max_uploads,
    };
    let mut page = UploadsPage::default();
    page.is_truncated = keyed_scan::scan(&inner.shared.db, scan, |item| {
        page.entries.push(match item {
            Item::Row { key, value } => UploadEntry::Upload(to_upload(utf8(&key)?, decode(value)?)),
            Item::CommonPrefix(p) => UploadEntry::CommonPrefix(p),
        });
        Ok(())
    })?;
    if page.is_truncated {
        match page.entries.last() {
            Some(UploadEntry::Upload(u)) => {
                page.next_key_marker = Some(u.key.clone());
                page.next_upload_id_marker = Some(u.upload_id.clone());
            }
            Some(UploadEntry::CommonPrefix(p)) => page.next_key_marker = Some(p.clone()),
            None => {}
        }
    }
    Ok(page)
}

fn to_upload(key: String, r: UploadRecord) -> MultipartUpload {
    MultipartUpload {
        key,
        upload_id: r.upload_id,
        initiated: r.initiated,
        storage_class: r.storage_class,
        content: r.content,
        user_metadata: r.user_metadata,
        tags: r.tags,
        owner: r.owner,
        acl: r.acl,
        checksum_algorithm: r.checksum_algorithm,
        checksum_type: r.checksum_type,
        lock: r.lock,
        encryption: r.encryption.as_ref().map(|m| m.view()),
        sse_mode: r.encryption,
    }
}

fn to_part(number: u32, r: PartRecord) -> Part {
    Part {
        number,
        size: r.size,
        etag: r.etag,
        last_modified: r.last_modified,
        checksums: r.checksums,
    }
}
