//! The [`BlobStore`] on Ceph RADOS: each blob striped over RADOS objects of
//! [`STRIPE`] bytes, as RGW stores object tails, with an omap index for
//! ordered listings (see [`index`]).
//!
//! # Layout (one pool and namespace)
//! - Stripes `<data id>.<n>`: bytes `n * STRIPE ..` of a blob. The data id is
//!   random and chosen when the blob is staged; [`StagedWrite::install`] only
//!   adds the index row `l<blob id>` → (data id, length), one guarded omap
//!   operation, so nothing is copied or renamed.
//! - Index rows in `index.<ab>` (installed, quarantined, staged, removed).
//!
//! # Guarantees and costs
//! - Writes: full stripes go out as they fill, up to [`WRITE_WINDOW`] at once
//!   per blob, so a writer holds at most `WRITE_WINDOW + 1` stripes (16 MiB,
//!   RGW's default window) in memory whatever the blob's size. A RADOS write is durable on every replica when
//!   acknowledged, so `sync` is waiting for the outstanding ones. A staged
//!   blob costs an index row before its first stripe and its removal at
//!   install: a small PUT is one stripe write and three omap operations.
//! - Reads: a range touches only its stripes, read in parallel; the length is
//!   in the index row, so opening is one omap read. Reads that follow one
//!   another (a GET) read the rest of a stripe at once and the next stripe
//!   ahead: one RADOS read per stripe, at most two stripes held per reader.
//! - Removal moves the row to a removed row atomically; the stripes go (last
//!   first) once the reader grace period has passed, by later removals of the
//!   same shard or the next open. A reader that opened the blob before its
//!   removal keeps reading it for that long (local files: as long as it likes).
//! - Several gateways share one pool: the only state is in RADOS. A gateway
//!   starting cannot tell another's staged blobs from a crashed writer's, so
//!   [`BlobStore::wipe_staged`] discards only staged blobs idle for
//!   [`STAGED_IDLE`] (a writer refreshes its row while it writes).

mod index;
mod staged;

use std::io;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use horreo_rados::{Compare, IoCtx, WriteOp};
use parking_lot::Mutex;

use super::store::{BlobRead, BlobStore, StagedWrite};
use crate::meta::records::BlobId;
use index::{Extent, Row, shard_object};

/// Bytes per stripe object.
pub const STRIPE: u64 = 4 << 20;
/// Stripe writes of one staged blob in flight at once.
pub const WRITE_WINDOW: usize = 3;
/// Stripe reads of one ranged read in flight at once.
const READ_WINDOW: usize = 8;
/// How long a staged blob may go without a stripe written before another
/// gateway's start discards it as a crashed writer's leftover.
pub const STAGED_IDLE: Duration = Duration::from_secs(3600);
/// How long a removed blob's stripes stay readable by open readers.
pub const READER_GRACE: Duration = Duration::from_secs(900);
/// Guarded index updates retried after losing a race before failing.
const RETRIES: usize = 16;
/// Rows of each kind a removal looks at for reclaiming, in its shard.
const RECLAIM_BATCH: usize = 8;
/// Rows of each kind the wipe at open looks at, per shard (the rest are
/// reclaimed by later removals).
const WIPE_BATCH: usize = 1000;

/// Blobs striped over the objects of one RADOS pool and namespace.
pub struct RadosBlobs {
    pool: Arc<Pool>,
}

/// What the store, its writers and its readers share.
struct Pool {
    io: IoCtx,
    reader_grace: Duration,
}

/// A librados error as an I/O error of the same kind.
fn io_error(e: horreo_rados::Error) -> io::Error {
    let kind = match e.errno() {
        Some(errno) => io::Error::from_raw_os_error(errno).kind(),
        None => io::ErrorKind::InvalidInput,
    };
    io::Error::new(kind, format!("RADOS: {e}"))
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The object holding stripe `n` of data `data`.
fn stripe_object(data: &[u8; 16], n: u64) -> String {
    format!("{}.{n}", hex::encode(data))
}

/// How many stripes hold `len` bytes.
fn stripes(len: u64) -> u64 {
    len.div_ceil(STRIPE)
}

impl RadosBlobs {
    /// A store on `io` (its pool and namespace) whose removed blobs stay
    /// readable by open readers for [`READER_GRACE`].
    pub fn open(io: IoCtx) -> RadosBlobs {
        Self::with_reader_grace(io, READER_GRACE)
    }

    /// A store whose removed blobs stay readable for `grace` (zero: their
    /// stripes go with the removal).
    pub fn with_reader_grace(io: IoCtx, grace: Duration) -> RadosBlobs {
        RadosBlobs {
            pool: Arc::new(Pool {
                io,
                reader_grace: grace,
            }),
        }
    }

    fn open_row(&self, id: BlobId, row: Row) -> io::Result<Option<Box<dyn BlobRead>>> {
        let Some(value) = index::get(&self.pool.io, id.0[0], &row.key(&id.0))? else {
            return Ok(None);
        };
        Ok(Some(Box::new(Reader::new(
            Arc::clone(&self.pool),
            Extent::decode(&value)?,
        ))))
    }

    /// Moves blob `id`'s row of kind `from` to kind `to` (to a removed row
    /// keyed by the time and its data id) in one guarded operation. `false`
    /// if there is no such row.
    fn move_row(&self, id: BlobId, from: Row, to: Row) -> io::Result<bool> {
        let shard = id.0[0];
        let from_key = from.key(&id.0);
        for _ in 0..RETRIES {
            let Some(value) = index::get(&self.pool.io, shard, &from_key)? else {
                return Ok(false);
            };
            let to_key = match to {
                Row::Removed => {
                    let data = Extent::decode(&value)?.data;
                    to.key(&index::removed_id(now_secs(), &data))
                }
                _ => to.key(&id.0),
            };
            let mut op = WriteOp::new();
            op.cmp_omap(&from_key, Compare::Eq, &value)
                .omap_remove(&[from_key.as_slice()])
                .omap_set(&[(to_key.as_slice(), value.as_slice())]);
            match op.operate(&self.pool.io, &shard_object(shard)) {
                Ok(()) => return Ok(true),
                // Another gateway moved or removed it since it was read.
                Err(horreo_rados::Error::GuardFailed { .. }) => continue,
                Err(e) => return Err(io_error(e)),
            }
        }
        Err(io::Error::other(format!(
            "blob {}: index update lost {RETRIES} races in a row",
            id.to_hex()
        )))
    }
}

impl Pool {
    /// Deletes stripes `0..count`, last first, so an interrupted deletion
    /// leaves a short blob; missing ones are no error.
    fn delete_stripes(&self, data: &[u8; 16], count: u64) -> io::Result<()> {
        for n in (0..count).rev() {
            match self.io.remove(&stripe_object(data, n)) {
                Ok(()) | Err(horreo_rados::Error::NotFound { .. }) => {}
                Err(e) => return Err(io_error(e)),
            }
        }
        Ok(())
    }

    /// Deletes the stripes of a staged blob whose length nobody recorded:
    /// from the first on, until `WRITE_WINDOW + 1` in a row are missing (a
    /// writer has at most that many in flight, so none lies beyond).
    fn delete_staged_stripes(&self, data: &[u8; 16]) -> io::Result<()> {
        let mut missing = 0;
        let mut n = 0;
        while missing <= WRITE_WINDOW {
            match self.io.remove(&stripe_object(data, n)) {
                Ok(()) => missing = 0,
                Err(horreo_rados::Error::NotFound { .. }) => missing += 1,
                Err(e) => return Err(io_error(e)),
            }
            n += 1;
        }
        Ok(())
    }

    /// Removes row `key` of `shard` if it still holds `value`: `false` if
    /// someone else changed or removed it first.
    fn claim_row(&self, shard: u8, key: &[u8], value: &[u8]) -> io::Result<bool> {
        let mut op = WriteOp::new();
        op.cmp_omap(key, Compare::Eq, value).omap_remove(&[key]);
        match op.operate(&self.io, &shard_object(shard)) {
            Ok(()) => Ok(true),
            Err(horreo_rados::Error::GuardFailed { .. } | horreo_rados::Error::NotFound { .. }) => {
                Ok(false)
            }
            Err(e) => Err(io_error(e)),
        }
    }

    /// Deletes the stripes of the removed blobs of `shard` whose grace has
    /// passed and of its staged blobs idle for [`STAGED_IDLE`], with their
    /// rows; looks at the first `limit` rows of each kind (one omap read).
    fn reclaim(&self, shard: u8, limit: usize) -> io::Result<()> {
        let mut steps = index::scan_steps(
            &self.io,
            shard,
            &[(Row::Removed, None, limit), (Row::Staged, None, limit)],
        )?
        .into_iter()
        .map(|(rows, _)| rows);
        let (removed, staged) = (
            steps.next().unwrap_or_default(),
            steps.next().unwrap_or_default(),
        );
        let now = now_secs();
        for (id, value) in removed {
            // Oldest first: the rest are within their grace too.
            if index::removed_since(&id).saturating_add(self.reader_grace.as_secs()) > now {
                break;
            }
            let extent = Extent::decode(&value)?;
            self.delete_stripes(&extent.data, stripes(extent.len))?;
            self.claim_row(shard, &Row::Removed.key(&id), &value)?;
        }
        for (data, value) in staged {
            if index::decode_secs(&value).saturating_add(STAGED_IDLE.as_secs()) > now {
                continue;
            }
            // The row goes first: a writer that wakes up finds its blob gone.
            if self.claim_row(shard, &Row::Staged.key(&data), &value)? {
                let data = data.try_into().map_err(|_| {
                    io::Error::new(
                        io::ErrorKind::InvalidData,
                        "a staged row's id is not 16 bytes",
                    )
                })?;
                self.delete_staged_stripes(&data)?;
            }
        }
        Ok(())
    }
}

impl BlobStore for RadosBlobs {
    fn stage(&self) -> io::Result<Box<dyn StagedWrite>> {
        Ok(Box::new(staged::Staged::new(Arc::clone(&self.pool))))
    }

    fn open(&self, id: BlobId) -> io::Result<Option<Box<dyn BlobRead>>> {
        self.open_row(id, Row::Installed)
    }

    fn remove(&self, id: BlobId) -> io::Result<bool> {
        let removed = self.move_row(id, Row::Installed, Row::Removed)?;
        if removed {
            self.pool.reclaim(id.0[0], RECLAIM_BATCH)?;
        }
        Ok(removed)
    }

    fn list(&self, after: Option<BlobId>, limit: usize) -> io::Result<Vec<BlobId>> {
        let mut ids = Vec::new();
        let first = after.map_or(0, |a| a.0[0]);
        for shard in first..=u8::MAX {
            let mut from = after.filter(|a| a.0[0] == shard).map(|a| a.0.to_vec());
            loop {
                let want = limit.saturating_sub(ids.len());
                if want == 0 {
                    return Ok(ids);
                }
                let (rows, more) = index::scan(
                    &self.pool.io,
                    shard,
                    Row::Installed,
                    from.as_deref(),
                    want.min(1000),
                )?;
                from = rows.last().map(|(id, _)| id.clone());
                ids.extend(rows.iter().filter_map(|(id, _)| BlobId::from_slice(id)));
                if !more {
                    break;
                }
            }
        }
        Ok(ids)
    }

    fn quarantine(&self, id: BlobId) -> io::Result<bool> {
        self.move_row(id, Row::Installed, Row::Quarantined)
    }

    fn restore(&self, id: BlobId) -> io::Result<bool> {
        self.move_row(id, Row::Quarantined, Row::Installed)
    }

    fn quarantined(&self) -> io::Result<Vec<BlobId>> {
        let mut ids = Vec::new();
        for shard in 0..=u8::MAX {
            let rows = index::scan_all(&self.pool.io, shard, Row::Quarantined)?;
            ids.extend(rows.iter().filter_map(|(id, _)| BlobId::from_slice(id)));
        }
        Ok(ids)
    }

    fn open_quarantined(&self, id: BlobId) -> io::Result<Option<Box<dyn BlobRead>>> {
        self.open_row(id, Row::Quarantined)
    }

    fn wipe_staged(&self) -> io::Result<()> {
        for shard in 0..=u8::MAX {
            self.pool.reclaim(shard, WIPE_BATCH)?;
        }
        Ok(())
    }

    fn quarantine_location(&self) -> String {
        "the RADOS blob index (rows `q<blob id>` of objects `index.<ab>`)".into()
    }
}

/// An installed (or quarantined) blob's extent, read a range of stripes at
/// a time, and ahead while reads follow one another.
struct Reader {
    pool: Arc<Pool>,
    extent: Extent,
    ahead: Mutex<ReadAhead>,
}

/// What a reader read ahead. A read that starts where the previous one
/// ended continues a scan (a GET): it is served from the rest of its stripe,
/// read in one RADOS read, while the next stripe's read is in flight. So a
/// reader holds at most two stripes, and a read that jumps elsewhere (a
/// ranged GET) reads only the bytes it asks for.
#[derive(Default)]
struct ReadAhead {
    /// Where the previous read ended.
    next: Option<u64>,
    /// Blob bytes from `start`.
    start: u64,
    data: Vec<u8>,
    /// The read of the window from its offset, in flight.
    pending: Option<(u64, JoinHandle<io::Result<Vec<u8>>>)>,
}

/// Reads `len` bytes from offset `at` of stripe `n` of blob data `data`.
fn read_stripe(pool: &Pool, data: &[u8; 16], n: u64, at: u64, len: usize) -> io::Result<Vec<u8>> {
    let object = stripe_object(data, n);
    let got = pool.io.read(&object, at, len).map_err(io_error)?;
    if got.len() != len {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("stripe {object} is shorter than its blob's length says"),
        ));
    }
    Ok(got)
}

impl Reader {
    fn new(pool: Arc<Pool>, extent: Extent) -> Reader {
        Reader {
            pool,
            extent,
            ahead: Mutex::new(ReadAhead::default()),
        }
    }

    /// Fills `buf` from offset `at` of stripe `n`.
    fn read_into(&self, n: u64, at: u64, buf: &mut [u8]) -> io::Result<()> {
        buf.copy_from_slice(&read_stripe(
            &self.pool,
            &self.extent.data,
            n,
            at,
            buf.len(),
        )?);
        Ok(())
    }

    /// Starts reading the window at `at` (to the end of its stripe) in the
    /// background.
    fn read_window_ahead(&self, at: u64) -> (u64, JoinHandle<io::Result<Vec<u8>>>) {
        let (pool, data) = (Arc::clone(&self.pool), self.extent.data);
        let len = window_len(at, self.extent.len);
        let read =
            std::thread::spawn(move || read_stripe(&pool, &data, at / STRIPE, at % STRIPE, len));
        (at, read)
    }

    /// Fills `buf` from offset `at`, which continues the previous read,
    /// from the windows read ahead.
    fn read_on(&self, ahead: &mut ReadAhead, buf: &mut [u8], at: u64) -> io::Result<()> {
        let mut pos = at;
        let mut rest = buf;
        while !rest.is_empty() {
            let cached_end = ahead.start + ahead.data.len() as u64;
            if (ahead.start..cached_end).contains(&pos) {
                let from = usize::try_from(pos - ahead.start).unwrap_or(usize::MAX);
                let n = rest.len().min(ahead.data.len() - from);
                let (now, later) = std::mem::take(&mut rest).split_at_mut(n);
                now.copy_from_slice(&ahead.data[from..from + n]);
                rest = later;
                pos += n as u64;
                continue;
            }
            ahead.data = match ahead.pending.take() {
                Some((start, read)) if start == pos => read
                    .join()
                    .map_err(|_| io::Error::other("a stripe read panicked"))??,
                _ => read_stripe(
                    &self.pool,
                    &self.extent.data,
                    pos / STRIPE,
                    pos % STRIPE,
                    window_len(pos, self.extent.len),
                )?,
            };
            ahead.start = pos;
            let following = pos + ahead.data.len() as u64;
            if following < self.extent.len {
                ahead.pending = Some(self.read_window_ahead(following));
            }
        }
        Ok(())
    }
}

/// The bytes from `at` to the end of its stripe, within a blob of `len`.
fn window_len(at: u64, len: u64) -> usize {
    let end = (at - at % STRIPE + STRIPE).min(len);
    usize::try_from(end.saturating_sub(at)).unwrap_or(usize::MAX)
}

impl BlobRead for Reader {
    fn len(&self) -> io::Result<u64> {
        Ok(self.extent.len)
    }

    fn read_exact_at(&self, buf: &mut [u8], at: u64) -> io::Result<()> {
        let end = at.checked_add(buf.len() as u64);
        let Some(end) = end.filter(|&end| end <= self.extent.len) else {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "read past the end of the blob",
            ));
        };
        let mut ahead = self.ahead.lock();
        let follows = ahead.next == Some(at);
        ahead.next = Some(end);
        if follows {
            return self.read_on(&mut ahead, buf, at);
        }
        drop(ahead);
        // The pieces of the range, one per stripe it touches.
        let mut pieces = Vec::new();
        let mut rest = buf;
        let mut pos = at;
        while !rest.is_empty() {
            let within = pos % STRIPE;
            let n = usize::try_from(STRIPE - within)
                .unwrap_or(usize::MAX)
                .min(rest.len());
            let (piece, tail) = std::mem::take(&mut rest).split_at_mut(n);
            pieces.push((pos / STRIPE, within, piece));
            rest = tail;
            pos += n as u64;
        }
        if let [(n, within, piece)] = pieces.as_mut_slice() {
            return self.read_into(*n, *within, piece);
        }
        for window in pieces.chunks_mut(READ_WINDOW) {
            std::thread::scope(|s| {
                let reads: Vec<_> = window
                    .iter_mut()
                    .map(|(n, within, piece)| s.spawn(move || self.read_into(*n, *within, piece)))
                    .collect();
                reads.into_iter().try_for_each(|r| {
                    r.join()
                        .map_err(|_| io::Error::other("a stripe read panicked"))?
                })
            })?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
