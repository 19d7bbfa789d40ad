//! ListObjectVersions: one ordered scan of the `versions` rows.
//!
//! Rows sort by key, then newest first, so a key's first row is its latest
//! version. Common prefixes are skipped with a seek, as in object listings.

use super::list::{common_prefix, utf8};
use super::versions::{find_version, summary_to_object_version};
use super::{Inner, bucket};
use crate::meta::records::{DataSummary, VersionRecord, decode};
use crate::meta::{Cf, keys};
use crate::types::{VersionEntry, VersionsPage, VersionsQuery};
use crate::{Error, Result};

pub(super) fn list(inner: &Inner, bucket: &str, query: &VersionsQuery) -> Result<VersionsPage> {
    let db = &inner.shared.db;
    let b = bucket::get(inner, bucket)?;
    let mut page = VersionsPage::default();
    if query.max_keys == 0 {
        return Ok(page);
    }
    let prefix = query.prefix.as_bytes();
    let delimiter = query
        .delimiter
        .as_deref()
        .map(str::as_bytes)
        .filter(|d| !d.is_empty());
    let mut start = keys::escaped_key_prefix(b.id, prefix);
    // The row to skip (the version-id marker itself), and the key whose rows are
    // not its latest because the page starts inside it.
    let mut skip_row: Option<Vec<u8>> = None;
    let mut previous_key: Option<Vec<u8>> = None;
    if let Some(marker) = query.key_marker.as_deref().map(str::as_bytes) {
        let marker_version = match query.version_id_marker.as_deref() {
            Some(id) => find_version(db, b.id, marker, id)?,
            None => None,
        };
        let resume = match (
            delimiter.and_then(|d| common_prefix(marker, prefix, d)),
            marker_version,
        ) {
            (Some(cp), _) => match keys::prefix_successor(cp) {
                Some(next) => keys::escaped_key_prefix(b.id, &next),
                None => return Ok(page),
            },
            (None, Some(v)) => {
                let row = keys::version_key(b.id, marker, v.seq);
                skip_row = Some(row.clone());
                previous_key = Some(marker.to_vec());
                row
            }
            (None, None) => match keys::prefix_successor(&keys::version_key_prefix(b.id, marker)) {
                Some(next) => next,
                None => return Ok(page),
            },
        };
        start = start.max(resume);
    }
    let lower = keys::bucket_prefix(b.id).to_vec();
    let mut it = db.iter(Cf::Versions, Some(lower), keys::bucket_upper_bound(b.id))?;
    it.seek(&start);
    while let Some((raw_key, value)) = it.item() {
        if skip_row.as_deref() == Some(raw_key) {
            it.next();
            continue;
        }
        let Some((_, key, _)) = keys::split_version_key(raw_key) else {
            return Err(Error::Corrupt("malformed version row key".into()));
        };
        if !key.starts_with(prefix) {
            break;
        }
        if page.entries.len() == query.max_keys {
            page.is_truncated = true;
            break;
        }
        if let Some(cp) = delimiter.and_then(|d| common_prefix(&key, prefix, d)) {
            page.entries.push(VersionEntry::CommonPrefix(utf8(cp)?));
            match keys::prefix_successor(cp) {
                Some(next) => it.seek(keys::escaped_key_prefix(b.id, &next)),
                None => break,
            }
            continue;
        }
        let is_latest = previous_key.as_deref() != Some(&key[..]);
        let record: VersionRecord<DataSummary> = decode(value)?;
        let version = summary_to_object_version(utf8(&key)?, b.id, record);
        previous_key = Some(key);
        page.entries
            .push(VersionEntry::Version { version, is_latest });
        it.next();
    }
    it.status()?;
    if page.is_truncated {
        match page.entries.last() {
            Some(VersionEntry::Version { version, .. }) => {
                page.next_key_marker = Some(version.key.clone());
                page.next_version_id_marker =
                    Some(version.version_id.clone().unwrap_or_else(|| "null".into()));
            }
            Some(VersionEntry::CommonPrefix(p)) => page.next_key_marker = Some(p.clone()),
            None => {}
        }
    }
    Ok(page)
}
