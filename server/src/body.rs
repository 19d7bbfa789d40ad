//! Request and response bodies, streamed with backpressure between the async
//! workers and the blocking storage engine. Memory per request is bounded by a
//! few buffered chunks, whatever the object size.

use std::io::{self, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use actix_web::web;
use bytes::{Bytes, BytesMut};
use futures::{Stream, StreamExt};
use horreo_storage::{ChecksumAlgorithm, Engine, ObjectReader, SseRequest, StagedBlob};
use tokio::sync::mpsc;

use crate::auth::BodyDecoder;
use crate::error::{S3Error, S3Result};
use crate::s3_error;

/// Chunks buffered between the network and the engine.
const CHANNEL_DEPTH: usize = 8;
/// Bytes per read when streaming an object out.
const READ_SIZE: usize = 256 * 1024;

/// Trailing headers of an aws-chunked body (`x-amz-checksum-*`), names lower-case.
pub type Trailers = Vec<(String, String)>;

/// What a staged body becomes: an object (small ones inline) or a part.
#[derive(Debug, Clone, Copy)]
pub enum Staging {
    Object,
    Part,
}

/// A request body being decoded and verified as its signature requires.
pub struct RequestBody {
    payload: web::Payload,
    decoder: BodyDecoder,
    /// Bytes received from the client so far, as sent (before decoding).
    received: Arc<AtomicU64>,
}

impl RequestBody {
    /// `received` counts the body's bytes as they arrive, for the request log.
    pub fn new(payload: web::Payload, decoder: BodyDecoder, received: Arc<AtomicU64>) -> Self {
        Self {
            payload,
            decoder,
            received,
        }
    }

    /// The next chunk as sent, counted.
    async fn next_chunk(&mut self) -> Option<S3Result<Bytes>> {
        let chunk = self.payload.next().await?.map_err(incomplete);
        if let Ok(chunk) = &chunk {
            self.received
                .fetch_add(chunk.len() as u64, Ordering::Relaxed);
        }
        Some(chunk)
    }

    /// Reads a small body (XML) completely; more than `limit` bytes is an error.
    pub async fn read_all(mut self, limit: usize) -> S3Result<Bytes> {
        let mut out = BytesMut::new();
        while let Some(chunk) = self.next_chunk().await {
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
    /// and encrypting as `sse` asks.
    /// Nothing is staged unless the whole body arrived and verified; more than
    /// `max_size` decoded bytes fails with `EntityTooLarge`.
    pub async fn stage(
        mut self,
        engine: Engine,
        algorithms: Vec<ChecksumAlgorithm>,
        max_size: u64,
        kind: Staging,
        sse: Option<SseRequest>,
    ) -> S3Result<(StagedBlob, Trailers)> {
        let (tx, rx) = mpsc::channel::<io::Result<Bytes>>(CHANNEL_DEPTH);
        let staging = tokio::task::spawn_blocking(move || {
            let mut body = ChannelReader::new(rx);
            match kind {
                Staging::Object => engine.stage_sse(&mut body, &algorithms, sse.as_ref()),
                Staging::Part => engine.stage_part_sse(&mut body, &algorithms, sse.as_ref()),
            }
        });
        let mut buf = BytesMut::new();
        let mut received = 0u64;
        let streamed: S3Result<Trailers> = async {
            while let Some(chunk) = self.next_chunk().await {
                let chunk = chunk?;
                self.decoder.push(&chunk, &mut buf)?;
                received += buf.len() as u64;
                if received > max_size {
                    return Err(entity_too_large());
                }
                if !buf.is_empty() && tx.send(Ok(buf.split().freeze())).await.is_err() {
                    // The engine stopped reading: its own error is reported below.
                    break;
                }
            }
            self.decoder.finish()
        }
        .await;
        match streamed {
            Ok(trailers) => {
                drop(tx);
                let staged = staging.await.map_err(S3Error::internal)??;
                Ok((staged, trailers))
            }
            Err(err) => {
                // Make the engine fail (and discard what it staged) rather than
                // commit a truncated body.
                let _ = tx
                    .send(Err(io::Error::other("request body rejected")))
                    .await;
                drop(tx);
                let _ = staging.await;
                Err(err)
            }
        }
    }
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

/// Blocking `Read` over chunks sent from the async side.
struct ChannelReader {
    rx: mpsc::Receiver<io::Result<Bytes>>,
    current: Bytes,
}

impl ChannelReader {
    fn new(rx: mpsc::Receiver<io::Result<Bytes>>) -> Self {
        Self {
            rx,
            current: Bytes::new(),
        }
    }
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.current.is_empty() {
            match self.rx.blocking_recv() {
                Some(Ok(bytes)) => self.current = bytes,
                Some(Err(err)) => return Err(err),
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current.split_to(n));
        Ok(n)
    }
}

/// Streams an object's content from a blocking reader. A read error (such as a
/// chunk failing its integrity check) ends the stream with an error, so the
/// client sees a broken transfer, never altered bytes.
pub fn object_stream(mut reader: ObjectReader) -> impl Stream<Item = io::Result<Bytes>> {
    let (tx, rx) = mpsc::channel::<io::Result<Bytes>>(4);
    tokio::task::spawn_blocking(move || {
        loop {
            let mut buf = BytesMut::zeroed(READ_SIZE);
            let n = match read_full(&mut reader, &mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(err) => {
                    tracing::error!("reading object data: {err}");
                    let _ = tx.blocking_send(Err(err));
                    break;
                }
            };
            buf.truncate(n);
            if tx.blocking_send(Ok(buf.freeze())).is_err() {
                break; // client went away
            }
        }
    });
    futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    })
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
