//! A blob being written: full stripes go out on their own threads as they
//! fill (at most [`WRITE_WINDOW`] at once), the partial last one at sync.

use std::collections::VecDeque;
use std::io;
use std::sync::Arc;
use std::thread::JoinHandle;

use horreo_rados::{Compare, WriteOp};

use super::index::{self, Extent, Row, shard_object};
use super::{Pool, STAGED_IDLE, STRIPE, WRITE_WINDOW, io_error, now_secs, stripe_object};
use crate::blob::store::StagedWrite;
use crate::meta::records::BlobId;

/// How often a writer refreshes its staged row while it writes: well within
/// [`STAGED_IDLE`].
const REFRESH_SECS: u64 = STAGED_IDLE.as_secs() / 8;

pub(super) struct Staged {
    pool: Arc<Pool>,
    data: [u8; 16],
    /// Index of the stripe `tail` fills; the ones before it are written or
    /// in flight.
    stripe: u64,
    /// The bytes of stripe `stripe` so far.
    tail: Vec<u8>,
    /// Whether `tail` is in RADOS as it is now (a sync wrote it).
    tail_written: bool,
    in_flight: VecDeque<JoinHandle<io::Result<()>>>,
    /// When the staged row was last written (seconds), if it was.
    registered: Option<u64>,
    installed: bool,
}

impl Staged {
    pub(super) fn new(pool: Arc<Pool>) -> Staged {
        Staged {
            pool,
            data: rand::random(),
            stripe: 0,
            tail: Vec::new(),
            tail_written: false,
            in_flight: VecDeque::new(),
            registered: None,
            installed: false,
        }
    }

    fn len(&self) -> u64 {
        self.stripe * STRIPE + self.tail.len() as u64
    }

    /// Writes (or refreshes) the staged row before stripes go out, so a
    /// crash leaves nothing the index cannot find.
    fn register(&mut self) -> io::Result<()> {
        let now = now_secs();
        if self
            .registered
            .is_some_and(|at| now.saturating_sub(at) < REFRESH_SECS)
        {
            return Ok(());
        }
        let key = Row::Staged.key(&self.data);
        let mut op = WriteOp::new();
        op.create(false)
            .omap_set(&[(key.as_slice(), index::encode_secs(now).as_slice())]);
        op.operate(&self.pool.io, &shard_object(self.data[0]))
            .map_err(io_error)?;
        self.registered = Some(now);
        Ok(())
    }

    /// Waits for the oldest stripe write in flight.
    fn wait_oldest(&mut self) -> io::Result<()> {
        match self.in_flight.pop_front() {
            Some(write) => write
                .join()
                .map_err(|_| io::Error::other("a stripe write panicked"))?,
            None => Ok(()),
        }
    }

    /// Sends the full stripe in `tail` out and starts the next one.
    fn send_full_stripe(&mut self) -> io::Result<()> {
        self.register()?;
        while self.in_flight.len() >= WRITE_WINDOW {
            self.wait_oldest()?;
        }
        let bytes = std::mem::take(&mut self.tail);
        let object = stripe_object(&self.data, self.stripe);
        let pool = Arc::clone(&self.pool);
        self.in_flight.push_back(std::thread::spawn(move || {
            pool.io.write_full(&object, &bytes).map_err(io_error)
        }));
        self.stripe += 1;
        self.tail_written = false;
        Ok(())
    }
}

impl StagedWrite for Staged {
    fn append(&mut self, mut data: &[u8]) -> io::Result<()> {
        while !data.is_empty() {
            let room = usize::try_from(STRIPE).unwrap_or(usize::MAX) - self.tail.len();
            let (now, later) = data.split_at(room.min(data.len()));
            self.tail.extend_from_slice(now);
            self.tail_written = false;
            data = later;
            if self.tail.len() as u64 == STRIPE {
                self.send_full_stripe()?;
            }
        }
        Ok(())
    }

    fn sync(&mut self) -> io::Result<()> {
        if !self.tail.is_empty() && !self.tail_written {
            self.register()?;
            let object = stripe_object(&self.data, self.stripe);
            self.pool
                .io
                .write_full(&object, &self.tail)
                .map_err(io_error)?;
            self.tail_written = true;
        }
        while !self.in_flight.is_empty() {
            self.wait_oldest()?;
        }
        Ok(())
    }

    fn install(mut self: Box<Self>, id: BlobId) -> io::Result<()> {
        self.sync()?;
        // Unlisted before the blob is installed: a crash in between leaks
        // its stripes, rather than a later wipe deleting an installed blob's.
        if self.registered.is_some() {
            let key = Row::Staged.key(&self.data);
            let mut op = WriteOp::new();
            op.omap_remove(&[key.as_slice()]);
            op.operate(&self.pool.io, &shard_object(self.data[0]))
                .map_err(io_error)?;
            self.registered = None;
        }
        let key = Row::Installed.key(&id.0);
        let extent = Extent {
            data: self.data,
            len: self.len(),
        }
        .encode();
        let mut op = WriteOp::new();
        // Guard: the id is new (a missing row compares as empty).
        op.create(false)
            .cmp_omap(&key, Compare::Eq, b"")
            .omap_set(&[(key.as_slice(), extent.as_slice())]);
        match op.operate(&self.pool.io, &shard_object(id.0[0])) {
            Ok(()) => {
                self.installed = true;
                Ok(())
            }
            Err(horreo_rados::Error::GuardFailed { .. }) => Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!("blob {} is installed already", id.to_hex()),
            )),
            Err(e) => Err(io_error(e)),
        }
    }
}

impl Drop for Staged {
    /// Discards the stripes of a blob that was not installed.
    fn drop(&mut self) {
        if self.installed {
            return;
        }
        while !self.in_flight.is_empty() {
            let _ = self.wait_oldest();
        }
        let written = self.stripe + u64::from(self.tail_written);
        let mut discard = self.pool.delete_stripes(&self.data, written);
        if discard.is_ok() && self.registered.is_some() {
            let key = Row::Staged.key(&self.data);
            let mut op = WriteOp::new();
            op.omap_remove(&[key.as_slice()]);
            discard = op
                .operate(&self.pool.io, &shard_object(self.data[0]))
                .map_err(io_error);
        }
        if let Err(e) = discard {
            tracing::warn!(
                data = %hex::encode(self.data),
                "cannot discard a staged blob (a later start wipes it): {e}"
            );
        }
    }
}
