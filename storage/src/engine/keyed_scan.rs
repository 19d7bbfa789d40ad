//! The page scan shared by ListObjectVersions and ListMultipartUploads.
//!
//! Both walk rows keyed `bucket id ++ escape(key) ++ terminator ++ 8-byte suffix`
//! in key order, with S3's prefix, delimiter, key marker and a second marker
//! naming a row of the marker key to resume after. Common prefixes are skipped
//! with a seek, so a page costs O(page) whatever lies under a prefix.

use super::list::{common_prefix, utf8};
use crate::meta::{Cf, MetaDb, keys};
use crate::{Error, Result};

pub(super) struct Scan<'a> {
    pub cf: Cf,
    pub bucket_id: u64,
    pub prefix: &'a [u8],
    pub delimiter: Option<&'a [u8]>,
    /// Only rows of keys after this one, unless `marker_row` is set.
    pub key_marker: Option<&'a [u8]>,
    /// A row of the marker key: resume after it instead.
    pub marker_row: Option<Vec<u8>>,
    /// At most this many items.
    pub max: usize,
}

/// What a scan hands out, in order.
pub(super) enum Item<'r> {
    Row { key: Vec<u8>, value: &'r [u8] },
    CommonPrefix(String),
}

/// Calls `emit` on each item of the page; returns whether the listing is
/// truncated (more items follow).
pub(super) fn scan(
    db: &MetaDb,
    s: Scan<'_>,
    mut emit: impl FnMut(Item<'_>) -> Result<()>,
) -> Result<bool> {
    if s.max == 0 {
        return Ok(false);
    }
    let delimiter = s.delimiter.filter(|d| !d.is_empty());
    let mut start = keys::escaped_key_prefix(s.bucket_id, s.prefix);
    if let Some(marker) = s.key_marker {
        let resume = match (
            delimiter.and_then(|d| common_prefix(marker, s.prefix, d)),
            &s.marker_row,
        ) {
            // The marker lies in a common prefix already listed: skip all of it.
            (Some(cp), _) => {
                keys::prefix_successor(cp).map(|next| keys::escaped_key_prefix(s.bucket_id, &next))
            }
            (None, Some(row)) => Some(row.clone()),
            (None, None) => keys::prefix_successor(&keys::version_key_prefix(s.bucket_id, marker)),
        };
        let Some(resume) = resume else {
            return Ok(false);
        };
        start = start.max(resume);
    }
    let lower = keys::bucket_prefix(s.bucket_id).to_vec();
    let mut it = db.iter(s.cf, Some(lower), keys::bucket_upper_bound(s.bucket_id))?;
    it.seek(&start);
    let mut emitted = 0;
    while let Some((raw_key, value)) = it.item() {
        if s.marker_row.as_deref() == Some(raw_key) {
            it.next();
            continue;
        }
        let Some((_, key, _)) = keys::split_version_key(raw_key) else {
            return Err(Error::Corrupt(format!("malformed {} row key", s.cf.name())));
        };
        if !key.starts_with(s.prefix) {
            break;
        }
        if emitted == s.max {
            return Ok(true);
        }
        emitted += 1;
        if let Some(cp) = delimiter.and_then(|d| common_prefix(&key, s.prefix, d)) {
            emit(Item::CommonPrefix(utf8(cp)?))?;
            match keys::prefix_successor(cp) {
                Some(next) => it.seek(&keys::escaped_key_prefix(s.bucket_id, &next)),
                None => break,
            }
            continue;
        }
        emit(Item::Row { key, value })?;
        it.next();
    }
    it.status()?;
    Ok(false)
}
