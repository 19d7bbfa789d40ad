//! Objects: put, head, open, delete, tagging.
//!
//! Every change is one synced `WriteBatch` made under the key's stripe lock: the
//! `current` row, the `versions` rows, the `blobs` reference of a new blob and the
//! `gc` row of a replaced one commit together or not at all.

use std::io::Cursor;
use std::ops::Range;
use std::time::SystemTime;

use parking_lot::{MutexGuard, RwLockReadGuard};

use super::encryption::{Unsealing, open_inline};
use super::events::{self, Change};
use super::gc::now_ms;
use super::placement::install_staged;
use super::replication;
use super::versions::{
    find_version, newest_version, newest_version_except, null_version, read_current,
    read_current_guarded, to_object_version, version_id_of,
};
use super::{Inner, ObjectReader, PartsReader, Source, StagedBlob, bucket, lifecycle, read_error};
use crate::blob::{BlobRead, ChunkReader, StagedWrite};
use crate::meta::records::{
    BlobId, BlobLoc, BlobRef, GcRecord, ObjectData, VersionRecord, decode, encode,
};
use crate::meta::{Batch, Cf, keys};
use crate::types::{
    Bucket, Checksums, CustomerKey, DataLoc, DeletePrecondition, Deleted, EncryptionRecord,
    EventCause, EventOrigin, ObjectKey, ObjectLock, ObjectVersion, PutOptions, ReplicationStatus,
    Retention, StorageClass, VersioningState, WritePrecondition,
};
use crate::{Error, Result};

/// A bucket resolved and a key locked for read-modify-write; the bucket cannot
/// be deleted while this is held.
pub(super) struct Locked<'a> {
    pub bucket: Bucket,
    _gate: RwLockReadGuard<'a, ()>,
    _key: MutexGuard<'a, ()>,
}

pub(super) fn lock_key<'a>(inner: &'a Inner, bucket_name: &str, key: &[u8]) -> Result<Locked<'a>> {
    let first = bucket::get(inner, bucket_name)?;
    let gate = inner.locks.bucket_shared(first.id);
    // Re-read under the gate: the bucket may have been deleted (or re-created with a
    // new id) meanwhile, and its versioning state may have changed.
    let bucket = bucket::get(inner, bucket_name)?;
    if bucket.id != first.id {
        return Err(Error::NoSuchBucket);
    }
    let key_guard = inner.locks.key(bucket.id, key);
    Ok(Locked {
        bucket,
        _gate: gate,
        _key: key_guard,
    })
}

/// The fields of a new version besides its key and sequence.
#[derive(Clone)]
pub(super) struct NewVersion {
    pub size: u64,
    pub etag: String,
    pub checksums: Checksums,
    pub data: ObjectData,
    pub opts: PutOptions,
    pub upload_id: Option<String>,
    pub encryption: Option<EncryptionRecord>,
    /// The event type of the creation (`ObjectCreated:Put`, ...).
    pub event: &'static str,
}

/// The event type of an object written by a single request from `cause`.
pub(super) fn created_event(cause: &EventCause) -> &'static str {
    match cause.origin {
        EventOrigin::Post => "ObjectCreated:Post",
        EventOrigin::Copy => "ObjectCreated:Copy",
        EventOrigin::Request | EventOrigin::Lifecycle => "ObjectCreated:Put",
    }
}

pub(super) fn put(
    inner: &Inner,
    cause: &EventCause,
    bucket: &str,
    key: &ObjectKey,
    blob: StagedBlob,
    opts: PutOptions,
) -> Result<ObjectVersion> {
    let shared = &inner.shared;
    bucket::get(inner, bucket)?;
    let StagedBlob {
        size,
        md5,
        checksums,
        content,
        encryption,
    } = blob;
    // Held until the blob's reference commits (or the blob is removed again).
    let _installing = shared.install_gate.read();
    let (data, installed) = install_staged(inner, content, size, opts.storage_class)?;
    let new = NewVersion {
        size,
        etag: hex::encode(md5),
        checksums,
        data,
        opts,
        upload_id: None,
        encryption,
        event: created_event(cause),
    };
    let result = retry_conflicts(|| {
        let locked = lock_key(inner, bucket, key.as_str().as_bytes())?;
        commit_version(
            inner,
            cause,
            &locked,
            key,
            new.clone(),
            inner.shared.db.batch(),
        )
    });
    if let (Err(e), Some(loc)) = (&result, installed) {
        discard_uncommitted(inner, &loc, e);
    }
    result
}

/// Installs a staged blob under a new random id. The caller holds
/// `install_gate` until the blob's reference commits.
pub(super) fn install(inner: &Inner, staged: Box<dyn StagedWrite>) -> Result<BlobId> {
    let id = BlobId::random();
    if let Err(e) = staged.install(id) {
        // A failed install may have left the blob in place.
        discard_blob(inner, &BlobLoc::new(id, None));
        return Err(e.into());
    }
    Ok(id)
}

/// Removes the blob of a change that failed with `e`, unless the failure leaves
/// it unknown whether the change committed (the store failed: its log may hold
/// the commit, to be replayed at the next start). A blob kept that way and not
/// committed is an orphan the start-up sweep removes.
pub(super) fn discard_uncommitted(inner: &Inner, blob: &BlobLoc, e: &Error) {
    if !e.is_store_failure() {
        discard_blob(inner, blob);
    }
}

/// Removes a blob that never got committed; a failure leaves an orphan that the
/// start-up sweep removes.
pub(super) fn discard_blob(inner: &Inner, blob: &BlobLoc) {
    let removed = inner
        .shared
        .tiers
        .store(blob.tier.as_deref())
        .and_then(|store| Ok(store.remove(blob.id)?));
    if let Err(e) = removed {
        tracing::warn!(blob = %blob.id.to_hex(), "cannot remove uncommitted blob: {e}");
    }
}

/// How many times a read-modify-write that lost a race is run again.
const CONFLICT_RETRIES: usize = 16;

/// Runs `attempt` again while it fails with [`Error::Conflict`]: another
/// writer (another gateway on a shared store) changed a row it read between
/// its read and its commit. The key's stripe lock keeps this from happening
/// within one gateway. Gives up with `Conflict` after [`CONFLICT_RETRIES`].
pub(super) fn retry_conflicts<T>(mut attempt: impl FnMut() -> Result<T>) -> Result<T> {
    for _ in 1..CONFLICT_RETRIES {
        match attempt() {
            Err(Error::Conflict) => {}
            done => return done,
        }
    }
    attempt()
}

/// Commits `new` as the current version of `key` together with whatever `batch`
/// already holds, replacing versions as the bucket's versioning state says.
/// Checks `new.opts.precondition` first; the batch commits only if the
/// current version is still the one checked ([`Error::Conflict`] if not).
/// `locked` must hold `key`.
pub(super) fn commit_version(
    inner: &Inner,
    cause: &EventCause,
    locked: &Locked<'_>,
    key: &ObjectKey,
    new: NewVersion,
    mut batch: Batch<'_>,
) -> Result<ObjectVersion> {
    let db = &inner.shared.db;
    let k = key.as_str().as_bytes();
    let bucket = &locked.bucket;
    let current = read_current_guarded(db, &mut batch, bucket.id, k)?;
    check_precondition(new.opts.precondition.as_ref(), current.as_ref())?;
    let now = inner.shared.now();
    let lock = new_version_lock(bucket, new.opts.lock, now)?;
    let seq = inner.seq.next_after(current.as_ref().map(|c| c.seq), db)?;
    let mut record = VersionRecord {
        seq,
        version_id: (bucket.versioning == VersioningState::Enabled).then(|| version_id_of(seq)),
        is_delete_marker: false,
        last_modified: now,
        size: new.size,
        etag: new.etag,
        storage_class: new.opts.storage_class,
        content: new.opts.content,
        user_metadata: new.opts.user_metadata,
        tags: new.opts.tags,
        checksums: new.checksums,
        owner: new.opts.owner,
        acl: new.opts.acl,
        upload_id: new.upload_id,
        lock,
        encryption: new.encryption,
        restore: None,
        replication_status: None,
        tiering: None,
        data: new.data,
    };
    let replication = replication::plan(bucket, key.as_str(), &record, now);
    if !replication.is_empty() {
        record.replication_status = Some(ReplicationStatus::Pending);
    }
    let encoded = encode(&record)?;
    let mut freed = false;
    match bucket.versioning {
        VersioningState::Enabled => {}
        VersioningState::Unversioned => {
            if let Some(old) = &current {
                freed |= remove_version(&mut batch, inner.shared.now(), bucket.id, k, old, false)?;
            }
        }
        VersioningState::Suspended => {
            if let Some(old) = null_version(db, bucket.id, k, current.as_ref())? {
                freed |= remove_version(&mut batch, inner.shared.now(), bucket.id, k, &old, false)?;
            }
        }
    }
    batch.put(Cf::Current, &keys::current_key(bucket.id, k), &encoded)?;
    batch.put(
        Cf::Versions,
        &keys::version_key(bucket.id, k, seq),
        &encoded,
    )?;
    super::usage::count(&mut batch, bucket.id, &record, true)?;
    reference_blobs(&mut batch, bucket.id, &record)?;
    lifecycle::index::after_write(&mut batch, bucket, k, true, now, inner.config.lifecycle.day)?;
    lifecycle::tiering::after_write(
        &mut batch,
        bucket,
        k,
        &record,
        now,
        inner.config.lifecycle.day,
    )?;
    let change = Change {
        name: new.event,
        key: key.as_str(),
        size: Some(record.size),
        etag: Some(&record.etag),
        version_id: record.version_id.as_deref(),
        sequence: seq,
    };
    let notify = events::enqueue(&mut batch, bucket, cause, &change)?;
    replication::enqueue(&mut batch, seq, &replication)?;
    batch.commit()?;
    if freed {
        inner.gc.wake();
    }
    if notify {
        inner.events.notify();
    }
    if !replication.is_empty() {
        inner.replication.notify();
    }
    Ok(to_object_version(key.as_str().to_owned(), record))
}

/// The lock a new version gets: its own settings, with the bucket's default
/// retention (counted from `now`) if it names none. `ObjectLockNotEnabled` if it
/// names any in a bucket without object lock.
pub(super) fn new_version_lock(
    bucket: &Bucket,
    mut lock: ObjectLock,
    now: SystemTime,
) -> Result<ObjectLock> {
    let Some(config) = &bucket.object_lock else {
        return if lock.is_set() {
            Err(Error::ObjectLockNotEnabled)
        } else {
            Ok(lock)
        };
    };
    if lock.retention.is_none()
        && let Some(default) = config.default_retention
    {
        lock.retention = Some(Retention::new(
            default.mode,
            now + default.period.duration(),
        ));
    }
    Ok(lock)
}

fn check_precondition(
    pre: Option<&WritePrecondition>,
    current: Option<&VersionRecord>,
) -> Result<()> {
    match (pre, current) {
        (None, _) => Ok(()),
        (Some(WritePrecondition::IfNoneMatchAny), None) => Ok(()),
        (Some(WritePrecondition::IfNoneMatchAny), Some(_)) => Err(Error::PreconditionFailed),
        (Some(WritePrecondition::IfMatch(_)), None) => Err(Error::NoSuchKey),
        (Some(WritePrecondition::IfMatch(etag)), Some(cur)) => {
            if etag == "*" || *etag == cur.etag {
                Ok(())
            } else {
                Err(Error::PreconditionFailed)
            }
        }
    }
}

/// Adds the removal of version `rec` to `batch`: its row, and its blobs move from
/// referenced to garbage. Returns whether a blob was freed. Every removal of a
/// version comes here, so none escapes object lock: `ObjectLocked` if `rec`'s
/// lock forbids it.
fn remove_version(
    batch: &mut Batch<'_>,
    now: SystemTime,
    bucket_id: u64,
    key: &[u8],
    rec: &VersionRecord,
    bypass_governance: bool,
) -> Result<bool> {
    if !rec.lock.allows_removal(now, bypass_governance) {
        return Err(Error::ObjectLocked);
    }
    batch.delete(Cf::Versions, &keys::version_key(bucket_id, key, rec.seq))?;
    super::usage::count(batch, bucket_id, rec, false)?;
    let blobs = rec.blobs();
    for blob in &blobs {
        free_blob(batch, blob)?;
    }
    Ok(!blobs.is_empty())
}

/// Adds to `batch` that `blob` is no longer referenced and is to be deleted.
pub(super) fn free_blob(batch: &mut Batch<'_>, blob: &BlobLoc) -> Result<()> {
    batch.delete(Cf::Blobs, &blob.id.0)?;
    let gc = GcRecord {
        since_ms: now_ms(),
        tier: blob.tier.clone(),
    };
    batch.put(Cf::Gc, &blob.id.0, &encode(&gc)?)
}

/// Adds to `batch` the `blobs` rows of every blob `record` references.
pub(super) fn reference_blobs(
    batch: &mut Batch<'_>,
    bucket_id: u64,
    record: &VersionRecord,
) -> Result<()> {
    for blob in record.blobs() {
        let row = BlobRef {
            bucket_id,
            tier: blob.tier,
        };
        batch.put(Cf::Blobs, &blob.id.0, &encode(&row)?)?;
    }
    Ok(())
}

pub(super) fn head(
    inner: &Inner,
    bucket: &str,
    key: &str,
    version_id: Option<&str>,
) -> Result<ObjectVersion> {
    let db = &inner.shared.db;
    let b = bucket::get(inner, bucket)?;
    let k = key.as_bytes();
    let rec = match version_id {
        None => match read_current(db, b.id, k)? {
            Some(rec) => rec,
            None if b.versioning == VersioningState::Unversioned => return Err(Error::NoSuchKey),
            // The newest version may be a delete marker: S3 says so in the 404.
            None => {
                return Err(match newest_version(db, b.id, k)? {
                    Some(v) if v.is_delete_marker => Error::DeleteMarker {
                        version_id: v.version_id,
                    },
                    _ => Error::NoSuchKey,
                });
            }
        },
        Some(v) => find_version(db, b.id, k, v)?.ok_or(Error::NoSuchVersion)?,
    };
    Ok(to_object_version(key.to_owned(), rec))
}

/// Opens `version` for reading, verifying the first chunks of the range (the
/// whole of an inline object) before returning: most damage fails here, with
/// `Corrupt` naming the object, before a caller has sent anything.
pub(super) fn open(
    inner: &Inner,
    bucket: &str,
    version: &ObjectVersion,
    range: Option<Range<u64>>,
    customer_key: Option<&CustomerKey>,
) -> Result<ObjectReader> {
    let now = inner.shared.now();
    let tiered_archive = version.storage_class == StorageClass::IntelligentTiering
        && version.tiering.is_some_and(|t| t.tier.is_archive());
    let archived = version.storage_class.is_archive() || tiered_archive;
    if archived && !version.restore.is_some_and(|r| r.readable(now)) {
        return Err(Error::InvalidObjectState(
            "The operation is not valid for the object's storage class",
        ));
    }
    inner
        .accesses
        .note(bucket, version, now, inner.config.lifecycle.day);
    let object = format!(
        "object {bucket}/{} version {}",
        version.key,
        version.version_id.as_deref().unwrap_or("null")
    );
    match open_source(inner, bucket, version, range, customer_key) {
        Ok(source) => Ok(ObjectReader { source, object }),
        Err(Error::Corrupt(msg)) => Err(Error::Corrupt(format!("{object}: {msg}"))),
        Err(e) => Err(e),
    }
}

/// Whether inline content still matches its ETag, the MD5 of the content of a
/// single PUT (the only way an object is stored inline). An ETag that is not an
/// MD5 (none is today) is not checked.
pub(super) fn inline_intact(content: &[u8], etag: &str) -> bool {
    use md5::{Digest, Md5};
    let mut stored = [0u8; 16];
    if hex::decode_to_slice(etag, &mut stored).is_err() {
        return true;
    }
    Md5::digest(content).as_slice() == stored
}

fn open_source(
    inner: &Inner,
    bucket: &str,
    version: &ObjectVersion,
    range: Option<Range<u64>>,
    customer_key: Option<&CustomerKey>,
) -> Result<Source> {
    let db = &inner.shared.db;
    let (data, encryption) = match &version.data.0 {
        DataLoc::Inline(bytes) => (ObjectData::Inline(bytes.clone()), version.sse.clone()),
        DataLoc::Blob { id, size, tier } => (
            ObjectData::Blob {
                id: *id,
                size: *size,
                tier: tier.clone(),
            },
            version.sse.clone(),
        ),
        DataLoc::Parts(parts) => (ObjectData::Parts(parts.to_vec()), version.sse.clone()),
        DataLoc::Row { bucket_id, seq } => {
            let row = keys::version_key(*bucket_id, version.key.as_bytes(), *seq);
            match db.get(Cf::Versions, &row)? {
                Some(raw) => {
                    let rec = decode::<VersionRecord>(&raw)?;
                    (rec.data, rec.encryption)
                }
                None => return Err(Error::NoSuchKey),
            }
        }
        DataLoc::Unknown => {
            let b = bucket::get(inner, bucket)?;
            let k = version.key.as_bytes();
            let rec = match &version.version_id {
                None => read_current(db, b.id, k)?,
                Some(v) => find_version(db, b.id, k, v)?,
            };
            let rec = rec.ok_or(Error::NoSuchKey)?;
            (rec.data, rec.encryption)
        }
    };
    let unsealing = match &encryption {
        Some(enc) => Some(Unsealing::resolve(inner, &enc.mode, customer_key)?),
        None if customer_key.is_some() => return Err(Error::SseNotApplicable),
        None => None,
    };
    let single_cipher = || match (&unsealing, &encryption) {
        (Some(u), Some(enc)) => u.cipher(enc.key.as_ref()).map(Some),
        _ => Ok(None),
    };
    let clamp = |size: u64| {
        let r = range.clone().unwrap_or(0..size);
        let end = r.end.min(size);
        r.start.min(end)..end
    };
    let source = match data {
        ObjectData::None => return Err(Error::NoSuchKey),
        ObjectData::Inline(bytes) => {
            let bytes = match single_cipher()? {
                Some(cipher) => bytes::Bytes::from(open_inline(&cipher, &bytes, version.size)?),
                None if !inline_intact(&bytes, &version.etag) => {
                    return Err(Error::Corrupt(
                        "inline content does not match its MD5".into(),
                    ));
                }
                None => bytes,
            };
            let r = clamp(bytes.len() as u64);
            Source::Inline(Cursor::new(bytes.slice(r.start as usize..r.end as usize)))
        }
        ObjectData::Blob { id, size, tier } => {
            let blob = open_blob(inner, &BlobLoc::new(id, tier))?;
            Source::Chunks(
                ChunkReader::open_with(blob, id.to_hex(), size, clamp(size), single_cipher()?)
                    .map_err(read_error)?,
            )
        }
        ObjectData::Parts(parts) => {
            let total = parts.iter().map(|p| p.size).sum();
            let range = clamp(total);
            // Every part the range touches is opened now: a concurrent overwrite
            // cannot take its files away from this reader later.
            let mut pieces = Vec::new();
            let mut offset = 0;
            for part in parts {
                let (start, end) = (offset, offset + part.size);
                offset = end;
                if end <= range.start || start >= range.end || part.size == 0 {
                    continue;
                }
                let local = range.start.max(start) - start..range.end.min(end) - start;
                let cipher = match &unsealing {
                    Some(u) => Some(u.cipher(part.key.as_ref())?),
                    None => None,
                };
                let blob = open_blob(inner, &BlobLoc::new(part.id, part.tier.clone()))?;
                pieces.push((blob, part, local, cipher));
            }
            Source::Parts(PartsReader::open(pieces).map_err(read_error)?)
        }
    };
    Ok(source)
}

/// Opens a blob: `NoSuchKey` if it went with a replaced version, `Corrupt`
/// if it is missing while still referenced.
fn open_blob(inner: &Inner, loc: &BlobLoc) -> Result<Box<dyn BlobRead>> {
    let store = inner.shared.tiers.store(loc.tier.as_deref())?;
    match store.open(loc.id)? {
        Some(blob) => Ok(blob),
        None => Err(if inner.shared.db.get(Cf::Blobs, &loc.id.0)?.is_some() {
            Error::Corrupt(format!("blob {} is missing", loc.id.to_hex()))
        } else {
            Error::NoSuchKey
        }),
    }
}

pub(super) fn delete(
    inner: &Inner,
    cause: &EventCause,
    bucket: &str,
    key: &str,
    version_id: Option<&str>,
    bypass_governance: bool,
    precondition: &DeletePrecondition,
) -> Result<Deleted> {
    let removal = Removal {
        cause,
        version_id,
        bypass_governance,
        precondition,
        index: true,
    };
    retry_conflicts(|| {
        let locked = lock_key(inner, bucket, key.as_bytes())?;
        delete_locked(inner, &locked, key, &removal)
    })
}

/// What [`delete_locked`] removes, and how.
pub(super) struct Removal<'a> {
    /// Who or what removes: the event it sends says so.
    pub cause: &'a EventCause,
    pub version_id: Option<&'a str>,
    pub bypass_governance: bool,
    pub precondition: &'a DeletePrecondition,
    /// Whether the lifecycle index learns of the change (the lifecycle worker,
    /// which indexes the key itself afterwards, says no).
    pub index: bool,
}

/// Deletes as [`delete`] does, with the key already locked: the one removal
/// path of S3 deletes and of the lifecycle worker, so object lock holds for both.
pub(super) fn delete_locked(
    inner: &Inner,
    locked: &Locked<'_>,
    key: &str,
    removal: &Removal<'_>,
) -> Result<Deleted> {
    let Removal {
        cause,
        version_id,
        bypass_governance,
        precondition,
        index,
    } = *removal;
    let db = &inner.shared.db;
    let k = key.as_bytes();
    let b = &locked.bucket;
    let mut batch = db.batch();
    let current = read_current_guarded(db, &mut batch, b.id, k)?;
    if !precondition.is_empty() {
        check_delete_precondition(inner, b.id, k, precondition, current.as_ref())?;
    }
    let current_row = keys::current_key(b.id, k);
    let mut freed = false;
    let mut outcome = Deleted::default();
    // What the event says was removed: the version's id, or the marker's.
    let removed_version: Option<String>;
    // Only a new delete marker is replicated: removing a version is not (S3's rule).
    let mut replicate = Vec::new();
    match (version_id, b.versioning) {
        (Some(vid), _) => {
            let Some(target) = find_version(db, b.id, k, vid)? else {
                return Ok(Deleted {
                    version_id: Some(vid.to_owned()),
                    delete_marker: false,
                });
            };
            outcome = Deleted {
                version_id: Some(vid.to_owned()),
                delete_marker: target.is_delete_marker,
            };
            removed_version = target.version_id.clone();
            freed |= remove_version(
                &mut batch,
                inner.shared.now(),
                b.id,
                k,
                &target,
                bypass_governance,
            )?;
            // Removing the newest version exposes the next one to plain GETs (or
            // nothing, if that is a delete marker).
            let next = newest_version_except(db, b.id, k, target.seq)?;
            if next.as_ref().is_none_or(|n| n.seq < target.seq) {
                match next {
                    Some(v) if !v.is_delete_marker => {
                        batch.put(Cf::Current, &current_row, &encode(&v)?)?
                    }
                    // No tombstone where there is no row: listings would walk it.
                    _ if current.is_some() => batch.delete(Cf::Current, &current_row)?,
                    _ => {}
                }
            }
        }
        (None, VersioningState::Unversioned) => {
            let Some(cur) = current else {
                return Ok(outcome);
            };
            batch.delete(Cf::Current, &current_row)?;
            freed |= remove_version(
                &mut batch,
                inner.shared.now(),
                b.id,
                k,
                &cur,
                bypass_governance,
            )?;
            removed_version = cur.version_id.clone();
        }
        (None, state) => {
            let seq = inner.seq.next_after(current.as_ref().map(|c| c.seq), db)?;
            let version_id = if state == VersioningState::Enabled {
                Some(version_id_of(seq))
            } else {
                // Suspended: the null delete marker replaces the null version.
                if let Some(old) = null_version(db, b.id, k, current.as_ref())? {
                    freed |= remove_version(
                        &mut batch,
                        inner.shared.now(),
                        b.id,
                        k,
                        &old,
                        bypass_governance,
                    )?;
                }
                None
            };
            let mut marker =
                VersionRecord::delete_marker(seq, version_id, inner.shared.now(), b.owner.clone());
            // Markers a lifecycle rule adds are not replicated (S3's rule).
            if cause.origin != EventOrigin::Lifecycle {
                replicate = replication::plan(b, key, &marker, inner.shared.now());
            }
            if !replicate.is_empty() {
                marker.replication_status = Some(ReplicationStatus::Pending);
            }
            replication::enqueue(&mut batch, seq, &replicate)?;
            outcome = Deleted {
                version_id: Some(marker.version_id.clone().unwrap_or_else(|| "null".into())),
                delete_marker: true,
            };
            batch.put(
                Cf::Versions,
                &keys::version_key(b.id, k, seq),
                &encode(&marker)?,
            )?;
            if current.is_some() {
                batch.delete(Cf::Current, &current_row)?;
            }
            removed_version = marker.version_id;
        }
    }
    if index {
        let day = inner.config.lifecycle.day;
        lifecycle::index::after_write(&mut batch, b, k, false, inner.shared.now(), day)?;
    }
    let mut notify = false;
    if b.notification.is_some() {
        let lifecycle = cause.origin == EventOrigin::Lifecycle;
        let name = match (outcome.delete_marker && version_id.is_none(), lifecycle) {
            (true, false) => "ObjectRemoved:DeleteMarkerCreated",
            (true, true) => "LifecycleExpiration:DeleteMarkerCreated",
            (false, false) => "ObjectRemoved:Delete",
            (false, true) => "LifecycleExpiration:Delete",
        };
        let change = Change {
            name,
            key,
            size: None,
            etag: None,
            version_id: removed_version.as_deref(),
            sequence: inner.seq.next(db)?,
        };
        notify = events::enqueue(&mut batch, b, cause, &change)?;
    }
    batch.commit()?;
    if freed {
        inner.gc.wake();
    }
    if notify {
        inner.events.notify();
    }
    if !replicate.is_empty() {
        inner.replication.notify();
    }
    Ok(outcome)
}

/// A conditional delete needs a current version that satisfies `precondition`:
/// `PreconditionFailed` if it does not, or if the newest version is a delete
/// marker; `NoSuchKey` if the key has no version at all.
fn check_delete_precondition(
    inner: &Inner,
    bucket_id: u64,
    key: &[u8],
    precondition: &DeletePrecondition,
    current: Option<&VersionRecord>,
) -> Result<()> {
    match current {
        Some(cur) if precondition.holds(&cur.etag, cur.last_modified, cur.size) => Ok(()),
        Some(_) => Err(Error::PreconditionFailed),
        None if newest_version(&inner.shared.db, bucket_id, key)?.is_some() => {
            Err(Error::PreconditionFailed)
        }
        None => Err(Error::NoSuchKey),
    }
}

/// Changes the current (or given) version's metadata in place with `change`,
/// which sees the bucket and may refuse. `NoSuchKey` for a delete marker.
/// With `event`, the change is an event of that type (`ObjectTagging:Put`, ...)
/// caused by `cause`.
pub(super) fn update_version(
    inner: &Inner,
    event: Option<(&'static str, &EventCause)>,
    bucket: &str,
    key: &str,
    version_id: Option<&str>,
    change: impl FnOnce(&Bucket, &mut VersionRecord) -> Result<()>,
) -> Result<ObjectVersion> {
    let db = &inner.shared.db;
    let k = key.as_bytes();
    let locked = lock_key(inner, bucket, k)?;
    let b = &locked.bucket;
    let mut batch = db.batch();
    let current = read_current_guarded(db, &mut batch, b.id, k)?;
    let mut target = match version_id {
        None => current.clone().ok_or(Error::NoSuchKey)?,
        Some(v) => find_version(db, b.id, k, v)?.ok_or(Error::NoSuchVersion)?,
    };
    if target.is_delete_marker {
        return Err(Error::NoSuchKey);
    }
    let kept = (target.tags.clone(), target.lock);
    let restore_before = target.restore;
    change(b, &mut target)?;
    // Replicas keep tags and lock settings: a change to them goes out again,
    // and a change to a replica goes back where its bucket's rules say so.
    let resend = match target.replication_status {
        _ if target.tags == kept.0 && target.lock == kept.1 => Vec::new(),
        Some(ReplicationStatus::Replica) => {
            replication::plan_modification(b, key, &target, inner.shared.now())
        }
        Some(_) => replication::plan(b, key, &target, inner.shared.now()),
        None => Vec::new(),
    };
    if !resend.is_empty() && target.replication_status != Some(ReplicationStatus::Replica) {
        target.replication_status = Some(ReplicationStatus::Pending);
    }
    let encoded = encode(&target)?;
    batch.put(
        Cf::Versions,
        &keys::version_key(b.id, k, target.seq),
        &encoded,
    )?;
    if current.is_some_and(|c| c.seq == target.seq) {
        batch.put(Cf::Current, &keys::current_key(b.id, k), &encoded)?;
    }
    replication::enqueue(&mut batch, target.seq, &resend)?;
    // Tags may bring the version into a rule's filter.
    let day = inner.config.lifecycle.day;
    lifecycle::index::after_write(&mut batch, b, k, false, inner.shared.now(), day)?;
    // A new or extended restore: the worker announces its end (and its copy's).
    if let Some(r) = target.restore.filter(|r| Some(*r) != restore_before) {
        let at = if r.completed { r.expires } else { r.ready_at };
        lifecycle::index::put_key(&mut batch, b, k, at)?;
    }
    let mut notify = false;
    if let Some((name, cause)) = event.filter(|_| b.notification.is_some()) {
        let change = Change {
            name,
            key,
            size: Some(target.size),
            etag: Some(&target.etag),
            version_id: target.version_id.as_deref(),
            sequence: inner.seq.next(db)?,
        };
        notify = events::enqueue(&mut batch, b, cause, &change)?;
    }
    batch.commit()?;
    if notify {
        inner.events.notify();
    }
    if !resend.is_empty() {
        inner.replication.notify();
    }
    Ok(to_object_version(key.to_owned(), target))
}
