//! Finding versions of a key, and the public view of stored versions.

use crate::Result;
use crate::meta::records::{DataSummary, ObjectData, VersionRecord, decode};
use crate::meta::{Batch, Cf, MetaDb, keys};
use crate::types::{DataLoc, DataRef, ObjectVersion};

/// The version id S3 clients use for the null version.
const NULL_VERSION_ID: &str = "null";

/// The version id of sequence `seq` in a versioning-enabled bucket.
pub(super) fn version_id_of(seq: u64) -> String {
    format!("{seq:016x}")
}

pub(super) fn parse_version_id(id: &str) -> Option<u64> {
    if id.len() != 16
        || !id
            .bytes()
            .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c))
    {
        return None;
    }
    u64::from_str_radix(id, 16).ok()
}

pub(super) fn read_current(
    db: &MetaDb,
    bucket_id: u64,
    key: &[u8],
) -> Result<Option<VersionRecord>> {
    db.get(Cf::Current, &keys::current_key(bucket_id, key))?
        .map(|raw| decode(&raw))
        .transpose()
}

/// Reads the current version of `key` as [`read_current`] does, and makes
/// `batch` commit only if it is still the current one then: a change that
/// another writer (another gateway) made since fails the batch with
/// [`crate::Error::Conflict`], and the caller reads again. The batch also
/// fails so if the bucket closed meanwhile ([`super::bucket::guard_open`]).
pub(super) fn read_current_guarded(
    db: &MetaDb,
    batch: &mut Batch<'_>,
    bucket_id: u64,
    key: &[u8],
) -> Result<Option<VersionRecord>> {
    super::bucket::guard_open(db, batch, bucket_id)?;
    let row = keys::current_key(bucket_id, key);
    let raw = db.get(Cf::Current, &row)?;
    batch.expect(Cf::Current, &row, raw.as_deref())?;
    raw.map(|raw| decode(&raw)).transpose()
}

/// The version named `version_id` (`"null"` for the null version), if it exists.
pub(super) fn find_version(
    db: &MetaDb,
    bucket_id: u64,
    key: &[u8],
    version_id: &str,
) -> Result<Option<VersionRecord>> {
    if version_id == NULL_VERSION_ID {
        return null_version(db, bucket_id, key, None);
    }
    let Some(seq) = parse_version_id(version_id) else {
        return Ok(None);
    };
    let Some(raw) = db.get(Cf::Versions, &keys::version_key(bucket_id, key, seq))? else {
        return Ok(None);
    };
    let rec: VersionRecord = decode(&raw)?;
    Ok((rec.version_id.as_deref() == Some(version_id)).then_some(rec))
}

/// The null version of `key`: `current` if it is the null one, else found among
/// the key's versions.
pub(super) fn null_version(
    db: &MetaDb,
    bucket_id: u64,
    key: &[u8],
    current: Option<&VersionRecord>,
) -> Result<Option<VersionRecord>> {
    if let Some(cur) = current.filter(|c| c.version_id.is_none()) {
        return Ok(Some(cur.clone()));
    }
    let mut found = None;
    scan_versions(db, bucket_id, key, |raw| {
        let summary: VersionRecord<DataSummary> = decode(raw)?;
        if summary.version_id.is_none() {
            found = Some(decode(raw)?);
            return Ok(false);
        }
        Ok(true)
    })?;
    Ok(found)
}

/// The newest version of `key` (a delete marker can be).
pub(super) fn newest_version(
    db: &MetaDb,
    bucket_id: u64,
    key: &[u8],
) -> Result<Option<VersionRecord>> {
    let mut found = None;
    scan_versions(db, bucket_id, key, |raw| {
        found = Some(decode(raw)?);
        Ok(false)
    })?;
    Ok(found)
}

/// The newest version of `key` other than sequence `skip`.
pub(super) fn newest_version_except(
    db: &MetaDb,
    bucket_id: u64,
    key: &[u8],
    skip: u64,
) -> Result<Option<VersionRecord>> {
    let mut found = None;
    scan_versions(db, bucket_id, key, |raw| {
        let summary: VersionRecord<DataSummary> = decode(raw)?;
        if summary.seq != skip {
            found = Some(decode(raw)?);
            return Ok(false);
        }
        Ok(true)
    })?;
    Ok(found)
}

/// Calls `visit` on each version row of `key`, newest first, while it returns true.
pub(super) fn scan_versions(
    db: &MetaDb,
    bucket_id: u64,
    key: &[u8],
    mut visit: impl FnMut(&[u8]) -> Result<bool>,
) -> Result<()> {
    let prefix = keys::version_key_prefix(bucket_id, key);
    let mut it = db.iter(
        Cf::Versions,
        Some(prefix.clone()),
        keys::prefix_successor(&prefix),
    )?;
    it.seek(&prefix);
    while let Some(raw) = it.value() {
        if !visit(raw)? {
            return Ok(());
        }
        it.next();
    }
    it.status()?;
    Ok(())
}

// ---- conversions ----

/// The public view of a full record.
pub(super) fn to_object_version(key: String, rec: VersionRecord) -> ObjectVersion {
    let loc = match &rec.data {
        ObjectData::None => DataLoc::Unknown,
        ObjectData::Inline(bytes) => DataLoc::Inline(bytes.clone()),
        ObjectData::Blob { id, size, tier } => DataLoc::Blob {
            id: *id,
            size: *size,
            tier: tier.clone(),
        },
        ObjectData::Parts(parts) => DataLoc::Parts(parts.as_slice().into()),
    };
    view(key, rec, loc)
}

/// The public view of a record decoded without its inline content (listings).
pub(super) fn summary_to_object_version(
    key: String,
    bucket_id: u64,
    rec: VersionRecord<DataSummary>,
) -> ObjectVersion {
    let loc = match &rec.data {
        DataSummary::None => DataLoc::Unknown,
        DataSummary::Inline | DataSummary::Parts => DataLoc::Row {
            bucket_id,
            seq: rec.seq,
        },
        DataSummary::Blob { id, size, tier } => DataLoc::Blob {
            id: *id,
            size: *size,
            tier: tier.clone(),
        },
    };
    view(key, rec, loc)
}

fn view<D>(key: String, rec: VersionRecord<D>, loc: DataLoc) -> ObjectVersion {
    ObjectVersion {
        key,
        version_id: rec.version_id,
        is_delete_marker: rec.is_delete_marker,
        last_modified: rec.last_modified,
        size: rec.size,
        etag: rec.etag,
        storage_class: rec.storage_class,
        content: rec.content,
        user_metadata: rec.user_metadata,
        tags: rec.tags,
        checksums: rec.checksums,
        owner: rec.owner,
        acl: rec.acl,
        lock: rec.lock,
        restore: rec.restore,
        replication_status: rec.replication_status,
        tiering: rec.tiering,
        encryption: rec.encryption.as_ref().map(|e| e.mode.view()),
        sse: rec.encryption,
        data: DataRef(loc),
    }
}
