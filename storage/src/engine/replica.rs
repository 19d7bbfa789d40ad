//! Writing replicas: versions and delete markers that keep their source's
//! version id and last-modified time.
//!
//! A replica's version id is its source's, so its row sits at the sequence
//! that id names and versions of a key keep their source's order, whatever
//! order replicas arrive in; it becomes current only if it is the newest. The
//! engine's sequencer is moved past every sequence a replica brings, so no
//! later local version takes it. Writing the same replica again (replication
//! delivers at least once, and sends a version again when its tags or lock
//! settings change) changes nothing but those.

use super::events::{self, Change};
use super::object::{
    Locked, NewVersion, created_event, discard_blob, discard_uncommitted, free_blob, lock_key,
    new_version_lock, reference_blobs,
};
use super::placement::install_staged;
use super::versions::{newest_version, parse_version_id, read_current, to_object_version};
use super::{Inner, StagedBlob, bucket, lifecycle};
use crate::meta::records::{BlobLoc, ObjectData, VersionRecord, decode, encode};
use crate::meta::{Batch, Cf, keys};
use crate::types::{
    AccessTier, Bucket, EventCause, ObjectKey, ObjectVersion, PutOptions, ReplicaSource,
    ReplicationStatus, StorageClass, TierState, VersioningState,
};
use crate::{Error, Result};

/// The sequence a replica's version id names; replicas need versioning.
fn replica_seq(bucket: &Bucket, version_id: Option<&str>) -> Result<u64> {
    if bucket.versioning != VersioningState::Enabled {
        return Err(Error::InvalidReplica(
            "Destination bucket must have versioning enabled.",
        ));
    }
    version_id
        .and_then(parse_version_id)
        .ok_or(Error::InvalidReplica(
            "The replica's version id is not one this server can keep.",
        ))
}

/// What is at a replica's row already: `Ok(Some)` the same version (a
/// replica sent again, or the source of a replica sending a change back),
/// `Ok(None)` nothing, `Err` another version with that id.
fn existing(
    inner: &Inner,
    bucket: &Bucket,
    key: &[u8],
    seq: u64,
    marker: bool,
    etag: &str,
) -> Result<Option<VersionRecord>> {
    let row = keys::version_key(bucket.id, key, seq);
    let Some(raw) = inner.shared.db.get(Cf::Versions, &row)? else {
        return Ok(None);
    };
    let rec: VersionRecord = decode(&raw)?;
    let replica = rec.replication_status == Some(ReplicationStatus::Replica);
    let same = rec.is_delete_marker == marker && (marker || rec.etag == etag);
    // A marker comes back only from a replica of it; a version may come back
    // from its own replica (ReplicaModifications).
    if same && (replica || !marker) {
        Ok(Some(rec))
    } else {
        Err(Error::InvalidReplica(
            "A different version with this version id exists in the destination bucket.",
        ))
    }
}

/// Stores `blob` as the replica of `source` under `key`, with `opts`.
pub(super) fn put(
    inner: &Inner,
    cause: &EventCause,
    bucket_name: &str,
    key: &ObjectKey,
    source: &ReplicaSource,
    blob: StagedBlob,
    opts: PutOptions,
) -> Result<ObjectVersion> {
    let b = bucket::get(inner, bucket_name)?;
    replica_seq(&b, source.version_id.as_deref())?;
    let StagedBlob {
        size,
        md5,
        checksums,
        content,
        encryption,
    } = blob;
    let etag = match &source.etag {
        // Only an ETag that cannot be an MD5 may differ from the content's.
        Some(etag) if etag.contains('-') => etag.clone(),
        _ => hex::encode(md5),
    };
    let _installing = inner.shared.install_gate.read();
    let (data, installed) = install_staged(inner, content, size, opts.storage_class)?;
    let new = NewVersion {
        size,
        etag,
        checksums,
        data,
        opts,
        upload_id: None,
        encryption,
        event: created_event(cause),
    };
    let db = &inner.shared.db;
    let result = lock_key(inner, bucket_name, key.as_str().as_bytes())
        .and_then(|locked| commit(inner, cause, &locked, key, source, new, db.batch()));
    match (&result, installed) {
        // Already there: this copy is not needed.
        (Ok((_, false)), Some(loc)) => discard_blob(inner, &loc),
        (Err(e), Some(loc)) => discard_uncommitted(inner, &loc, e),
        _ => {}
    }
    result.map(|(v, _)| v)
}

/// Commits a replica version together with whatever `batch` holds; whether
/// it stored `new`'s data (false: the replica was there already, and part
/// blobs `new` refers to are freed in the same batch). `locked` holds `key`.
pub(super) fn commit(
    inner: &Inner,
    cause: &EventCause,
    locked: &Locked<'_>,
    key: &ObjectKey,
    source: &ReplicaSource,
    new: NewVersion,
    mut batch: Batch<'_>,
) -> Result<(ObjectVersion, bool)> {
    let db = &inner.shared.db;
    let b = &locked.bucket;
    let k = key.as_str().as_bytes();
    let seq = replica_seq(b, source.version_id.as_deref())?;
    if let Some(rec) = existing(inner, b, k, seq, false, &new.etag)? {
        if let ObjectData::Parts(parts) = &new.data {
            for part in parts {
                free_blob(&mut batch, &BlobLoc::new(part.id, part.tier.clone()))?;
            }
        }
        let rec = refresh(inner, b, k, rec, &new.opts, batch)?;
        return Ok((to_object_version(key.as_str().to_owned(), rec), false));
    }
    inner.seq.observe(seq, db)?;
    let lock = new_version_lock(b, new.opts.lock, inner.shared.now())?;
    let record = VersionRecord {
        seq,
        version_id: source.version_id.clone(),
        is_delete_marker: false,
        last_modified: source.last_modified,
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
        replication_status: Some(ReplicationStatus::Replica),
        // A replica is new here: Intelligent-Tiering counts from its arrival.
        tiering: (new.opts.storage_class == StorageClass::IntelligentTiering).then(|| TierState {
            tier: AccessTier::FrequentAccess,
            last_access: Some(inner.shared.now()),
        }),
        data: new.data,
    };
    let encoded = encode(&record)?;
    batch.put(Cf::Versions, &keys::version_key(b.id, k, seq), &encoded)?;
    if newest_version(db, b.id, k)?.is_none_or(|n| n.seq < seq) {
        batch.put(Cf::Current, &keys::current_key(b.id, k), &encoded)?;
    }
    super::usage::count(&mut batch, b.id, &record, true)?;
    let (now, day) = (inner.shared.now(), inner.config.lifecycle.day);
    lifecycle::tiering::after_write(&mut batch, b, k, &record, now, day)?;
    reference_blobs(&mut batch, b.id, &record)?;
    let change = Change {
        name: new.event,
        key: key.as_str(),
        size: Some(record.size),
        etag: Some(&record.etag),
        version_id: record.version_id.as_deref(),
        sequence: seq,
    };
    finish(inner, b, k, batch, cause, &change)?;
    Ok((to_object_version(key.as_str().to_owned(), record), true))
}

/// A replica sent again: the source's tags or lock settings may have changed
/// since (the content cannot have, its version id and ETag being the same).
/// Commits `batch` with the change, if it holds anything.
fn refresh(
    inner: &Inner,
    b: &Bucket,
    k: &[u8],
    mut rec: VersionRecord,
    opts: &PutOptions,
    mut batch: Batch<'_>,
) -> Result<VersionRecord> {
    if rec.tags == opts.tags && rec.lock == opts.lock {
        if !batch.is_empty() {
            batch.commit()?;
            inner.gc.wake();
        }
        return Ok(rec);
    }
    rec.tags = opts.tags.clone();
    rec.lock = opts.lock;
    let db = &inner.shared.db;
    let encoded = encode(&rec)?;
    batch.put(Cf::Versions, &keys::version_key(b.id, k, rec.seq), &encoded)?;
    if read_current(db, b.id, k)?.is_some_and(|c| c.seq == rec.seq) {
        batch.put(Cf::Current, &keys::current_key(b.id, k), &encoded)?;
    }
    let now = inner.shared.now();
    lifecycle::index::after_write(&mut batch, b, k, false, now, inner.config.lifecycle.day)?;
    batch.commit()?;
    inner.gc.wake();
    Ok(rec)
}

/// Adds the replica of delete marker `source` to `key`.
pub(super) fn put_marker(
    inner: &Inner,
    cause: &EventCause,
    bucket_name: &str,
    key: &str,
    source: &ReplicaSource,
) -> Result<()> {
    let db = &inner.shared.db;
    let k = key.as_bytes();
    let locked = lock_key(inner, bucket_name, k)?;
    let b = &locked.bucket;
    let seq = replica_seq(b, source.version_id.as_deref())?;
    if existing(inner, b, k, seq, true, "")?.is_some() {
        return Ok(());
    }
    inner.seq.observe(seq, db)?;
    let marker = VersionRecord {
        replication_status: Some(ReplicationStatus::Replica),
        ..VersionRecord::delete_marker(
            seq,
            source.version_id.clone(),
            source.last_modified,
            b.owner.clone(),
        )
    };
    let mut batch = db.batch();
    batch.put(
        Cf::Versions,
        &keys::version_key(b.id, k, seq),
        &encode(&marker)?,
    )?;
    let newest = newest_version(db, b.id, k)?;
    if newest.is_none_or(|n| n.seq < seq) && read_current(db, b.id, k)?.is_some() {
        batch.delete(Cf::Current, &keys::current_key(b.id, k))?;
    }
    let change = Change {
        name: "ObjectRemoved:DeleteMarkerCreated",
        key,
        size: None,
        etag: None,
        version_id: marker.version_id.as_deref(),
        sequence: seq,
    };
    finish(inner, b, k, batch, cause, &change)
}

/// Indexes the key for lifecycle, queues the destination's own events and
/// commits.
fn finish(
    inner: &Inner,
    b: &Bucket,
    k: &[u8],
    mut batch: Batch<'_>,
    cause: &EventCause,
    change: &Change<'_>,
) -> Result<()> {
    let now = inner.shared.now();
    lifecycle::index::after_write(&mut batch, b, k, true, now, inner.config.lifecycle.day)?;
    let notify = events::enqueue(&mut batch, b, cause, change)?;
    batch.commit()?;
    if notify {
        inner.events.notify();
    }
    Ok(())
}
