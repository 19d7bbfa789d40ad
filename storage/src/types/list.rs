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
