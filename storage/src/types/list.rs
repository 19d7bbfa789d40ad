use super::ObjectVersion;

/// A page request over a bucket's current objects, in UTF-8 binary key order.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub prefix: String,
    pub delimiter: Option<String>,
    /// Only keys (and common prefixes) strictly greater than this are returned
    /// (ListObjects `marker`, V2 `start-after` or the decoded continuation token).
    pub after: Option<String>,
    /// At most this many entries (objects plus common prefixes); 0 returns none.
    pub max_keys: usize,
}

/// One entry of a listing page, in key order.
// Entries live in a page's Vec and are consumed once; boxing the object would
// only add an allocation per entry (and change the type the gateway matches on).
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum ListEntry {
    Object(ObjectVersion),
    CommonPrefix(String),
}

/// One page of a listing.
#[derive(Debug, Clone, Default)]
pub struct ListPage {
    pub entries: Vec<ListEntry>,
    /// More entries follow; continue with `after = next_after`.
    pub is_truncated: bool,
    /// The last key or common prefix of this page, when truncated.
    pub next_after: Option<String>,
}

/// A ListObjectVersions request: every version and delete marker, by key, newest
/// first within a key.
#[derive(Debug, Clone, Default)]
pub struct VersionsQuery {
    pub prefix: String,
    pub delimiter: Option<String>,
    /// Versions of keys after this one, or (with `version_id_marker`) of this key
    /// older than that version.
    pub key_marker: Option<String>,
    pub version_id_marker: Option<String>,
    /// At most this many versions plus common prefixes.
    pub max_keys: usize,
}

/// One entry of a ListObjectVersions page.
#[allow(clippy::large_enum_variant)] // as `ListEntry`
#[derive(Debug, Clone)]
pub enum VersionEntry {
    Version {
        version: ObjectVersion,
        /// The newest version of its key (a delete marker can be).
        is_latest: bool,
    },
    CommonPrefix(String),
}

/// A page of ListObjectVersions.
#[derive(Debug, Clone, Default)]
pub struct VersionsPage {
    pub entries: Vec<VersionEntry>,
    pub is_truncated: bool,
    pub next_key_marker: Option<String>,
    /// `"null"` for the null version.
    pub next_version_id_marker: Option<String>,
}
