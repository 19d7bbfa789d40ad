//! Moving blobs between storage tiers.
//!
//! A move copies the blob's stored bytes as they are (chunk headers, CRCs,
//! sealed chunks: encrypted content, SSE-C included, needs no key) into a
//! staged blob of the target tier, syncs and installs it under a new id. The
//! caller commits the record that points at the copy and the old blob's `gc`
//! row in one batch, so a crash at any point leaves the version on the old
//! blob or on the new one, never on a missing one; a copy a crash left
//! uncommitted is an orphan the start-up sweep finds.

use std::sync::Arc;

use super::Inner;
use super::stage::Staged;
use crate::blob::{BlobStore, StagedWrite};
use crate::meta::records::{BlobId, BlobLoc, ObjectData, VersionRecord};
use crate::types::StorageClass;
use crate::{Error, Result};

/// Bytes copied per read.
const COPY_BUFFER: usize = 1024 * 1024;

/// Copies blob `id` of `from` into a new blob of `to`, durably. Returns its id.
pub(super) fn copy_blob(
    from: &Arc<dyn BlobStore>,
    id: BlobId,
    to: &Arc<dyn BlobStore>,
) -> Result<BlobId> {
    let Some(source) = from.open(id)? else {
        return Err(Error::Corrupt(format!("blob {} is missing", id.to_hex())));
    };
    let len = source.len()?;
    let mut staged = to.stage()?;
    let mut buf = vec![0u8; COPY_BUFFER.min(usize::try_from(len).unwrap_or(COPY_BUFFER))];
    let mut at = 0u64;
    while at < len {
        let n = buf
            .len()
            .min(usize::try_from(len - at).unwrap_or(buf.len()));
        source.read_exact_at(&mut buf[..n], at)?;
        staged.append(&buf[..n])?;
        at += n as u64;
    }
    staged.sync()?;
    let copy = BlobId::random();
    staged.install(copy)?;
    Ok(copy)
}

/// Installs a staged blob (staged in the main store) in the tier of `class`
/// under a new id. Outside the main tier it is installed in the main store,
/// copied, and removed there again. The caller holds `install_gate` until the
/// blob's reference commits.
pub(super) fn install_in_class(
    inner: &Inner,
    staged: Box<dyn StagedWrite>,
    class: StorageClass,
) -> Result<BlobLoc> {
    let main = BlobLoc::new(super::object::install(inner, staged)?, None);
    let tier = inner.shared.tiers.for_class(class);
    if tier.is_none() {
        return Ok(main);
    }
    let moved = inner.shared.tiers.store(tier.as_deref()).and_then(|to| {
        copy_blob(inner.shared.tiers.main(), main.id, to).map(|id| BlobLoc::new(id, tier))
    });
    super::object::discard_blob(inner, &main);
    moved
}

/// The data of a new version from what was staged: inline bytes as they are, a
/// staged blob installed in `class`'s tier (whose location is returned too).
/// The caller holds `install_gate`.
pub(super) fn install_staged(
    inner: &Inner,
    content: Staged,
    size: u64,
    class: StorageClass,
) -> Result<(ObjectData, Option<BlobLoc>)> {
    Ok(match content {
        Staged::Inline(bytes) => (ObjectData::Inline(bytes), None),
        Staged::Blob(staged) => {
            let loc = install_in_class(inner, staged, class)?;
            let data = ObjectData::Blob {
                id: loc.id,
                size,
                tier: loc.tier.clone(),
            };
            (data, Some(loc))
        }
    })
}

/// Points `rec` at copies of its blobs in `class`'s tier, for a change of its
/// storage class. Returns the blobs it referenced before (to free in the
/// commit) and the copies (to discard if the commit fails); both are empty
/// when the data is already in that tier or inline. The caller holds
/// `install_gate` until the commit.
pub(super) fn move_data(
    inner: &Inner,
    rec: &mut VersionRecord,
    class: StorageClass,
) -> Result<(Vec<BlobLoc>, Vec<BlobLoc>)> {
    let tiers = &inner.shared.tiers;
    let target = tiers.for_class(class);
    let old = rec.blobs();
    if old
        .iter()
        .all(|b| tiers.same(b.tier.as_deref(), target.as_deref()))
    {
        return Ok((Vec::new(), Vec::new()));
    }
    let to = tiers.store(target.as_deref())?;
    let mut copies: Vec<BlobLoc> = Vec::new();
    let copied = old.iter().try_for_each(|b| {
        let from = tiers.store(b.tier.as_deref())?;
        copies.push(BlobLoc::new(copy_blob(from, b.id, to)?, target.clone()));
        Ok::<_, Error>(())
    });
    if let Err(e) = copied {
        for copy in &copies {
            super::object::discard_blob(inner, copy);
        }
        return Err(e);
    }
    match &mut rec.data {
        ObjectData::Blob { id, tier, .. } => {
            if let Some(copy) = copies.first() {
                *id = copy.id;
                tier.clone_from(&target);
            }
        }
        ObjectData::Parts(parts) => {
            for (part, copy) in parts.iter_mut().zip(&copies) {
                part.id = copy.id;
                part.tier.clone_from(&target);
            }
        }
        ObjectData::None | ObjectData::Inline(_) => {}
    }
    Ok((old, copies))
}
