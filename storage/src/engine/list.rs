//! Listing a bucket's current objects, one page at a time.

use super::versions::summary_to_object_version;
use super::{Inner, bucket};
use crate::meta::records::{DataSummary, VersionRecord, decode};
use crate::meta::{Cf, keys};
use crate::types::{ListEntry, ListPage, ListQuery};
use crate::{Error, Result};

pub(super) fn list(inner: &Inner, bucket: &str, query: &ListQuery) -> Result<ListPage> {
    let b = bucket::get(inner, bucket)?;
    if query.max_keys == 0 {
        return Ok(ListPage::default());
    }
    let prefix = query.prefix.as_bytes();
    let delimiter = query
        .delimiter
        .as_deref()
        .map(str::as_bytes)
        .filter(|d| !d.is_empty());
    let bucket_prefix = keys::bucket_prefix(b.id);
    let with_bucket = |k: &[u8]| keys::current_key(b.id, k);

    // The first key that can yield an entry greater than `after`.
    let mut start = prefix.to_vec();
    if let Some(after) = query.after.as_deref().map(str::as_bytes) {
        let resume = match delimiter.and_then(|d| common_prefix(after, prefix, d)) {
            // `after` lies inside a common prefix that is itself <= after: skip all of it.
            Some(cp) => match keys::prefix_successor(cp) {
                Some(s) => s,
                None => return Ok(ListPage::default()),
            },
            None => [after, &[0u8][..]].concat(),
        };
        start = start.max(resume);
    }
    let upper = match keys::prefix_successor(prefix) {
        Some(p) => Some(with_bucket(&p)),
        None => keys::bucket_upper_bound(b.id),
    };
    let mut it = inner
        .shared
        .db
        .iter(Cf::Current, Some(bucket_prefix.to_vec()), upper)?;
    it.seek(&with_bucket(&start));

    let mut page = ListPage::default();
    while let Some((raw_key, value)) = it.item() {
        let Some(key) = raw_key.strip_prefix(&bucket_prefix[..]) else {
            break;
        };
        if key.is_empty() {
            // The bucket's closing row (see `bucket::guard_open`).
            it.next();
            continue;
        }
        if !key.starts_with(prefix) {
            break;
        }
        if page.entries.len() == query.max_keys {
            page.is_truncated = true;
            break;
        }
        if let Some(cp) = delimiter.and_then(|d| common_prefix(key, prefix, d)) {
            page.entries.push(ListEntry::CommonPrefix(utf8(cp)?));
            // Seek past every key under the common prefix instead of walking them.
            match keys::prefix_successor(cp) {
                Some(next) => it.seek(&with_bucket(&next)),
                None => break,
            }
            continue;
        }
        let record: VersionRecord<DataSummary> = decode(value)?;
        page.entries
            .push(ListEntry::Object(summary_to_object_version(
                utf8(key)?,
                b.id,
                record,
            )));
        it.next();
    }
    it.status()?;
    if page.is_truncated {
        page.next_after = page.entries.last().map(|e| match e {
            ListEntry::Object(v) => v.key.clone(),
            ListEntry::CommonPrefix(p) => p.clone(),
        });
    }
    Ok(page)
}

/// The common prefix `key` rolls up into: `key` up to and including the first
/// `delimiter` after `prefix`, if `key` starts with `prefix` and has one.
pub(super) fn common_prefix<'k>(
    key: &'k [u8],
    prefix: &[u8],
    delimiter: &[u8],
) -> Option<&'k [u8]> {
    let rest = key.strip_prefix(prefix)?;
    let at = rest.windows(delimiter.len()).position(|w| w == delimiter)?;
    key.get(..prefix.len() + at + delimiter.len())
}

pub(super) fn utf8(raw: &[u8]) -> Result<String> {
    String::from_utf8(raw.to_vec()).map_err(|_| Error::Corrupt("object key is not UTF-8".into()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::collections::BTreeSet;

    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};

    use super::common_prefix;
    use crate::engine::tests::{bucket, open_engine, put};
    use crate::types::{ListEntry, ListQuery};

    #[derive(Debug, Clone, PartialEq, Eq)]
    enum Entry {
        Object(String),
        Prefix(String),
    }

    impl Entry {
        fn key(&self) -> &str {
            match self {
                Entry::Object(k) | Entry::Prefix(k) => k,
            }
        }
    }

    /// What a listing must return, from first principles.
    fn model(
        keys: &BTreeSet<String>,
        prefix: &str,
        delimiter: Option<&str>,
        after: Option<&str>,
    ) -> Vec<Entry> {
        let mut out: Vec<Entry> = Vec::new();
        for k in keys.iter().filter(|k| k.starts_with(prefix)) {
            let rest = &k[prefix.len()..];
            let entry = match delimiter.and_then(|d| rest.find(d).map(|i| (d, i))) {
                Some((d, i)) => Entry::Prefix(k[..prefix.len() + i + d.len()].to_owned()),
                None => Entry::Object(k.clone()),
            };
            if after.is_some_and(|a| entry.key() <= a) || out.last() == Some(&entry) {
                continue;
            }
            out.push(entry);
        }
        out
    }

    fn key_strategy() -> impl Strategy<Value = String> {
        prop::collection::vec(
            prop::sample::select(vec!["a", "b", "/", "-", "é", "\u{10348}", "~"]),
            1..6,
        )
        .prop_map(|parts| parts.concat())
    }

    #[test]
    fn pagination_matches_model() {
        let dir = tempfile::tempdir().unwrap();
        let engine = open_engine(dir.path());
        let mut runner = TestRunner::new(Config {
            cases: 48,
            ..Config::default()
        });
        let case = std::cell::Cell::new(0);
        let strategy = (
            prop::collection::btree_set(key_strategy(), 0..30),
            prop::sample::select(vec!["", "a", "a/", "b", "é", "a/b", "zz"]),
            prop::sample::select(vec![None, Some("/"), Some("b"), Some("/a"), Some("é")]),
            prop::option::of(key_strategy()),
            1usize..6,
        );
        runner
            .run(
                &strategy,
                |(keys, prefix, delimiter, start_after, page_size)| {
                    case.set(case.get() + 1);
                    let name = format!("list-{}", case.get());
                    bucket(&engine, &name);
                    for k in &keys {
                        put(&engine, &name, k, k.as_bytes()).unwrap();
                    }
                    let expect = model(&keys, prefix, delimiter, start_after.as_deref());
                    let mut got = Vec::new();
                    let mut after = start_after.clone();
                    loop {
                        let page = engine
                            .list_objects(
                                &name,
                                &ListQuery {
                                    prefix: prefix.to_owned(),
                                    delimiter: delimiter.map(str::to_owned),
                                    after: after.clone(),
                                    max_keys: page_size,
                                },
                            )
                            .unwrap();
                        prop_assert!(page.entries.len() <= page_size);
                        for e in page.entries {
                            got.push(match e {
                                ListEntry::Object(v) => {
                                    prop_assert_eq!(v.size as usize, v.key.len());
                                    Entry::Object(v.key)
                                }
                                ListEntry::CommonPrefix(p) => Entry::Prefix(p),
                            });
                        }
                        if !page.is_truncated {
                            prop_assert!(page.next_after.is_none());
                            break;
                        }
                        prop_assert_eq!(got.len() % page_size, 0);
                        after = page.next_after;
                        prop_assert!(after.is_some());
                    }
                    prop_assert_eq!(got, expect);
                    Ok(())
                },
            )
            .unwrap();
    }

    #[test]
    fn listed_objects_open_and_zero_max_keys() {
        let dir = tempfile::tempdir().unwrap();
        let engine = open_engine(dir.path());
        bucket(&engine, "open");
        put(&engine, "open", "small", b"abc").unwrap();
        put(&engine, "open", "large", &vec![7u8; 5000]).unwrap();
        let page = engine
            .list_objects(
                "open",
                &ListQuery {
                    max_keys: 10,
                    ..Default::default()
                },
            )
            .unwrap();
        assert_eq!(page.entries.len(), 2);
        for e in page.entries {
            let ListEntry::Object(v) = e else {
                panic!("unexpected prefix")
            };
            let mut data = Vec::new();
            std::io::Read::read_to_end(
                &mut engine.open_object("open", &v, None).unwrap(),
                &mut data,
            )
            .unwrap();
            assert_eq!(data.len() as u64, v.size);
        }
        let empty = engine.list_objects("open", &ListQuery::default()).unwrap();
        assert!(empty.entries.is_empty() && !empty.is_truncated);
    }

    #[test]
    fn common_prefixes() {
        assert_eq!(common_prefix(b"a/b/c", b"", b"/"), Some(&b"a/"[..]));
        assert_eq!(common_prefix(b"a/b/c", b"a/", b"/"), Some(&b"a/b/"[..]));
        assert_eq!(common_prefix(b"a/b", b"a/b", b"/"), None);
        assert_eq!(common_prefix(b"xab", b"", b"ab"), Some(&b"xab"[..]));
        assert_eq!(common_prefix(b"b/c", b"a", b"/"), None);
    }
}
