//! Reads a byte range of a blob, verifying every chunk before handing out its bytes.

use std::io;
use std::ops::Range;

use super::format::{HEADER_LEN, Header, Layout, Transform, plain_chunk_ok};
use super::store::BlobRead;
use crate::crypto::chunk::ChunkCipher;

/// Chunks read per positioned read (1 MiB of payload with the default chunk size).
const CHUNKS_PER_READ: u64 = 16;

/// A range up to this long is verified whole when opened.
const VERIFIED_WHOLE: u64 = 256 << 10;
/// Of a longer range, this much (whole chunks) is verified when opened and kept
/// for the first read; the rest is verified as it is read.
const KEPT_AFTER_OPEN: usize = 64 << 10;

/// The error every integrity failure surfaces as.
pub fn corrupt(msg: impl std::fmt::Display) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("stored data is corrupt: {msg}"),
    )
}

/// Streams `range` of a blob's content. Only the chunks the range touches are read,
/// several per syscall (as many as the caller's buffer asks for), and each is
/// verified before any of its bytes are returned. A used-up batch is freed.
pub struct ChunkReader {
    blob: Box<dyn BlobRead>,
    /// Names the blob in error messages.
    name: String,
    layout: Layout,
    size: u64,
    /// Next content offset to hand out.
    pos: u64,
    end: u64,
    /// Verified stored chunks `batch_first..batch_first + batch_len`, with trailers.
    buf: Vec<u8>,
    batch_first: u64,
    batch_len: u64,
    /// Opens the chunks of an encrypted blob (`None` for a plain one).
    cipher: Option<ChunkCipher>,
}

impl ChunkReader {
    /// Opens `range` (clamped to `size`) of the `size`-byte plain blob `blob`.
    /// Fails with `InvalidData` if the header is bad or the blob's length does
    /// not match `size`.
    #[cfg(test)]
    pub fn open(
        blob: Box<dyn BlobRead>,
        name: String,
        size: u64,
        range: Range<u64>,
    ) -> io::Result<Self> {
        Self::open_with(blob, name, size, range, None)
    }

    /// Like [`ChunkReader::open`], for a blob encrypted with `cipher` (`None`: a
    /// plain blob). A blob whose header disagrees with `cipher` is corrupt: an
    /// encrypted object is never served from a plain file.
    ///
    /// A range up to [`VERIFIED_WHOLE`] is read and verified here whole, a longer
    /// one its first chunks ([`KEPT_AFTER_OPEN`]), before any caller commits to
    /// a response: damage there fails the open, not a later read.
    pub fn open_with(
        blob: Box<dyn BlobRead>,
        name: String,
        size: u64,
        range: Range<u64>,
        cipher: Option<ChunkCipher>,
    ) -> io::Result<Self> {
        let transform = if cipher.is_some() {
            Transform::Aes256Gcm
        } else {
            Transform::Plain
        };
        let layout = check_layout(&*blob, &name, size, transform)?;
        let end = range.end.min(size);
        let mut reader = Self {
            blob,
            name,
            layout,
            size,
            pos: range.start.min(end),
            end,
            buf: Vec::new(),
            batch_first: 0,
            batch_len: 0,
            cipher,
        };
        if reader.pos < reader.end {
            let len = reader.end - reader.pos;
            let want = if len <= VERIFIED_WHOLE {
                // Through the range's last chunk, even if only partly wanted.
                usize::try_from(len + layout.chunk_size).unwrap_or(KEPT_AFTER_OPEN)
            } else {
                KEPT_AFTER_OPEN
            };
            reader.fill(layout.chunk_of(reader.pos), want)?;
            if reader.buf.len() > KEPT_AFTER_OPEN {
                // Read again later, step by step: a download that never reads
                // must not hold a large verified batch.
                reader.release();
            }
        }
        Ok(reader)
    }

    /// Frees the batch buffer; the next read reads its chunk again.
    pub fn release(&mut self) {
        self.buf = Vec::new();
        self.batch_len = 0;
    }

    /// Reads and verifies chunk `first` (the one at `pos`) and as many whole
    /// chunks after it as the next `want` bytes of the range fill (at most
    /// [`CHUNKS_PER_READ`] in all): a chunk only partly wanted is left for
    /// the next fill.
    fn fill(&mut self, first: u64, want: usize) -> io::Result<()> {
        let l = self.layout;
        let rest_of_first = ((first + 1) * l.chunk_size).saturating_sub(self.pos);
        let extra = (want as u64).saturating_sub(rest_of_first) / l.chunk_size;
        let last_needed = (first + extra).min(l.chunk_of(self.end - 1));
        let count = (last_needed - first + 1).min(CHUNKS_PER_READ);
        let last = first + count - 1;
        let start = l.chunk_offset(first);
        let stop = l.chunk_offset(last) + l.payload_len(last, self.size) + l.trailer_len;
        let len = usize::try_from(stop - start).map_err(|_| corrupt("chunk batch too large"))?;
        self.batch_len = 0;
        self.buf.resize(len, 0);
        self.blob
            .read_exact_at(&mut self.buf, start)
            .map_err(|e| eof_is_corrupt(e, &self.name))?;
        let last_chunk = l.chunk_count(self.size).saturating_sub(1);
        for i in 0..count {
            let index = first + i;
            let ok = match &self.cipher {
                None => {
                    let (payload, trailer) = self.chunk(first, i);
                    plain_chunk_ok(payload, trailer)
                }
                Some(cipher) => {
                    let (payload, trailer) = self.chunk_span(first, i);
                    match (
                        payload.end <= trailer.start,
                        self.buf.get_mut(payload.start..trailer.end),
                    ) {
                        (true, Some(stored)) => {
                            let (p, t) = stored.split_at_mut(payload.end - payload.start);
                            cipher.open(index, index == last_chunk, p, t)
                        }
                        _ => false,
                    }
                }
            };
            if !ok {
                return Err(corrupt(format!(
                    "chunk {index} of blob {} failed its {} check",
                    self.name,
                    if self.cipher.is_some() {
                        "authentication"
                    } else {
                        "CRC32C"
                    }
                )));
            }
        }
        self.batch_first = first;
        self.batch_len = count;
        Ok(())
    }

    /// Payload and trailer of chunk `first + i`, the `i`-th chunk of a batch that
    /// starts at chunk `first`. Out-of-range parts come back empty (and then fail
    /// verification) instead of panicking.
    fn chunk(&self, first: u64, i: u64) -> (&[u8], &[u8]) {
        let (payload, trailer) = self.chunk_span(first, i);
        (
            self.buf.get(payload).unwrap_or_default(),
            self.buf.get(trailer).unwrap_or_default(),
        )
    }

    /// Where the payload and trailer of chunk `first + i` lie in the batch buffer.
    fn chunk_span(&self, first: u64, i: u64) -> (Range<usize>, Range<usize>) {
        let l = self.layout;
        let at = usize::try_from(i * l.stored_chunk_len()).unwrap_or(usize::MAX);
        let payload = usize::try_from(l.payload_len(first + i, self.size)).unwrap_or(usize::MAX);
        let trailer = l.trailer_len as usize;
        let payload_end = at.saturating_add(payload);
        let trailer_end = payload_end.saturating_add(trailer);
        (at..payload_end, payload_end..trailer_end)
    }
}

/// Checks what needs no key: the header is valid, says `transform`, and the
/// blob's length matches a `size`-byte object. Returns the blob's layout.
pub fn check_layout(
    blob: &dyn BlobRead,
    name: &str,
    size: u64,
    transform: Transform,
) -> io::Result<Layout> {
    let mut raw = [0u8; HEADER_LEN as usize];
    blob.read_exact_at(&mut raw, 0)
        .map_err(|e| eof_is_corrupt(e, name))?;
    let header = Header::decode(&raw).map_err(|e| corrupt(format!("blob {name}: {e}")))?;
    if header.transform != transform {
        return Err(corrupt(format!(
            "blob {name} is stored as {:?}, expected {transform:?}",
            header.transform
        )));
    }
    let layout = header.layout();
    let actual = blob.len()?;
    let expected = layout.file_len(size);
    if actual != expected {
        return Err(corrupt(format!(
            "blob {name} is {actual} bytes long, expected {expected}"
        )));
    }
    Ok(layout)
}

fn eof_is_corrupt(e: io::Error, name: &str) -> io::Error {
    if e.kind() == io::ErrorKind::UnexpectedEof {
        corrupt(format!("blob {name} is truncated"))
    } else {
        e
    }
}

impl io::Read for ChunkReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.pos >= self.end || out.is_empty() {
            return Ok(0);
        }
        let index = self.layout.chunk_of(self.pos);
        if self.batch_len == 0
            || index < self.batch_first
            || index >= self.batch_first + self.batch_len
        {
            self.batch_len = 0;
            self.fill(index, out.len())?;
        }
        let (payload, _) = self.chunk(self.batch_first, index - self.batch_first);
        let within = (self.pos - index * self.layout.chunk_size) as usize;
        let available = &payload[within.min(payload.len())..];
        let n = available
            .len()
            .min(out.len())
            .min(usize::try_from(self.end - self.pos).unwrap_or(usize::MAX));
        out[..n].copy_from_slice(&available[..n]);
        self.pos += n as u64;
        if self.pos >= (self.batch_first + self.batch_len) * self.layout.chunk_size {
            // The batch is used up: a reader waiting for its caller (a stalled
            // download) holds no chunk buffer.
            self.buf = Vec::new();
            self.batch_len = 0;
        }
        Ok(n)
    }
}
