//! Streams content into the chunk format.

use std::fs::File;
use std::io::{self, Write};

use super::format::{Header, plain_trailer};

/// Bytes buffered before one `write` syscall.
const OUT_BUFFER: usize = 1024 * 1024;

/// Writes content as a blob file: header, then chunks sealed with their trailer.
/// Memory use is one output buffer, whatever the content size.
pub struct ChunkWriter {
    file: File,
    chunk_size: usize,
    out: Vec<u8>,
    /// Payload bytes of the current (unsealed) chunk.
    filled: usize,
    /// Running CRC32C of the current chunk's payload.
    crc: u32,
}

impl ChunkWriter {
    /// Starts a blob in the empty file `file`.
    pub fn new(file: File, header: Header) -> Self {
        let mut out = Vec::with_capacity(OUT_BUFFER + 64);
        out.extend_from_slice(&header.encode());
        Self {
            file,
            chunk_size: header.chunk_size as usize,
            out,
            filled: 0,
            crc: 0,
        }
    }

    /// Appends content.
    pub fn write(&mut self, mut data: &[u8]) -> io::Result<()> {
        while !data.is_empty() {
            let take = (self.chunk_size - self.filled).min(data.len());
            let (part, rest) = data.split_at(take);
            self.out.extend_from_slice(part);
            self.crc = crc32c::crc32c_append(self.crc, part);
            self.filled += take;
            data = rest;
            if self.filled == self.chunk_size {
                self.seal_chunk();
            }
            if self.out.len() >= OUT_BUFFER {
                self.file.write_all(&self.out)?;
                self.out.clear();
            }
        }
        Ok(())
    }

    fn seal_chunk(&mut self) {
        self.out.extend_from_slice(&plain_trailer(self.crc));
        self.filled = 0;
        self.crc = 0;
    }

    /// Seals the last chunk, writes everything and fsyncs the file's data.
    pub fn finish(mut self) -> io::Result<File> {
        if self.filled > 0 {
            self.seal_chunk();
        }
        self.file.write_all(&self.out)?;
        self.file.sync_data()?;
        Ok(self.file)
    }
}
