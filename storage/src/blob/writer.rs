//! Streams content into the chunk format.

use std::io;

use super::format::{Header, plain_trailer};
use super::store::StagedWrite;
use crate::crypto::chunk::ChunkCipher;

/// Bytes buffered before one append to the staged blob.
const OUT_BUFFER: usize = 1024 * 1024;

/// Writes content as a staged blob: header, then chunks sealed with their trailer
/// (a CRC32C, or with a cipher an AES-256-GCM tag after the chunk is encrypted in
/// place). Memory use is one output buffer, whatever the content size.
pub struct ChunkWriter {
    staged: Box<dyn StagedWrite>,
    chunk_size: usize,
    out: Vec<u8>,
    /// Where the current (unsealed) chunk's payload starts in `out`.
    chunk_start: usize,
    /// Payload bytes of the current (unsealed) chunk.
    filled: usize,
    /// Index of the current chunk.
    index: u64,
    /// Running CRC32C of the current chunk's payload.
    crc: u32,
    cipher: Option<ChunkCipher>,
}

impl ChunkWriter {
    /// Starts a blob in the empty staged blob `staged`. `cipher` must be given
    /// exactly when the header's transform is `Aes256Gcm`.
    pub fn with_cipher(
        staged: Box<dyn StagedWrite>,
        header: Header,
        cipher: Option<ChunkCipher>,
    ) -> Self {
        let mut out = Vec::with_capacity(OUT_BUFFER + header.chunk_size as usize + 64);
        out.extend_from_slice(&header.encode());
        Self {
            staged,
            chunk_size: header.chunk_size as usize,
            chunk_start: out.len(),
            out,
            filled: 0,
            index: 0,
            crc: 0,
            cipher,
        }
    }

    /// Appends content.
    pub fn write(&mut self, mut data: &[u8]) -> io::Result<()> {
        while !data.is_empty() {
            // A full chunk is sealed only once more content shows it is not the last.
            if self.filled == self.chunk_size {
                self.seal_chunk(false);
            }
            let take = (self.chunk_size - self.filled).min(data.len());
            let (part, rest) = data.split_at(take);
            self.out.extend_from_slice(part);
            if self.cipher.is_none() {
                self.crc = crc32c::crc32c_append(self.crc, part);
            }
            self.filled += take;
            data = rest;
            if self.chunk_start >= OUT_BUFFER {
                // Everything before the unsealed chunk is final.
                self.staged.append(&self.out[..self.chunk_start])?;
                self.out.drain(..self.chunk_start);
                self.chunk_start = 0;
            }
        }
        Ok(())
    }

    fn seal_chunk(&mut self, last: bool) {
        match &self.cipher {
            None => self.out.extend_from_slice(&plain_trailer(self.crc)),
            Some(cipher) => {
                let tag = cipher.seal(self.index, last, &mut self.out[self.chunk_start..]);
                self.out.extend_from_slice(&tag);
            }
        }
        self.chunk_start = self.out.len();
        self.index += 1;
        self.filled = 0;
        self.crc = 0;
    }

    /// Seals the last chunk, appends everything and syncs it: the staged blob
    /// returned is ready to install.
    pub fn finish(mut self) -> io::Result<Box<dyn StagedWrite>> {
        if self.filled > 0 {
            self.seal_chunk(true);
        }
        self.staged.append(&self.out)?;
        self.staged.sync()?;
        Ok(self.staged)
    }
}
