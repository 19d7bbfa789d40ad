//! Replicas of SSE-C versions to a bucket of this server. The customer's key
//! is never stored, so the content cannot be read and encrypted again: the
//! replica gets a copy of the stored, still sealed content (blob files copied
//! byte for byte, inline content as is) and the source's encryption record,
//! and opens with the same customer key. Chunks are bound to their content id
//! and data key, not to the blob file, so the copy verifies as the source does.

use std::fs::File;
use std::io;

use super::object::{
    NewVersion, created_event, discard_blob, discard_uncommitted, install, lock_key,
};
use super::stage::TmpFile;
use super::versions::find_version;
use super::{Inner, bucket, replica};
use crate::meta::records::{BlobId, ObjectData, PartData};
use crate::types::{EventCause, ObjectKey, ObjectVersion, PutOptions, ReplicaSource};
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
    let data = match copy_data(inner, &rec.data, &mut copied) {
        Ok(data) => data,
        Err(e) => {
            for id in copied {
                discard_blob(inner, id);
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
        Ok((_, false)) if !in_parts => copied.iter().for_each(|id| discard_blob(inner, *id)),
        Err(e) => copied
            .iter()
            .for_each(|id| discard_uncommitted(inner, *id, e)),
        _ => {}
    }
    result.map(|(v, _)| v)
}

/// `data` with each blob copied; the copies' ids are added to `copied`.
fn copy_data(inner: &Inner, data: &ObjectData, copied: &mut Vec<BlobId>) -> Result<ObjectData> {
    Ok(match data {
        ObjectData::None => return Err(Error::NoSuchKey),
        ObjectData::Inline(bytes) => ObjectData::Inline(bytes.clone()),
        ObjectData::Blob { id, size } => {
            let copy = copy_blob(inner, *id)?;
            copied.push(copy);
            ObjectData::Blob {
                id: copy,
                size: *size,
            }
        }
        ObjectData::Parts(parts) => {
            let mut out = Vec::with_capacity(parts.len());
            for part in parts {
                let copy = copy_blob(inner, part.id)?;
                copied.push(copy);
                out.push(PartData {
                    id: copy,
                    ..part.clone()
                });
            }
            ObjectData::Parts(out)
        }
    })
}

/// A new blob holding the same bytes as blob `id`, durable. The caller holds
/// `install_gate` until its reference commits.
fn copy_blob(inner: &Inner, id: BlobId) -> Result<BlobId> {
    let blobs = &inner.shared.blobs;
    let mut from = File::open(blobs.path(id)).map_err(|e| match e.kind() {
        // Removed since it was looked up: the source version is gone.
        io::ErrorKind::NotFound => Error::NoSuchVersion,
        _ => Error::Io(e),
    })?;
    let (mut to, path) = blobs.create_tmp()?;
    let mut tmp = TmpFile {
        path,
        installed: false,
    };
    io::copy(&mut from, &mut to)?;
    to.sync_all()?;
    install(inner, &mut tmp)
}
