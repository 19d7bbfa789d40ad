//! The on-disk layout of a blob file.
//!
//! ```text
//! header (16 bytes): magic "HORREOB1" | format version u8 | transform u8 | 0u16 | chunk size u32 LE
//! chunk 0:           payload (chunk size bytes) | trailer
//! chunk 1:           payload (chunk size bytes) | trailer
//! ...
//! last chunk:        payload (1..=chunk size bytes) | trailer
//! ```
//!
//! Every chunk but the last holds exactly `chunk size` payload bytes, and the
//! trailer has a fixed length per transform, so the file offset of any chunk is
//! computable from its index: a range read seeks straight to the chunks it needs.
//! With the `Plain` transform the payload is the plaintext and the trailer is the
//! CRC32C of the payload (4 bytes, little-endian). With `Aes256Gcm` the payload is
//! the ciphertext and the trailer the 16-byte GCM tag (see `crypto::chunk`); the
//! layout arithmetic is the same.

/// First bytes of every blob file.
pub const MAGIC: &[u8; 8] = b"HORREOB1";
/// The format version this code writes and reads.
pub const FORMAT_VERSION: u8 = 1;
/// Length of the header.
pub const HEADER_LEN: u64 = 16;
/// Payload bytes per chunk written by this version.
pub const DEFAULT_CHUNK_SIZE: u32 = 64 * 1024;
/// Largest chunk size a reader accepts (guards allocations against a bad header).
pub const MAX_CHUNK_SIZE: u32 = 16 * 1024 * 1024;

/// How a chunk's payload is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transform {
    /// Plaintext payload followed by its CRC32C.
    Plain,
    /// AES-256-GCM ciphertext followed by its tag.
    Aes256Gcm,
}

impl Transform {
    fn code(self) -> u8 {
        match self {
            Transform::Plain => 0,
            Transform::Aes256Gcm => 1,
        }
    }

    fn from_code(code: u8) -> Option<Self> {
        match code {
            0 => Some(Transform::Plain),
            1 => Some(Transform::Aes256Gcm),
            _ => None,
        }
    }

    /// Bytes that follow each chunk's payload.
    pub fn trailer_len(self) -> u64 {
        match self {
            Transform::Plain => 4,
            Transform::Aes256Gcm => 16,
        }
    }
}

/// A decoded blob header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub chunk_size: u32,
    pub transform: Transform,
}

impl Header {
    pub fn plain(chunk_size: u32) -> Self {
        Self {
            chunk_size,
            transform: Transform::Plain,
        }
    }

    pub fn encrypted(chunk_size: u32) -> Self {
        Self {
            chunk_size,
            transform: Transform::Aes256Gcm,
        }
    }

    pub fn encode(&self) -> [u8; HEADER_LEN as usize] {
        let mut out = [0u8; HEADER_LEN as usize];
        out[..8].copy_from_slice(MAGIC);
        out[8] = FORMAT_VERSION;
        out[9] = self.transform.code();
        out[12..16].copy_from_slice(&self.chunk_size.to_le_bytes());
        out
    }

    /// Parses a header; the error says what is wrong with it.
    pub fn decode(raw: &[u8; HEADER_LEN as usize]) -> Result<Self, String> {
        if &raw[..8] != MAGIC {
            return Err("bad magic".into());
        }
        if raw[8] != FORMAT_VERSION {
            return Err(format!("unknown blob format version {}", raw[8]));
        }
        let transform =
            Transform::from_code(raw[9]).ok_or_else(|| format!("unknown transform {}", raw[9]))?;
        let chunk_size = u32::from_le_bytes([raw[12], raw[13], raw[14], raw[15]]);
        if chunk_size == 0 || chunk_size > MAX_CHUNK_SIZE {
            return Err(format!("bad chunk size {chunk_size}"));
        }
        Ok(Self {
            chunk_size,
            transform,
        })
    }

    pub fn layout(&self) -> Layout {
        Layout {
            chunk_size: u64::from(self.chunk_size),
            trailer_len: self.transform.trailer_len(),
        }
    }
}

/// Offset arithmetic of a blob file. `size` is always the object's content length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    pub chunk_size: u64,
    pub trailer_len: u64,
}

impl Layout {
    /// Payload plus trailer of a full chunk.
    pub fn stored_chunk_len(&self) -> u64 {
        self.chunk_size + self.trailer_len
    }

    /// The chunk holding content byte `offset`.
    pub fn chunk_of(&self, offset: u64) -> u64 {
        offset / self.chunk_size
    }

    /// File offset where chunk `index` starts.
    pub fn chunk_offset(&self, index: u64) -> u64 {
        HEADER_LEN + index * self.stored_chunk_len()
    }

    /// Number of chunks of a `size`-byte object.
    pub fn chunk_count(&self, size: u64) -> u64 {
        size.div_ceil(self.chunk_size)
    }

    /// Payload bytes of chunk `index` of a `size`-byte object.
    pub fn payload_len(&self, index: u64, size: u64) -> u64 {
        size.saturating_sub(index * self.chunk_size)
            .min(self.chunk_size)
    }

    /// Exact length of the blob file of a `size`-byte object.
    pub fn file_len(&self, size: u64) -> u64 {
        HEADER_LEN + size + self.chunk_count(size) * self.trailer_len
    }
}

/// The trailer of a `Plain` chunk.
pub fn plain_trailer(crc32c: u32) -> [u8; 4] {
    crc32c.to_le_bytes()
}

/// Whether a `Plain` chunk's trailer matches its payload.
pub fn plain_chunk_ok(payload: &[u8], trailer: &[u8]) -> bool {
    trailer == plain_trailer(crc32c::crc32c(payload))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn header_round_trip_and_rejects() {
        let h = Header::plain(DEFAULT_CHUNK_SIZE);
        let raw = h.encode();
        assert_eq!(&raw[..8], b"HORREOB1");
        assert_eq!(Header::decode(&raw), Ok(h));
        let mut bad = raw;
        bad[0] = b'X';
        assert!(Header::decode(&bad).is_err());
        let mut bad = raw;
        bad[8] = 2;
        assert!(Header::decode(&bad).is_err());
        let mut bad = raw;
        bad[12..16].copy_from_slice(&0u32.to_le_bytes());
        assert!(Header::decode(&bad).is_err());
    }

    #[test]
    fn layout_arithmetic() {
        let l = Header::plain(10).layout();
        assert_eq!(l.chunk_count(0), 0);
        assert_eq!(l.chunk_count(10), 1);
        assert_eq!(l.chunk_count(11), 2);
        assert_eq!(l.payload_len(1, 11), 1);
        assert_eq!(l.chunk_offset(2), 16 + 28);
        assert_eq!(l.file_len(25), 16 + 25 + 3 * 4);
    }

    proptest! {
        #[test]
        fn chunks_tile_the_file(chunk in 1u64..100, size in 0u64..2000) {
            let l = Layout { chunk_size: chunk, trailer_len: 4 };
            let n = l.chunk_count(size);
            let mut offset = HEADER_LEN;
            let mut total = 0;
            for i in 0..n {
                prop_assert_eq!(l.chunk_offset(i), offset);
                let p = l.payload_len(i, size);
                prop_assert!(p > 0 && p <= chunk);
                offset += p + 4;
                total += p;
            }
            prop_assert_eq!(total, size);
            prop_assert_eq!(offset, l.file_len(size));
            if size > 0 {
                prop_assert_eq!(l.chunk_of(size - 1), n - 1);
            }
        }
    }
}
