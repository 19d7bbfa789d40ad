//! Receiving a body: hashing it in one pass and keeping it inline or in a tmp blob.

use std::io::{self, Read};
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use md5::{Digest, Md5};
use sha1::Sha1;
use sha2::Sha256;

use super::encryption::{Sealing, seal_inline};
use super::space::RECHECK;
use super::{Inner, StagedBlob};
use crate::Result;
use crate::blob::format::{DEFAULT_CHUNK_SIZE, Header};
use crate::blob::{ChunkWriter, StagedWrite};
use crate::crypto::chunk::ChunkCipher;
use crate::types::{ChecksumAlgorithm, ChecksumType, Checksums, EncryptionRecord, SseRequest};

/// Read buffer of [`stage`] while the body may still fit inline.
const SMALL_BUFFER: usize = 64 * 1024;
/// Read buffer once the body is known to be large.
const LARGE_BUFFER: usize = 512 * 1024;

/// Where staged content waits for its commit.
pub(super) enum Staged {
    Inline(Bytes),
    /// A synced staged blob, discarded on drop unless installed.
    Blob(Box<dyn StagedWrite>),
}

/// Stages `body` to its end: a [`Stager`] fed from a blocking reader.
pub(super) fn stage(
    inner: &Arc<Inner>,
    body: &mut dyn Read,
    algorithms: &[ChecksumAlgorithm],
    inline: bool,
    sse: Option<&SseRequest>,
) -> Result<StagedBlob> {
    let mut stager = Stager::begin(inner, algorithms, inline, sse)?;
    let mut buf = vec![0u8; SMALL_BUFFER];
    loop {
        let n = match body.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e.into()),
        };
        stager.write(&buf[..n])?;
        if stager.spilled.is_some() && buf.len() < LARGE_BUFFER {
            buf = vec![0u8; LARGE_BUFFER];
        }
    }
    stager.finish()
}

/// A body being staged, fed piece by piece: each piece is hashed (MD5 and the
/// requested checksums) and, once the body outgrows the inline threshold,
/// encrypted if asked and written to a tmp blob file. Every call blocks only
/// for its own piece's CPU and disk work, so the caller may wait for the next
/// piece without holding a thread. Dropping a `Stager` discards what it staged.
pub struct Stager {
    inner: Arc<Inner>,
    hashes: Hashes,
    /// The content while it may still be stored inline.
    inline_buf: Vec<u8>,
    /// The staged blob once the content is (or must be) a blob.
    spilled: Option<ChunkWriter>,
    cipher: Option<ChunkCipher>,
    encryption: Option<EncryptionRecord>,
    size: u64,
    /// Bytes written since the free space was last checked.
    unchecked: u64,
}

impl Stager {
    /// Starts staging. Content up to the engine's inline threshold stays in
    /// memory unless `inline` is false (multipart parts, which always get a
    /// blob file). With `sse`, the content is encrypted under a fresh data key
    /// as it is written (inline content is sealed by [`Stager::finish`]).
    pub(super) fn begin(
        inner: &Arc<Inner>,
        algorithms: &[ChecksumAlgorithm],
        inline: bool,
        sse: Option<&SseRequest>,
    ) -> Result<Self> {
        inner.space.check(0)?;
        let (encryption, cipher) = match sse {
            Some(request) => {
                let (record, cipher) = Sealing::resolve(inner, request)?.new_blob()?;
                (Some(record), Some(cipher))
            }
            None => (None, None),
        };
        let spilled = if inline {
            None
        } else {
            Some(create_blob(inner, cipher.clone())?)
        };
        Ok(Self {
            inner: inner.clone(),
            hashes: Hashes::new(algorithms),
            inline_buf: Vec::new(),
            spilled,
            cipher,
            encryption,
            size: 0,
            unchecked: 0,
        })
    }

    /// Content bytes staged so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Appends `data` to the content. Fails with `InsufficientStorage` when
    /// the disk is full or the content would eat into the free-space reserve
    /// (checked every [`RECHECK`] bytes), `Io` on other disk errors.
    pub fn write(&mut self, data: &[u8]) -> Result<()> {
        if data.is_empty() {
            return Ok(());
        }
        self.unchecked += data.len() as u64;
        if self.unchecked >= RECHECK {
            self.inner.space.check(RECHECK)?;
            self.unchecked = 0;
        }
        self.hashes.update(data);
        self.size += data.len() as u64;
        if let Some(writer) = self.spilled.as_mut() {
            writer.write(data)?;
        } else if self.inline_buf.len() + data.len() <= self.inner.config.inline_threshold {
            self.inline_buf.extend_from_slice(data);
        } else {
            let mut writer = create_blob(&self.inner, self.cipher.clone())?;
            writer.write(&std::mem::take(&mut self.inline_buf))?;
            writer.write(data)?;
            self.spilled = Some(writer);
        }
        Ok(())
    }

    /// Makes the content durable (sync of its staged blob) and hands it over
    /// for a commit.
    pub fn finish(self) -> Result<StagedBlob> {
        let Self {
            hashes,
            inline_buf,
            spilled,
            cipher,
            encryption,
            size,
            ..
        } = self;
        let (md5, checksums) = hashes.finish();
        let content = match spilled {
            Some(writer) => Staged::Blob(writer.finish()?),
            None => Staged::Inline(Bytes::from(match &cipher {
                Some(cipher) => seal_inline(cipher, inline_buf),
                None => inline_buf,
            })),
        };
        Ok(StagedBlob {
            size,
            md5,
            checksums,
            content,
            encryption,
        })
    }
}

/// A writer into a new staged blob. From here on the blob is discarded on any
/// failure (the staged blob's drop).
fn create_blob(inner: &Inner, cipher: Option<ChunkCipher>) -> Result<ChunkWriter> {
    let staged = inner.shared.blobs.stage()?;
    let header = match cipher {
        Some(_) => Header::encrypted(DEFAULT_CHUNK_SIZE),
        None => Header::plain(DEFAULT_CHUNK_SIZE),
    };
    Ok(ChunkWriter::with_cipher(staged, header, cipher))
}

/// The checksum of `data` as S3 sends it (base64 of the big-endian digest).
pub(super) fn checksum_of(algorithm: ChecksumAlgorithm, data: &[u8]) -> String {
    let mut h = Hashes::new(&[algorithm]);
    h.update(data);
    let (_, mut sums) = h.finish();
    sums.values.pop().map(|(_, v)| v).unwrap_or_default()
}

/// MD5 plus the requested additional checksums, fed in one pass.
struct Hashes {
    md5: Md5,
    extra: Vec<Extra>,
}

enum Extra {
    Crc32(crc32fast::Hasher),
    Crc32c(u32),
    Sha1(Sha1),
    Sha256(Sha256),
    Crc64Nvme(crc64fast_nvme::Digest),
}

impl Hashes {
    fn new(algorithms: &[ChecksumAlgorithm]) -> Self {
        let mut extra: Vec<Extra> = Vec::new();
        let mut seen: Vec<ChecksumAlgorithm> = Vec::new();
        for &alg in algorithms {
            if seen.contains(&alg) {
                continue;
            }
            seen.push(alg);
            extra.push(match alg {
                ChecksumAlgorithm::Crc32 => Extra::Crc32(crc32fast::Hasher::new()),
                ChecksumAlgorithm::Crc32c => Extra::Crc32c(0),
                ChecksumAlgorithm::Sha1 => Extra::Sha1(Sha1::new()),
                ChecksumAlgorithm::Sha256 => Extra::Sha256(Sha256::new()),
                ChecksumAlgorithm::Crc64Nvme => Extra::Crc64Nvme(crc64fast_nvme::Digest::new()),
            });
        }
        Self {
            md5: Md5::new(),
            extra,
        }
    }

    fn update(&mut self, data: &[u8]) {
        self.md5.update(data);
        for h in &mut self.extra {
            match h {
                Extra::Crc32(h) => h.update(data),
                Extra::Crc32c(crc) => *crc = crc32c::crc32c_append(*crc, data),
                Extra::Sha1(h) => h.update(data),
                Extra::Sha256(h) => h.update(data),
                Extra::Crc64Nvme(h) => h.write(data),
            }
        }
    }

    /// The MD5 and the checksums as S3 sends them: base64 of the big-endian digest.
    fn finish(self) -> ([u8; 16], Checksums) {
        let values = self
            .extra
            .into_iter()
            .map(|h| match h {
                Extra::Crc32(h) => (
                    ChecksumAlgorithm::Crc32,
                    STANDARD.encode(h.finalize().to_be_bytes()),
                ),
                Extra::Crc32c(crc) => (
                    ChecksumAlgorithm::Crc32c,
                    STANDARD.encode(crc.to_be_bytes()),
                ),
                Extra::Sha1(h) => (ChecksumAlgorithm::Sha1, STANDARD.encode(h.finalize())),
                Extra::Sha256(h) => (ChecksumAlgorithm::Sha256, STANDARD.encode(h.finalize())),
                Extra::Crc64Nvme(h) => (
                    ChecksumAlgorithm::Crc64Nvme,
                    STANDARD.encode(h.sum64().to_be_bytes()),
                ),
            })
            .collect();
        (
            self.md5.finalize().into(),
            Checksums {
                values,
                kind: ChecksumType::FullObject,
            },
        )
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn checksums_of(data: &[u8]) -> ([u8; 16], Checksums) {
        let mut h = Hashes::new(&ChecksumAlgorithm::ALL);
        // Feed in pieces: the result must not depend on how the body is split.
        for part in data.chunks(2) {
            h.update(part);
        }
        h.finish()
    }

    #[test]
    fn known_values_of_hello() {
        let (md5, c) = checksums_of(b"hello");
        assert_eq!(hex::encode(md5), "5d41402abc4b2a76b9719d911017c592");
        // CRC32("hello") = 0x3610a686, CRC32C("hello") = 0x9a71bb4c.
        assert_eq!(c.get(ChecksumAlgorithm::Crc32), Some("NhCmhg=="));
        assert_eq!(c.get(ChecksumAlgorithm::Crc32c), Some("mnG7TA=="));
        assert_eq!(
            c.get(ChecksumAlgorithm::Sha1),
            Some("qvTGHdzF6KLavt4PO0gs2a6pQ00=")
        );
        assert_eq!(
            c.get(ChecksumAlgorithm::Sha256),
            Some("LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=")
        );
        let crc64 = STANDARD
            .decode(c.get(ChecksumAlgorithm::Crc64Nvme).unwrap())
            .unwrap();
        let mut d = crc64fast_nvme::Digest::new();
        d.write(b"hello");
        assert_eq!(crc64, d.sum64().to_be_bytes());
    }

    #[test]
    fn only_requested_algorithms_once_each() {
        let mut h = Hashes::new(&[
            ChecksumAlgorithm::Sha256,
            ChecksumAlgorithm::Crc32,
            ChecksumAlgorithm::Sha256,
        ]);
        h.update(b"x");
        let (_, c) = h.finish();
        let algs: Vec<_> = c.values.iter().map(|(a, _)| *a).collect();
        assert_eq!(
            algs,
            vec![ChecksumAlgorithm::Sha256, ChecksumAlgorithm::Crc32]
        );
    }
}
