//! Request and response bodies, streamed between the network and the blocking
//! storage engine without holding a thread while waiting on the network: the
//! async side collects up to [`BATCH`] bytes, then one blocking step writes
//! them; a download reads up to [`READ_SIZE`] bytes per blocking step. Memory
//! per request is bounded by two batches (uploads) or one read (downloads),
//! whatever the object size; all large buffers together by a budget beyond
//! which uploads write what they receive at once and downloads read small
//! steps (nothing ever waits for the budget).

use std::io::{self, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use actix_web::web;
use bytes::{Bytes, BytesMut};
use futures::{Stream, StreamExt};
use horreo_storage::{ChecksumAlgorithm, Engine, ObjectReader, SseRequest, StagedBlob, Stager};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinHandle;

use crate::auth::BodyDecoder;
use crate::error::{S3Error, S3Result};
use crate::s3_error;

/// Decoded bytes collected before one blocking write step.
const BATCH: usize = 1024 * 1024;
/// Bytes per blocking read step when streaming an object out.
const READ_SIZE: usize = 256 * 1024;
/// Download read steps running at once, across all requests.
const READ_STEPS: usize = 32;
/// Bytes per read step at first, and when the memory budget is spent: with
/// `h1_write_buffer_size` (8 KiB) about what a stalled download strands.
const SMALL_READ_SIZE: usize = 32 * 1024;
/// A download reads small steps until it has sent this much: what the
/// kernel's socket buffers take from a client that never reads.
const SMALL_STEPS_UNTIL: u64 = 4 * 1024 * 1024;

/// Trailing headers of an aws-chunked body (`x-amz-checksum-*`), names lower-case.
pub type Trailers = Vec<(String, String)>;

/// What a staged body becomes: an object (small ones inline) or a part.
#[derive(Debug, Clone, Copy)]
pub enum Staging {
    Object,
    Part,
}

/// How long a request body may pause, and the memory all bodies being staged
/// may hold at once. Shared by every request.
#[derive(Clone)]
pub struct BodyLimits {
    /// A body that sends nothing for this long fails with `RequestTimeout`.
    pub idle_timeout: Duration,
    /// Bytes of body data in large buffers, across all requests.
    budget: Arc<Semaphore>,
    /// Download read steps running at once: they are short CPU and disk
    /// work, and more at once would only add threads and transient buffers.
    read_steps: Arc<Semaphore>,
}

impl BodyLimits {
    pub fn new(idle_timeout: Duration, buffer_memory: usize) -> Self {
        Self {
            idle_timeout,
            budget: Arc::new(Semaphore::new(
                buffer_memory.clamp(BATCH, Semaphore::MAX_PERMITS),
            )),
            read_steps: Arc::new(Semaphore::new(READ_STEPS)),
        }
    }

    /// A share of the budget for `len` bytes, if it is available now.
    fn try_reserve(&self, len: usize) -> Option<OwnedSemaphorePermit> {
        let len = u32::try_from(len).ok()?;
        self.budget.clone().try_acquire_many_owned(len).ok()
    }
}

/// A request body being decoded and verified as its signature requires.
pub struct RequestBody {
    source: Source,
    decoder: BodyDecoder,
}

/// The body as it arrives.
struct Source {
    payload: web::Payload,
    /// Bytes received from the client so far, as sent (before decoding).
    received: Arc<AtomicU64>,
    limits: BodyLimits,
}

impl RequestBody {
    /// `received` counts the body's bytes as they arrive, for the request log.
    pub fn new(
        payload: web::Payload,
        decoder: BodyDecoder,
        received: Arc<AtomicU64>,
        limits: BodyLimits,
    ) -> Self {
        Self {
            source: Source {
                payload,
                received,
                limits,
            },
            decoder,
        }
    }
}

impl Source {
    /// The next chunk as sent, counted; `RequestTimeout` if none comes within
    /// the idle timeout.
    async fn next_chunk(&mut self) -> Option<S3Result<Bytes>> {
        let next = tokio::time::timeout(self.limits.idle_timeout, self.payload.next()).await;
        let Ok(next) = next else {
            return Some(Err(request_timeout()));
        };
        let chunk = next?.map_err(incomplete);
        if let Ok(chunk) = &chunk {
            self.received
                .fetch_add(chunk.len() as u64, Ordering::Relaxed);
        }
        Some(chunk)
    }

    /// Reads and discards the rest of the body (at most `limit` bytes, and not
    /// past the idle timeout).
    async fn drain(&mut self, limit: u64) {
        let mut drained = 0u64;
        while let Some(Ok(chunk)) = self.next_chunk().await {
            drained += chunk.len() as u64;
            if drained > limit {
                break;
            }
        }
    }
}

/// Decoded body bytes, a piece at a time: what [`stage_from`] stages.
pub(crate) trait ChunkSource {
    /// The next piece; `None` at the end.
    async fn next_piece(&mut self) -> Option<S3Result<Bytes>>;
}

impl ChunkSource for RequestBody {
    async fn next_piece(&mut self) -> Option<S3Result<Bytes>> {
        let chunk = match self.source.next_chunk().await? {
            Ok(chunk) => chunk,
            Err(err) => return Some(Err(err)),
        };
        Some(self.decoder.push_bytes(chunk))
    }
}

/// Stages what `source` yields, as [`RequestBody::stage`] stages a body:
/// computing `algorithms`, encrypting as `sse` asks, one batch written while
/// the next is received (memory: two batches); more than `max_size` bytes
/// fails with `EntityTooLarge`, and nothing is staged unless all arrived.
pub(crate) async fn stage_from(
    source: &mut impl ChunkSource,
    engine: Engine,
    algorithms: Vec<ChecksumAlgorithm>,
    max_size: u64,
    sse: Option<SseRequest>,
) -> S3Result<StagedBlob> {
    let mut pipeline = Pipeline::new(Begin {
        engine,
        algorithms,
        part: false,
        sse,
    });
    let mut batch = Batch::default();
    let mut size = 0u64;
    let streamed: S3Result<()> = async {
        while let Some(piece) = source.next_piece().await {
            let piece = piece?;
            size += piece.len() as u64;
            if size > max_size {
                return Err(entity_too_large());
            }
            batch.push(piece);
            if batch.len >= BATCH {
                pipeline.write(batch.take(), None).await?;
            }
        }
        Ok(())
    }
    .await;
    match streamed {
        Ok(()) => pipeline.finish(batch, None, |_, staged| Ok(staged)).await,
        Err(err) => {
            let stored = pipeline.wait().await;
            pipeline.discard();
            Err(stored.err().unwrap_or(err))
        }
    }
}

impl RequestBody {
    /// Reads a small body (XML) completely; more than `limit` bytes is an error.
    pub async fn read_all(mut self, limit: usize) -> S3Result<Bytes> {
        let mut out = BytesMut::new();
        while let Some(chunk) = self.source.next_chunk().await {
            let chunk = chunk?;
            self.decoder.push(&chunk, &mut out)?;
            if out.len() > limit {
                return Err(s3_error!(
                    MalformedXML,
                    "The request body is larger than {limit} bytes."
                ));
            }
        }
        self.decoder.finish()?;
        Ok(out.freeze())
    }

    /// Streams the body into the engine's staging area, computing `algorithms`
    /// and encrypting as `sse` asks, then hands what was staged and the
    /// trailers to `then`, in the same blocking step as the last write and the
    /// fsync: engine work that follows the staging (checks, the commit) costs
    /// no extra hand-off to the blocking pool and back.
    /// Nothing is staged unless the whole body arrived and verified; more than
    /// `max_size` decoded bytes fails with `EntityTooLarge`. A storage error
    /// (a full disk: `InsufficientStorage`) wins over what the body does after
    /// it; the rest of the body is then read and discarded, so that the client
    /// sees the error rather than a reset connection.
    pub async fn stage<T: Send + 'static>(
        mut self,
        engine: Engine,
        algorithms: Vec<ChecksumAlgorithm>,
        max_size: u64,
        kind: Staging,
        sse: Option<SseRequest>,
        then: impl FnOnce(&Engine, StagedBlob, Trailers) -> S3Result<T> + Send + 'static,
    ) -> S3Result<T> {
        let mut pipeline = Pipeline::new(Begin {
            engine,
            algorithms,
            part: matches!(kind, Staging::Part),
            sse,
        });
        let mut batch = Batch::default();
        let mut reserved: Option<OwnedSemaphorePermit> = None;
        let mut decoded = 0u64;
        let streamed: S3Result<Trailers> = async {
            while let Some(chunk) = self.source.next_chunk().await {
                let chunk = chunk?;
                // Decoding never makes a chunk longer. Bytes the budget has no
                // room for are written at once instead of collected: no body
                // ever waits for the budget.
                let permit = self.source.limits.try_reserve(chunk.len());
                let budgeted = permit.is_some();
                if let Some(permit) = permit {
                    match reserved.as_mut() {
                        Some(reserved) => reserved.merge(permit),
                        None => reserved = Some(permit),
                    }
                }
                let piece = self.decoder.push_bytes(chunk)?;
                decoded += piece.len() as u64;
                if decoded > max_size {
                    return Err(entity_too_large());
                }
                batch.push(piece);
                if batch.len >= BATCH || !budgeted {
                    pipeline.write(batch.take(), reserved.take()).await?;
                }
            }
            self.decoder.finish()
        }
        .await;
        let result = match streamed {
            Ok(trailers) => {
                pipeline
                    .finish(batch, reserved.take(), move |engine, staged| {
                        then(engine, staged, trailers)
                    })
                    .await
            }
            Err(err) => {
                // A storage failure that came first is the real cause.
                let stored = pipeline.wait().await;
                pipeline.discard();
                Err(stored.err().unwrap_or(err))
            }
        };
        if let Err(err) = &result
            && err.code == crate::error::S3ErrorCode::InsufficientStorage
        {
            self.source.drain(max_size).await;
        }
        result
    }
}

/// Decoded content collected for one blocking step, in the pieces it arrived
/// in: a body that is not aws-chunked is its own content, so no copy is made
/// on the async side (the chunk writer's buffer is the one copy between the
/// socket's buffers and the file).
#[derive(Default)]
struct Batch {
    pieces: Vec<Bytes>,
    len: usize,
}

impl Batch {
    fn push(&mut self, piece: Bytes) {
        if !piece.is_empty() {
            self.len += piece.len();
            self.pieces.push(piece);
        }
    }

    fn take(&mut self) -> Batch {
        std::mem::take(self)
    }

    /// Feeds every piece to `stager`, in order.
    fn write_to(&self, stager: &mut Stager) -> S3Result<()> {
        for piece in &self.pieces {
            stager.write(piece)?;
        }
        Ok(())
    }
}

/// How a [`Stager`] begins: done by the first blocking step, so that a body
/// that fits in one batch (every small object) is begun, written and made
/// durable in one step, one hand-off to the blocking pool and back.
struct Begin {
    engine: Engine,
    algorithms: Vec<ChecksumAlgorithm>,
    part: bool,
    sse: Option<SseRequest>,
}

impl Begin {
    fn start(self) -> S3Result<Stager> {
        self.engine
            .begin_stage(&self.algorithms, self.part, self.sse.as_ref())
            .map_err(S3Error::from)
    }
}

/// The stager between steps: not begun yet, or begun.
enum Idle {
    Unbegun(Begin),
    Begun(Box<Stager>),
}

impl Idle {
    fn stager(self) -> S3Result<Box<Stager>> {
        match self {
            Idle::Unbegun(begin) => begin.start().map(Box::new),
            Idle::Begun(stager) => Ok(stager),
        }
    }
}

/// A [`Stager`] fed by blocking steps: while one batch is written, the next
/// is received.
struct Pipeline {
    /// The engine the last step hands the staged content to.
    engine: Engine,
    /// The stager when no step runs.
    idle: Option<Idle>,
    /// The step writing the previous batch; gives the stager back.
    pending: Option<JoinHandle<S3Result<Box<Stager>>>>,
}

impl Pipeline {
    fn new(begin: Begin) -> Self {
        Self {
            engine: begin.engine.clone(),
            idle: Some(Idle::Unbegun(begin)),
            pending: None,
        }
    }

    /// Waits for the step in progress, if any, and takes its stager back.
    async fn wait(&mut self) -> S3Result<()> {
        if let Some(step) = self.pending.take() {
            self.idle = Some(Idle::Begun(step.await.map_err(S3Error::internal)??));
        }
        Ok(())
    }

    /// The stager once no step runs.
    async fn take_idle(&mut self) -> S3Result<Idle> {
        self.wait().await?;
        self.idle
            .take()
            .ok_or_else(|| S3Error::internal("staging step lost its stager"))
    }

    /// Starts writing `batch` once the previous step is done; `permit` (its
    /// share of the memory budget) is released when the batch is written.
    async fn write(&mut self, batch: Batch, permit: Option<OwnedSemaphorePermit>) -> S3Result<()> {
        if batch.len == 0 {
            return self.wait().await;
        }
        let idle = self.take_idle().await?;
        self.pending = Some(tokio::task::spawn_blocking(move || {
            let mut stager = idle.stager()?;
            let written = batch.write_to(&mut stager);
            drop((batch, permit));
            written.map(|()| stager)
        }));
        Ok(())
    }

    /// Writes the last batch, makes the content durable and hands it to
    /// `then`, all in one step.
    async fn finish<T: Send + 'static>(
        mut self,
        batch: Batch,
        permit: Option<OwnedSemaphorePermit>,
        then: impl FnOnce(&Engine, StagedBlob) -> S3Result<T> + Send + 'static,
    ) -> S3Result<T> {
        let idle = self.take_idle().await?;
        let engine = self.engine;
        blocking(move || {
            let mut stager = idle.stager()?;
            let written = batch.write_to(&mut stager);
            drop((batch, permit));
            written?;
            then(&engine, (*stager).finish()?)
        })
        .await
    }

    /// Drops what was staged (its tmp file is removed) off the async workers.
    fn discard(&mut self) {
        if let Some(Idle::Begun(stager)) = self.idle.take() {
            tokio::task::spawn_blocking(move || drop(stager));
        }
    }
}

/// Runs one bounded piece of blocking work off the async workers.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> S3Result<T> + Send + 'static,
) -> S3Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(S3Error::internal)?
}

/// The error of a body that stalled (AWS's words).
pub fn request_timeout() -> S3Error {
    s3_error!(
        RequestTimeout,
        "Your socket connection to the server was not read from or written to within the timeout period. Idle connections will be closed."
    )
}

pub fn entity_too_large() -> S3Error {
    s3_error!(
        EntityTooLarge,
        "Your proposed upload exceeds the maximum allowed object size."
    )
}

fn incomplete(err: impl std::fmt::Display) -> S3Error {
    s3_error!(
        IncompleteBody,
        "You did not provide the number of bytes specified by the Content-Length HTTP header: {err}"
    )
}

/// Streams an object's content, one blocking read per step, the next step
/// only once the response has taken the previous one (actix-http polls the
/// body again only when it has sent nearly all it holds). A step reads
/// [`SMALL_READ_SIZE`] bytes, or [`READ_SIZE`] once the client has taken
/// [`SMALL_STEPS_UNTIL`] bytes and while the memory budget has room: a client
/// that stops reading holds no thread and, beyond the budget, one small
/// step's bytes. A read error (such as a
/// chunk failing its integrity check) ends the stream with an error, so the
/// client sees a broken transfer, never altered bytes.
pub fn object_stream(
    reader: ObjectReader,
    limits: &BodyLimits,
) -> impl Stream<Item = io::Result<Bytes>> + use<> {
    let state = Download {
        reader: Some(reader),
        permit: None,
        limits: limits.clone(),
        sent: 0,
    };
    futures::stream::try_unfold(state, |mut state| async move {
        // What the previous step read has left this process (but for a little).
        state.permit = None;
        let Some(mut reader) = state.reader.take() else {
            return Ok(None);
        };
        if state.sent >= SMALL_STEPS_UNTIL {
            state.permit = state.limits.try_reserve(READ_SIZE);
        }
        let size = if state.permit.is_some() {
            READ_SIZE
        } else {
            SMALL_READ_SIZE
        };
        // Allocated here, not on the blocking thread: buffers then come from
        // the few workers' malloc arenas instead of one per blocking thread.
        let step = state
            .limits
            .read_steps
            .clone()
            .acquire_owned()
            .await
            .map_err(io::Error::other)?;
        let mut buf = BytesMut::zeroed(size);
        let (reader, read) = tokio::task::spawn_blocking(move || {
            let _step = step;
            let read = if size == SMALL_READ_SIZE {
                // Small steps are for clients that may stall: one read, which
                // ends at a chunk's end at the latest, and then no chunk held.
                let read = read_once(&mut reader, &mut buf);
                reader.release_buffers();
                read
            } else {
                read_full(&mut reader, &mut buf)
            };
            let read = read.map(|n| {
                buf.truncate(n);
                buf.freeze()
            });
            (reader, read)
        })
        .await
        .map_err(io::Error::other)?;
        match read {
            Ok(bytes) if bytes.is_empty() => Ok(None),
            Ok(bytes) => {
                state.sent += bytes.len() as u64;
                state.reader = Some(reader);
                Ok(Some((bytes, state)))
            }
            Err(err) => {
                tracing::error!("reading object data: {err}");
                Err(err)
            }
        }
    })
}

/// The state of [`object_stream`] between steps.
struct Download {
    reader: Option<ObjectReader>,
    /// The budget share of the bytes last handed to the response.
    permit: Option<OwnedSemaphorePermit>,
    limits: BodyLimits,
    /// Bytes handed to the response so far.
    sent: u64,
}

fn read_once(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match reader.read(buf) {
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            result => return result,
        }
    }
}

fn read_full(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => return Err(err),
        }
    }
    Ok(filled)
}
