//! Replicas of SSE-C versions to a bucket of this server. The customer's key
//! is never stored, so the content cannot be read and encrypted again: the
//! replica gets a copy of the stored, still sealed content (blob files copied
//! byte for byte, inline content as is) and the source's encryption record,
//! and opens with the same customer key. Chunks are bound to their content id
//! and data key, not to the blob file, so the copy verifies as the source does.

use super::object::{NewVersion, created_event, discard_blob, discard_uncommitted, lock_key};
use super::versions::find_version;
use super::{Inner, bucket, placement, replica};
use crate::meta::records::{BlobId, BlobLoc, ObjectData, PartData};
use crate::types::{EventCause, ObjectKey, ObjectVersion, PutOptions, ReplicaSource, StorageClass};
use crate::{Error, Result};

/// Writes the replica of `version` (of `source_bucket`) to `bucket_name`, its
/// content copied sealed; `opts` gives what the replica keeps besides.
#[allow(clippy::too_many_arguments)]
pub(super) fn put(
    inner: &Inner,
    cause: &EventCause,
    source_bucket: &str,
    version: &ObjectVersion,
    bucket_name: &str,
    key: &ObjectKey,
    source: &ReplicaSource,
    opts: PutOptions,
) -> Result<ObjectVersion> {
    let b = bucket::get(inner, source_bucket)?;
    let version_id = version.version_id.as_deref().unwrap_or("null");
    let rec = find_version(&inner.shared.db, b.id, version.key.as_bytes(), version_id)?
        .ok_or(Error::NoSuchVersion)?;
    let _installing = inner.shared.install_gate.read();
    let mut copied = Vec::new();
    let data = match copy_data(inner, &rec.data, opts.storage_class, &mut copied) {
        Ok(data) => data,
        Err(e) => {
            for loc in &copied {
                discard_blob(inner, loc);
            }
            return Err(e);
        }
    };
    let in_parts = matches!(data, ObjectData::Parts(_));
    let new = NewVersion {
        size: rec.size,
        etag: rec.etag,
        checksums: rec.checksums,
        data,
        opts,
        upload_id: None,
        encryption: rec.encryption,
        event: created_event(cause),
    };
    let db = &inner.shared.db;
    let result = lock_key(inner, bucket_name, key.as_str().as_bytes())
        .and_then(|locked| replica::commit(inner, cause, &locked, key, source, new, db.batch()));
    match &result {
        // Already there: the copies are not needed (parts were freed with the commit).
        Ok((_, false)) if !in_parts => copied.iter().for_each(|loc| discard_blob(inner, loc)),
        Err(e) => copied
            .iter()
            .for_each(|loc| discard_uncommitted(inner, loc, e)),
        _ => {}
    }
    result.map(|(v, _)| v)
}

/// `data` with each blob copied, as stored, into the tier of `class`; the
/// copies are added to `copied`. The caller holds `install_gate` until their
/// references commit.
fn copy_data(
    inner: &Inner,
    data: &ObjectData,
    class: StorageClass,
    copied: &mut Vec<BlobLoc>,
) -> Result<ObjectData> {
    let tiers = &inner.shared.tiers;
    let target = tiers.for_class(class);
    let to = tiers.store(target.as_deref())?;
    let mut copy = |id: BlobId, tier: &Option<String>| -> Result<BlobLoc> {
        let from = tiers.store(tier.as_deref())?;
        let loc = BlobLoc::new(placement::copy_blob(from, id, to)?, target.clone());
        copied.push(loc.clone());
        Ok(loc)
    };
    Ok(match data {
        ObjectData::None => return Err(Error::NoSuchKey),
        ObjectData::Inline(bytes) => ObjectData::Inline(bytes.clone()),
        ObjectData::Blob { id, size, tier } => {
            let loc = copy(*id, tier)?;
            ObjectData::Blob {
                id: loc.id,
                size: *size,
                tier: loc.tier,
            }
        }
        ObjectData::Parts(parts) => {
            let mut out = Vec::with_capacity(parts.len());
            for part in parts {
                let loc = copy(part.id, &part.tier)?;
                out.push(PartData {
                    id: loc.id,
                    tier: loc.tier,
                    ..part.clone()
                });
            }
            ObjectData::Parts(out)
        }
    })
}
