//! ListObjectVersions: one ordered scan of the `versions` rows.
//!
//! Rows sort by key, then newest first, so a key's first row is its latest
//! version.

use super::keyed_scan::{self, Item, Scan};
use super::list::utf8;
use super::versions::{find_version, summary_to_object_version};
use super::{Inner, bucket};
use crate::Result;
use crate::meta::records::{DataSummary, VersionRecord, decode};
use crate::meta::{Cf, keys};
use crate::types::{VersionEntry, VersionsPage, VersionsQuery};

pub(super) fn list(inner: &Inner, bucket: &str, query: &VersionsQuery) -> Result<VersionsPage> {
    let db = &inner.shared.db;
    let b = bucket::get(inner, bucket)?;
    let key_marker = query.key_marker.as_deref().map(str::as_bytes);
    let marker_row = match (key_marker, query.version_id_marker.as_deref()) {
        (Some(marker), Some(id)) => {
            find_version(db, b.id, marker, id)?.map(|v| keys::version_key(b.id, marker, v.seq))
        }
        _ => None,
    };
    // A page that starts inside a key does not start with its latest version.
    let mut previous_key = marker_row.as_ref().and(key_marker).map(<[u8]>::to_vec);
    let scan = Scan {
        cf: Cf::Versions,
        bucket_id: b.id,
        prefix: query.prefix.as_bytes(),
        delimiter: query.delimiter.as_deref().map(str::as_bytes),
        key_marker,
        marker_row,
        max: query.max_keys,
    };
    let mut page = VersionsPage::default();
    page.is_truncated = keyed_scan::scan(db, scan, |item| {
        page.entries.push(match item {
            Item::Row { key, value } => {
                let is_latest = previous_key.as_deref() != Some(&key[..]);
                let record: VersionRecord<DataSummary> = decode(value)?;
                let version = summary_to_object_version(utf8(&key)?, b.id, record);
                previous_key = Some(key);
                VersionEntry::Version { version, is_latest }
            }
            Item::CommonPrefix(p) => VersionEntry::CommonPrefix(p),
        });
        Ok(())
    })?;
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
