//! The blob index of a RADOS pool: omap rows in 256 shard objects
//! `index.<ab>`, so that installed and quarantined ids list in order (RADOS
//! lists objects unordered) and every staged or removed blob's stripes can be
//! found again.
//!
//! A row's key is a mark byte and 32 hex digits; its shard is the first byte
//! of that id. The marks sort `l` < `q` < `s` < `t`, so each kind of row is
//! one contiguous key range of a shard:
//! - `l<blob id>` → [`Extent`]: an installed blob (the listing).
//! - `q<blob id>` → [`Extent`]: a quarantined blob.
//! - `s<data id>` → last activity (seconds): a staged blob whose stripes
//!   may exist while nothing references them.
//! - `t<removal time><data id>` → [`Extent`]: a removed blob whose stripes
//!   are reclaimed once readers that opened it before had their grace
//!   period; the time (seconds, 16 hex digits) first, so the oldest come first.

use std::io;

use horreo_rados::{IoCtx, ReadOp};

use super::io_error;

/// The kinds of index rows, by their mark byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Row {
    Installed,
    Quarantined,
    Staged,
    Removed,
}

impl Row {
    fn mark(self) -> u8 {
        match self {
            Row::Installed => b'l',
            Row::Quarantined => b'q',
            Row::Staged => b's',
            Row::Removed => b't',
        }
    }

    /// The omap key of this kind of row for `id` (for removed rows, the
    /// removal time's 8 big-endian bytes and the data id).
    pub(super) fn key(self, id: &[u8]) -> Vec<u8> {
        let mut key = Vec::with_capacity(1 + 2 * id.len());
        key.push(self.mark());
        key.extend_from_slice(hex::encode(id).as_bytes());
        key
    }

    /// The id in `key`, if it is a row of this kind.
    fn id(self, key: &[u8]) -> Option<Vec<u8>> {
        let hex = key.strip_prefix(&[self.mark()])?;
        hex::decode(hex).ok()
    }
}

/// The id of a removed row: its removal time and data id.
pub(super) fn removed_id(since: u64, data: &[u8; 16]) -> Vec<u8> {
    let mut id = since.to_be_bytes().to_vec();
    id.extend_from_slice(data);
    id
}

/// The removal time of a removed row's id.
pub(super) fn removed_since(id: &[u8]) -> u64 {
    id.get(..8)
        .and_then(|b| b.try_into().ok())
        .map_or(0, u64::from_be_bytes)
}

/// The index object holding the rows of ids starting with byte `shard`.
pub(super) fn shard_object(shard: u8) -> String {
    format!("index.{shard:02x}")
}

/// Where a blob's bytes are: stripes `<data id>.<n>` holding `len` bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Extent {
    pub(super) data: [u8; 16],
    pub(super) len: u64,
}

impl Extent {
    pub(super) fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(24);
        out.extend_from_slice(&self.data);
        out.extend_from_slice(&self.len.to_le_bytes());
        out
    }

    pub(super) fn decode(raw: &[u8]) -> io::Result<Extent> {
        let corrupt = || {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("blob index row {} is not an extent", hex::encode(raw)),
            )
        };
        if raw.len() != 24 {
            return Err(corrupt());
        }
        let (data, len) = raw.split_at(16);
        Ok(Extent {
            data: data.try_into().map_err(|_| corrupt())?,
            len: u64::from_le_bytes(len.try_into().map_err(|_| corrupt())?),
        })
    }
}

/// A staged row's value: its last activity in seconds; and back (a short
/// value reads as 0, the distant past: its row is due).
pub(super) fn encode_secs(secs: u64) -> [u8; 8] {
    secs.to_le_bytes()
}

pub(super) fn decode_secs(raw: &[u8]) -> u64 {
    raw.get(..8)
        .and_then(|b| b.try_into().ok())
        .map_or(0, u64::from_le_bytes)
}

/// Rows of one kind, as (id, value), ascending.
pub(super) type Rows = Vec<(Vec<u8>, Vec<u8>)>;

/// The value of row `key` in `shard`, `None` if there is no such row.
pub(super) fn get(io: &IoCtx, shard: u8, key: &[u8]) -> io::Result<Option<Vec<u8>>> {
    let mut op = ReadOp::new();
    op.omap_get_vals_by_keys(&[key]);
    match op.operate(io, &shard_object(shard)) {
        Ok(pages) => Ok(pages
            .into_iter()
            .flat_map(|p| p.rows)
            .find_map(|(k, v)| (k == key).then_some(v))),
        Err(horreo_rados::Error::NotFound { .. }) => Ok(None),
        Err(e) => Err(io_error(e)),
    }
}

/// For each `(row, after, max)`: up to `max` rows of that kind in `shard`
/// with ids greater than `after`, ascending, and whether more follow. One
/// omap read, whatever the number of steps.
pub(super) fn scan_steps(
    io: &IoCtx,
    shard: u8,
    steps: &[(Row, Option<&[u8]>, usize)],
) -> io::Result<Vec<(Rows, bool)>> {
    let mut op = ReadOp::new();
    for (row, after, max) in steps {
        let start = match after {
            Some(id) => row.key(id),
            // Every key of this kind sorts after its bare mark byte.
            None => vec![row.mark()],
        };
        op.omap_get_vals(&start, u64::try_from(*max).unwrap_or(u64::MAX));
    }
    let pages = match op.operate(io, &shard_object(shard)) {
        Ok(pages) => pages,
        Err(horreo_rados::Error::NotFound { .. }) => Vec::new(),
        Err(e) => return Err(io_error(e)),
    };
    let mut out = Vec::with_capacity(steps.len());
    for (n, (row, _, _)) in steps.iter().enumerate() {
        let Some(page) = pages.get(n) else {
            out.push((Vec::new(), false));
            continue;
        };
        let mut rows = Vec::with_capacity(page.rows.len());
        let mut more = page.more;
        for (key, value) in &page.rows {
            match row.id(key) {
                Some(id) => rows.push((id, value.clone())),
                // The next kind of row begins: this one's range has ended.
                None => {
                    more = false;
                    break;
                }
            }
        }
        out.push((rows, more));
    }
    Ok(out)
}

/// Up to `max` rows of kind `row` in `shard` with ids greater than `after`,
/// ascending, and whether more of them follow.
pub(super) fn scan(
    io: &IoCtx,
    shard: u8,
    row: Row,
    after: Option<&[u8]>,
    max: usize,
) -> io::Result<(Rows, bool)> {
    let mut steps = scan_steps(io, shard, &[(row, after, max)])?;
    Ok(steps.pop().unwrap_or_default())
}

/// Every row of kind `row` in `shard`, ascending, read a page at a time.
pub(super) fn scan_all(io: &IoCtx, shard: u8, row: Row) -> io::Result<Rows> {
    const PAGE: usize = 1000;
    let mut all: Rows = Vec::new();
    loop {
        let after = all.last().map(|(id, _)| id.clone());
        let (rows, more) = scan(io, shard, row, after.as_deref(), PAGE)?;
        all.extend(rows);
        if !more {
            return Ok(all);
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn kinds_of_rows_are_disjoint_ranges_in_id_order() {
        let (a, b) = ([0u8; 16], [0xffu8; 16]);
        let keys: Vec<Vec<u8>> = [Row::Installed, Row::Quarantined, Row::Staged, Row::Removed]
            .iter()
            .flat_map(|r| [r.key(&a), r.key(&b)])
            .collect();
        assert!(keys.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(Row::Installed.id(&Row::Installed.key(&b)), Some(b.to_vec()));
        assert_eq!(Row::Quarantined.id(&Row::Installed.key(&b)), None);
    }

    #[test]
    fn extents_round_trip_and_short_rows_are_corrupt() {
        let e = Extent {
            data: [7; 16],
            len: 5 << 30,
        };
        assert_eq!(Extent::decode(&e.encode()).ok(), Some(e));
        let err = Extent::decode(&e.encode()[..20]).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        // Removed rows list oldest first.
        let (early, late) = (removed_id(99, &[0xff; 16]), removed_id(100, &[0; 16]));
        assert!(Row::Removed.key(&early) < Row::Removed.key(&late));
        assert_eq!(removed_since(&late), 100);
    }
}
