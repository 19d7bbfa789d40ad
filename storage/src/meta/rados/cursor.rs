//! Ordered scans over a family's shard objects: pages of omap rows, shard
//! after shard in directory order.

use std::collections::VecDeque;

use horreo_rados::ReadOp;

use super::layout::{
    directory_object, mark, omap_key, row_key, shard_key, shard_object, shard_of, shard_of_key,
    shard_prefix_len,
};
use super::{RadosStore, rados};
use crate::meta::Cf;
use crate::meta::store::Cursor;
use crate::{Error, Result};

type Row = (Vec<u8>, Vec<u8>);

/// Rows fetched after a seek: few, as a delimiter listing seeks past each
/// common prefix and reads one row there.
const FIRST_PAGE: u64 = 8;
/// The most rows one omap listing returns.
const MAX_PAGE: u64 = 512;

impl RadosStore {
    /// Up to `max` rows of shard `prefix` of `cf` from `from` (inclusive or
    /// not; from the shard's first row when `None`), and whether more follow.
    fn shard_page(
        &self,
        cf: Cf,
        prefix: &[u8],
        from: Option<(&[u8], bool)>,
        max: u64,
    ) -> Result<Vec<Row>> {
        let mut op = ReadOp::new();
        let start = from.map(|(k, _)| omap_key(cf, k)).unwrap_or_default();
        if let Some((_, true)) = from {
            op.omap_get_vals_by_keys(&[&start]);
        }
        // The index object holds other families' rows too.
        op.omap_get_vals_with_prefix(&start, &[mark(cf)], max);
        let pages = match op.operate(&self.io, &shard_object(cf, prefix)) {
            Ok(pages) => pages,
            Err(horreo_rados::Error::NotFound { .. }) => return Ok(Vec::new()),
            Err(e) => return Err(rados(e)),
        };
        let mut rows = Vec::new();
        for (k, v) in pages.into_iter().flat_map(|p| p.rows) {
            rows.push((row_key(mark(cf), &k)?, v));
        }
        Ok(rows)
    }

    /// The first shard of `cf` after `prefix` (at or after it when
    /// `inclusive`; the first of all when `None`).
    fn next_shard(
        &self,
        cf: Cf,
        prefix: Option<&[u8]>,
        inclusive: bool,
    ) -> Result<Option<Vec<u8>>> {
        if shard_prefix_len(cf) == 0 {
            // One shard, the empty prefix.
            return Ok((prefix.is_none() || inclusive).then(Vec::new));
        }
        let mut op = ReadOp::new();
        let start = prefix.map(shard_key).unwrap_or_default();
        if inclusive && prefix.is_some() {
            op.omap_get_vals_by_keys(&[&start]);
        }
        op.omap_get_vals(&start, 1);
        let pages = match op.operate(&self.io, &directory_object(cf)) {
            Ok(pages) => pages,
            Err(horreo_rados::Error::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(rados(e)),
        };
        match pages.into_iter().flat_map(|p| p.rows).next() {
            Some((k, _)) => Ok(Some(shard_of_key(&k)?)),
            None => Ok(None),
        }
    }

    /// Up to `max` rows of `cf` in key order from `from` (inclusive or not)
    /// and below `upper`; empty only when no row is left.
    fn rows_from(
        &self,
        cf: Cf,
        from: (&[u8], bool),
        upper: Option<&[u8]>,
        max: u64,
    ) -> Result<Vec<Row>> {
        let first = shard_of(cf, from.0).to_vec();
        let mut shard = self.next_shard(cf, Some(&first), true)?;
        while let Some(prefix) = shard {
            if upper.is_some_and(|u| prefix.as_slice() >= u) {
                break;
            }
            let start = (prefix == first).then_some(from);
            let mut rows = self.shard_page(cf, &prefix, start, max)?;
            if let Some(u) = upper
                && let Some(end) = rows.iter().position(|(k, _)| k.as_slice() >= u)
            {
                rows.truncate(end);
                return Ok(rows);
            }
            if !rows.is_empty() {
                return Ok(rows);
            }
            shard = self.next_shard(cf, Some(&prefix), false)?;
        }
        Ok(Vec::new())
    }
}

/// A cursor holding a window of consecutive rows and its place in it; it
/// fetches the next (or previous) window when it steps off either end, so it
/// sees rows committed after it was made, as a fresh RocksDB iterator would
/// at each page.
pub(super) struct RadosCursor<'a> {
    store: &'a RadosStore,
    cf: Cf,
    lower: Vec<u8>,
    upper: Option<Vec<u8>>,
    window: Vec<Row>,
    pos: usize,
    /// Rows to fetch next time the window runs out going forward.
    page: u64,
    error: Option<Error>,
}

impl<'a> RadosCursor<'a> {
    pub(super) fn new(
        store: &'a RadosStore,
        cf: Cf,
        lower: Option<Vec<u8>>,
        upper: Option<Vec<u8>>,
    ) -> Self {
        RadosCursor {
            store,
            cf,
            // The empty key is the smallest of all.
            lower: lower.unwrap_or_default(),
            upper,
            window: Vec::new(),
            pos: 0,
            page: FIRST_PAGE,
            error: None,
        }
    }

    fn empty_range(&self) -> bool {
        self.upper
            .as_deref()
            .is_some_and(|u| self.lower.as_slice() >= u)
    }

    fn load(&mut self, rows: Result<Vec<Row>>, pos_last: bool) {
        match rows {
            Ok(rows) => {
                self.pos = if pos_last {
                    rows.len().saturating_sub(1)
                } else {
                    0
                };
                self.window = rows;
            }
            Err(e) => {
                self.window.clear();
                self.error.get_or_insert(e);
            }
        }
    }

    fn forward(&mut self, from: Vec<u8>, inclusive: bool, page: u64) {
        if self.empty_range() {
            self.window.clear();
            return;
        }
        let rows = self
            .store
            .rows_from(self.cf, (&from, inclusive), self.upper.as_deref(), page);
        self.load(rows, false);
    }

    /// The last rows in `[lower, before)` (`before` = the upper bound when
    /// `None`): a forward rescan from the lower bound, as omap lists only
    /// forwards.
    fn backward(&mut self, before: Option<Vec<u8>>) {
        let end = match (before, self.upper.clone()) {
            (Some(b), Some(u)) => Some(b.min(u)),
            (b, u) => b.or(u),
        };
        if end.as_deref().is_some_and(|e| self.lower.as_slice() >= e) {
            self.window.clear();
            return;
        }
        let mut kept: VecDeque<Row> = VecDeque::new();
        let mut from = (self.lower.clone(), true);
        let result = loop {
            match self
                .store
                .rows_from(self.cf, (&from.0, from.1), end.as_deref(), MAX_PAGE)
            {
                Ok(rows) if rows.is_empty() => break Ok(kept.into_iter().collect()),
                Ok(rows) => {
                    for row in rows {
                        from = (row.0.clone(), false);
                        kept.push_back(row);
                        if kept.len() as u64 > MAX_PAGE {
                            kept.pop_front();
                        }
                    }
                }
                Err(e) => break Err(e),
            }
        };
        self.load(result, true);
    }
}

impl Cursor for RadosCursor<'_> {
    fn seek(&mut self, key: &[u8]) {
        let from = if key < self.lower.as_slice() {
            self.lower.clone()
        } else {
            key.to_vec()
        };
        self.page = FIRST_PAGE;
        self.forward(from, true, FIRST_PAGE);
    }

    fn seek_to_first(&mut self) {
        self.page = FIRST_PAGE;
        self.forward(self.lower.clone(), true, FIRST_PAGE);
    }

    fn seek_to_last(&mut self) {
        self.backward(None);
    }

    fn next(&mut self) {
        if self.pos + 1 < self.window.len() {
            self.pos += 1;
            return;
        }
        if let Some((key, _)) = self.window.get(self.pos) {
            let key = key.clone();
            self.page = (self.page * 4).min(MAX_PAGE);
            self.forward(key, false, self.page);
        }
    }

    fn prev(&mut self) {
        if self.pos > 0 && self.pos < self.window.len() {
            self.pos -= 1;
            return;
        }
        if let Some((key, _)) = self.window.get(self.pos) {
            let key = key.clone();
            self.backward(Some(key));
        }
    }

    fn item(&self) -> Option<(&[u8], &[u8])> {
        self.window
            .get(self.pos)
            .map(|(k, v)| (k.as_slice(), v.as_slice()))
    }

    fn status(&self) -> Result<()> {
        match &self.error {
            Some(e) => Err(Error::Meta(e.to_string())),
            None => Ok(()),
        }
    }
}
